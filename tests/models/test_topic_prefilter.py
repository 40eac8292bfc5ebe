"""The SQL prefilter on stored topics reads fewer trials and changes no report."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import models.matching
from bench.generate import write_bulk_zip
from engine.profile import PatientProfile, profile_from_dict
from models.database import downgrade_to, sqlite_url
from models.matching import Matcher, MatchReport
from models.operations import (
    OpenedDatabase,
    get_trial,
    import_files,
    list_trials,
    open_database,
)
from models.topics import (
    AREA_TOPIC,
    NO_TOPIC,
    OTHER_TOPIC,
    TOPICS_VERSION,
    DerivedVersion,
    TrialTopic,
    candidate_topics,
    is_topic_candidate,
    topics_of,
)
from models.trial import SCREENING_COLUMNS, Trial, TrialScreening
from tests.golden_patients import PATIENTS, SCREENING, golden_data
from tests.parsed_sets import store_parsed_sets

GENERATED = 120


def _study(nct_id: str, title: str, conditions: list[str], keywords: list[str]) -> dict[str, Any]:
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct_id, "briefTitle": title},
            "statusModule": {"overallStatus": "RECRUITING"},
            "conditionsModule": {"conditions": conditions, "keywords": keywords},
            "eligibilityModule": {"eligibilityCriteria": "Inclusion Criteria:\n\n* Age >= 18\n"},
        }
    }


# Records whose topics come from the title, the area words, or nothing at all.
ODD_STUDIES = [
    _study("NCT09100001", "A registry of a new infusion device", [], []),
    _study("NCT09100002", "CAR-T cells in autoimmune disease", ["Autoimmune Diseases"], []),
    _study("NCT09100003", "Lymphoma study", ["Diffuse Large B-Cell Lymphoma"], ["CD19"]),
    _study("NCT09100004", "CAR-T for refractory lupus nephritis", [], []),
    _study("NCT09100005", "Basket", ["Systemic Sclerosis", "Lymphoma"], ["myositis"]),
]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenedDatabase]:
    """The bundled seeds, generated trials with parsed sets stored, and the odd records."""
    work = tmp_path_factory.mktemp("topics")
    opened = open_database(sqlite_url(work / "trials.sqlite"))
    source = write_bulk_zip(work / "studies.zip", GENERATED, 2026)
    odd = work / "odd.json"
    odd.write_text(json.dumps({"studies": ODD_STUDIES}), "utf-8")
    report = import_files(opened.session_factory, [source, odd])
    assert not report.failed
    generated = [
        t.trial_id for t in list_trials(opened.session_factory) if t.trial_id.startswith("NCT99")
    ]
    store_parsed_sets(opened.session_factory, generated)
    yield opened
    opened.engine.dispose()


def _profile(name: str, without_diagnoses: bool = False) -> PatientProfile:
    data = golden_data(name)
    if without_diagnoses:
        data["diagnoses"] = []
    return profile_from_dict(data, today=SCREENING)


def _fields(report: MatchReport) -> tuple[object, ...]:
    return (
        [
            (
                item.trial_id,
                item.title,
                item.outcome.verdict,
                item.outcome.counts,
                item.outcome.missing_facts,
                item.criteria_origin,
            )
            for item in report.trials
        ],
        report.hidden_closed,
        report.other_conditions,
        report.excluded_age_sex,
        [(problem.trial_id, problem.problem) for problem in report.problems],
        report.ask_next,
    )


def _every_trial_read(database: OpenedDatabase, profile: PatientProfile, **options: Any) -> Any:
    """The report when every trial is read and its topics derived from its names in memory
    (the way before stored topics)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(models.matching, "read_screening_with_topics", lambda *_: None)
        patch.setattr(models.matching, "read_topic_screening", lambda *_: None)
        matcher = Matcher(database.session_factory)
        matcher.preload()
        return _fields(matcher.match(profile, screening_date=SCREENING, **options))


def _refuse_full_reads(patch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        pytest.fail("read every trial although the stored topics could be used")

    patch.setattr(models.matching, "read_screening", refuse)
    patch.setattr(models.matching, "read_screening_with_topics", refuse)


@pytest.fixture
def no_full_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the matcher reads every trial instead of using the stored topics."""
    _refuse_full_reads(monkeypatch)


def _stored(database: OpenedDatabase) -> dict[str, set[str]]:
    with database.session_factory() as session:
        found: dict[str, set[str]] = {}
        for trial_id, topic in session.execute(sa.select(TrialTopic.trial_id, TrialTopic.topic)):
            found.setdefault(trial_id, set()).add(topic)
    return found


def _derived(database: OpenedDatabase) -> dict[str, set[str]]:
    expected: dict[str, set[str]] = {}
    for trial in list_trials(database.session_factory):
        detail = get_trial(database.session_factory, trial.trial_id)
        assert detail is not None
        summary = detail.summary
        topics = topics_of(summary.conditions, detail.keywords, summary.title)
        expected[trial.trial_id] = set(topics) or {NO_TOPIC}
    return expected


def _screening_rows(database: OpenedDatabase) -> set[tuple[object, ...]]:
    with database.session_factory() as session:
        table = TrialScreening.__table__
        return {tuple(row) for row in session.execute(sa.select(*table.columns))}


def _trial_columns(database: OpenedDatabase) -> set[tuple[object, ...]]:
    """What each trial's screening row must say, from its own row."""
    with database.session_factory() as session:
        return {
            (trial_id, *columns, brief or official)
            for trial_id, brief, official, *columns in session.execute(
                sa.select(
                    Trial.trial_id,
                    Trial.brief_title,
                    Trial.official_title,
                    *(getattr(Trial, name) for name in SCREENING_COLUMNS),
                )
            )
        }


def test_import_stores_each_trials_screening_row(database: OpenedDatabase) -> None:
    rows = _screening_rows(database)
    assert rows == _trial_columns(database)
    assert len(rows) == len(list_trials(database.session_factory))


def test_import_stores_each_trials_topics(database: OpenedDatabase) -> None:
    stored = _stored(database)
    assert stored == _derived(database)
    assert stored["NCT09100001"] == {NO_TOPIC}
    assert stored["NCT09100002"] == {AREA_TOPIC}
    assert stored["NCT09100003"] == {OTHER_TOPIC}
    assert stored["NCT09100004"] == {"lupus_nephritis"}  # from the title
    assert stored["NCT09100005"] == {"ssc", "inflammatory_myopathy"}


@pytest.mark.parametrize("patient", PATIENTS)
def test_a_new_matcher_reads_only_topic_candidates_and_reports_the_same(
    database: OpenedDatabase, patient: str
) -> None:
    profile = _profile(patient)
    expected = _every_trial_read(database, profile)
    with pytest.MonkeyPatch.context() as patch:
        _refuse_full_reads(patch)
        matcher = Matcher(database.session_factory)
        report = matcher.match(profile, screening_date=SCREENING)
        again = matcher.match(profile, screening_date=SCREENING, include_closed=True)
    assert _fields(report) == expected
    assert report.other_conditions > 0  # the odd lymphoma trial at least
    assert _fields(again) == _every_trial_read(database, profile, include_closed=True)


@pytest.mark.parametrize("patient", PATIENTS)
def test_a_preloaded_catalogue_takes_the_stored_topics_and_reports_the_same(
    database: OpenedDatabase, patient: str
) -> None:
    profile = _profile(patient)
    with pytest.MonkeyPatch.context() as patch:
        # Every trial read, with the stored topics instead of deriving them from the names.
        patch.setattr(models.matching, "read_screening", lambda *_: pytest.fail("derived"))
        matcher = Matcher(database.session_factory)
        matcher.preload()
        report = matcher.match(profile, screening_date=SCREENING)
        everything = matcher.match(profile, screening_date=SCREENING, all_conditions=True)
    assert _fields(report) == _every_trial_read(database, profile)
    assert _fields(everything) == _every_trial_read(database, profile, all_conditions=True)


def test_a_patient_without_diagnoses_and_all_conditions_read_every_trial(
    database: OpenedDatabase,
) -> None:
    bare = _profile("adult_refractory_sle", without_diagnoses=True)
    report = Matcher(database.session_factory).match(bare, screening_date=SCREENING)
    assert _fields(report) == _every_trial_read(database, bare)
    assert report.other_conditions == 0
    sle = _profile("adult_refractory_sle")
    everything = Matcher(database.session_factory)
    scoped = everything.match(sle, screening_date=SCREENING)
    widened = everything.match(sle, screening_date=SCREENING, all_conditions=True)
    assert _fields(widened) == _every_trial_read(database, sle, all_conditions=True)
    assert len(widened.trials) > len(scoped.trials)


def test_changing_the_diagnosis_reads_the_new_conditions_trials(
    database: OpenedDatabase, no_full_read: None
) -> None:
    matcher = Matcher(database.session_factory)
    sle = matcher.match(_profile("adult_refractory_sle"), screening_date=SCREENING)
    ra = matcher.match(_profile("ra"), screening_date=SCREENING)
    assert {item.trial_id for item in sle.trials} != {item.trial_id for item in ra.trials}
    assert "NCT09100004" in {item.trial_id for item in sle.trials}
    assert "NCT09100004" not in {item.trial_id for item in ra.trials}


def test_candidate_topics_agree_with_the_topic_test() -> None:
    topic_sets = [
        frozenset(),
        frozenset({AREA_TOPIC}),
        frozenset({OTHER_TOPIC}),
        frozenset({"sle"}),
        frozenset({"lupus_nephritis"}),
        frozenset({"ra", "sjogren"}),
        frozenset({"ssc", "inflammatory_myopathy"}),
        frozenset({"aav"}),
    ]
    for conditions in [
        frozenset({"sle"}),
        frozenset({"lupus_nephritis"}),
        frozenset({"ra"}),
        frozenset({"sjogren", "ssc"}),
    ]:
        wanted = candidate_topics(conditions)
        for topics in topic_sets:
            stored = set(topics) or {NO_TOPIC}
            assert bool(stored & wanted) == is_topic_candidate(topics, conditions), (
                conditions,
                topics,
            )


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[OpenedDatabase]:
    """A database of its own (these tests change stored topics behind the matcher's back)."""
    opened = open_database(sqlite_url(tmp_path / "scratch.sqlite"))
    source = write_bulk_zip(tmp_path / "studies.zip", 30, 7)
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"studies": ODD_STUDIES}), "utf-8")
    assert not import_files(opened.session_factory, [source, odd]).failed
    yield opened
    opened.engine.dispose()


def test_topics_of_another_version_are_not_used_and_derived_again_at_open(
    scratch: OpenedDatabase,
) -> None:
    profile = _profile("adult_refractory_sle")
    expected = _every_trial_read(scratch, profile)
    with scratch.session_factory.begin() as session:
        session.execute(sa.update(DerivedVersion).values(version="an older vocabulary"))
        # What an older vocabulary might have said: the lupus trials about something else.
        session.execute(
            sa.update(TrialTopic).where(TrialTopic.topic == "sle").values(topic=OTHER_TOPIC)
        )
    assert _fields(Matcher(scratch.session_factory).match(profile, screening_date=SCREENING)) == (
        expected
    )
    reopened = open_database(str(scratch.engine.url))
    try:
        assert _stored(reopened) == _derived(reopened)
        with reopened.session_factory() as session:
            assert session.scalar(sa.select(DerivedVersion.version)) == TOPICS_VERSION
    finally:
        reopened.engine.dispose()


def test_a_trial_without_topic_rows_is_still_matched(scratch: OpenedDatabase) -> None:
    profile = _profile("adult_refractory_sle")
    expected = _every_trial_read(scratch, profile)
    with scratch.session_factory.begin() as session:
        session.execute(sa.delete(TrialTopic).where(TrialTopic.trial_id == "NCT09100004"))
    report = Matcher(scratch.session_factory).match(profile, screening_date=SCREENING)
    assert _fields(report) == expected
    assert "NCT09100004" in {item.trial_id for item in report.trials}


def test_a_trial_without_its_screening_row_is_still_matched(scratch: OpenedDatabase) -> None:
    profile = _profile("adult_refractory_sle")
    expected = _every_trial_read(scratch, profile)
    with scratch.session_factory.begin() as session:
        session.execute(sa.delete(TrialScreening).where(TrialScreening.trial_id == "NCT09100004"))
    matcher = Matcher(scratch.session_factory)
    assert _fields(matcher.match(profile, screening_date=SCREENING)) == expected
    matcher.preload()
    assert _fields(matcher.match(profile, screening_date=SCREENING)) == expected


def test_reimporting_a_record_replaces_its_topics(scratch: OpenedDatabase, tmp_path: Path) -> None:
    changed = _study("NCT09100003", "Lymphoma study", ["Rheumatoid Arthritis"], [])
    changed["protocolSection"]["statusModule"]["overallStatus"] = "NOT_YET_RECRUITING"
    changed["protocolSection"]["identificationModule"]["briefTitle"] = "A new title"
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(changed), "utf-8")
    assert import_files(scratch.session_factory, [path]).updated
    assert _stored(scratch)["NCT09100003"] == {"ra"}
    assert _screening_rows(scratch) == _trial_columns(scratch)
    assert ("NCT09100003", "NOT_YET_RECRUITING") in {row[:2] for row in _screening_rows(scratch)}
    ra = Matcher(scratch.session_factory).match(_profile("ra"), screening_date=SCREENING)
    assert "NCT09100003" in {item.trial_id for item in ra.trials}


def test_a_database_from_before_the_topics_gets_them_when_opened(scratch: OpenedDatabase) -> None:
    expected = _derived(scratch)
    downgrade_to(scratch.engine, "0003")
    reopened = open_database(str(scratch.engine.url))
    try:
        assert _stored(reopened) == expected
        assert _screening_rows(reopened) == _trial_columns(reopened)
    finally:
        reopened.engine.dispose()


# ---------------------------------------------------------------------------------------------
# The cyclic garbage collector around a match (models.matching._cyclic_gc_paused)


def _match_first_patient(database: OpenedDatabase) -> MatchReport:
    profile = _profile(PATIENTS[0])
    return Matcher(database.session_factory).match(profile, screening_date=SCREENING)


def test_a_matchs_objects_go_straight_to_the_oldest_generation(database: OpenedDatabase) -> None:
    assert gc.isenabled()
    report = _match_first_patient(database)
    assert report.trials
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    # Left young, the first collection after the match would traverse every one of them.
    assert any(found is report.trials for found in gc.get_objects(generation=2))


def test_a_match_keeps_what_others_froze_frozen(database: OpenedDatabase) -> None:
    gc.freeze()
    try:
        assert gc.get_freeze_count() > 0
        report = _match_first_patient(database)
        # Still frozen (the count drops only by frozen objects freed meanwhile), and the
        # match's objects were left where the collector put them.
        assert gc.get_freeze_count() > 0
        assert not any(found is report.trials for found in gc.get_objects(generation=2))
    finally:
        gc.unfreeze()


def test_a_match_leaves_a_disabled_collector_disabled(database: OpenedDatabase) -> None:
    gc.disable()
    try:
        _match_first_patient(database)
        assert not gc.isenabled()
    finally:
        gc.enable()
