"""At 1366x768 the profile form keeps the width its rows need; a split the user drags is kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from engine.profile import PatientProfile

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _form_fits(window: Any) -> bool:
    area = window.profile_panel.scroll_area
    return bool(
        area.viewport().width() >= window.profile_panel.content_widget.minimumSizeHint().width()
    )


@pytest.fixture
def fitted_window(
    qtbot: QtBot,
    window_at_1366x768: Callable[[PatientProfile], Any],
    golden_profile: Callable[[str], PatientProfile],
) -> Any:
    """The window at 1366x768 with the adult SLE patient, once its form has taken its width."""
    window = window_at_1366x768(golden_profile("adult_refractory_sle"))
    qtbot.waitUntil(lambda: _form_fits(window))
    return window


def test_the_form_shows_its_rows_whole_beside_the_results(fitted_window: Any) -> None:
    # Dates and the "Remove diagnosis" button were cut off behind a sideways scroll bar.
    assert fitted_window.profile_panel.scroll_area.horizontalScrollBar().maximum() == 0
    assert fitted_window.width() == 1366  # the room came from the results, not a wider window


def test_a_split_the_user_drags_is_not_undone(
    qtbot: QtBot, fitted_window: Any, golden_profile: Callable[[str], PatientProfile]
) -> None:
    window = fitted_window
    splitter = window.main_splitter
    total = sum(splitter.sizes())
    # What a drag of the handle does: move it, and the splitter says so.
    splitter.setSizes([400, total - 400])
    splitter.splitterMoved.emit(400, 1)
    window.profile_panel.set_profile(golden_profile("low_anc_sle"))
    qtbot.waitUntil(lambda: not window.matching, timeout=15000)
    qtbot.wait(50)
    assert splitter.sizes()[0] == 400
