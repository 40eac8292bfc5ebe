"""At 1366x768 the ranked-trials table shows every column without a sideways scroll."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from engine.profile import PatientProfile
from ui.results.results_table_model import (
    COUNTS_COLUMN,
    DISTANCE_COLUMN,
    RULES_COLUMN,
    SITE_COLUMN,
    STATUS_COLUMN,
    TRIAL_COLUMN,
    VERDICT_COLUMN,
)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

SHORT_COLUMNS = (VERDICT_COLUMN, COUNTS_COLUMN, RULES_COLUMN, DISTANCE_COLUMN, STATUS_COLUMN)


@pytest.mark.parametrize("patient", ["adult_refractory_sle", "low_anc_sle"])
def test_results_table_fits_its_pane_at_1366x768(
    qtbot: QtBot,
    make_window: Callable[..., Any],
    golden_profile: Callable[[str], PatientProfile],
    patient: str,
) -> None:
    window = make_window()
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    generation = window._generation
    window.profile_panel.set_profile(golden_profile(patient))
    qtbot.waitUntil(lambda: window._generation > generation and not window.matching, timeout=15000)
    panel = window.results_panel
    table = panel.table
    model = panel.model
    assert model.rowCount() == 5
    # These patients leave nothing to ask, so the table has the whole pane.
    assert not panel.ask_next_box.isVisible()
    qtbot.waitUntil(lambda: table.horizontalHeader().length() > 0)

    widths = [table.columnWidth(column) for column in range(model.columnCount())]
    assert sum(widths) <= table.viewport().width()
    assert table.horizontalScrollBar().maximum() == 0
    # The short columns are not cut: each is as wide as its widest cell and its header.
    header = table.horizontalHeader()
    for column in SHORT_COLUMNS:
        needed = max(table.sizeHintForColumn(column), header.sectionSizeHint(column))
        assert table.columnWidth(column) >= needed, model.headers[column]
    # The long texts keep a usable width, and what their cells elide is in the tooltip.
    assert table.columnWidth(TRIAL_COLUMN) >= 100
    assert table.columnWidth(SITE_COLUMN) >= 100
    for row in range(model.rowCount()):
        shown = model.row_at(row)
        title = model.index(row, TRIAL_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
        assert title == f"{shown.trial_id}: {shown.title}"
        site = model.index(row, SITE_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
        assert shown.nearest_site in site or "no recruiting site" in site
