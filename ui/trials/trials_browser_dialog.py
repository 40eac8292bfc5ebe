"""Browse the trial database: search condition, title or id; filter by status, phase, country."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelection, Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from models.database import SessionFactory
from models.operations import TrialDetail, TrialListEntry, get_trial, list_trial_entries
from ui.results.detail_html import summary_html
from ui.results.results_panel import RESIZE_SAMPLE_ROWS
from ui.trial_list_model import PHASE_LABELS, STATUS_LABELS, TrialListModel, TrialRow
from ui.trials.trial_filter import TrialFilter, filter_choices, search_text
from ui.workers import JobRunner

ALL = "All"
# Up to this many rows shown, each row is as tall as its wrapped title.
ROWS_FITTED_TO_TEXT = 500
# With more trials than that, the list is filtered this long after the last keystroke.
FILTER_PAUSE_MS = 250


class TrialsBrowserDialog(QDialog):
    """A non-modal window over the trial database; Review criteria… opens the trial editor."""

    def __init__(
        self,
        session_factory: SessionFactory,
        runner: JobRunner,
        open_editor: Callable[[str], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Trials in the database")
        self._session_factory = session_factory
        self._runner = runner
        self._open_editor = open_editor
        self._trials: list[TrialListEntry] = []
        # Each trial's row, made once per load (index for index with _trials), not per keystroke.
        self._rows: list[TrialRow] = []
        self._searched: list[str] = []
        self._shown: list[TrialListEntry] = []
        self._detail_generation = 0

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Condition, title words or trial id (NCT…)")
        self.search_edit.setAccessibleName("Search trials")
        self.search_edit.setClearButtonEnabled(True)
        self.status_combo = QComboBox()
        self.status_combo.setAccessibleName("Status filter")
        self.phase_combo = QComboBox()
        self.phase_combo.setAccessibleName("Phase filter")
        self.country_combo = QComboBox()
        self.country_combo.setAccessibleName("Country filter")
        self.count_label = QLabel()
        self.count_label.setAccessibleName("Trials shown")

        self.model = TrialListModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Trials")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # Sized from the rows in view and a sample, not from the first 1,000 at every layout.
        header.setResizeContentsPrecision(RESIZE_SAMPLE_ROWS)
        self.summary_view = QTextBrowser()
        self.summary_view.setAccessibleName("Trial summary")
        self.summary_view.setOpenExternalLinks(True)
        self.review_button = QPushButton("&Review criteria…")
        self.review_button.setToolTip("Check the rules read from this trial's criteria text")
        self.review_button.setEnabled(False)
        self.close_button = QPushButton("Close")

        filters = QFormLayout()
        filters.addRow("&Search:", self.search_edit)
        row = QHBoxLayout()
        for label, combo in (
            ("S&tatus:", self.status_combo),
            ("&Phase:", self.phase_combo),
            ("C&ountry:", self.country_combo),
        ):
            caption = QLabel(label)
            caption.setBuddy(combo)
            row.addWidget(caption)
            row.addWidget(combo, 1)
        filters.addRow(row)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.summary_view)
        splitter.setSizes([320, 260])

        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label)
        buttons.addStretch(1)
        buttons.addWidget(self.review_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.resize(1000, 680)

        self._filter_pause = QTimer(self)
        self._filter_pause.setSingleShot(True)
        self._filter_pause.setInterval(FILTER_PAUSE_MS)
        self._filter_pause.timeout.connect(self._apply_filter)
        self.search_edit.textChanged.connect(self._on_filter_changed)
        for combo in (self.status_combo, self.phase_combo, self.country_combo):
            combo.currentIndexChanged.connect(self._on_filter_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.table.doubleClicked.connect(self._on_review_button_clicked)
        self.review_button.clicked.connect(self._on_review_button_clicked)
        self.close_button.clicked.connect(self.close)
        self.reload()

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def reload(self) -> None:
        """Read the trial list again (after an import or a review)."""
        session_factory = self._session_factory
        self._runner.start(lambda: list_trial_entries(session_factory), self._on_trials_loaded)

    def current_filter(self) -> TrialFilter:
        return TrialFilter(
            text=self.search_edit.text(),
            status=self.status_combo.currentData(),
            phase=self.phase_combo.currentData(),
            country=self.country_combo.currentData(),
        )

    def selected_trial_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self._shown[rows[0].row()].trial_id if rows else None

    def _fill_combo(self, combo: QComboBox, values: list[str], labels: dict[str, str]) -> None:
        chosen = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(ALL, None)
        for value in values:
            combo.addItem(labels.get(value, value), value)
        index = combo.findData(chosen)
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    @Slot(object)
    def _on_trials_loaded(self, trials: object) -> None:
        assert isinstance(trials, tuple)
        self._trials = list(trials)
        self._rows = [TrialRow.from_entry(trial) for trial in self._trials]
        self._searched = [search_text(trial) for trial in self._trials]
        statuses, phases, countries = filter_choices(self._trials)
        self._fill_combo(self.status_combo, statuses, STATUS_LABELS)
        self._fill_combo(self.phase_combo, phases, PHASE_LABELS)
        self._fill_combo(self.country_combo, countries, {})
        self._apply_filter()

    @Slot()
    def _apply_filter(self) -> None:
        chosen = self.current_filter()
        searched = self._searched
        kept = [
            index
            for index, trial in enumerate(self._trials)
            if chosen.accepts(trial, searched[index])
        ]
        self._shown = [self._trials[index] for index in kept]
        self.model.set_rows([self._rows[index] for index in kept])
        if len(kept) <= ROWS_FITTED_TO_TEXT:
            # Wrapped titles get their full height; a whole registry keeps one line per row
            # (fitting 100,000 rows held the window for half a minute at every keystroke).
            self.table.resizeRowsToContents()
        self.count_label.setText(f"{len(self._shown):,} of {len(self._trials):,} trials shown")
        self.summary_view.clear()
        self.review_button.setEnabled(False)

    @Slot()
    def _on_filter_changed(self) -> None:
        if len(self._trials) > ROWS_FITTED_TO_TEXT:
            # A whole registry is filtered once the typing pauses, not at every keystroke.
            self._filter_pause.start()
        else:
            self._apply_filter()

    @Slot(QItemSelection, QItemSelection)
    def _on_table_selection_changed(self, _selected: QItemSelection, _old: QItemSelection) -> None:
        trial_id = self.selected_trial_id()
        self.review_button.setEnabled(trial_id is not None)
        if trial_id is None:
            self.summary_view.clear()
            return
        self._detail_generation += 1
        generation = self._detail_generation
        session_factory = self._session_factory

        def show(detail: object) -> None:
            # A slower answer for an earlier selection must not replace the current one.
            if generation == self._detail_generation and isinstance(detail, TrialDetail):
                self.summary_view.setHtml(summary_html(detail))

        self._runner.start(lambda: get_trial(session_factory, trial_id), show)

    @Slot()
    def _on_review_button_clicked(self) -> None:
        trial_id = self.selected_trial_id()
        if trial_id is not None:
            self._open_editor(trial_id)
