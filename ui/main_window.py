"""The main window: the patient form on the left; ranked trials and trial detail on the right."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QByteArray, QSettings, Qt, QThreadPool, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from engine.profile import PatientProfile
from models.database import SessionFactory
from models.importer import ImportReport
from models.matching import Matcher, MatchReport
from models.operations import list_trials
from models.settings import ClinicSettings
from ui.dialogs import ask_open_paths, show_error
from ui.patient_files import PatientFileController
from ui.profile.profile_panel import ProfilePanel
from ui.results.results_panel import ResultsPanel
from ui.results.trial_detail_panel import TrialDetailPanel
from ui.trials.import_dialog import ImportController
from ui.trials.trial_editor_dialog import TrialEditorDialog
from ui.trials.trials_browser_dialog import TrialsBrowserDialog
from ui.workers import JobRunner, make_database_pool

WINDOW_TITLE = "TrialMatch"
MATCH_DELAY_MS = 300
INTENDED_USE = (
    "<p><b>TrialMatch</b> helps a physician find clinical trials a patient might join and write "
    "the referral letter.</p>"
    "<p><b>Intended use:</b> decision support for physicians and research coordinators. It "
    "pre-screens one patient's data against each trial's published eligibility criteria and "
    "shows the basis of every verdict: the criterion's text, the rule, the patient's value with "
    "its date and the threshold.</p>"
    "<p><b>It does not decide eligibility.</b> The study team decides, after its own screening. "
    "Missing data is shown as unknown, never as met. Rules marked automatic were read from the "
    "registry text by a parser and no person has checked them.</p>"
)


class ProfileSource(Protocol):
    """What the window needs of the patient form (ui.profile.profile_panel.ProfilePanel)."""

    def current_profile(self) -> PatientProfile | None: ...
    def set_profile(self, profile: PatientProfile) -> None: ...
    def focus_field(self, fact_name: str) -> bool: ...


class MatchService:
    """Owns the Matcher; only ever called on the single database thread, so never concurrently."""

    def __init__(
        self,
        session_factory: SessionFactory,
        settings: ClinicSettings,
        matcher_factory: Callable[[SessionFactory, ClinicSettings], Any],
    ) -> None:
        self._session_factory = session_factory
        self._settings = settings
        self._matcher_factory = matcher_factory
        self._matcher: Any = None

    def match(
        self, profile: PatientProfile, screening_date: dt.date, include_closed: bool
    ) -> MatchReport:
        if self._matcher is None:
            self._matcher = self._matcher_factory(self._session_factory, self._settings)
        report: MatchReport = self._matcher.match(
            profile, screening_date=screening_date, include_closed=include_closed
        )
        return report


class MainWindow(QMainWindow):
    """The application window; its dependencies come in through the constructor.

    Args:
        session_factory: the database.
        settings: the clinic settings (location for distances, lab ULNs).
        database_label: how the status bar names the database in use.
        db_pool: the one pool for database work (a single thread); tests pass a private one.
        matcher_factory: builds the Matcher (tests may pass a slower or failing one).
        today: the screening date when the profile gives none (tests pin it).
        qsettings: where window geometry and splitter positions are kept.
    """

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        settings: ClinicSettings | None = None,
        database_label: str = "",
        db_pool: QThreadPool | None = None,
        matcher_factory: Callable[[SessionFactory, ClinicSettings], Any] = Matcher,
        today: Callable[[], dt.date] = dt.date.today,
        qsettings: QSettings | None = None,
        recovery_dir: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._session_factory = session_factory
        self.settings = settings or ClinicSettings()
        self._matcher_factory = matcher_factory
        self._today = today
        self._qsettings = qsettings if qsettings is not None else QSettings()
        self.runner = JobRunner(db_pool if db_pool is not None else make_database_pool(self), self)
        self._service = MatchService(session_factory, self.settings, matcher_factory)
        self._generation = 0
        self._match_running = False
        self._rematch_pending = False
        self.report: MatchReport | None = None
        self._browser: TrialsBrowserDialog | None = None
        self._import = ImportController(self, session_factory, self.runner, self._on_imported)
        self.setWindowTitle(WINDOW_TITLE)

        self.profile_panel = ProfilePanel()
        self.profile_panel.setAccessibleName("Patient profile")
        self.patient_files = PatientFileController(
            self.profile_panel, self, self._qsettings, recovery_dir
        )
        self.results_panel = ResultsPanel()
        self.detail_panel = TrialDetailPanel()

        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        self.right_splitter.setObjectName("resultsDetailSplitter")
        self.right_splitter.addWidget(self.results_panel)
        self.right_splitter.addWidget(self.detail_panel)
        self.right_splitter.setStretchFactor(0, 2)
        self.right_splitter.setStretchFactor(1, 3)
        self.right_splitter.setChildrenCollapsible(False)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.right_splitter)

        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.setObjectName("formResultsSplitter")
        self.main_splitter.addWidget(self.profile_panel)
        self.main_splitter.addWidget(right)
        self.main_splitter.setStretchFactor(0, 2)
        self.main_splitter.setStretchFactor(1, 3)
        self.main_splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.main_splitter)

        self.database_label = QLabel(f"Database: {database_label or 'in use'}")
        self.screening_label = QLabel()
        self.trial_count_label = QLabel()
        for label in (self.database_label, self.screening_label, self.trial_count_label):
            self.statusBar().addPermanentWidget(label)
        self._update_screening_label(None)

        self._match_timer = QTimer(self)
        self._match_timer.setSingleShot(True)
        self._match_timer.setInterval(MATCH_DELAY_MS)
        self._match_timer.timeout.connect(self._on_match_timer_timeout)

        self.profile_panel.profile_changed.connect(self._on_profile_panel_profile_changed)
        self.results_panel.include_closed_changed.connect(self._on_results_include_closed_changed)
        self.results_panel.trial_selected.connect(self._on_results_trial_selected)
        self.results_panel.selection_cleared.connect(self._on_results_selection_cleared)
        self.results_panel.ask_next_requested.connect(self._on_results_ask_next_requested)

        self._build_menus()
        self.setTabOrder(self.profile_panel, self.results_panel.show_closed_box)
        self.setTabOrder(self.results_panel.show_closed_box, self.results_panel.table)
        self.setTabOrder(self.results_panel.table, self.results_panel.ask_next_view)
        self.setTabOrder(self.results_panel.ask_next_view, self.detail_panel)
        self.resize(1366, 768)
        self._restore_layout()
        self.refresh_trial_count()
        if self.profile_panel.current_profile() is not None:
            self.schedule_match()

    # Menus

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        files = self.patient_files
        for action in (files.new_action, files.open_action):
            file_menu.addAction(action)
        file_menu.addMenu(files.recent_menu)
        file_menu.addAction(files.save_action)
        file_menu.addAction(files.save_as_action)
        self.patient_actions_anchor = file_menu.addSeparator()
        self.export_action = QAction("&Export letter…", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.print_action = QAction("&Print…", self)
        self.print_action.setShortcut(QKeySequence.StandardKey.Print)
        for action in (self.export_action, self.print_action):
            action.setEnabled(False)
            file_menu.addAction(action)
        file_menu.addSeparator()
        self.settings_action = QAction("Se&ttings…", self)
        self.settings_action.triggered.connect(self._on_settings_action_triggered)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)

        trials_menu = self.menuBar().addMenu("&Trials")
        self.browse_action = QAction("&Browse trials…", self)
        self.browse_action.setShortcut(QKeySequence.StandardKey.Find)
        self.browse_action.setStatusTip("Search the trials in the database (Ctrl+F)")
        self.browse_action.triggered.connect(self._on_browse_action_triggered)
        self.import_action = QAction("&Import…", self)
        self.import_action.setStatusTip("Import ClinicalTrials.gov records (JSON or zip)")
        self.import_action.triggered.connect(self._on_import_action_triggered)
        trials_menu.addAction(self.browse_action)
        trials_menu.addAction(self.import_action)

        help_menu = self.menuBar().addMenu("&Help")
        self.about_action = QAction("&About TrialMatch", self)
        self.about_action.triggered.connect(self._on_about_action_triggered)
        help_menu.addAction(self.about_action)

    # Matching

    def current_screening_date(self, profile: PatientProfile | None) -> dt.date:
        if profile is not None and profile.screening_date is not None:
            return profile.screening_date
        return self._today()

    def schedule_match(self) -> None:
        """Match again ~300 ms after the last change (typing restarts the wait)."""
        self.results_panel.set_busy(True)
        self._match_timer.start()

    @property
    def matching(self) -> bool:
        return self._match_timer.isActive() or self._match_running

    def _start_match(self) -> None:
        profile = self.profile_panel.current_profile()
        self._update_screening_label(profile)
        if profile is None:
            self._generation += 1
            self.report = None
            self.results_panel.set_busy(False)
            self.results_panel.show_message(
                "Enter the patient's data on the left; matching trials appear here."
            )
            self.detail_panel.clear_trial()
            return
        if self._match_running:
            # One match at a time; the newest profile is matched as soon as this one ends.
            self._rematch_pending = True
            return
        self._generation += 1
        generation = self._generation
        screening_date = self.current_screening_date(profile)
        include_closed = self.results_panel.include_closed
        service = self._service
        self._match_running = True
        self.results_panel.set_busy(True)
        self.runner.start(
            lambda: service.match(profile, screening_date, include_closed),
            lambda report: self._on_match_succeeded(generation, report),
            lambda error: self._on_match_failed(generation, error),
            self._on_match_finished,
        )

    def _on_match_succeeded(self, generation: int, report: object) -> None:
        if generation != self._generation or not isinstance(report, MatchReport):
            return  # a newer profile has been matched or is being matched
        self.report = report
        self.results_panel.show_report(report)
        if report.problems:
            names = ", ".join(problem.trial_id for problem in report.problems)
            self.statusBar().showMessage(
                f"{len(report.problems)} trial(s) could not be evaluated: {names}", 15000
            )

    def _on_match_failed(self, generation: int, error: Exception) -> None:
        if generation != self._generation:
            return
        self.report = None
        self.results_panel.show_message(f"Matching failed: {error}")
        self.detail_panel.clear_trial()

    @Slot()
    def _on_match_finished(self) -> None:
        self._match_running = False
        if self._rematch_pending:
            self._rematch_pending = False
            self._start_match()
        else:
            self.results_panel.set_busy(self._match_timer.isActive())

    def _update_screening_label(self, profile: PatientProfile | None) -> None:
        date = self.current_screening_date(profile)
        self.screening_label.setText(f"Screening date: {date.isoformat()}")

    def reset_matcher(self) -> None:
        """Start from a fresh Matcher (settings changed) and match again."""
        self._service = MatchService(self._session_factory, self.settings, self._matcher_factory)
        self.schedule_match()

    def apply_settings(self, settings: ClinicSettings) -> None:
        self.settings = settings
        self.reset_matcher()

    @Slot(object)
    def _on_profile_panel_profile_changed(self, _profile: object) -> None:
        self.schedule_match()

    @Slot()
    def _on_match_timer_timeout(self) -> None:
        self._start_match()

    @Slot(bool)
    def _on_results_include_closed_changed(self, _checked: bool) -> None:
        self.schedule_match()

    # Results and detail

    def origin(self) -> tuple[float, float] | None:
        if self.settings.clinic_latitude is None or self.settings.clinic_longitude is None:
            return None
        return (self.settings.clinic_latitude, self.settings.clinic_longitude)

    @Slot(str)
    def _on_results_trial_selected(self, trial_id: str) -> None:
        match = self.report.find(trial_id) if self.report is not None else None
        if match is None:
            self.detail_panel.clear_trial()
        else:
            self.detail_panel.show_trial(match, self.origin())

    @Slot()
    def _on_results_selection_cleared(self) -> None:
        self.detail_panel.clear_trial()

    @Slot(str)
    def _on_results_ask_next_requested(self, fact: str) -> None:
        if not self.profile_panel.focus_field(fact):
            self.statusBar().showMessage(f"The form has no field for {fact}.", 5000)

    # Trials menu

    def refresh_trial_count(self) -> None:
        session_factory = self._session_factory
        self.runner.start(lambda: len(list_trials(session_factory)), self._on_trial_count_loaded)

    @Slot(object)
    def _on_trial_count_loaded(self, count: object) -> None:
        self.trial_count_label.setText(f"{count} trial{'s' if count != 1 else ''} in the database")

    def open_browser(self) -> TrialsBrowserDialog:
        if self._browser is None:
            self._browser = TrialsBrowserDialog(
                self._session_factory, self.runner, self.open_trial_editor, self
            )
        self._browser.show()
        self._browser.raise_()
        self._browser.activateWindow()
        self._browser.focus_search()
        return self._browser

    def open_trial_editor(self, trial_id: str) -> TrialEditorDialog:
        editor = TrialEditorDialog(
            self._session_factory, self.runner, trial_id, self._on_criteria_reviewed, self
        )
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.open()
        return editor

    def start_import(self, paths: list[Any]) -> bool:
        started = self._import.start(paths)
        self.import_action.setEnabled(not self._import.running)
        return started

    def _on_imported(self, report: ImportReport) -> None:
        self.import_action.setEnabled(True)
        self.refresh_trial_count()
        if self._browser is not None:
            self._browser.reload()
        if report.added or report.updated:
            self.schedule_match()

    def _on_criteria_reviewed(self, trial_id: str) -> None:
        self.statusBar().showMessage(f"Criteria of {trial_id} stored as reviewed.", 8000)
        if self._browser is not None:
            self._browser.reload()
        self.schedule_match()

    @Slot()
    def _on_browse_action_triggered(self) -> None:
        self.open_browser()

    @Slot()
    def _on_import_action_triggered(self) -> None:
        paths = ask_open_paths(self, "Import trial records", "")
        if paths:
            self.start_import(paths)

    @Slot()
    def _on_settings_action_triggered(self) -> None:
        try:
            from ui.settings_dialog import SettingsDialog
        except ImportError:
            show_error(self, "Settings", "The settings dialog is not part of this build.")
            return
        chosen = SettingsDialog.ask(self, self.settings)
        if chosen is not None:
            self.apply_settings(chosen)

    @Slot()
    def _on_about_action_triggered(self) -> None:
        QMessageBox.about(self, "About TrialMatch", INTENDED_USE)

    # Layout memory and closing

    def _restore_layout(self) -> None:
        for key, restore in (
            ("window/geometry", self.restoreGeometry),
            ("window/formResultsSplitter", self.main_splitter.restoreState),
            ("window/resultsDetailSplitter", self.right_splitter.restoreState),
            ("window/resultsSplitter", self.results_panel.splitter.restoreState),
        ):
            value = self._qsettings.value(key)
            if isinstance(value, QByteArray | bytes):
                restore(QByteArray(value))
        if self._qsettings.value("window/formResultsSplitter") is None:
            self.main_splitter.setSizes([430, 936])
            self.right_splitter.setSizes([300, 420])
            self.results_panel.splitter.setSizes([660, 230])

    def save_layout(self) -> None:
        self._qsettings.setValue("window/geometry", self.saveGeometry())
        self._qsettings.setValue("window/formResultsSplitter", self.main_splitter.saveState())
        self._qsettings.setValue("window/resultsDetailSplitter", self.right_splitter.saveState())
        self._qsettings.setValue("window/resultsSplitter", self.results_panel.splitter.saveState())
        self._qsettings.sync()

    @override
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.patient_files.maybe_close():
            event.ignore()
            return
        self._match_timer.stop()
        self.save_layout()
        event.accept()
