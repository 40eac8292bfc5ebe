"""Trials menu: import with progress and a summary, the browser's search and filters, the editor."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from models.operations import get_criteria_sets, list_trial_entries
from ui.trials.criteria_review_model import CriteriaReviewModel, Decision, ReviewRow
from ui.trials.import_dialog import ImportSummaryDialog
from ui.trials.rule_words import rule_in_words
from ui.trials.trial_filter import TrialFilter, filter_trials

# The offscreen platform cannot resize to size hints or raise windows; harmless here.
pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", "This plugin does not support raise"
)

MakeWindow = Callable[..., Any]

SMALL_STUDY = {
    "protocolSection": {
        "identificationModule": {
            "nctId": "NCT09999991",
            "briefTitle": "A small test study of lupus",
            "orgStudyInfo": {"id": "TEST-1"},
        },
        "statusModule": {"overallStatus": "RECRUITING"},
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": "Test Sponsor"}},
        "conditionsModule": {"conditions": ["Systemic Lupus Erythematosus"]},
        "designModule": {"phases": ["PHASE1"]},
        "eligibilityModule": {
            "eligibilityCriteria": "Inclusion Criteria:\n\n* Age 18 years or older\n\n"
            "Exclusion Criteria:\n\n* Pregnancy",
            "minimumAge": "18 Years",
        },
    }
}


def test_import_runs_with_progress_and_reports_added_and_failed(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "small.json"
    good.write_text(json.dumps(SMALL_STUDY), encoding="utf-8")
    bad = tmp_path / "broken.json"
    bad.write_text("{ not json", encoding="utf-8")
    reports: list[Any] = []
    monkeypatch.setattr(ImportSummaryDialog, "show_report", lambda _parent, r: reports.append(r))
    window = make_window()
    window.show()
    assert window.start_import([good, bad])
    assert window._import.progress is not None
    assert window._import.progress.isVisible()
    assert not window.import_action.isEnabled()
    qtbot.waitUntil(lambda: bool(reports), timeout=15000)
    report = reports[0]
    assert [trial.trial_id for trial in report.added] == ["NCT09999991"]
    assert len(report.failed) == 1
    assert "broken.json" in report.failed[0].message()
    assert window._import.progress is None
    assert window.import_action.isEnabled()
    qtbot.waitUntil(lambda: window.trial_count_label.text() == "6 trials in the database")
    summary = ImportSummaryDialog(report)
    qtbot.addWidget(summary)
    text = summary.text.toPlainText()
    assert "Added: 1" in text
    assert "Not imported: 1" in text
    assert "broken.json" in text


def test_browser_searches_and_filters(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    window.show()
    browser = window.open_browser()
    qtbot.waitUntil(lambda: browser.model.rowCount() == 5)
    assert browser.search_edit.hasFocus() or browser.search_edit.isVisible()
    qtbot.keyClicks(browser.search_edit, "NCT06503224")
    assert browser.model.rowCount() == 1
    browser.search_edit.clear()
    qtbot.keyClicks(browser.search_edit, "lupus")
    lupus = browser.model.rowCount()
    assert 1 <= lupus < 5
    browser.search_edit.clear()
    status_index = browser.status_combo.findData("RECRUITING")
    assert status_index > 0
    browser.status_combo.setCurrentIndex(status_index)
    shown = [browser.model.row_at(r).status for r in range(browser.model.rowCount())]
    assert shown
    assert set(shown) == {"Recruiting"}
    browser.table.selectRow(0)
    qtbot.waitUntil(lambda: "Sponsor" in browser.summary_view.toPlainText())
    browser.close()


def test_filter_by_country_and_phase(bundled_database: Any) -> None:
    trials = list_trial_entries(bundled_database.session_factory)
    china = filter_trials(trials, TrialFilter(country="China"))
    assert china
    assert all("China" in t.countries for t in china)
    assert len(china) < len(trials)
    assert filter_trials(trials, TrialFilter(country="Atlantis")) == []
    phase = trials[0].phases[0] if trials[0].phases else None
    if phase is not None:
        assert trials[0] in filter_trials(trials, TrialFilter(phase=phase))


def test_editor_validates_edits_and_stores_the_reviewed_set(
    qtbot: QtBot, make_window: MakeWindow, bundled_database: Any
) -> None:
    window = make_window()
    trial_id = "NCT06503224"
    editor = window.open_trial_editor(trial_id)
    qtbot.waitUntil(lambda: editor.loaded, timeout=15000)
    count = editor.model.rowCount()
    assert count > 5
    editor.select_row(0)
    assert "18" in editor.words_view.toPlainText()
    problem = editor.apply_rule_text(0, '{"fact": "no.such.fact", "op": ">=", "value": 1}')
    assert problem is not None
    assert "no.such.fact" in problem
    problem = editor.apply_rule_text(0, "{ broken")
    assert problem is not None
    assert problem.startswith("Not valid JSON")
    assert (
        editor.apply_rule_text(0, '{"fact": "age_years", "op": ">=", "value": 21, "unit": "a"}')
        is None
    )
    assert editor.model.row_at(0).decision is Decision.EDITED
    assert editor.save_button.isEnabled()  # curated criteria arrive confirmed
    with qtbot.waitSignal(editor.accepted, timeout=15000):
        editor.save_button.click()
    stored = get_criteria_sets(bundled_database.session_factory, trial_id)
    assert stored
    assert stored[0].verified
    assert stored[0].source.value == "curated"
    saved = json.loads(stored[0].criteria_json)
    assert saved["criteria"][0]["rule"]["value"] == 21


def test_criteria_review_model(qtmodeltester: ModelTester, qapp: object) -> None:
    model = CriteriaReviewModel()
    qtmodeltester.check(model)
    model.set_rows(
        [
            ReviewRow("inc-1", "inclusion", None, "Age ≥ 18", Decision.PENDING),
            ReviewRow("exc-1", "exclusion", "sle", "Pregnancy", Decision.CONFIRMED),
        ]
    )
    qtmodeltester.check(model)
    assert model.pending_count() == 1
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    model.replace_row(0, ReviewRow("inc-1", "inclusion", None, "Age ≥ 18", Decision.REVIEW_ONLY))
    assert model.pending_count() == 0
    qtmodeltester.check(model)
    assert model.index(0, 0).data().startswith("◆ left to the study team · Inclusion")
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == "Age ≥ 18"
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    assert model.index(1, 0).data().startswith("✔ rule confirmed · Exclusion, cohort sle")


def test_rule_in_words() -> None:
    rule = {
        "all": [
            {"fact": "lab.anc", "op": ">=", "value": 1, "unit": "10*9/L"},
            {"not": {"fact": "treatment.csf", "op": "within", "window": {"weeks": 2}}},
        ]
    }
    words = rule_in_words(rule)
    assert words.splitlines()[0] == "All of:"
    assert "≥ 1 10*9/L" in words
    assert "within the last 2 weeks" in words
    assert "Not:" in words
    assert "study team" in rule_in_words(None)


def test_rule_in_words_reads_an_at_least_node() -> None:
    rule = {
        "at_least": 2,
        "of": [
            {"fact": "score.phga", "op": ">=", "value": 2},
            {"fact": "score.haq", "op": ">=", "value": 0.25},
            {"review": "Disease Activity Score (DAS) ≥2 points."},
        ],
    }
    lines = rule_in_words(rule).splitlines()
    assert lines[0] == "At least 2 of these 3:"
    assert lines[1] == "    Physician global assessment (0-10) ≥ 2"
    assert lines[3] == "    Study team to judge: Disease Activity Score (DAS) ≥2 points."


def test_editor_shows_and_checks_an_at_least_rule(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    editor = window.open_trial_editor("NCT06941129")
    qtbot.waitUntil(lambda: editor.loaded, timeout=15000)
    row = next(
        index
        for index in range(editor.model.rowCount())
        if editor.model.row_at(index).criterion_id == "myositis-2"
    )
    editor.select_row(row)
    words = editor.words_view.toPlainText().splitlines()
    assert "    At least 2 of these 5:" in words
    core = json.loads(editor.rule_editor.toPlainText())["all"][1]
    problem = editor.apply_rule_text(row, json.dumps({**core, "at_least": 6}))
    assert problem is not None
    assert "all[1].at_least" not in problem  # the edited rule is the node itself
    assert "rule.at_least: must be from 1 to 5" in problem
    assert editor.apply_rule_text(row, json.dumps({**core, "at_least": 3})) is None
    assert editor.words_view.toPlainText().startswith("At least 3 of these 5:")
