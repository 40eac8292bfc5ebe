"""The trials browser over a whole registry: filtered once the typing pauses, rows made once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from bench.generate import write_bulk_zip
from models.operations import OpenedDatabase, import_files
from ui.trials.trials_browser_dialog import ROWS_FITTED_TO_TEXT

GENERATED = ROWS_FITTED_TO_TEXT + 100


@pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", "This plugin does not support raise"
)
def test_a_whole_registry_is_filtered_when_the_typing_pauses(
    qtbot: QtBot,
    make_window: Callable[..., Any],
    bundled_database: OpenedDatabase,
    tmp_path: Path,
) -> None:
    report = import_files(
        bundled_database.session_factory, [write_bulk_zip(tmp_path / "s.zip", GENERATED, 11)]
    )
    assert not report.failed
    total = GENERATED + 5
    window = make_window()
    window.show()
    browser = window.open_browser()
    qtbot.waitUntil(lambda: browser.model.rowCount() == total, timeout=20_000)
    wanted = browser.model.row_at(7).trial_id

    qtbot.keyClicks(browser.search_edit, wanted)
    # Not at every keystroke: the list is filtered once the typing pauses.
    assert browser.model.rowCount() == total
    qtbot.waitUntil(lambda: browser.model.rowCount() == 1)
    assert browser.model.row_at(0).trial_id == wanted
    assert browser.count_label.text() == f"1 of {total} trials shown"

    browser.search_edit.clear()
    qtbot.waitUntil(lambda: browser.model.rowCount() == total)
    browser.close()
