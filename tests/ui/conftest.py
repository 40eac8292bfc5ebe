"""Fixtures for the window tests: a database with the bundled trials, a private pool, the window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, QThreadPool
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from engine.profile import PatientProfile
from models.operations import OpenedDatabase, open_database
from models.profile_io import load_profile

GOLDEN = Path(__file__).parents[1] / "golden"
SCREENING_DATE = dt.date(2026, 11, 23)


@pytest.fixture
def bundled_database(tmp_path: Path) -> Iterator[OpenedDatabase]:
    """A fresh database holding the five bundled trials."""
    opened = open_database(f"sqlite:///{tmp_path / 'window.sqlite3'}")
    yield opened
    opened.engine.dispose()


@pytest.fixture
def db_pool() -> Iterator[QThreadPool]:
    """A private one-thread pool; teardown waits for every job so none outlives the test."""
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    yield pool
    assert pool.waitForDone(20_000), "a background job was still running after the test"
    QApplication.processEvents()


@pytest.fixture
def window_settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def golden_profile() -> Callable[[str], PatientProfile]:
    def load(name: str) -> PatientProfile:
        return load_profile(GOLDEN / f"{name}.json", today=SCREENING_DATE)

    return load


@pytest.fixture
def make_window(
    qtbot: QtBot,
    bundled_database: OpenedDatabase,
    db_pool: QThreadPool,
    window_settings: QSettings,
) -> Iterator[Callable[..., object]]:
    """Builds the real MainWindow on the test database with the private pool."""
    from ui.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(**overrides: object) -> MainWindow:
        options: dict[str, object] = {
            "database_label": "test.sqlite3",
            "db_pool": db_pool,
            "today": lambda: SCREENING_DATE,
            "qsettings": window_settings,
            "recovery_dir": Path(window_settings.fileName()).with_suffix(".recovery"),
        }
        options.update(overrides)
        window = MainWindow(bundled_database.session_factory, **options)  # type: ignore[arg-type]
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    db_pool.waitForDone(20_000)
    QApplication.processEvents()


@pytest.fixture
def window_at_1366x768(
    qtbot: QtBot, make_window: Callable[..., Any]
) -> Callable[[PatientProfile], Any]:
    """A window shown at a clinic workstation's 1366x768 with ``profile`` matched."""

    def show(profile: PatientProfile) -> Any:
        window = make_window()
        window.resize(1366, 768)
        window.show()
        qtbot.waitExposed(window)
        generation = window._generation
        window.profile_panel.set_profile(profile)
        qtbot.waitUntil(
            lambda: window._generation > generation and not window.matching, timeout=15000
        )
        return window

    return show
