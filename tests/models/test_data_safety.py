"""Data safety: SQLite settings, start-up check, backups, crashes, bad input, two writers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import models.database
import models.importer
from models.backup import KEEP_BACKUPS, create_backup, list_backups, restore_backup
from models.cli import run_command_line
from models.database import BUSY_MESSAGE, DatabaseError
from models.operations import (
    OpenedDatabase,
    import_files,
    list_referrals,
    log_referral,
    open_database,
)
from models.profile_io import MAX_PROFILE_BYTES, ProfileFileError, load_profile, save_profile
from models.referral import ReferralKind

Fingerprint = Callable[[sa.Engine], tuple[dict[str, int], str]]
REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"


def make_study(number: int, *, criteria_words: int = 20) -> dict[str, Any]:
    """A minimal valid API v2 study record with an NCT id built from ``number``."""
    return {
        "protocolSection": {
            "identificationModule": {
                "nctId": f"NCT{number:08d}",
                "briefTitle": f"Generated study {number}",
            },
            "statusModule": {"overallStatus": "RECRUITING"},
            "eligibilityModule": {
                "eligibilityCriteria": "Inclusion Criteria:\n\n* Age 18 years or older\n\n"
                + "* filler words " * criteria_words,
                "minimumAge": "18 Years",
                "sex": "ALL",
            },
            "contactsLocationsModule": {
                "locations": [
                    {"facility": f"Site {site}", "city": "Springfield", "country": "United States"}
                    for site in range(3)
                ]
            },
        }
    }


def write_studies(path: Path, numbers: range, *, criteria_words: int = 20) -> Path:
    studies = [make_study(number, criteria_words=criteria_words) for number in numbers]
    path.write_text(json.dumps({"studies": studies}), encoding="utf-8")
    return path


def trial_count(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return int(connection.execute("SELECT count(*) FROM trials").fetchone()[0])


def integrity(database: Path) -> str:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def sqlite_file(database: OpenedDatabase) -> Path:
    return Path(str(database.engine.url.database))


def python_child(code: str) -> subprocess.Popen[str]:
    """A Python process running ``code`` with the repository importable."""
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    """Poll until ``condition`` holds or the process has ended (no time limit is asserted)."""
    while not condition() and process.poll() is None:
        time.sleep(0.005)


# ---------------------------------------------------------------------------------------------
# SQLite settings and the start-up check


def test_every_connection_gets_the_durability_pragmas(empty_database: OpenedDatabase) -> None:
    # Several pooled connections, each must have the settings (they are per connection).
    connections = [empty_database.engine.connect() for _ in range(3)]
    try:
        for connection in connections:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert (
                connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
                == models.database.SQLITE_BUSY_TIMEOUT_MS
            )
    finally:
        for connection in connections:
            connection.close()


def test_a_damaged_database_is_refused_with_the_way_back(tmp_path: Path) -> None:
    database = tmp_path / "trialmatch.sqlite3"
    opened = open_database(f"sqlite:///{database}", bundled_files=())
    opened.engine.dispose()
    # Overwrite the middle of the file: the schema pages survive, table pages do not.
    data = bytearray(database.read_bytes())
    page_size = 4096
    for offset in range(2 * page_size, len(data), page_size):
        data[offset : offset + 64] = b"\xff" * 64
    database.write_bytes(bytes(data))
    before = database.read_bytes()

    with pytest.raises(DatabaseError) as raised:
        open_database(f"sqlite:///{database}", bundled_files=())

    message = str(raised.value)
    assert str(database) in message
    assert "python main.py restore" in message
    assert database.read_bytes() == before


# ---------------------------------------------------------------------------------------------
# Backups and restore


def test_imports_are_preceded_by_a_backup_and_only_five_are_kept(
    empty_database: OpenedDatabase, tmp_path: Path
) -> None:
    database = sqlite_file(empty_database)
    for round_number in range(KEEP_BACKUPS + 2):
        source = write_studies(tmp_path / f"round{round_number}.json", range(round_number + 1))
        import_files(empty_database.session_factory, [source])

    backups = list_backups(database)
    assert len(backups) == KEEP_BACKUPS
    assert all(backup.reason == "before-import" for backup in backups)
    assert [b.taken_at for b in backups] == sorted((b.taken_at for b in backups), reverse=True)
    assert all(backup.path.parent == database.parent / "backups" for backup in backups)
    # The newest backup is the state before the last import: 6 trials, not 7.
    assert trial_count(backups[0].path) == KEEP_BACKUPS + 1
    assert integrity(backups[0].path) == "ok"


def test_a_file_that_fails_to_parse_makes_no_backup(
    empty_database: OpenedDatabase, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    import_files(empty_database.session_factory, [bad])
    assert list_backups(sqlite_file(empty_database)) == ()


def test_migration_is_preceded_by_a_backup(empty_database: OpenedDatabase, tmp_path: Path) -> None:
    database = sqlite_file(empty_database)
    import_files(empty_database.session_factory, [write_studies(tmp_path / "a.json", range(3))])
    before = len(list_backups(database))
    models.database.downgrade_to(empty_database.engine, "base")
    empty_database.engine.dispose()

    reopened = open_database(f"sqlite:///{database}", bundled_files=())
    reopened.engine.dispose()

    backups = list_backups(database)
    assert len(backups) == before + 1
    assert backups[0].reason == "before-migration"


def test_restore_brings_back_the_newest_backup_and_keeps_the_current_file(
    empty_database: OpenedDatabase, tmp_path: Path
) -> None:
    database = sqlite_file(empty_database)
    import_files(empty_database.session_factory, [write_studies(tmp_path / "a.json", range(2))])
    import_files(empty_database.session_factory, [write_studies(tmp_path / "b.json", range(9))])
    assert trial_count(database) == 9
    empty_database.engine.dispose()

    result = restore_backup(database)

    assert trial_count(database) == 2  # the state before the second import
    assert integrity(database) == "ok"
    assert result.previous is not None
    assert not isinstance(result.previous, Path)
    assert result.previous.reason == "before-restore"
    assert trial_count(result.previous.path) == 9


def test_restore_command_recovers_a_damaged_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "trialmatch.sqlite3"
    opened = open_database(f"sqlite:///{database}", bundled_files=())
    import_files(opened.session_factory, [write_studies(tmp_path / "a.json", range(4))])
    import_files(opened.session_factory, [write_studies(tmp_path / "b.json", range(4, 6))])
    opened.engine.dispose()
    database.write_bytes(b"this is no longer a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)

    def run(*argv: str) -> int:
        return run_command_line(
            ["--db", str(database), *argv], {}, open_window=lambda _: pytest.fail("no window")
        )

    assert run("trials") == 2
    assert "python main.py restore" in capsys.readouterr().err
    assert run("backups") == 0
    assert "before-import" in capsys.readouterr().out
    assert run("restore") == 0
    out = capsys.readouterr().out
    assert "moved to" in out
    assert trial_count(database) == 4
    assert list(tmp_path.glob("trialmatch.sqlite3.damaged-*"))


def test_restore_refuses_a_damaged_backup(empty_database: OpenedDatabase, tmp_path: Path) -> None:
    database = sqlite_file(empty_database)
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"garbage" * 1000)
    before = database.read_bytes()
    with pytest.raises(DatabaseError, match="damaged"):
        restore_backup(database, broken)
    assert database.read_bytes() == before


def test_backup_into_a_read_only_place_is_a_clear_error(
    empty_database: OpenedDatabase, tmp_path: Path
) -> None:
    database = sqlite_file(empty_database)
    # /proc refuses new files even for root; a symlink makes it the backups folder.
    (database.parent / "backups").symlink_to("/proc")
    with pytest.raises(DatabaseError, match="cannot back up"):
        create_backup(database, "before-import")


# ---------------------------------------------------------------------------------------------
# Crash safety


CRASH_STUDIES = 4000


def test_killing_an_import_leaves_the_old_or_the_new_database(tmp_path: Path) -> None:
    database = tmp_path / "trialmatch.sqlite3"
    opened = open_database(f"sqlite:///{database}", bundled_files=())
    import_files(opened.session_factory, [write_studies(tmp_path / "seed.json", range(5))])
    opened.engine.dispose()
    before = trial_count(database)
    big = write_studies(tmp_path / "big.json", range(100, 100 + CRASH_STUDIES), criteria_words=60)
    wal = Path(f"{database}-wal")
    start_size = wal.stat().st_size if wal.exists() else 0

    child = python_child(
        f"""
        from pathlib import Path
        from models.operations import open_database, import_files
        opened = open_database({f"sqlite:///{database}"!r}, bundled_files=())
        import_files(opened.session_factory, [Path({str(big)!r})])
        print("finished")
        """
    )
    # Wait until the single import transaction has spilled a good part into the WAL file.
    wait_until(lambda: wal.exists() and wal.stat().st_size > start_size + 2_000_000, child)
    child.send_signal(signal.SIGKILL)
    child.communicate()

    assert child.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    assert integrity(database) == "ok"
    after = trial_count(database)
    assert after in (before, before + CRASH_STUDIES)
    reopened = open_database(f"sqlite:///{database}", bundled_files=())
    reopened.engine.dispose()


def test_killing_a_profile_save_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    target = tmp_path / "patient.json"
    first = load_profile(GOLDEN / "adult_refractory_sle.json")
    second = load_profile(GOLDEN / "child_sle.json")
    save_profile(first, target)
    contents = {
        (GOLDEN / "adult_refractory_sle.json").name: target.read_text(encoding="utf-8"),
    }
    save_profile(second, target)
    contents[(GOLDEN / "child_sle.json").name] = target.read_text(encoding="utf-8")

    child = python_child(
        f"""
        from pathlib import Path
        from models.profile_io import load_profile, save_profile
        golden = Path({str(GOLDEN)!r})
        profiles = [load_profile(golden / "adult_refractory_sle.json"),
                    load_profile(golden / "child_sle.json")]
        target = Path({str(target)!r})
        print("saving", flush=True)
        for index in range(1_000_000):
            save_profile(profiles[index % 2], target)
        """
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "saving\n"
    time.sleep(0.3)  # let it save many times; where the kill lands is what varies
    child.send_signal(signal.SIGKILL)
    child.communicate()

    assert child.returncode == -signal.SIGKILL
    text = target.read_text(encoding="utf-8")
    assert text in contents.values()
    json.loads(text)


# ---------------------------------------------------------------------------------------------
# Bad input changes nothing


@pytest.fixture
def seeded(empty_database: OpenedDatabase, tmp_path: Path) -> OpenedDatabase:
    import_files(empty_database.session_factory, [write_studies(tmp_path / "seed.json", range(3))])
    return empty_database


def test_malformed_json_is_reported_and_changes_nothing(
    seeded: OpenedDatabase, tmp_path: Path, database_fingerprint: Fingerprint
) -> None:
    before = database_fingerprint(seeded.engine)
    bad = tmp_path / "bad.json"
    bad.write_text('{"studies": [ {"protocolSection": ', encoding="utf-8")
    report = import_files(seeded.session_factory, [bad])
    assert [failure.file for failure in report.failed] == ["bad.json"]
    assert "not valid JSON" in report.failed[0].reason
    assert database_fingerprint(seeded.engine) == before


def test_zip_with_one_bad_member_imports_the_good_ones(
    seeded: OpenedDatabase, tmp_path: Path
) -> None:
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("NCT00000010.json", json.dumps(make_study(10)))
        bad_study = make_study(11)
        bad_study["protocolSection"]["eligibilityModule"]["minimumAge"] = 18
        zipped.writestr("NCT00000011.json", json.dumps(bad_study))
        zipped.writestr("NCT00000012.json", json.dumps(make_study(12)))
    report = import_files(seeded.session_factory, [archive])
    assert sorted(trial.trial_id for trial in report.added) == ["NCT00000010", "NCT00000012"]
    assert [failure.file for failure in report.failed] == ["download.zip:NCT00000011.json"]
    assert "minimumAge" in report.failed[0].reason


def test_an_enormous_file_is_refused_before_reading(
    seeded: OpenedDatabase, tmp_path: Path, database_fingerprint: Fingerprint
) -> None:
    before = database_fingerprint(seeded.engine)
    huge = tmp_path / "huge.json"
    with huge.open("wb") as stream:  # sparse: no disk or memory is spent on it
        stream.truncate(models.importer.MAX_DOCUMENT_BYTES + 1)
    report = import_files(seeded.session_factory, [huge])
    assert len(report.failed) == 1
    assert "at most" in report.failed[0].reason
    assert database_fingerprint(seeded.engine) == before

    profile = tmp_path / "patient.json"
    with profile.open("wb") as stream:
        stream.truncate(MAX_PROFILE_BYTES + 1)
    with pytest.raises(ProfileFileError, match="at most"):
        load_profile(profile)


def test_a_zip_bomb_is_refused_by_its_declared_size(
    seeded: OpenedDatabase,
    tmp_path: Path,
    database_fingerprint: Fingerprint,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(models.importer, "MAX_DOCUMENT_BYTES", 1_000_000)
    before = database_fingerprint(seeded.engine)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("studies.json", b" " * 5_000_000)  # compresses to a few kilobytes
    assert bomb.stat().st_size < 50_000
    report = import_files(seeded.session_factory, [bomb])
    assert [failure.file for failure in report.failed] == ["bomb.zip:studies.json"]
    assert "at most" in report.failed[0].reason
    assert database_fingerprint(seeded.engine) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_an_unreadable_file_is_reported(
    seeded: OpenedDatabase, tmp_path: Path, database_fingerprint: Fingerprint
) -> None:
    before = database_fingerprint(seeded.engine)
    locked = write_studies(tmp_path / "locked.json", range(50, 52))
    locked.chmod(0)
    try:
        report = import_files(seeded.session_factory, [locked])
        with pytest.raises(ProfileFileError, match="cannot be read"):
            load_profile(locked)
    finally:
        locked.chmod(0o600)
    assert "cannot read" in report.failed[0].reason
    assert database_fingerprint(seeded.engine) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda data: data["patient"].update(birth_date="2031-01-01"), "patient.birth_date"),
        (lambda data: data["patient"]["weight"].update(unit="stone"), "patient.weight.unit"),
        (lambda data: data["patient"]["weight"].update(value="sixty"), "patient.weight.value"),
        (lambda data: data["patient"].update(sex=3), "patient.sex"),
    ],
    ids=["future-date", "unknown-unit", "text-for-number", "number-for-text"],
)
def test_a_bad_patient_file_names_the_field(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], field: str
) -> None:
    data = json.loads((GOLDEN / "adult_refractory_sle.json").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProfileFileError) as raised:
        load_profile(path)
    assert raised.value.field == field
    assert field in str(raised.value)


def test_a_read_only_database_is_a_clear_error(
    seeded: OpenedDatabase, tmp_path: Path, database_fingerprint: Fingerprint
) -> None:
    database = sqlite_file(seeded)
    before = database_fingerprint(seeded.engine)
    seeded.engine.dispose()
    read_only = open_database(f"sqlite:///file:{database}?mode=ro&uri=true", bundled_files=())
    try:
        report = import_files(
            read_only.session_factory, [write_studies(tmp_path / "new.json", range(70, 72))]
        )
        with pytest.raises(DatabaseError, match=r"cannot write to the database .*readonly"):
            log_referral(
                read_only.session_factory,
                trial_ids=["NCT00000001"],
                patient_identifier="P-1",
                physician="Dr Test",
                kind=ReferralKind.EXPORT,
                file_name=None,
            )
    finally:
        read_only.engine.dispose()
    assert "readonly" in report.failed[0].reason
    assert database_fingerprint(seeded.engine) == before


def test_a_database_folder_that_cannot_be_created_is_a_clear_error() -> None:
    with pytest.raises(DatabaseError, match="cannot create the folder"):
        open_database("sqlite:////proc/trialmatch/db.sqlite3", bundled_files=())


def test_a_full_disk_fails_the_import_and_changes_nothing(
    seeded: OpenedDatabase, tmp_path: Path, database_fingerprint: Fingerprint
) -> None:
    before = database_fingerprint(seeded.engine)
    page_count = sa.text("PRAGMA page_count")
    with seeded.engine.connect() as connection:
        pages = int(connection.execute(page_count).scalar_one())

    def cap_size(dbapi_connection: Any, _record: Any) -> None:
        # SQLite reports "database or disk is full" past max_page_count: a full disk.
        dbapi_connection.execute(f"PRAGMA max_page_count={pages + 2}")

    seeded.engine.dispose()
    sa.event.listen(seeded.engine, "connect", cap_size)
    report = import_files(
        seeded.session_factory, [write_studies(tmp_path / "many.json", range(100, 400))]
    )
    assert len(report.failed) == 1
    assert "full" in report.failed[0].reason
    assert database_fingerprint(seeded.engine) == before


# ---------------------------------------------------------------------------------------------
# Two workstations at once


@contextlib.contextmanager
def write_lock_held(database: Path) -> Iterator[None]:
    """Another 'workstation' holding the write lock until the block ends."""
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def test_a_lock_held_past_the_busy_timeout_is_a_clear_message(
    seeded: OpenedDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database_fingerprint: Fingerprint,
) -> None:
    monkeypatch.setattr(models.database, "SQLITE_BUSY_TIMEOUT_MS", 100)
    seeded.engine.dispose()  # new connections pick up the short timeout
    database = sqlite_file(seeded)
    before = database_fingerprint(seeded.engine)
    new_file = write_studies(tmp_path / "new.json", range(80, 83))
    with write_lock_held(database):
        with pytest.raises(DatabaseError) as import_error:
            import_files(seeded.session_factory, [new_file])
        with pytest.raises(DatabaseError) as referral_error:
            log_referral(
                seeded.session_factory,
                trial_ids=["NCT00000001"],
                patient_identifier="P-1",
                physician="Dr Test",
                kind=ReferralKind.EXPORT,
                file_name=None,
            )
    assert str(import_error.value) == BUSY_MESSAGE
    assert str(referral_error.value) == BUSY_MESSAGE
    assert database_fingerprint(seeded.engine) == before
    # Once the other writer is done, the same import goes through.
    assert len(import_files(seeded.session_factory, [new_file]).added) == 3


def test_two_processes_importing_and_logging_at_once(tmp_path: Path) -> None:
    database = tmp_path / "trialmatch.sqlite3"
    open_database(f"sqlite:///{database}", bundled_files=()).engine.dispose()
    # Overlapping trial ids: both processes add or update NCT00001000-NCT00001059.
    first = write_studies(tmp_path / "first.json", range(1000, 1100))
    second = write_studies(tmp_path / "second.json", range(1000, 1060))
    third = write_studies(tmp_path / "third.json", range(1100, 1200))
    importer_code = """
        import sys
        from pathlib import Path
        from models.operations import open_database, import_files
        opened = open_database({database!r}, bundled_files=())
        for name in {files!r}:
            report = import_files(opened.session_factory, [Path(name)])
            if report.failed:
                sys.exit("failed: " + "; ".join(f.message() for f in report.failed))
        print("imported")
    """
    logger_code = f"""
        from models.operations import open_database, log_referral
        from models.referral import ReferralKind
        opened = open_database({f"sqlite:///{database}"!r}, bundled_files=())
        for index in range(150):
            log_referral(opened.session_factory, trial_ids=["NCT00001000"],
                         patient_identifier=f"P-{{index}}", physician="Dr Two",
                         kind=ReferralKind.EXPORT, file_name=None)
        print("logged")
    """
    children = [
        python_child(
            importer_code.format(database=f"sqlite:///{database}", files=[str(first), str(third)])
        ),
        python_child(importer_code.format(database=f"sqlite:///{database}", files=[str(second)])),
        python_child(logger_code),
    ]
    results = [child.communicate() for child in children]

    for child, (out, err) in zip(children, results, strict=True):
        assert child.returncode == 0, err
        assert out.strip() in ("imported", "logged")
    assert integrity(database) == "ok"
    assert trial_count(database) == 200
    opened = open_database(f"sqlite:///{database}", bundled_files=())
    try:
        assert len(list_referrals(opened.session_factory)) == 150
    finally:
        opened.engine.dispose()
