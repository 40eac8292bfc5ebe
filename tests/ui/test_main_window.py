"""The real window: a profile gives ranked trials; verdicts follow edits, detail, ask-next."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt, QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from engine.outcomes import Verdict
from engine.profile import PatientProfile
from ui.results.results_table_model import VERDICT_COLUMN

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

MakeWindow = Callable[..., Any]


def verdict_of(window: Any, trial_id: str) -> Verdict | None:
    model = window.results_panel.model
    row = model.row_of(trial_id)
    return None if row is None else model.row_at(row).verdict


def show_profile(qtbot: QtBot, window: Any, profile: PatientProfile) -> None:
    generation = window._generation
    window.profile_panel.set_profile(profile)
    qtbot.waitUntil(lambda: window._generation > generation and not window.matching, timeout=15000)


def test_window_starts_at_1366x768_with_status_bar(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    assert window.width() <= 1366
    assert window.height() <= 768
    hint = window.minimumSizeHint()
    assert hint.width() <= 1366
    assert hint.height() <= 768
    qtbot.waitUntil(lambda: window.trial_count_label.text() == "5 trials in the database")
    assert window.screening_label.text() == "Screening date: 2026-11-23"
    assert "test.sqlite3" in window.database_label.text()
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus == ["&File", "&Trials", "&Help"]
    assert window.export_action.shortcut().toString() == "Ctrl+E"
    assert window.browse_action.shortcut().toString() == "Ctrl+F"
    file_items = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert any("Import from EHR (FHIR)" in text.replace("&", "") for text in file_items)


def test_profile_gives_ranked_verdicts_that_change_with_the_profile(
    qtbot: QtBot, make_window: MakeWindow, golden_profile: Callable[[str], PatientProfile]
) -> None:
    window = make_window()
    window.show()
    show_profile(qtbot, window, golden_profile("adult_refractory_sle"))
    assert verdict_of(window, "NCT06503224") is Verdict.MEETS_CHECKABLE_CRITERIA
    model = window.results_panel.model
    row = model.row_of("NCT06503224")
    shown = model.index(row, VERDICT_COLUMN).data()
    assert shown == "Meets checkable criteria"
    assert model.index(row, VERDICT_COLUMN).data(Qt.ItemDataRole.DecorationRole) is not None

    window.profile_panel.set_profile(golden_profile("low_anc_sle"))
    qtbot.waitUntil(
        lambda: verdict_of(window, "NCT06503224") is Verdict.NOT_ELIGIBLE, timeout=15000
    )
    row = model.row_of("NCT06503224")
    assert model.index(row, VERDICT_COLUMN).data().startswith("Not eligible")
    # Ranked: nothing ruled out is listed below a trial that is.
    verdicts = [model.row_at(r).verdict for r in range(model.rowCount())]
    first_ruled_out = verdicts.index(Verdict.NOT_ELIGIBLE)
    assert Verdict.MEETS_CHECKABLE_CRITERIA not in verdicts[first_ruled_out:]


def test_rapid_edits_show_only_the_newest_profile(
    qtbot: QtBot, make_window: MakeWindow, golden_profile: Callable[[str], PatientProfile]
) -> None:
    window = make_window()
    for name in ("adult_refractory_sle", "ra", "ssc", "low_anc_sle"):
        window.profile_panel.set_profile(golden_profile(name))
    qtbot.waitUntil(lambda: window.report is not None and not window.matching, timeout=15000)
    newest = golden_profile("low_anc_sle").patient.record_number
    assert window.report.profile.patient.record_number == newest
    assert verdict_of(window, "NCT06503224") is Verdict.NOT_ELIGIBLE


def test_selecting_a_trial_shows_its_criteria_summary_and_contacts(
    qtbot: QtBot, make_window: MakeWindow, golden_profile: Callable[[str], PatientProfile]
) -> None:
    window = make_window()
    window.show()
    show_profile(qtbot, window, golden_profile("low_anc_sle"))
    assert window.results_panel.select_trial("NCT06503224")
    panel = window.detail_panel
    assert panel.shown_trial_id == "NCT06503224"
    criteria = panel.criteria_view.toPlainText()
    assert "Inclusion criteria" in criteria
    assert "Exclusion criteria" in criteria
    assert "Cohort: Systemic lupus erythematosus" in criteria
    assert "Not met" in criteria  # the neutrophil criterion, with its words, not colour alone
    assert "Bone marrow hematopoietic function" in criteria  # verbatim sentence
    assert "eligible" not in criteria.replace("Not eligible", "").replace(
        "Potentially eligible", ""
    ).replace("decides eligibility", "")
    summary = panel.summary_view.toHtml()
    assert "https://clinicaltrials.gov/study/NCT06503224" in summary
    assert panel.sites_model.rowCount() >= 1


def test_ask_next_click_focuses_the_form(
    qtbot: QtBot, make_window: MakeWindow, golden_profile: Callable[[str], PatientProfile]
) -> None:
    window = make_window()
    window.show()
    show_profile(qtbot, window, golden_profile("missing_labs_sle"))
    ask = window.results_panel.ask_next_model
    assert ask.rowCount() > 0
    asked: list[str] = []
    window.profile_panel.focus_field = lambda fact: asked.append(fact) or True
    view = window.results_panel.ask_next_view
    index = ask.index(0, 0)
    rect = view.visualRect(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert asked == [ask.row_at(0).fact]


def test_show_closed_checkbox_rematches(
    qtbot: QtBot, make_window: MakeWindow, golden_profile: Callable[[str], PatientProfile]
) -> None:
    window = make_window()
    show_profile(qtbot, window, golden_profile("adult_refractory_sle"))
    shown = window.results_panel.model.rowCount()
    hidden = window.report.hidden_closed
    assert window.results_panel.hidden_label.text() == (
        f"Not listed: {hidden} closed" if hidden else ""
    )
    generation = window._generation
    window.results_panel.show_closed_box.setChecked(True)
    qtbot.waitUntil(lambda: window._generation > generation and not window.matching, timeout=15000)
    assert window.results_panel.model.rowCount() == shown + hidden
    assert window.results_panel.hidden_label.text() == ""


def test_match_failure_is_shown_not_swallowed(
    qtbot: QtBot, make_window: MakeWindow, golden_profile: Callable[[str], PatientProfile]
) -> None:
    class BrokenMatcher:
        def __init__(self, *_args: object) -> None:
            pass

        def match(self, *_args: object, **_kwargs: object) -> None:
            raise RuntimeError("rules could not be read")

    window = make_window(matcher_factory=BrokenMatcher)
    show_profile(qtbot, window, golden_profile("ra"))
    assert "Matching failed: rules could not be read" in window.results_panel.summary_label.text()
    assert window.results_panel.model.rowCount() == 0


def test_layout_is_remembered(
    qtbot: QtBot, make_window: MakeWindow, window_settings: QSettings
) -> None:
    window = make_window()
    # The offscreen platform's screen is 800×600: stay inside it so geometry is not clamped.
    window.resize(780, 560)
    window.show()
    qtbot.waitExposed(window)
    window.main_splitter.setSizes([330, 450])
    first = window.main_splitter.sizes()
    window.close()
    again = make_window()
    again.show()
    qtbot.waitExposed(again)
    assert again.main_splitter.sizes() == first


def test_workers_report_on_the_ui_thread(qtbot: QtBot, db_pool: Any) -> None:
    from ui.workers import JobRunner

    runner = JobRunner(db_pool)
    threads: list[object] = []
    runner.start(lambda: 42, lambda value: threads.append((value, QThread.currentThread())))
    qtbot.waitUntil(lambda: bool(threads) and runner.active_count == 0)
    assert threads == [(42, QApplication.instance().thread())]


def test_the_matcher_reads_its_catalogue_when_the_window_opens(
    qtbot: QtBot, make_window: MakeWindow, golden_profile: Callable[[str], PatientProfile]
) -> None:
    from models.matching import Matcher

    events: list[str] = []

    class RecordingMatcher(Matcher):
        def preload(self) -> None:
            events.append("preload")
            super().preload()

        def match(self, *args: Any, **kwargs: Any) -> Any:
            events.append("match")
            return super().match(*args, **kwargs)

    window = make_window(matcher_factory=RecordingMatcher)
    qtbot.waitUntil(lambda: events == ["preload"], timeout=15000)
    show_profile(qtbot, window, golden_profile("adult_refractory_sle"))
    # One Matcher, preloaded once, then matched: the first match reads no catalogue again.
    assert events[:2] == ["preload", "match"]
    assert window.results_panel.model.rowCount() > 0
