"""The results panel counts every trial it does not list, with the reason, and can ask for all."""

from __future__ import annotations

import datetime as dt

from pytestqt.qtbot import QtBot

from engine.profile import profile_from_dict
from models.matching import MatchReport, TrialProblem
from ui.results.results_panel import ResultsPanel

PROFILE = profile_from_dict(
    {"format": "trialmatch-patient/1", "patient": {"birth_date": "1980-01-01", "sex": "female"}}
)


def _report(**counts: int) -> MatchReport:
    return MatchReport(
        screening_date=dt.date(2026, 11, 23),
        profile=PROFILE,
        trials=(),
        hidden_closed=counts.get("closed", 0),
        ask_next=(),
        problems=(TrialProblem("NCT01234567", "A study", "rules do not load"),)
        if counts.get("problems")
        else (),
        other_conditions=counts.get("other", 0),
        excluded_age_sex=counts.get("age_sex", 0),
    )


def test_every_left_out_trial_is_counted_with_its_reason(qtbot: QtBot) -> None:
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.show_report(_report(closed=2, other=7, age_sex=3, problems=1))
    text = panel.hidden_label.text()
    assert "2 closed" in text
    assert "7 for other conditions" in text
    assert "3 excluded by age/sex" in text
    assert "1 could not be evaluated" in text
    assert "NCT01234567" in panel.hidden_label.toolTip()


def test_nothing_left_out_says_nothing(qtbot: QtBot) -> None:
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.show_report(_report())
    assert panel.hidden_label.text() == ""


def test_other_conditions_box_asks_for_a_rematch(qtbot: QtBot) -> None:
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    assert panel.all_conditions is False
    with qtbot.waitSignal(panel.all_conditions_changed) as blocker:
        panel.all_conditions_box.setChecked(True)
    assert blocker.args == [True]
    assert panel.all_conditions is True
