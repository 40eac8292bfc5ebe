"""At 1366x768 the ranked-trials table shows every column without a sideways scroll.

Where the ask-next list takes part of the pane, the title and site keep a readable width.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from engine.profile import PatientProfile
from ui.results.results_panel import SHORT_COLUMNS, SITE_MINIMUM_WIDTH, TITLE_MINIMUM_WIDTH
from ui.results.results_table_model import SITE_COLUMN, TRIAL_COLUMN

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _shown_at_1366x768(
    qtbot: QtBot, window_at_1366x768: Callable[[PatientProfile], Any], profile: PatientProfile
) -> Any:
    panel = window_at_1366x768(profile).results_panel
    assert panel.model.rowCount() == 5
    qtbot.waitUntil(lambda: panel.table.horizontalHeader().length() > 0)
    return panel


def _assert_short_columns_are_not_cut(table: Any) -> None:
    # Each short column is as wide as its widest cell and its header.
    header = table.horizontalHeader()
    for column in SHORT_COLUMNS:
        needed = max(table.sizeHintForColumn(column), header.sectionSizeHint(column))
        assert table.columnWidth(column) >= needed, table.model().headers[column]


@pytest.mark.parametrize("patient", ["adult_refractory_sle", "low_anc_sle"])
def test_results_table_fits_its_pane_at_1366x768(
    qtbot: QtBot,
    window_at_1366x768: Callable[[PatientProfile], Any],
    golden_profile: Callable[[str], PatientProfile],
    patient: str,
) -> None:
    panel = _shown_at_1366x768(qtbot, window_at_1366x768, golden_profile(patient))
    table = panel.table
    model = panel.model
    # These patients leave nothing to ask, so the table has the whole pane.
    assert not panel.ask_next_box.isVisible()

    def columns_fit() -> None:
        widths = [table.columnWidth(column) for column in range(model.columnCount())]
        assert sum(widths) <= table.viewport().width()
        assert table.horizontalScrollBar().maximum() == 0

    # The window settles its layout in a few passes (the form fits its width, the viewport
    # resizes, the columns follow): on a busy machine the check may come between two of them.
    qtbot.waitUntil(columns_fit, timeout=3000)
    _assert_short_columns_are_not_cut(table)
    # The long texts keep a usable width, and what their cells elide is in the tooltip.
    assert table.columnWidth(TRIAL_COLUMN) >= TITLE_MINIMUM_WIDTH
    assert table.columnWidth(SITE_COLUMN) >= SITE_MINIMUM_WIDTH
    for row in range(model.rowCount()):
        shown = model.row_at(row)
        title = model.index(row, TRIAL_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
        assert title == f"{shown.trial_id}: {shown.title}"
        site = model.index(row, SITE_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
        assert shown.nearest_site in site or "no recruiting site" in site


def test_beside_the_ask_next_list_title_and_site_keep_a_readable_width(
    qtbot: QtBot,
    window_at_1366x768: Callable[[PatientProfile], Any],
    golden_profile: Callable[[str], PatientProfile],
) -> None:
    panel = _shown_at_1366x768(qtbot, window_at_1366x768, golden_profile("missing_labs_sle"))
    table = panel.table
    assert panel.ask_next_box.isVisible()
    # Too narrow for every column: the title and site are not squeezed to "N…", the table
    # scrolls sideways instead.
    assert table.columnWidth(TRIAL_COLUMN) >= TITLE_MINIMUM_WIDTH
    assert table.columnWidth(SITE_COLUMN) >= SITE_MINIMUM_WIDTH
    _assert_short_columns_are_not_cut(table)
    assert table.horizontalScrollBar().maximum() > 0

    # Given the room back (the list hidden), the table fits again.
    panel.ask_next_box.setVisible(False)
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0)
    assert table.horizontalHeader().length() <= table.viewport().width()
