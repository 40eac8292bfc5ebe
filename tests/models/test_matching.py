"""The match use case and the ``match`` command: database trials, criteria choice, ranking, JSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from engine.profile import profile_from_dict
from models.criteria_set import CriteriaSource
from models.database import SessionFactory
from models.matching import Matcher, match_patient, registry_criteria, trial_topics
from models.operations import (
    OpenedDatabase,
    ScreeningRow,
    get_trial,
    import_files,
    open_database,
    store_criteria_set,
)
from models.profile_io import load_profile
from models.topics import AREA_TOPIC, OTHER_TOPIC, is_topic_candidate

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
SCREENING = dt.date(2026, 11, 23)


@pytest.fixture
def seeded(tmp_path: Path) -> OpenedDatabase:
    database = open_database(f"sqlite:///{tmp_path / 'seeded.sqlite3'}")
    yield database  # type: ignore[misc]
    database.engine.dispose()


def _study(nct_id: str, criteria: str, **eligibility: Any) -> dict[str, Any]:
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct_id, "briefTitle": f"Study {nct_id}"},
            "statusModule": {"overallStatus": "RECRUITING"},
            "eligibilityModule": {"eligibilityCriteria": criteria, **eligibility},
        }
    }


def _adult_male(age: int = 40) -> dict[str, Any]:
    return {
        "format": "trialmatch-patient/1",
        "patient": {"birth_date": f"{2026 - age - 1}-01-01", "sex": "male"},
    }


def test_golden_adult_sle_gets_the_expected_verdict_for_every_seed(seeded: OpenedDatabase) -> None:
    expected = json.loads((GOLDEN / "expected.json").read_text(encoding="utf-8"))
    profile = load_profile(GOLDEN / "adult_refractory_sle.json", today=SCREENING)
    report = match_patient(seeded.session_factory, profile, screening_date=SCREENING)
    verdicts = {item.trial_id: item.evaluation.verdict.value for item in report.trials}
    wanted = {
        trial_id: trial["verdict"]
        for trial_id, trial in expected["patients"]["adult_refractory_sle"]["trials"].items()
    }
    assert verdicts == wanted
    assert all(item.criteria_origin == "curated" for item in report.trials)


def test_not_eligible_trials_rank_last(seeded: OpenedDatabase) -> None:
    profile = load_profile(GOLDEN / "child_sle.json", today=SCREENING)
    report = match_patient(seeded.session_factory, profile, screening_date=SCREENING)
    ruled_out = [item.evaluation.verdict.value == "not_eligible" for item in report.trials]
    assert ruled_out == sorted(ruled_out)
    assert any(ruled_out)
    assert not all(ruled_out)


def test_registry_age_and_sex_apply_to_a_trial_without_curated_rules(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    path = tmp_path / "study.json"
    study = _study(
        "NCT09000001",
        "Inclusion Criteria:\n\n* Diagnosis of systemic lupus erythematosus\n",
        minimumAge="18 Years",
        maximumAge="65 Years",
        sex="FEMALE",
    )
    path.write_text(json.dumps(study), encoding="utf-8")
    assert not import_files(session_factory, [path]).failed

    male = profile_from_dict(_adult_male(), today=SCREENING)
    report = match_patient(session_factory, male, screening_date=SCREENING)
    # Ruled out by the registry's sex field alone: counted, not evaluated or listed ...
    assert report.trials == ()
    assert report.excluded_age_sex == 1
    # ... unless every trial is asked for, when it is listed as not eligible with its reason.
    report = match_patient(session_factory, male, screening_date=SCREENING, all_conditions=True)
    assert report.excluded_age_sex == 0
    (item,) = report.trials
    assert item.criteria_origin == "parsed"
    assert item.criteria_verified is False
    statuses = {r.criterion_id: r.status.value for r in item.evaluation.criteria}
    assert statuses["registry-sex"] == "violated"
    assert statuses["registry-minimum-age"] == "satisfied"
    assert statuses["registry-maximum-age"] == "satisfied"
    assert item.evaluation.verdict.value == "not_eligible"


def test_registry_ages_in_months_weeks_and_days_are_decided_in_those_units(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    # A paediatric record: completed years cannot tell whether a baby of 6 months and 22 days
    # is "6 Months" old, so each limit is read on the age counted in its own unit.
    for nct_id, eligibility in (
        ("NCT09000002", {"minimumAge": "6 Months", "maximumAge": "17 Years"}),
        ("NCT09000003", {"minimumAge": "7 Months"}),
        ("NCT09000004", {"maximumAge": "2 Weeks"}),
        ("NCT09000005", {"minimumAge": "N/A", "maximumAge": "1.5 Years"}),
    ):
        path = tmp_path / f"{nct_id}.json"
        path.write_text(json.dumps(_study(nct_id, "", **eligibility)), "utf-8")
        assert not import_files(session_factory, [path]).failed
    detail = get_trial(session_factory, "NCT09000002")
    assert detail is not None
    criteria = registry_criteria("NCT09000002", detail)
    assert criteria is not None
    assert criteria.criteria[0].text == "Minimum age: 6 Months (registry record)"

    baby = profile_from_dict(
        {"format": "trialmatch-patient/1", "patient": {"birth_date": "2026-05-01"}},
        today=SCREENING,
    )
    report = match_patient(session_factory, baby, screening_date=SCREENING, all_conditions=True)
    statuses = {
        item.trial_id: {
            r.criterion_id: r.status.value
            for r in item.evaluation.criteria
            if r.criterion_id.startswith("registry-")
        }
        for item in report.trials
    }
    assert statuses["NCT09000002"] == {
        "registry-minimum-age": "satisfied",
        "registry-maximum-age": "satisfied",
    }
    assert statuses["NCT09000003"] == {"registry-minimum-age": "violated"}
    # 206 days old is past the last day of a 2-week limit (day 20).
    assert statuses["NCT09000004"] == {"registry-maximum-age": "violated"}
    # "N/A" is no limit (no criterion); 1.5 years is 18 completed months.
    assert statuses["NCT09000005"] == {"registry-maximum-age": "satisfied"}

    adult = profile_from_dict(_adult_male(), today=SCREENING)
    report = match_patient(session_factory, adult, screening_date=SCREENING, all_conditions=True)
    verdicts = {item.trial_id: item.evaluation.verdict.value for item in report.trials}
    assert verdicts["NCT09000003"] != "not_eligible"
    assert verdicts["NCT09000004"] == "not_eligible"
    assert verdicts["NCT09000005"] == "not_eligible"


def test_a_reviewed_set_replaces_the_parsed_rules_and_the_matcher_notices(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    path = tmp_path / "study.json"
    path.write_text(
        json.dumps(_study("NCT09000003", "Inclusion Criteria:\n\n* Anything\n")), "utf-8"
    )
    import_files(session_factory, [path])
    matcher = Matcher(session_factory)
    profile = profile_from_dict(_adult_male(), today=SCREENING)
    first = matcher.match(profile, screening_date=SCREENING)
    assert first.trials[0].criteria_origin == "parsed"

    reviewed = {
        "format": "trialmatch-criteria/1",
        "trial_id": "NCT09000003",
        "source": "curated",
        "criteria": [
            {
                "id": "inc-1",
                "kind": "inclusion",
                "text": "Anything",
                "rule": {"fact": "age_years", "op": ">=", "value": 50, "unit": "a"},
            }
        ],
    }
    store_criteria_set(
        session_factory,
        "NCT09000003",
        CriteriaSource.CURATED,
        json.dumps(reviewed),
        verified=True,
    )
    second = matcher.match(profile, screening_date=SCREENING)
    assert second.problems == ()
    assert second.trials[0].criteria_origin == "reviewed"
    assert second.trials[0].criteria_verified is True
    assert second.trials[0].evaluation.verdict.value == "not_eligible"


def test_closed_trials_are_hidden_and_counted(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    study = _study("NCT09000004", "")
    study["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"
    path = tmp_path / "study.json"
    path.write_text(json.dumps(study), "utf-8")
    import_files(session_factory, [path])
    profile = profile_from_dict(_adult_male(), today=SCREENING)
    hidden = match_patient(session_factory, profile, screening_date=SCREENING)
    assert hidden.trials == ()
    assert hidden.hidden_closed == 1
    shown = match_patient(session_factory, profile, screening_date=SCREENING, include_closed=True)
    assert [item.trial_id for item in shown.trials] == ["NCT09000004"]


def test_match_command_json_has_the_documented_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from main import main

    monkeypatch.setenv("TRIALMATCH_SETTINGS", str(tmp_path / "settings.json"))
    db = str(tmp_path / "cli.sqlite3")
    patient = str(GOLDEN / "low_anc_sle.json")
    assert main(["--db", db, "match", "--patient", patient, "--date", "2026-11-23", "--json"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert output["screening_date"] == "2026-11-23"
    assert {"trials", "ask_next", "hidden_closed", "other_conditions", "excluded_age_sex"} <= (
        output.keys()
    )
    trial = output["trials"][0]
    assert {
        "trial_id",
        "nct_id",
        "title",
        "overall_status",
        "verdict",
        "near_miss",
        "cohort",
        "criteria",
        "nearest_site",
    } <= trial.keys()
    criterion = trial["criteria"][0]
    assert {"id", "kind", "cohort", "text", "result", "reason", "evidence"} <= criterion.keys()
    results = {c["result"] for t in output["trials"] for c in t["criteria"]}
    assert results <= {"satisfied", "violated", "unknown", "review", "not_applicable"}
    near_misses = [t["trial_id"] for t in output["trials"] if t["near_miss"]]
    assert near_misses, "the low-ANC patient is a near miss somewhere"


def test_match_command_names_the_bad_field_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from main import main

    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "format": "trialmatch-patient/1",
                "patient": {"birth_date": "1980-01-01", "sex": "female"},
                "labs": [
                    {"analyte": "hemoglobin", "value": 5.4, "unit": "g/L", "date": "2026-11-01"}
                ],
            }
        ),
        "utf-8",
    )
    db = str(tmp_path / "cli.sqlite3")
    assert main(["--db", db, "match", "--patient", str(bad)]) == 2
    message = capsys.readouterr().err
    assert "labs[0].value" in message
    assert "g/dL" in message


def test_clinic_ulns_keyed_by_analyte_reach_the_engine() -> None:
    from models.matching import engine_settings
    from models.settings import ClinicSettings

    settings = engine_settings(
        ClinicSettings(
            lab_ulns={"alt": 35.0, "creatinine.female": 84.0},
            clinic_latitude=30.0,
            clinic_longitude=120.0,
        )
    )
    assert settings.uln == {"lab.alt": 35.0, "lab.creatinine.female": 84.0}
    assert settings.clinic_location == (30.0, 120.0)


# ---------------------------------------------------------------------------------------------
# Prefilter, incremental re-match and lazily read details


def _row(
    conditions: tuple[str, ...] = (), keywords: tuple[str, ...] = (), title: str | None = None
) -> ScreeningRow:
    return ScreeningRow("NCT09000009", title, "RECRUITING", None, None, None, conditions, keywords)


def _topic_study(nct_id: str, conditions: list[str], status: str = "RECRUITING") -> dict[str, Any]:
    study = _study(nct_id, "Inclusion Criteria:\n\n* Signed informed consent\n")
    study["protocolSection"]["conditionsModule"] = {"conditions": conditions}
    study["protocolSection"]["statusModule"]["overallStatus"] = status
    return study


def test_topics_come_from_conditions_then_title_and_unreadable_ones_stay_candidates() -> None:
    sle = frozenset({"sle"})
    assert trial_topics(_row(("Lupus Nephritis",))) == {"lupus_nephritis"}
    assert trial_topics(_row(("Autoimmune Diseases",))) == {AREA_TOPIC}
    assert trial_topics(_row(("Rheumatoid Arthritis",))) == {"ra"}
    assert trial_topics(_row(("Diffuse Large B-Cell Lymphoma",))) == {OTHER_TOPIC}
    assert trial_topics(_row(title="CAR-T in Refractory Autoimmune Disease")) == {AREA_TOPIC}
    assert trial_topics(_row()) == frozenset()
    # A narrower or broader form of the patient's condition counts; another condition does not.
    assert is_topic_candidate(frozenset({"lupus_nephritis"}), sle)
    assert is_topic_candidate(sle, frozenset({"lupus_nephritis"}))
    assert not is_topic_candidate(frozenset({"ra"}), sle)
    assert not is_topic_candidate(frozenset({OTHER_TOPIC}), sle)
    # The area without a named condition, or nothing readable: stays a candidate.
    assert is_topic_candidate(frozenset({AREA_TOPIC}), frozenset({"sjogren"}))
    assert is_topic_candidate(frozenset(), sle)
    # A patient without diagnoses gets every trial.
    assert is_topic_candidate(frozenset({OTHER_TOPIC}), frozenset())


def test_every_seed_stays_a_candidate_for_sle_and_seed_004_for_sjogren(
    seeded: OpenedDatabase,
) -> None:
    sle = load_profile(GOLDEN / "adult_refractory_sle.json", today=SCREENING)
    report = match_patient(seeded.session_factory, sle, screening_date=SCREENING)
    assert report.other_conditions == 0
    assert len(report.trials) + report.hidden_closed + report.excluded_age_sex == 5
    sjogren = load_profile(GOLDEN / "dry_syndrome.json", today=SCREENING)
    report = match_patient(seeded.session_factory, sjogren, screening_date=SCREENING)
    listed = {item.trial_id for item in report.trials}
    seed_004 = "LOCAL-f63aff37ed"  # paediatric refractory rheumatic diseases (BCMA/CD70 CAR-T)
    assert get_trial(seeded.session_factory, seed_004) is not None
    assert seed_004 in listed
    # The SLE-only seed is about another condition than Sjögren's: counted, not evaluated.
    assert "NCT06691152" not in listed
    assert report.other_conditions == 1


def test_other_conditions_and_closed_trials_are_counted_until_asked_for(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    studies = [
        _topic_study("NCT09000011", ["Systemic Lupus Erythematosus"]),
        _topic_study("NCT09000012", ["Breast Cancer"]),
        _topic_study("NCT09000013", ["Lupus Nephritis"], status="COMPLETED"),
    ]
    paths = []
    for study in studies:
        path = tmp_path / f"{study['protocolSection']['identificationModule']['nctId']}.json"
        path.write_text(json.dumps(study), encoding="utf-8")
        paths.append(path)
    assert not import_files(session_factory, paths).failed
    patient = {
        **_adult_male(),
        "diagnoses": [{"condition": "sle", "text": "SLE"}],
    }
    profile = profile_from_dict(patient, today=SCREENING)
    matcher = Matcher(session_factory)
    report = matcher.match(profile, screening_date=SCREENING)
    assert [item.trial_id for item in report.trials] == ["NCT09000011"]
    assert (report.other_conditions, report.hidden_closed) == (1, 1)
    everything = matcher.match(
        profile, screening_date=SCREENING, include_closed=True, all_conditions=True
    )
    assert sorted(item.trial_id for item in everything.trials) == [
        "NCT09000011",
        "NCT09000012",
        "NCT09000013",
    ]
    assert (everything.other_conditions, everything.hidden_closed) == (0, 0)
    no_diagnosis = matcher.match(
        profile_from_dict(_adult_male(), today=SCREENING), screening_date=SCREENING
    )
    assert no_diagnosis.other_conditions == 0
    assert len(no_diagnosis.trials) == 2


def _edited_profiles() -> list[dict[str, Any]]:
    base = json.loads((GOLDEN / "adult_refractory_sle.json").read_text(encoding="utf-8"))
    edits: list[dict[str, Any]] = []
    for analyte, value in (("anc", 1.2), ("creatinine", 1.9), ("platelets", 40)):
        edited = json.loads(json.dumps(base))
        for lab in edited["labs"]:
            if lab["analyte"] == analyte:
                lab["value"] = value
        edits.append(edited)
    older = json.loads(json.dumps(base))
    older["patient"]["birth_date"] = "1955-01-01"
    edits.append(older)
    no_treatments = json.loads(json.dumps(base))
    no_treatments["treatments"] = []
    edits.append(no_treatments)
    return [base, *edits, base]


def test_a_rematch_after_each_edit_equals_a_fresh_match(seeded: OpenedDatabase) -> None:
    kept = Matcher(seeded.session_factory)
    for data in _edited_profiles():
        profile = profile_from_dict(data, today=SCREENING)
        again = kept.match(profile, screening_date=SCREENING, include_closed=True)
        fresh = Matcher(seeded.session_factory).match(
            profile, screening_date=SCREENING, include_closed=True
        )
        assert [item.trial_id for item in again.trials] == [item.trial_id for item in fresh.trials]
        assert [item.evaluation for item in again.trials] == [
            item.evaluation for item in fresh.trials
        ]
        assert again.ask_next == fresh.ask_next


def test_a_match_reads_the_full_record_only_when_asked(seeded: OpenedDatabase) -> None:
    profile = load_profile(GOLDEN / "adult_refractory_sle.json", today=SCREENING)
    report = Matcher(seeded.session_factory).match(profile, screening_date=SCREENING)
    for item in report.trials:
        stored = get_trial(seeded.session_factory, item.trial_id)
        assert stored is not None
        assert item.summary == stored.summary
        assert item.detail.summary == stored.summary
        assert item.detail.arms == stored.arms
        assert item.detail.eligibility_criteria == stored.eligibility_criteria
        assert item.detail.source_json is None  # the raw record stays unread


def test_a_candidate_whose_rules_do_not_load_is_reported_with_its_title(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    path = tmp_path / "study.json"
    path.write_text(json.dumps(_study("NCT09000021", "Inclusion Criteria:\n\n* Any\n")), "utf-8")
    assert not import_files(session_factory, [path]).failed
    store_criteria_set(
        session_factory, "NCT09000021", CriteriaSource.AUTOMATIC, "{not json", verified=False
    )
    profile = profile_from_dict(_adult_male(), today=SCREENING)
    report = Matcher(session_factory).match(profile, screening_date=SCREENING)
    assert report.trials == ()
    (problem,) = report.problems
    assert problem.trial_id == "NCT09000021"
    assert problem.title == "Study NCT09000021"
    assert "not JSON" in problem.problem


def _match_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *options: str
) -> tuple[int, str, str]:
    from main import main

    db = str(tmp_path / "cli.sqlite3")
    patient = str(GOLDEN / "adult_refractory_sle.json")
    code = main(
        ["--db", db, "match", "--patient", patient, "--date", "2026-11-23", "--all", *options]
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_match_command_lists_only_the_best_ranked_trials_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIALMATCH_SETTINGS", str(tmp_path / "settings.json"))
    code, out, _ = _match_command(tmp_path, capsys, "--json")
    assert code == 0
    everything = json.loads(out)
    ranked = [trial["trial_id"] for trial in everything["trials"]]
    assert len(ranked) >= 3
    assert everything["unlisted_trials"] == 0

    code, out, _ = _match_command(tmp_path, capsys, "--json", "--limit", "2")
    limited = json.loads(out)
    assert [trial["trial_id"] for trial in limited["trials"]] == ranked[:2]
    assert limited["unlisted_trials"] == len(ranked) - 2

    code, out, _ = _match_command(tmp_path, capsys, "--limit", "1")
    assert code == 0
    assert f"1. {ranked[0]}" in out
    assert f"2. {ranked[1]}" not in out
    assert f"{len(ranked) - 1} more trial(s) ranked below these are not listed" in out

    code, out, _ = _match_command(tmp_path, capsys, "--limit", "0")
    assert f"{len(ranked)}. {ranked[-1]}" in out
    assert "not listed; --limit" not in out


@pytest.mark.parametrize("value", ["-1", "two"])
def test_match_command_refuses_a_limit_that_is_not_a_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        _match_command(tmp_path, capsys, "--limit", value)
    assert exited.value.code == 2
    assert "argument --limit" in capsys.readouterr().err
