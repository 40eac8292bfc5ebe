"""QApplication creation and the window's event loop."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QApplication

from models.database import SessionFactory
from models.settings import ClinicSettings, SettingsError, load_settings
from ui.dialogs import show_error
from ui.main_window import MainWindow

APPLICATION_NAME = "TrialMatch"


def create_application(argv: Sequence[str]) -> QApplication:
    """The process's QApplication (the existing one if there is one, as under pytest-qt)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    application = QApplication(list(argv))
    application.setApplicationName(APPLICATION_NAME)
    application.setApplicationDisplayName(APPLICATION_NAME)
    return application


def run_window(session_factory: SessionFactory, argv: Sequence[str]) -> int:
    """Show the main window and run until it closes; the exit status of the event loop."""
    application = create_application(argv)
    try:
        settings = load_settings()
        problem = None
    except SettingsError as error:
        # A broken settings file must not keep the physician out: start with none set, say so.
        settings, problem = ClinicSettings(), str(error)
    window = MainWindow(session_factory, settings=settings)
    window.show()
    if problem is not None:
        show_error(window, "Settings", f"The clinic settings could not be read: {problem}")
    return application.exec()
