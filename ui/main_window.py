"""The main window: the patient form on the left; ranked trials and trial detail on the right."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QObject,
    QSettings,
    QStandardPaths,
    Qt,
    QThreadPool,
    QTimer,
    Slot,
)
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from engine.profile import PatientProfile
from models.database import SessionFactory
from models.importer import ImportReport
from models.letter import DEIDENTIFIED_MARK, LetterError, ReferralLetter, export_letter
from models.matching import Matcher, MatchReport
from models.operations import log_referral, trial_count
from models.parsed_rules import ParsedRulesReport, trials_without_rules
from models.referral import ReferralKind
from models.settings import ClinicSettings
from ui import dialogs
from ui.dialogs import ask_open_paths, show_error
from ui.export.pdf_report import render_referral_letter, warm_up
from ui.fhir_import_controller import FhirImportController
from ui.letter_dialog import LetterChoices, LetterDialog
from ui.patient_files import PatientFileController
from ui.printing import PrintError, print_pdf, write_letter_pdf
from ui.profile.profile_panel import ProfilePanel
from ui.referral_log_dialog import ReferralLogDialog
from ui.results.results_panel import ResultsPanel
from ui.results.trial_detail_panel import TrialDetailPanel
from ui.rule_parser import RuleParser
from ui.trials.import_dialog import ImportController
from ui.trials.trial_editor_dialog import TrialEditorDialog
from ui.trials.trials_browser_dialog import TrialsBrowserDialog
from ui.workers import JobRunner, make_database_pool

WINDOW_TITLE = "TrialMatch"
LAST_LETTER_FOLDER_KEY = "letter/lastFolder"
MATCH_DELAY_MS = 300
# ReportLab and the letter's fonts load this long after the window is first shown: late enough
# not to compete with the window's own first work, long before anyone can ask for a letter.
LETTER_WARM_UP_DELAY_MS = 2000
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
        self,
        profile: PatientProfile,
        screening_date: dt.date,
        include_closed: bool,
        all_conditions: bool = False,
    ) -> MatchReport:
        if self._matcher is None:
            self._matcher = self._matcher_factory(self._session_factory, self._settings)
        report: MatchReport = self._matcher.match(
            profile,
            screening_date=screening_date,
            include_closed=include_closed,
            all_conditions=all_conditions,
        )
        return report

    def preload(self) -> None:
        """Build the Matcher and let it read its catalogue before the first match asks."""
        if self._matcher is None:
            self._matcher = self._matcher_factory(self._session_factory, self._settings)
        preload = getattr(self._matcher, "preload", None)
        if callable(preload):
            preload()


def _warm_up_letter_renderer() -> None:
    # Only a head start: a failure here (a missing font file) recurs, and is reported, when
    # a letter is written.
    with contextlib.suppress(Exception):
        warm_up()


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
        self._session_screening_date: dt.date | None = None
        self._qsettings = qsettings if qsettings is not None else QSettings()
        self.runner = JobRunner(db_pool if db_pool is not None else make_database_pool(self), self)
        # Work that touches no database (the letter renderer's warm-up) runs here, never
        # queued behind a match; the pool waits for it when the window is destroyed.
        self.background_pool = QThreadPool(self)
        self.background_pool.setMaxThreadCount(1)
        self._service = MatchService(session_factory, self.settings, matcher_factory)
        self._generation = 0
        self._match_running = False
        self._rematch_pending = False
        self.report: MatchReport | None = None
        self._browser: TrialsBrowserDialog | None = None
        self._referral_log: ReferralLogDialog | None = None
        self._letter_progress: QProgressDialog | None = None
        self._letter_running = False
        self._recovery_offered = False
        # True while the form/results split is the app's own (none remembered, none dragged).
        self._auto_fit_form = False
        self._import = ImportController(self, session_factory, self.runner, self._on_imported)
        self.rule_parser = RuleParser(session_factory, self)
        self.rule_parser.status.connect(self.statusBar().showMessage)
        self.rule_parser.stored.connect(self._on_rules_stored)
        self.rule_parser.failed.connect(self._on_rules_failed)
        self.setWindowTitle(WINDOW_TITLE)

        self.profile_panel = ProfilePanel(settings=self.settings, today=today)
        self.profile_panel.setAccessibleName("Patient profile")
        self.patient_files = PatientFileController(
            self.profile_panel, self, self._qsettings, recovery_dir
        )
        self.fhir_import = FhirImportController(
            self.profile_panel,
            self.patient_files,
            self.runner,
            self,
            lambda text: self.statusBar().showMessage(text, 15000),
            today,
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

        right = self.results_side = QWidget()
        right.installEventFilter(self)
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
        self.main_splitter.splitterMoved.connect(self._on_main_splitter_moved)
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
        self.profile_panel.needed_width_changed.connect(self._on_form_needed_width_changed)
        self.results_panel.include_closed_changed.connect(self._on_results_include_closed_changed)
        self.results_panel.all_conditions_changed.connect(self._on_results_include_closed_changed)
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
        self._preload_matcher()
        self.store_waiting_rules()
        if self.profile_panel.current_profile() is not None:
            self.schedule_match()

    # Menus

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        files = self.patient_files
        for action in (files.new_action, files.open_action):
            file_menu.addAction(action)
        file_menu.addMenu(files.recent_menu)
        file_menu.addAction(self.fhir_import.import_action)
        file_menu.addAction(self.fhir_import.import_folder_action)
        file_menu.addAction(files.save_action)
        file_menu.addAction(files.save_as_action)
        self.patient_actions_anchor = file_menu.addSeparator()
        self.export_action = QAction("&Export letter…", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.print_action = QAction("&Print…", self)
        self.print_action.setShortcut(QKeySequence.StandardKey.Print)
        self.export_action.setStatusTip("Write the referral letter as a PDF (Ctrl+E)")
        self.print_action.setStatusTip("Print the referral letter")
        self.export_action.triggered.connect(self._on_export_action_triggered)
        self.print_action.triggered.connect(self._on_print_action_triggered)
        for action in (self.export_action, self.print_action):
            action.setEnabled(False)
            file_menu.addAction(action)
        self.referral_log_action = QAction("&Referral log…", self)
        self.referral_log_action.setStatusTip("The letters exported or printed, with CSV export")
        self.referral_log_action.triggered.connect(self._on_referral_log_action_triggered)
        file_menu.addAction(self.referral_log_action)
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
        """The profile's own screening date, else the session's (Settings), else today."""
        if profile is not None and profile.screening_date is not None:
            return profile.screening_date
        if self._session_screening_date is not None:
            return self._session_screening_date
        return self._today()

    def _preload_matcher(self) -> None:
        """Read the matcher's catalogue on the database thread while the physician types."""
        # A failure is left to the first match, which builds the Matcher again and shows it.
        self.runner.start(self._service.preload, lambda _result: None, lambda _error: None)

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
            self._update_letter_actions()
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
        all_conditions = self.results_panel.all_conditions
        service = self._service
        self._match_running = True
        self.results_panel.set_busy(True)
        self.runner.start(
            lambda: service.match(profile, screening_date, include_closed, all_conditions),
            lambda report: self._on_match_succeeded(generation, report),
            lambda error: self._on_match_failed(generation, error),
            self._on_match_finished,
        )

    def _on_match_succeeded(self, generation: int, report: object) -> None:
        if generation != self._generation or not isinstance(report, MatchReport):
            return  # a newer profile has been matched or is being matched
        self.report = report
        self._update_letter_actions()
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
        self._update_letter_actions()
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
        self._preload_matcher()
        self.schedule_match()

    def apply_settings(self, settings: ClinicSettings) -> None:
        self.settings = settings
        self.profile_panel.set_settings(settings)
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
        self.runner.start(lambda: trial_count(session_factory), self._on_trial_count_loaded)

    @Slot(object)
    def _on_trial_count_loaded(self, count: object) -> None:
        plural = "s" if count != 1 else ""
        self.trial_count_label.setText(f"{count:,} trial{plural} in the database")

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

    def store_waiting_rules(self) -> None:
        """Store the parser's reading of trials that have only their criteria text (after an
        import, or left by an earlier session), so that matches stop parsing them."""
        session_factory = self._session_factory
        self.runner.start(
            lambda: len(trials_without_rules(session_factory)), self._on_waiting_rules_counted
        )

    @Slot(object)
    def _on_waiting_rules_counted(self, count: object) -> None:
        if isinstance(count, int) and count > 0:
            self.rule_parser.start()

    @Slot(object)
    def _on_rules_stored(self, report: ParsedRulesReport) -> None:
        if report.stored:
            self.statusBar().showMessage(
                f"Stored the parser's reading of {report.stored:,} new trial(s) (unverified).",
                10_000,
            )
            self.schedule_match()

    @Slot(Exception)
    def _on_rules_failed(self, error: Exception) -> None:
        # Matches still parse the texts they need: nothing is lost, it is only slower.
        self.statusBar().showMessage(f"The criteria texts were not stored: {error}", 15_000)

    def _on_imported(self, report: ImportReport) -> None:
        self.import_action.setEnabled(True)
        self.refresh_trial_count()
        self.store_waiting_rules()
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
        chosen = SettingsDialog.ask(
            self, self.settings, screening_date=self.current_screening_date(None)
        )
        if chosen is not None:
            # The screening date is this session's, not a saved setting (it defaults to today).
            self._session_screening_date = (
                None if chosen.screening_date == self._today() else chosen.screening_date
            )
            self._update_screening_label(self.profile_panel.current_profile())
            self.apply_settings(chosen.settings)

    @Slot()
    def _on_about_action_triggered(self) -> None:
        QMessageBox.about(self, "About TrialMatch", INTENDED_USE)

    # Referral letter: export, print, the referral log

    def _update_letter_actions(self) -> None:
        available = self.report is not None and bool(self.report.trials)
        enabled = available and not self._letter_running
        self.export_action.setEnabled(enabled)
        self.print_action.setEnabled(enabled)

    def _suggested_letter_path(self) -> Path:
        folder = self._qsettings.value(LAST_LETTER_FOLDER_KEY)
        if not isinstance(folder, str) or not Path(folder).is_dir():
            documents = QStandardPaths.writableLocation(
                QStandardPaths.StandardLocation.DocumentsLocation
            )
            folder = documents or str(Path.home())
        return Path(folder) / f"referral-{self._today().isoformat()}.pdf"

    def _begin_letter_job(self, text: str) -> None:
        self._letter_running = True
        self._update_letter_actions()
        progress = QProgressDialog(text, "", 0, 0, self)
        progress.setWindowTitle("Referral letter")
        progress.setCancelButton(None)  # writing a PDF cannot be interrupted halfway
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.show()
        self._letter_progress = progress

    def _end_letter_job(self) -> None:
        if self._letter_progress is not None:
            self._letter_progress.close()
            self._letter_progress.deleteLater()
            self._letter_progress = None
        self._letter_running = False
        self._update_letter_actions()

    def export_letter_to(self, report: MatchReport, choices: LetterChoices, path: Path) -> None:
        """Write the letter to ``path`` and log it, in the database worker."""
        session_factory = self._session_factory
        settings = self.settings
        self._qsettings.setValue(LAST_LETTER_FOLDER_KEY, str(path.parent))
        self._begin_letter_job("Writing the referral letter…")
        self.runner.start(
            lambda: export_letter(
                session_factory,
                report,
                settings,
                choices.trial_ids,
                path,
                choices.deidentified,
                choices.physician,
                render=render_referral_letter,
            ),
            lambda _path: self._on_letter_exported(path, choices),
            lambda error: self._on_letter_failed(path, error),
            self._end_letter_job,
        )

    def _on_letter_exported(self, path: Path, choices: LetterChoices) -> None:
        kind = "de-identified summary" if choices.deidentified else "referral letter"
        self.statusBar().showMessage(
            f"Wrote the {kind} {path} for {len(choices.trial_ids)} trial(s); "
            "logged in the referral log.",
            15000,
        )
        if dialogs.ask_yes_no(
            self,
            "Referral letter written",
            f"The {kind} was written to {path}.\n\nOpen it now?",
            "Open",
            "Close",
        ) and not dialogs.open_externally(path):
            dialogs.show_error(self, "Referral letter", f"No program opened {path}.")

    def _on_letter_failed(self, path: Path | None, error: Exception) -> None:
        if isinstance(error, LetterError):
            text = f"The letter was not written: {error}."
        elif isinstance(error, OSError):
            where = path if path is not None else "a temporary file"
            text = f"{where} could not be written ({error.strerror or error})."
        else:
            text = f"The letter could not be produced: {error}"
        dialogs.show_error(self, "Referral letter", text)

    def print_letter(self, report: MatchReport, choices: LetterChoices) -> None:
        """Write the letter to a temporary PDF in a worker, then print it and log it."""
        handle, name = tempfile.mkstemp(prefix="trialmatch-letter-", suffix=".pdf")
        os.close(handle)
        pdf_path = Path(name)
        settings = self.settings
        self._begin_letter_job("Preparing the referral letter for printing…")
        self.runner.start(
            lambda: write_letter_pdf(
                report,
                settings,
                choices.trial_ids,
                pdf_path,
                deidentified=choices.deidentified,
                physician=choices.physician,
            ),
            lambda letter: self._on_letter_ready_to_print(pdf_path, letter),
            lambda error: self._on_print_preparation_failed(pdf_path, error),
            self._end_letter_job,
        )

    def _on_print_preparation_failed(self, pdf_path: Path, error: Exception) -> None:
        pdf_path.unlink(missing_ok=True)
        self._on_letter_failed(None, error)

    def _on_letter_ready_to_print(self, pdf_path: Path, letter: object) -> None:
        # The temporary PDF holds patient data: it is removed whatever happens below.
        try:
            if not isinstance(letter, ReferralLetter):
                return
            if self._letter_progress is not None:
                self._letter_progress.hide()
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            if not dialogs.ask_printer(self, printer):
                self.statusBar().showMessage("Printing cancelled; nothing was logged.", 8000)
                return
            try:
                pages = print_pdf(pdf_path, printer)
            except PrintError as error:
                dialogs.show_error(self, "Print", f"The letter was not printed: {error}")
                return
        finally:
            pdf_path.unlink(missing_ok=True)
        self._log_printed_letter(letter, pages)

    def _log_printed_letter(self, letter: ReferralLetter, pages: int) -> None:
        session_factory = self._session_factory
        # Logged like models.letter.export_letter logs an exported letter, with kind "print".
        identifier = letter.patient_identifier + (DEIDENTIFIED_MARK if letter.deidentified else "")
        self.runner.start(
            lambda: log_referral(
                session_factory,
                trial_ids=[trial.trial_id for trial in letter.trials],
                patient_identifier=identifier,
                physician=letter.signature.physician,
                kind=ReferralKind.PRINT,
                file_name=None,
                now=letter.generated_at,
            ),
            lambda _record: self.statusBar().showMessage(
                f"Sent {pages} page(s) to the printer; logged in the referral log.", 15000
            ),
            lambda error: dialogs.show_error(
                self,
                "Referral log",
                f"The letter was printed but could not be recorded in the referral log: {error}",
            ),
        )

    def open_referral_log(self) -> ReferralLogDialog:
        if self._referral_log is None:
            self._referral_log = ReferralLogDialog(self._session_factory, self.runner, self)
        else:
            self._referral_log.reload()
        self._referral_log.show()
        self._referral_log.raise_()
        self._referral_log.activateWindow()
        return self._referral_log

    @Slot()
    def _on_export_action_triggered(self) -> None:
        report = self.report
        if report is None or not report.trials or self._letter_running:
            return
        choices = LetterDialog.ask(self, report, self.settings)
        if choices is None:
            return
        path = dialogs.ask_save_path(
            self,
            "Export referral letter",
            str(self._suggested_letter_path()),
            dialogs.PDF_FILE_FILTER,
        )
        if path is None:
            return
        self.export_letter_to(report, choices, path if path.suffix else path.with_suffix(".pdf"))

    @Slot()
    def _on_print_action_triggered(self) -> None:
        report = self.report
        if report is None or not report.trials or self._letter_running:
            return
        choices = LetterDialog.ask(self, report, self.settings)
        if choices is not None:
            self.print_letter(report, choices)

    @Slot()
    def _on_referral_log_action_triggered(self) -> None:
        self.open_referral_log()

    # Crash recovery

    @override
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._recovery_offered:
            self._recovery_offered = True
            QTimer.singleShot(0, self._fit_form_width)
            # After the window is on screen, so the question has a window to belong to.
            QTimer.singleShot(0, self._offer_recovery)
            QTimer.singleShot(LETTER_WARM_UP_DELAY_MS, self._warm_up_letter)

    @Slot()
    def _warm_up_letter(self) -> None:
        self.background_pool.start(_warm_up_letter_renderer)

    def _offer_recovery(self) -> None:
        if self.patient_files.offer_recovery():
            self.statusBar().showMessage("Restored the unsaved patient profile.", 10000)

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
            # The form's rows need ~630 px to show value, unit, date and ULN without scrolling;
            # the split follows what they really need until the user drags it (_fit_form_width).
            self._auto_fit_form = True
            self.main_splitter.setSizes([650, 716])
            self.right_splitter.setSizes([300, 420])
            self.results_panel.splitter.setSizes([660, 230])

    def _fit_form_width(self, needed: int | None = None) -> None:
        """Widen the form to what its rows need, taking the room from the results.

        The splitter shares a resize by its stretch factors, which left the form narrower than
        its rows at 1366x768 (dates and buttons cut off behind a sideways scroll bar). Called at
        the first show and whenever the rows need more; the results keep their own minimum.
        """
        if not self._auto_fit_form:
            return
        sizes = self.main_splitter.sizes()
        total = sum(sizes)
        wanted = self.profile_panel.needed_width() if needed is None else needed
        room = total - self.results_side.minimumSizeHint().width()
        form = min(wanted, max(room, 0))
        if total > 0 and form > sizes[0]:
            self.main_splitter.setSizes([form, total - form])

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.results_side and event.type() == QEvent.Type.LayoutRequest:
            # The results' minimum width changes with what they show (rows, ask-next list);
            # once it has settled, the form may take back the room it needs.
            QTimer.singleShot(0, self._fit_form_width)
        return super().eventFilter(watched, event)

    @Slot(int, int)
    def _on_main_splitter_moved(self, _position: int, _index: int) -> None:
        self._auto_fit_form = False  # the user's split is kept from now on

    @Slot(int)
    def _on_form_needed_width_changed(self, needed: int) -> None:
        if self.isVisible():
            self._fit_form_width(needed)

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
        self.rule_parser.stop()
        self.save_layout()
        event.accept()
