"""The window starts offscreen and lists the trials; the trial list model passes qtmodeltester."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThreadPool
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from models.operations import (
    OpenedDatabase,
    TrialListEntry,
    list_trial_entries,
    list_trials,
    open_database,
)
from ui.main_window import MainWindow
from ui.trial_list_model import COLUMN_HEADERS, TrialListModel, TrialRow


@pytest.fixture
def database(tmp_path: Path) -> Iterator[OpenedDatabase]:
    opened = open_database(f"sqlite:///{tmp_path / 'ui.sqlite3'}")
    yield opened
    opened.engine.dispose()


# The offscreen platform plugin warns that it cannot resize to size hints or raise; harmless here.
@pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", "This plugin does not support raise"
)
def test_window_starts_and_shows_the_trials(qtbot: QtBot, database: OpenedDatabase) -> None:
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    window = MainWindow(database.session_factory, db_pool=pool)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)

    assert window.windowTitle() == "TrialMatch"
    qtbot.waitUntil(lambda: window.trial_count_label.text() == "5 trials in the database")
    # The trial list lives in Trials > Browse (Ctrl+F).
    browser = window.open_browser()
    qtbot.waitUntil(lambda: browser.model.rowCount() == 5)
    model = browser.table.model()
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)] == list(
        COLUMN_HEADERS
    )
    titles = {model.index(row, 0).data() for row in range(model.rowCount())}
    assert (
        "An Exploratory Clinical Study of SCAR02 Targeting BCMA and CD19 for the Treatment of "
        "Refractory Autoimmune Diseases"
    ) in titles
    scar02_row = next(
        row for row in range(5) if browser.model.row_at(row).trial_id == "NCT06503224"
    )
    assert model.index(scar02_row, 1).data() == "Recruiting"
    assert model.index(scar02_row, 4).data() == 1
    browser.close()
    assert pool.waitForDone(20_000)


def test_trial_list_model_passes_qtmodeltester(
    qtmodeltester: ModelTester, database: OpenedDatabase
) -> None:
    model = TrialListModel()
    qtmodeltester.check(model)

    rows = [TrialRow.from_entry(trial) for trial in list_trial_entries(database.session_factory)]
    model.set_rows(rows)
    qtmodeltester.check(model)
    assert model.rowCount() == 5


def test_row_shows_missing_values_as_not_given_and_translates_registry_words() -> None:
    entry = TrialListEntry(
        trial_id="LOCAL-0123456789",
        nct_id=None,
        title=None,
        overall_status=None,
        phases=(),
        conditions=(),
        countries=(),
        site_count=0,
    )
    row = TrialRow.from_entry(entry)
    assert (row.title, row.status, row.phase, row.conditions, row.site_count) == (
        "(the record has no title)",
        "not given",
        "not given",
        "not given",
        0,
    )
    registry_words = replace(
        entry, overall_status="NOT_YET_RECRUITING", phases=("PHASE1", "PHASE2", "PHASE9")
    )
    row = TrialRow.from_entry(registry_words)
    assert row.status == "Not yet recruiting"
    assert row.phase == "Phase 1 / Phase 2 / PHASE9"


@pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", "This plugin does not support raise"
)
def test_the_status_bar_counts_the_trials_without_reading_them(
    qtbot: QtBot, database: OpenedDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    import models.operations

    read: list[str] = []
    # Reading every trial to count them took 105 s and 5.8 GB at 100,000 trials.
    monkeypatch.setattr(
        models.operations, "find_all_trials", lambda *_args: read.append("every trial") or ()
    )
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    window = MainWindow(database.session_factory, db_pool=pool)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.trial_count_label.text() == "5 trials in the database")
    assert read == []


def test_the_browser_list_says_what_the_full_summaries_say(database: OpenedDatabase) -> None:
    """The browser's narrow list (no sites or contacts) agrees with the full summaries."""
    entries = list_trial_entries(database.session_factory)
    summaries = list_trials(database.session_factory)
    assert [
        (
            e.trial_id,
            e.nct_id,
            e.title,
            e.overall_status,
            e.phases,
            e.conditions,
            e.countries,
            e.site_count,
        )
        for e in entries
    ] == [
        (
            s.trial_id,
            s.nct_id,
            s.title,
            s.overall_status,
            s.phases,
            s.conditions,
            tuple(sorted({site.country for site in s.sites if site.country})),
            len(s.sites),
        )
        for s in summaries
    ]
    assert any(entry.countries for entry in entries)
