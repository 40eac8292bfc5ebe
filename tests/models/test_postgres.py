"""The application against a PostgreSQL server: migrate, import, match, referral log, two writers.

Skipped unless ``TRIALMATCH_TEST_PG_URL`` names a server (scripts/with_postgres.sh starts one).
Every test works in a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

import models.database
from models.database import BUSY_MESSAGE, DatabaseError
from models.matching import match_patient
from models.operations import (
    OpenedDatabase,
    import_files,
    list_referrals,
    list_trial_details,
    list_trial_entries,
    log_referral,
    open_database,
)
from models.profile_io import load_profile
from models.referral import ReferralKind
from models.topics import stored_screening_usable

PG_URL = os.environ.get("TRIALMATCH_TEST_PG_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not PG_URL,
        reason="TRIALMATCH_TEST_PG_URL is not set: run under scripts/with_postgres.sh",
    ),
]
Fingerprint = Callable[[sa.Engine], tuple[dict[str, int], str]]
REPO = Path(__file__).resolve().parents[2]
GOLDEN_PATIENT = REPO / "tests" / "golden" / "adult_refractory_sle.json"
SCREENING_DATE = dt.date(2026, 11, 23)
FIXED_TIME = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def schema_url() -> Iterator[str]:
    """The test server's URL with a fresh schema first on the search path."""
    assert PG_URL is not None
    schema = f"trialmatch_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def postgres_database(schema_url: str) -> Iterator[OpenedDatabase]:
    """A migrated PostgreSQL database without trials."""
    opened = open_database(schema_url, bundled_files=())
    yield opened
    opened.engine.dispose()


def test_open_migrates_and_loads_the_bundled_trials(schema_url: str) -> None:
    opened = open_database(schema_url)
    try:
        assert opened.bundled_import is not None
        assert opened.bundled_import.added
        assert not opened.bundled_import.failed
        with opened.engine.connect() as connection:
            assert (
                connection.exec_driver_sql("SHOW search_path").scalar()
                == schema_url.split("%3D")[-1]
            )
            assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "10s"
    finally:
        opened.engine.dispose()


def test_import_and_reimport_are_idempotent(
    postgres_database: OpenedDatabase, fixtures_dir: Path, database_fingerprint: Fingerprint
) -> None:
    source = fixtures_dir / "quirks_page.json"
    first = import_files(postgres_database.session_factory, [source], now=FIXED_TIME)
    counts_after_first, _ = database_fingerprint(postgres_database.engine)
    details_after_first = list_trial_details(postgres_database.session_factory)
    second = import_files(postgres_database.session_factory, [source], now=FIXED_TIME)

    assert len(first.added) == 2
    assert not first.failed
    assert [trial.trial_id for trial in second.updated] == [t.trial_id for t in first.added]
    # Child rows get new surrogate ids on PostgreSQL (sequences never reuse), so compare what
    # the application reads, and the row counts.
    assert database_fingerprint(postgres_database.engine)[0] == counts_after_first
    assert list_trial_details(postgres_database.session_factory) == details_after_first


def test_malformed_input_leaves_the_database_unchanged(
    postgres_database: OpenedDatabase,
    fixtures_dir: Path,
    tmp_path: Path,
    database_fingerprint: Fingerprint,
) -> None:
    import_files(postgres_database.session_factory, [fixtures_dir / "quirks_page.json"])
    before = database_fingerprint(postgres_database.engine)
    bad = tmp_path / "bad.json"
    bad.write_text('{"studies": [{"protocolSection": {"identificationModule": {"nctId": 5}}}]}')
    report = import_files(postgres_database.session_factory, [bad])
    assert "nctId" in report.failed[0].reason
    assert database_fingerprint(postgres_database.engine) == before


def _verdicts(opened: OpenedDatabase) -> list[tuple[str, str]]:
    profile = load_profile(GOLDEN_PATIENT, today=SCREENING_DATE)
    report = match_patient(
        opened.session_factory, profile, screening_date=SCREENING_DATE, include_closed=True
    )
    return [(item.trial_id, str(item.evaluation.verdict)) for item in report.trials]


def test_matching_gives_the_same_verdicts_as_sqlite(schema_url: str, tmp_path: Path) -> None:
    on_postgres = open_database(schema_url)
    on_sqlite = open_database(f"sqlite:///{tmp_path / 'same.sqlite3'}")
    try:
        postgres_verdicts = _verdicts(on_postgres)
        assert postgres_verdicts
        assert postgres_verdicts == _verdicts(on_sqlite)
        # Both matched through the stored topics (the SQL prefilter), not by reading everything.
        for opened in (on_postgres, on_sqlite):
            with opened.session_factory() as session:
                assert stored_screening_usable(session)
    finally:
        on_postgres.engine.dispose()
        on_sqlite.engine.dispose()


def test_the_trials_browser_list_is_the_same_as_on_sqlite(schema_url: str, tmp_path: Path) -> None:
    on_postgres = open_database(schema_url)
    on_sqlite = open_database(f"sqlite:///{tmp_path / 'same.sqlite3'}")
    try:
        entries = list_trial_entries(on_postgres.session_factory)
        assert entries
        assert any(entry.phases for entry in entries)
        assert entries == list_trial_entries(on_sqlite.session_factory)
    finally:
        on_postgres.engine.dispose()
        on_sqlite.engine.dispose()


def test_referral_log_round_trip(postgres_database: OpenedDatabase) -> None:
    written = log_referral(
        postgres_database.session_factory,
        trial_ids=["NCT06503224", "LOCAL-0123456789"],
        patient_identifier="MRN 0042",
        physician="Dr Ana Pérez",
        kind=ReferralKind.PRINT,
        file_name=None,
        now=FIXED_TIME,
    )
    (read,) = list_referrals(postgres_database.session_factory)
    assert read == written
    assert read.trial_ids == ("NCT06503224", "LOCAL-0123456789")


def test_a_lock_held_past_the_timeout_is_a_clear_message(
    schema_url: str,
    fixtures_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    database_fingerprint: Fingerprint,
) -> None:
    monkeypatch.setattr(models.database, "POSTGRES_LOCK_TIMEOUT_MS", 200)
    opened = open_database(schema_url, bundled_files=())
    try:
        before = database_fingerprint(opened.engine)
        with opened.engine.connect() as holder, holder.begin():
            holder.exec_driver_sql("LOCK TABLE trials IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(DatabaseError) as raised:
                import_files(opened.session_factory, [fixtures_dir / "quirks_page.json"])
        assert str(raised.value) == BUSY_MESSAGE
        assert database_fingerprint(opened.engine) == before
    finally:
        opened.engine.dispose()


def _study(number: int) -> dict[str, object]:
    return {
        "protocolSection": {
            "identificationModule": {"nctId": f"NCT{number:08d}", "briefTitle": f"Study {number}"},
            "eligibilityModule": {"eligibilityCriteria": "* Adults", "minimumAge": "18 Years"},
        }
    }


def test_two_processes_writing_at_once(postgres_database: OpenedDatabase, tmp_path: Path) -> None:
    url = postgres_database.engine.url.render_as_string(hide_password=False)
    files = []
    for name, numbers in (("a", range(150)), ("b", range(50, 200))):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps([_study(number) for number in numbers]), encoding="utf-8")
        files.append(path)
    code = """
        import sys
        from pathlib import Path
        from models.operations import open_database, import_files, log_referral
        from models.referral import ReferralKind
        opened = open_database({url!r}, bundled_files=())
        report = import_files(opened.session_factory, [Path({path!r})])
        if report.failed:
            sys.exit("; ".join(failure.message() for failure in report.failed))
        for index in range(30):
            log_referral(opened.session_factory, trial_ids=["NCT00000060"],
                         patient_identifier=f"P-{{index}}", physician="Dr Two",
                         kind=ReferralKind.EXPORT, file_name=None)
    """
    children = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code.format(url=url, path=str(path)))],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in files
    ]
    for child in children:
        _, err = child.communicate()
        assert child.returncode == 0, err
    with postgres_database.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM trials").scalar() == 200
    assert len(list_referrals(postgres_database.session_factory)) == 60


def test_killing_an_import_leaves_the_old_or_the_new_database(
    postgres_database: OpenedDatabase, tmp_path: Path
) -> None:
    url = postgres_database.engine.url.render_as_string(hide_password=False)
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([_study(number) for number in range(5)]), encoding="utf-8")
    import_files(postgres_database.session_factory, [seed])
    big = tmp_path / "big.json"
    big.write_text(
        json.dumps([_study(number) for number in range(100, 100 + 3000)]), encoding="utf-8"
    )
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                from pathlib import Path
                from models.operations import open_database, import_files
                opened = open_database({url!r}, bundled_files=())
                import_files(opened.session_factory, [Path({str(big)!r})])
                print("finished")
                """
            ),
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # The import's one transaction holds a row-exclusive lock on trials while it writes: kill
    # the process then, in the middle of it.
    writing = sa.text(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON l.relation = c.oid "
        "WHERE c.relname = 'trials' AND l.mode = 'RowExclusiveLock' "
        "AND l.pid <> pg_backend_pid()"
    )
    with postgres_database.engine.connect() as connection:
        while child.poll() is None and not connection.execute(writing).scalar():
            connection.rollback()
    child.send_signal(signal.SIGKILL)
    child.communicate()

    assert child.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    with postgres_database.engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT count(*) FROM trials").scalar()
        orphans = connection.exec_driver_sql(
            "SELECT count(*) FROM trial_conditions "
            "WHERE trial_id NOT IN (SELECT trial_id FROM trials)"
        ).scalar()
    assert count == 5
    assert orphans == 0
