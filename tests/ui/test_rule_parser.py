"""The window stores the parser's reading of trials that have only their text, in the background."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from bench.generate import write_bulk_zip
from models.operations import OpenedDatabase, import_files
from models.parsed_rules import trials_without_rules

pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", "This plugin does not support raise"
)


@pytest.fixture
def window_with_waiting(
    make_window: Callable[..., Any], bundled_database: OpenedDatabase, tmp_path: Path
) -> Callable[[int], Any]:
    """A window shown over the bundled trials and ``count`` trials with only their text."""

    def make(count: int) -> Any:
        report = import_files(
            bundled_database.session_factory, [write_bulk_zip(tmp_path / "s.zip", count, 3)]
        )
        assert not report.failed
        assert len(trials_without_rules(bundled_database.session_factory)) == count
        window = make_window()
        window.show()
        return window

    return make


def test_a_window_stores_the_readings_left_waiting(
    qtbot: QtBot, window_with_waiting: Callable[[int], Any], bundled_database: OpenedDatabase
) -> None:
    window = window_with_waiting(60)
    with qtbot.waitSignal(window.rule_parser.stored, timeout=60_000) as stored:
        pass
    assert stored.args is not None
    assert stored.args[0].stored == 60
    assert trials_without_rules(bundled_database.session_factory) == []
    assert "Stored the parser's reading of 60 new trial(s)" in window.statusBar().currentMessage()
    assert not window.rule_parser.running


def test_closing_the_window_stops_after_the_batch_under_way(
    qtbot: QtBot, window_with_waiting: Callable[[int], Any], bundled_database: OpenedDatabase
) -> None:
    window = window_with_waiting(400)
    qtbot.waitUntil(lambda: window.rule_parser.running, timeout=10_000)
    qtbot.waitUntil(
        lambda: "Reading the criteria texts of new trials" in window.statusBar().currentMessage(),
        timeout=30_000,
    )
    window.close()
    # Stopped: what was stored stays, the rest waits for the next start.
    waiting = len(trials_without_rules(bundled_database.session_factory))
    assert 0 < waiting < 400
