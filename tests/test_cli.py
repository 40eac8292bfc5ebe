"""The command line: --help, trials (text and --json), import reports, and clean errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.cli import run_command_line
from models.database import DATABASE_URL_ENV
from models.operations import OpenedDatabase

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "tests" / "models" / "fixtures"
TRIAL_KEYS = {
    "trial_id",
    "nct_id",
    "title",
    "overall_status",
    "phases",
    "conditions",
    "sponsor",
    "minimum_age",
    "maximum_age",
    "sex",
    "sites",
    "central_contacts",
    "last_update",
    "record_version",
}
SITE_KEYS = {
    "facility",
    "city",
    "state",
    "zip",
    "country",
    "status",
    "latitude",
    "longitude",
    "contacts",
}
CONTACT_KEYS = {"name", "role", "phone", "email"}


def _no_window(database: OpenedDatabase) -> int:
    raise AssertionError("the window must not open for a subcommand")


def _run(argv: list[str], environ: dict[str, str] | None = None) -> int:
    return run_command_line(argv, environ or {}, open_window=_no_window)


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "cli.sqlite3")


def test_trials_json_lists_the_bundled_trials_in_the_documented_shape(
    db_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["--db", db_path, "trials", "--json"]) == 0

    trials = json.loads(capsys.readouterr().out)
    assert len(trials) == 5
    for trial in trials:
        assert set(trial) == TRIAL_KEYS
        for site in trial["sites"]:
            assert set(site) == SITE_KEYS
            assert all(set(contact) == CONTACT_KEYS for contact in site["contacts"])
        assert all(set(contact) == CONTACT_KEYS for contact in trial["central_contacts"])
    scar02 = next(trial for trial in trials if trial["trial_id"] == "NCT06503224")
    assert scar02["nct_id"] == "NCT06503224"
    assert scar02["minimum_age"] == "18 Years"
    assert scar02["overall_status"] == "RECRUITING"


def test_trials_text_shows_sites_and_contacts(
    db_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["--db", db_path, "import", str(FIXTURES / "quirks_page.json")]) == 0
    capsys.readouterr()

    assert _run(["trials", "--db", db_path]) == 0

    out = capsys.readouterr().out
    assert "NCT09000001  Patients’ Study of Anti‑CD19 CAR‑T（Phase 1）in SLE & SSc" in out
    assert "Hôpital Saint‑Louis, Paris, 75010, France [RECRUITING]" in out
    assert "Contact: Zoë O’Neil, MD (CONTACT) · +33 1 42 49 49 49 · zoe.oneil@example.org" in out
    assert "No contact listed for this site" in out


def test_import_reports_added_updated_and_failed(
    db_path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{oops", encoding="utf-8")
    page = str(FIXTURES / "quirks_page.json")

    assert _run(["--db", db_path, "import", page]) == 0
    first = capsys.readouterr().out
    assert "Added: 2" in first
    assert "Failed: 0" in first

    assert _run(["--db", db_path, "import", page, str(bad)]) == 1
    second = capsys.readouterr().out
    assert "Added: 0" in second
    assert "Updated: 2" in second
    assert "NCT09000001" in second
    assert "Failed: 1\n  bad.json: not valid JSON" in second


def test_environment_variable_selects_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_file = tmp_path / "env.sqlite3"
    assert _run(["trials", "--json"], {DATABASE_URL_ENV: f"sqlite:///{db_file}"}) == 0
    assert db_file.exists()
    assert len(json.loads(capsys.readouterr().out)) == 5


@pytest.mark.parametrize("argv", [["--help"], ["trials", "--help"], ["import", "--help"]])
def test_help_everywhere(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _run(argv)
    assert exit_info.value.code == 0
    assert "usage: trialmatch" in capsys.readouterr().out


def test_unusable_database_is_a_clean_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("hello, this is not SQLite " * 100, encoding="utf-8")

    assert _run(["--db", str(not_a_database), "trials"]) == 2

    err = capsys.readouterr().err
    assert err.startswith("trialmatch: error: cannot open the database")
    assert "Traceback" not in err


def test_main_py_prints_no_traceback(tmp_path: Path) -> None:
    environment = {**os.environ, DATABASE_URL_ENV: "nosuchdriver://x"}
    environment.pop("TRIALMATCH_DEBUG", None)
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "main.py"), "trials"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("trialmatch: error:")
    assert "Traceback" not in result.stderr
