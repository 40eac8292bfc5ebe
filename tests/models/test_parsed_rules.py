"""Storing the parser's reading of trials without rules: matches then read it, not the text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.generate import write_bulk_zip
from engine.profile import profile_from_dict
from models.criteria_set import CriteriaSource
from models.database import sqlite_url
from models.matching import Matcher, MatchReport
from models.operations import (
    OpenedDatabase,
    close_database,
    get_criteria_sets,
    import_files,
    open_database,
    store_criteria_set,
)
from models.parsed_rules import store_parsed_rules, trials_without_rules
from tests.golden_patients import SCREENING, golden_data

GENERATED = 30


@pytest.fixture
def database(tmp_path: Path) -> Iterator[OpenedDatabase]:
    """The bundled seeds (curated files) and generated trials with only their criteria text."""
    opened = open_database(sqlite_url(tmp_path / "parsed.sqlite"))
    report = import_files(
        opened.session_factory, [write_bulk_zip(tmp_path / "s.zip", GENERATED, 5)]
    )
    assert not report.failed
    yield opened
    close_database(opened)


def _report(database: OpenedDatabase) -> MatchReport:
    profile = profile_from_dict(golden_data("adult_refractory_sle"), today=SCREENING)
    return Matcher(database.session_factory).match(
        profile, screening_date=SCREENING, all_conditions=True
    )


def _verdicts(report: MatchReport) -> list[tuple[object, ...]]:
    return [
        (
            item.trial_id,
            item.outcome.verdict,
            item.outcome.counts,
            item.outcome.missing_facts,
            item.criteria_verified,
        )
        for item in report.trials
    ]


def _origins(report: MatchReport) -> set[str]:
    """Where the generated trials' rules came from (the bundled seeds have curated files)."""
    return {item.criteria_origin for item in report.trials if item.trial_id.startswith("NCT99")}


def test_only_trials_without_any_rules_are_waiting(database: OpenedDatabase) -> None:
    waiting = trials_without_rules(database.session_factory)
    assert len(waiting) == GENERATED
    assert all(trial_id.startswith("NCT99") for trial_id in waiting)  # not the bundled seeds


def test_stored_readings_give_the_same_report_without_parsing(
    database: OpenedDatabase,
) -> None:
    before = _report(database)
    assert _origins(before) == {"parsed"}
    done: list[tuple[int, int]] = []
    report = store_parsed_rules(database.session_factory, progress=lambda *p: done.append(p))
    assert report.stored == GENERATED
    assert report.not_loadable == ()
    assert done[-1] == (GENERATED, GENERATED)
    assert trials_without_rules(database.session_factory) == []

    after = _report(database)
    assert _verdicts(after) == _verdicts(before)
    assert _origins(after) == {"automatic"}
    # Unverified, as the parser's reading always is.
    stored = get_criteria_sets(database.session_factory, "NCT99000001")
    assert [(s.source, s.verified) for s in stored] == [(CriteriaSource.AUTOMATIC, False)]
    # Once: a second run finds nothing left.
    assert store_parsed_rules(database.session_factory).stored == 0


def test_a_trial_a_person_reviewed_is_left_alone(database: OpenedDatabase) -> None:
    reviewed = json.dumps(
        {
            "format": "trialmatch-criteria/1",
            "trial_id": "NCT99000002",
            "source": "curated",
            "criteria": [
                {"id": "c1", "kind": "inclusion", "text": "Study team decides.", "rule": None}
            ],
        }
    )
    store_criteria_set(
        database.session_factory,
        "NCT99000002",
        CriteriaSource.CURATED,
        reviewed,
        verified=True,
    )
    assert "NCT99000002" not in trials_without_rules(database.session_factory)
    store_parsed_rules(database.session_factory)
    sets = get_criteria_sets(database.session_factory, "NCT99000002")
    assert [s.source for s in sets] == [CriteriaSource.CURATED]


def test_the_parse_command_stores_them_and_import_says_it_is_needed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from main import main

    db = str(tmp_path / "cli.sqlite3")
    source = str(write_bulk_zip(tmp_path / "s.zip", 12, 9))
    assert main(["--db", db, "import", source]) == 0
    assert "12 trial(s) have only their criteria text" in capsys.readouterr().out
    assert main(["--db", db, "parse"]) == 0
    captured = capsys.readouterr()
    assert "Stored the parser's reading of 12 trial(s)" in captured.out
    assert "Read the criteria of 12 of 12 trials" in captured.err
    assert main(["--db", db, "import", source]) == 0
    assert "have only their criteria text" not in capsys.readouterr().out


def _study(nct_id: str, criteria: str) -> dict[str, object]:
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct_id, "briefTitle": "Re-registered study"},
            "statusModule": {"overallStatus": "RECRUITING"},
            "eligibilityModule": {"eligibilityCriteria": criteria},
        }
    }


def test_a_reimported_trial_whose_text_changed_loses_its_old_reading(
    database: OpenedDatabase, tmp_path: Path
) -> None:
    store_parsed_rules(database.session_factory)
    reviewed_text = "Inclusion Criteria:\n\n* Age >= 40 years\n"
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"studies": [_study("NCT99000003", reviewed_text)]}), "utf-8")
    assert not import_files(database.session_factory, [page]).failed
    assert trials_without_rules(database.session_factory) == ["NCT99000003"]
    # The same text again changes nothing.
    store_parsed_rules(database.session_factory)
    assert not import_files(database.session_factory, [page]).failed
    assert trials_without_rules(database.session_factory) == []
    stored = get_criteria_sets(database.session_factory, "NCT99000003")
    assert "40" in stored[0].criteria_json


def test_a_run_asked_to_stop_keeps_the_batches_it_finished(database: OpenedDatabase) -> None:
    batches: list[int] = []
    report = store_parsed_rules(
        database.session_factory,
        batch_size=10,
        progress=lambda done, _total: batches.append(done),
        should_stop=lambda: len(batches) >= 2,
    )
    assert batches == [10, 20]
    assert report.stored == 20
    assert len(trials_without_rules(database.session_factory)) == GENERATED - 20
    # The next run carries on with the rest.
    assert store_parsed_rules(database.session_factory).stored == GENERATED - 20
