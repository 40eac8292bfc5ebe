"""The trial detail explains a counted rule: how many of the listed parts were needed and met."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from engine.outcomes import CriterionStatus
from engine.profile import PatientProfile
from models.matching import Matcher
from models.operations import OpenedDatabase
from ui.results.detail_html import criteria_html, criterion_html


def test_core_set_criterion_shows_its_tally(
    bundled_database: OpenedDatabase, golden_profile: Callable[[str], PatientProfile]
) -> None:
    report = Matcher(bundled_database.session_factory).match(
        golden_profile("adult_refractory_sle"),
        screening_date=dt.date(2026, 11, 23),
        include_closed=True,
    )
    trial = next(t for t in report.trials if t.detail.summary.nct_id == "NCT06941129")
    result = trial.evaluation.result("myositis-2")
    assert result is not None
    # No myositis scores are recorded for this patient: all five core measures are unknown.
    assert result.status is CriterionStatus.UNKNOWN
    assert "2 of the following 5 are needed: 5 not known" in result.reason
    html = criterion_html(result, trial.criteria_source)
    assert "2 of the following 5 are needed: 5 not known" in html
    assert "Physician global assessment (0-10)" in html
    assert "2 of the following 5 are needed" in criteria_html(trial)
