"""The benchmark's quick mode runs end to end and prints every row of its table (no timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.atom_share import atom_share
from bench.databases import database_path
from bench.generate import generate_study, write_bulk_zip

REPOSITORY = Path(__file__).resolve().parents[2]

EXPECTED_ROWS = (
    "Start-up to window shown (60 trials)",
    "Start-up after a crash: quick check of the whole file (60 trials)",
    "First match, rules stored, new Matcher",
    "Matcher.preload: catalogue read",
    "First match, rules stored, catalogue preloaded",
    "Re-match after one lab edit",
    "Bare SQL read of candidate trials",
    "Results table shows the first match",
    "Import 40 records",
    "First match, nothing stored: rules parsed now",
    "Parser (",
    "Referral letter, 10 trials",
    "Letter on the command line, 10 trials",
    "Peak memory, match process",
)


def test_generator_is_deterministic_and_within_the_drawn_shapes() -> None:
    first, count = generate_study(7, 2026)
    again, _ = generate_study(7, 2026)
    assert json.dumps(first) == json.dumps(again)
    assert 20 <= count <= 60
    assert json.dumps(generate_study(8, 2026)[0]) != json.dumps(first)
    sites = first["protocolSection"]["contactsLocationsModule"]["locations"]
    assert 1 <= len(sites) <= 50
    assert all("geoPoint" in site and site["contacts"] for site in sites)


def test_registry_generator_is_deterministic_and_keeps_the_default_apart() -> None:
    first, count = generate_study(7, 2026, "registry")
    again, _ = generate_study(7, 2026, "registry")
    assert json.dumps(first) == json.dumps(again)
    assert 20 <= count <= 60
    default, _ = generate_study(7, 2026)
    assert json.dumps(generate_study(7, 2026, "default")[0]) == json.dumps(default)
    criteria = first["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    assert criteria != default["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    with pytest.raises(ValueError, match="unknown diversity"):
        generate_study(7, 2026, "wide")


def test_registry_set_repeats_far_fewer_atoms_than_the_default() -> None:
    default = atom_share(50, 2026, "default")
    registry = atom_share(50, 2026, "registry")
    assert default.criteria > 1_000
    assert registry.criteria > 1_000
    # The default's sentence library gives a few dozen atoms whatever the size; the registry
    # set draws thresholds and windows from wide ranges.
    assert registry.distinct > 4 * default.distinct


def test_registry_databases_are_cached_apart(tmp_path: Path) -> None:
    assert database_path(1_000, tmp_path).name == "trials-1000-seed2026.sqlite"
    assert database_path(1_000, tmp_path, "registry") != database_path(1_000, tmp_path)


def test_bulk_zip_imports_with_the_real_importer(tmp_path: Path) -> None:
    from models.database import sqlite_url
    from models.operations import import_files, open_database

    archive = write_bulk_zip(tmp_path / "studies.zip", 12, 1, per_page=5)
    database = open_database(sqlite_url(tmp_path / "bench.sqlite"), bundled_files=())
    report = import_files(database.session_factory, [archive])
    database.engine.dispose()
    assert not report.failed
    assert len(report.added) == 12


def test_quick_mode_prints_every_row(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--cache-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Machine: ")
    assert lines[1].split("|")[0].strip() == "Measurement"
    table = lines[3:]
    for expected in EXPECTED_ROWS:
        matching = [line for line in table if line.startswith(expected)]
        assert len(matching) == 1, f"row {expected!r} missing or repeated in:\n{result.stdout}"
        cells = [cell.strip() for cell in matching[0].split("|")]
        assert len(cells) == 4
        assert cells[1]
        assert cells[3] in {"met", "MISSED", "n/a"}


def test_a_copied_database_keeps_every_trials_topics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 100,000 set is copies of the 10,000 one: each copy must have its topic rows, or
    the matcher would read every trial instead of the topics' candidates."""
    import bench.databases
    from models.database import sqlite_url
    from models.operations import open_database
    from models.topics import stored_screening_usable

    monkeypatch.setattr(bench.databases, "BASE_LIMIT", 20)
    path = bench.databases.benchmark_database(40, tmp_path)
    opened = open_database(sqlite_url(path), bundled_files=())
    try:
        with opened.session_factory() as session:
            assert stored_screening_usable(session)
            topical = session.scalar(sa.text("SELECT count(DISTINCT trial_id) FROM trial_topics"))
        assert topical == 40
    finally:
        opened.engine.dispose()
