"""Verdict-first matching over stored compiled rules equals full evaluation, trial for trial."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.generate import write_bulk_zip
from engine.ask_next import ask_next
from engine.evaluator import evaluate_trial
from engine.outcomes import TrialEvaluation
from engine.profile import PatientProfile, profile_from_dict
from engine.ranking import rank_trials
from models.compiled_store import (
    COMPILED_FORMAT,
    compile_stored_sets,
    decode_program,
    read_stored_sets,
)
from models.criteria_library import CriteriaLibrary
from models.criteria_set import CriteriaSource
from models.database import downgrade_to, sqlite_url, upgrade_to_head
from models.matching import (
    Matcher,
    MatchReport,
    _ranking_summary,
    engine_settings,
    with_registry_criteria,
)
from models.operations import (
    OpenedDatabase,
    get_criteria_sets,
    get_trial,
    import_files,
    list_trials,
    open_database,
    store_criteria_set,
)
from models.settings import ClinicSettings
from tests.golden_patients import PATIENTS, SCREENING, golden_data
from tests.parsed_sets import store_parsed_sets

ROOT = Path(__file__).resolve().parents[2]
GENERATED = 40


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenedDatabase]:
    """The bundled seeds, 40 generated trials with their parsed sets stored, one seed with a
    reviewed set, and one generated trial reviewed with a seed's cohorts and groups."""
    work = tmp_path_factory.mktemp("compiled")
    opened = open_database(sqlite_url(work / "trials.sqlite"))
    source = write_bulk_zip(work / "studies.zip", GENERATED, 2026)
    report = import_files(opened.session_factory, [source])
    assert not report.failed
    generated = [t.trial_id for t in list_trials(opened.session_factory) if "NCT99" in t.trial_id]
    assert len(generated) == GENERATED
    store_parsed_sets(opened.session_factory, generated)
    curated = json.loads((ROOT / "resources" / "criteria" / "NCT06503224.json").read_text())
    store_criteria_set(
        opened.session_factory,
        "NCT06503224",
        CriteriaSource.CURATED,
        json.dumps(curated),
        verified=True,
    )
    shaped = {**copy.deepcopy(curated), "trial_id": generated[0]}
    store_criteria_set(
        opened.session_factory,
        generated[0],
        CriteriaSource.CURATED,
        json.dumps(shaped),
        verified=True,
    )
    yield opened
    opened.engine.dispose()


def _profile(name: str, edit: dict[str, Any] | None = None) -> PatientProfile:
    data = golden_data(name)
    for lab in data.get("labs") or []:
        if edit is not None and lab["analyte"] in edit:
            lab["value"] = edit[lab["analyte"]]
    return profile_from_dict(data, today=SCREENING)


def _reference(opened: OpenedDatabase, report: MatchReport) -> dict[str, TrialEvaluation]:
    """Every listed trial evaluated in full, the way matching worked before compiled rules."""
    library = CriteriaLibrary()
    facts = Matcher(opened.session_factory).facts_for(report.profile, SCREENING)
    found: dict[str, TrialEvaluation] = {}
    for item in report.trials:
        detail = get_trial(opened.session_factory, item.trial_id)
        assert detail is not None
        stored = {
            record.source.value: (record.criteria_json, record.verified, "stamp")
            for record in get_criteria_sets(opened.session_factory, item.trial_id)
        }
        choice = library.choose(item.trial_id, detail.eligibility_criteria, stored)
        choice = with_registry_criteria(choice, detail)
        found[item.trial_id] = evaluate_trial(choice.criteria, facts)
    return found


def _check(
    opened: OpenedDatabase, report: MatchReport, settings: ClinicSettings | None = None
) -> None:
    settings = settings or ClinicSettings()
    expected = _reference(opened, report)
    assert report.trials
    for item in report.trials:
        full = expected[item.trial_id]
        outcome = item.outcome
        got = (outcome.verdict, outcome.near_miss, outcome.counts, outcome.missing_facts)
        assert got == (full.verdict, full.near_miss, full.counts, full.missing_facts)
        assert (outcome.trial_id, getattr(outcome, "best_cohort", None)) == (
            full.trial_id,
            full.best_cohort,
        )
        # The lazy evaluation is evaluate_trial's, field for field (evidence included).
        assert item.evaluation == full
    summaries = {
        item.trial_id: _ranking_summary(get_trial(opened.session_factory, item.trial_id).summary)
        for item in report.trials
    }
    location = engine_settings(settings).clinic_location
    ranked = rank_trials([(summaries[t], expected[t]) for t in expected], location)
    assert [item.summary.trial_id for item in ranked] == [item.trial_id for item in report.trials]
    for item, match in zip(ranked, report.trials, strict=True):
        nearest = None
        if item.nearest_site is not None:
            detail = get_trial(opened.session_factory, match.trial_id)
            assert detail is not None
            nearest = detail.summary.sites[int(item.nearest_site.name.split("-")[1])]
        assert (match.nearest_site, match.distance_km) == (nearest, item.distance_km)
    assert ask_next([item.evaluation for item in ranked]) == report.ask_next


@pytest.mark.parametrize("patient", PATIENTS)
def test_every_golden_patient_gets_the_full_evaluations_verdicts_and_order(
    database: OpenedDatabase, patient: str
) -> None:
    matcher = Matcher(database.session_factory)
    report = matcher.match(_profile(patient), screening_date=SCREENING, all_conditions=True)
    _check(database, report)
    origins = {item.criteria_origin for item in report.trials}
    assert {"reviewed", "curated", "automatic"} <= origins


def test_a_kept_matcher_after_lab_edits_equals_full_evaluation(database: OpenedDatabase) -> None:
    matcher = Matcher(database.session_factory)
    edits: list[dict[str, Any] | None] = [
        None,
        {"anc": 0.4},
        {"anc": 0.4, "creatinine": 3.2},
        {"hemoglobin": 75},
        None,
    ]
    verdicts = set()
    for edit in edits:
        report = matcher.match(
            _profile("adult_refractory_sle", edit), screening_date=SCREENING, all_conditions=True
        )
        _check(database, report)
        verdicts.add(tuple(item.outcome.verdict for item in report.trials))
    # The edits changed verdicts: the re-match had something to get right.
    assert len(verdicts) >= 2


def test_stored_sets_carry_programs_of_shared_atoms(database: OpenedDatabase) -> None:
    trial_ids = [t.trial_id for t in list_trials(database.session_factory)]
    rows = read_stored_sets(database.session_factory, trial_ids)
    programs = [decode_program(row.program) for row in rows]
    assert rows
    assert all(program is not None for program in programs)
    atoms = [atom for program in programs if program is not None for atom in program.atoms]
    # Parsed criteria repeat across trials: far fewer distinct atoms than criteria.
    assert len(set(atoms)) < len(atoms) / 4
    shaped = [p for p in programs if p is not None and p.shape is not None]
    assert len(shaped) == 2  # the two sets with the seed's cohorts and groups
    assert decode_program(None) is None
    assert decode_program("c0|automatic|1,2|") is None
    assert COMPILED_FORMAT == "c1"


def test_migration_0003_down_and_up_then_backfill_keeps_every_verdict(tmp_path: Path) -> None:
    path = tmp_path / "migrated.sqlite"
    opened = open_database(sqlite_url(path))
    source = write_bulk_zip(tmp_path / "studies.zip", 8, 7)
    import_files(opened.session_factory, [source])
    store_parsed_sets(
        opened.session_factory, [trial.trial_id for trial in list_trials(opened.session_factory)]
    )
    profile = _profile("adult_refractory_sle")
    before = Matcher(opened.session_factory).match(profile, screening_date=SCREENING)

    downgrade_to(opened.engine, "0002")
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "criteria_programs" not in tables
    assert "criteria_atoms" not in tables
    assert "ix_trials_screening" not in tables
    upgrade_to_head(opened.engine)
    ids = [t.trial_id for t in list_trials(opened.session_factory)]
    assert all(row.program is None for row in read_stored_sets(opened.session_factory, ids))

    # Without programs the matcher compiles from the stored JSON: the same report.
    fallback = Matcher(opened.session_factory).match(profile, screening_date=SCREENING)
    assert compile_stored_sets(opened.session_factory) == len(ids)
    assert compile_stored_sets(opened.session_factory) == 0
    compiled = Matcher(opened.session_factory).match(profile, screening_date=SCREENING)
    for report in (fallback, compiled):
        assert [(i.trial_id, i.outcome) for i in report.trials] == [
            (i.trial_id, i.outcome) for i in before.trials
        ]
    _check(opened, compiled)
    opened.engine.dispose()


def test_a_preloaded_matcher_gives_the_same_report(database: OpenedDatabase) -> None:
    profile = _profile("adult_refractory_sle")
    fresh = Matcher(database.session_factory).match(profile, screening_date=SCREENING)
    preloaded = Matcher(database.session_factory)
    preloaded.preload()
    report = preloaded.match(profile, screening_date=SCREENING)
    assert [(i.trial_id, i.outcome, i.criteria_origin) for i in report.trials] == [
        (i.trial_id, i.outcome, i.criteria_origin) for i in fresh.trials
    ]
    assert (report.hidden_closed, report.other_conditions, report.excluded_age_sex) == (
        fresh.hidden_closed,
        fresh.other_conditions,
        fresh.excluded_age_sex,
    )
    assert report.ask_next == fresh.ask_next
    _check(database, report)


def test_with_a_clinic_location_nearest_sites_distances_and_order_are_as_before(
    database: OpenedDatabase,
) -> None:
    settings = ClinicSettings(clinic_latitude=48.85, clinic_longitude=2.35)
    matcher = Matcher(database.session_factory, settings)
    report = matcher.match(
        _profile("adult_refractory_sle"), screening_date=SCREENING, all_conditions=True
    )
    _check(database, report, settings)
    with_site = [item for item in report.trials if item.nearest_site is not None]
    assert with_site
    assert all(item.nearest_site is not None and item.nearest_site.contacts for item in with_site)
