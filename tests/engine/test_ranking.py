"""Ranking order, closed trials, distance; ask-next counts; the vocabulary description."""

from __future__ import annotations

from datetime import date

import pytest

import engine
from engine.ask_next import ask_next
from engine.describe import describe_vocabulary
from engine.outcomes import Counts, TrialEvaluation, Verdict
from engine.ranking import Site, TrialSummary, haversine_km, rank_trials

PARIS = (48.8566, 2.3522)
LYON = (45.764, 4.8357)
BERLIN = (52.52, 13.405)


def evaluation(
    trial_id: str, verdict: Verdict, unknown: int = 0, missing: tuple[str, ...] = ()
) -> TrialEvaluation:
    return TrialEvaluation(
        trial_id=trial_id,
        source="curated",
        screening_date=date(2026, 11, 23),
        verdict=verdict,
        near_miss=False,
        best_cohort=None,
        criteria=(),
        cohorts=(),
        counts=Counts(unknown=unknown),
        missing_facts=missing,
    )


def summary(
    trial_id: str, status: str | None, updated: date | None = None, sites: tuple[Site, ...] = ()
) -> TrialSummary:
    return TrialSummary(trial_id, status, updated, sites)


def test_haversine_paris_lyon() -> None:
    assert haversine_km(PARIS, LYON) == pytest.approx(392, abs=3)
    assert haversine_km(PARIS, PARIS) == 0


def test_rank_order() -> None:
    open_ = Verdict.POTENTIALLY_ELIGIBLE
    trials = [
        (summary("ruled-out", "RECRUITING"), evaluation("ruled-out", Verdict.NOT_ELIGIBLE)),
        (summary("not-yet", "NOT_YET_RECRUITING"), evaluation("not-yet", open_)),
        (summary("unknown-status", None), evaluation("unknown-status", open_)),
        (summary("many-unknowns", "RECRUITING"), evaluation("many-unknowns", open_, unknown=5)),
        (summary("few-unknowns", "RECRUITING"), evaluation("few-unknowns", open_, unknown=1)),
        (summary("closed", "COMPLETED"), evaluation("closed", Verdict.MEETS_CHECKABLE_CRITERIA)),
        (summary("invitation", "ENROLLING_BY_INVITATION"), evaluation("invitation", open_)),
    ]
    ranked = rank_trials(trials)
    assert [r.summary.trial_id for r in ranked] == [
        "few-unknowns",
        "many-unknowns",
        "invitation",
        "not-yet",
        "unknown-status",
        "ruled-out",
    ]
    unknown = ranked[4]
    assert unknown.status_class == "unknown"
    assert unknown.status_note == "Recruitment status unknown"
    with_closed = rank_trials(trials, include_closed=True)
    closed = next(r for r in with_closed if r.summary.trial_id == "closed")
    assert closed.status_class == "closed"
    assert closed.status_note == "Not recruiting (completed)"
    assert with_closed.index(closed) == 5  # after the open ones, before the ruled out
    odd = rank_trials([(summary("odd", "Paused"), evaluation("odd", open_))])
    assert odd[0].status_note == "Recruitment status 'Paused' unknown: check the registry"


def test_nearest_recruiting_site_then_most_recent_update() -> None:
    open_ = Verdict.POTENTIALLY_ELIGIBLE
    near = summary(
        "near",
        "RECRUITING",
        date(2025, 1, 1),
        (
            Site("Lyon", "RECRUITING", *LYON),
            Site("Berlin", "RECRUITING", *BERLIN),
            Site("Paris closed", "COMPLETED", *PARIS),
            Site("No coordinates", "RECRUITING"),
        ),
    )
    far = summary("far", "RECRUITING", date(2026, 1, 1), (Site("Berlin", "RECRUITING", *BERLIN),))
    nowhere_old = summary("nowhere-old", "RECRUITING", date(2024, 1, 1))
    nowhere_new = summary("nowhere-new", "RECRUITING", date(2026, 6, 1))
    undated = summary("undated", "RECRUITING")
    trials = [
        (s, evaluation(s.trial_id, open_)) for s in (undated, nowhere_old, far, nowhere_new, near)
    ]
    ranked = rank_trials(trials, clinic_location=PARIS)
    assert [r.summary.trial_id for r in ranked] == [
        "near",
        "far",
        "nowhere-new",
        "nowhere-old",
        "undated",
    ]
    assert ranked[0].nearest_site is not None
    assert ranked[0].nearest_site.name == "Lyon"
    assert ranked[0].distance_km == pytest.approx(392, abs=3)
    without_clinic = rank_trials(trials)
    assert without_clinic[0].distance_km is None
    assert [r.summary.trial_id for r in without_clinic][:2] == ["nowhere-new", "far"]


def test_ask_next_counts_open_trials_only() -> None:
    evaluations = [
        evaluation("A", Verdict.POTENTIALLY_ELIGIBLE, 2, ("lab.anc", "serology.hiv")),
        evaluation("B", Verdict.POTENTIALLY_ELIGIBLE, 1, ("serology.hiv",)),
        evaluation("C", Verdict.NOT_ELIGIBLE, 1, ("lab.alt",)),
        evaluation("D", Verdict.POTENTIALLY_ELIGIBLE, 2, ("history.malignancy", "age_years")),
        evaluation("E", Verdict.POTENTIALLY_ELIGIBLE, 1, ("treatment.nonexistent",)),
    ]
    items = ask_next(evaluations)
    assert [(i.fact, i.trial_count) for i in items] == [
        ("serology.hiv", 2),
        ("age_years", 1),
        ("lab.anc", 1),
        ("history.malignancy", 1),
        ("treatment.nonexistent", 1),
    ]
    assert items[0].trial_ids == ("A", "B")
    assert items[0].label == "HIV antibody / antigen"
    assert items[0].group == "infection"


def test_ask_next_asks_for_the_age_once_whatever_unit_the_limits_use() -> None:
    # A registry limit in months reads age_months, one in days age_days: all three are the
    # birth date, asked for once as "Age".
    evaluations = [
        evaluation("A", Verdict.POTENTIALLY_ELIGIBLE, 2, ("age_years", "age_months")),
        evaluation("B", Verdict.POTENTIALLY_ELIGIBLE, 1, ("age_days",)),
    ]
    (item,) = ask_next(evaluations)
    assert (item.fact, item.label, item.trial_ids) == ("age_years", "Age", ("A", "B"))


def test_describe_vocabulary_lists_facts_treatments_and_conditions() -> None:
    vocabulary = describe_vocabulary()
    facts = {f["name"]: f for f in vocabulary["facts"]}
    assert facts["lab.alt"]["units"][-1] == "xULN"
    assert facts["lab.anc"]["operators"] == [">=", ">", "<=", "<", "==", "between"]
    assert facts["sex"]["allowed"] == ["female", "male"]
    names = {t["name"] for t in vocabulary["treatments"]}
    assert {"treatment.live_vaccine", "treatment.rituximab"} <= names
    assert any(c["id"] == "sjogren" for c in vocabulary["conditions"])
    assert vocabulary["window_keys"] == ["days", "weeks", "months", "years"]


def test_public_api() -> None:
    assert callable(engine.parse_criteria_text)
    for name in engine.__all__:
        assert getattr(engine, name) is not None
    with pytest.raises(AttributeError):
        _ = engine.no_such_name  # type: ignore[attr-defined]
