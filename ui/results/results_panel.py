"""Ranked trials for the current profile, with the closed-trials switch and what to ask next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.results.ask_next_model import AskNextModel, AskNextRow
from ui.results.column_fit import ColumnFitter, LongColumn
from ui.results.results_table_model import (
    COUNTS_COLUMN,
    DISTANCE_COLUMN,
    RULES_COLUMN,
    SITE_COLUMN,
    STATUS_COLUMN,
    TRIAL_COLUMN,
    VERDICT_COLUMN,
    ResultRow,
    ResultsTableModel,
)

if TYPE_CHECKING:
    from models.matching import MatchReport

MATCHING_TEXT = "⟳ matching…"
# Enough for an NCT id and the first words of a title; for a city and the start of a facility.
TITLE_MINIMUM_WIDTH = 130  # still shows the NCT id; the whole title is in the tooltip
SITE_MINIMUM_WIDTH = 90
# Sized to their contents; the title and site columns share what is left.
SHORT_COLUMNS = (VERDICT_COLUMN, COUNTS_COLUMN, RULES_COLUMN, DISTANCE_COLUMN, STATUS_COLUMN)
# Rows beyond those in view that Qt reads to size the short columns (its default: 1,000).
RESIZE_SAMPLE_ROWS = 200


class ResultsPanel(QWidget):
    """The ranked-trials table; emits the selected trial and the questions clicked."""

    trial_selected = Signal(str)
    selection_cleared = Signal()
    include_closed_changed = Signal(bool)
    all_conditions_changed = Signal(bool)
    ask_next_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ResultsTableModel(self)
        self.ask_next_model = AskNextModel(self)

        self.heading = QLabel("<b>Matching trials</b>")
        self.busy_label = QLabel(MATCHING_TEXT)
        self.busy_label.setAccessibleName("Matching in progress")
        self.busy_label.setStyleSheet("color: #1f5fa8;")
        self.busy_label.setVisible(False)
        self.summary_label = QLabel()
        self.summary_label.setAccessibleName("Results summary")
        self.hidden_label = QLabel()
        self.hidden_label.setAccessibleName("Closed trials hidden")
        self.show_closed_box = QCheckBox("Show &closed trials")
        self.show_closed_box.setToolTip(
            "Include trials that are completed, terminated, withdrawn or otherwise not recruiting"
        )
        self.show_closed_box.toggled.connect(self._on_show_closed_box_toggled)
        self.all_conditions_box = QCheckBox("&Other conditions too")
        self.all_conditions_box.setToolTip(
            "Also evaluate trials about none of the patient's diagnoses, and list trials whose "
            "registry age or sex limits rule the patient out"
        )
        self.all_conditions_box.toggled.connect(self._on_all_conditions_box_toggled)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Ranked trials")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        # The short columns take what their words need and the two long texts (title, site)
        # share the rest, elided with the full text in the tooltip: at 1366x768 every column
        # is in view without a sideways scroll. Where the pane is narrower (the ask-next list
        # beside it) the long columns keep a readable floor and the table scrolls instead.
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.column_fitter = ColumnFitter(
            self.table,
            short=SHORT_COLUMNS,
            long=(
                LongColumn(TRIAL_COLUMN, share=0.6, minimum=TITLE_MINIMUM_WIDTH),
                LongColumn(SITE_COLUMN, share=0.4, minimum=SITE_MINIMUM_WIDTH),
            ),
        )
        # The short columns size to the rows in view plus the next 200, not the default 1,000:
        # Qt samples them again at every layout pass, and with 20,000 results that sampling
        # took most of a second on the UI thread after each match. Their texts come from a few
        # short words and numbers, so the sample finds their width.
        self.table.horizontalHeader().setResizeContentsPrecision(RESIZE_SAMPLE_ROWS)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)

        self.ask_next_view = QListView()
        self.ask_next_view.setModel(self.ask_next_model)
        self.ask_next_view.setAccessibleName("What to ask next")
        self.ask_next_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.ask_next_view.setWordWrap(True)
        self.ask_next_view.clicked.connect(self._on_ask_next_view_clicked)
        self.ask_next_view.activated.connect(self._on_ask_next_view_clicked)
        self.ask_next_heading = QLabel("<b>What to ask next</b> (click to go to the field)")

        bar = QHBoxLayout()
        bar.addWidget(self.heading)
        bar.addWidget(self.busy_label)
        bar.addStretch(1)
        bar.addWidget(self.summary_label)
        bar.addSpacing(12)
        bar.addWidget(self.hidden_label)
        bar.addWidget(self.show_closed_box)
        bar.addWidget(self.all_conditions_box)

        self.ask_next_box = ask_next_box = QWidget()
        ask_layout = QVBoxLayout(ask_next_box)
        ask_layout.setContentsMargins(0, 0, 0, 0)
        ask_layout.addWidget(self.ask_next_heading)
        ask_layout.addWidget(self.ask_next_view)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("resultsSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(ask_next_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)
        self.show_message("Enter the patient's data on the left; matching trials appear here.")

    @property
    def include_closed(self) -> bool:
        return self.show_closed_box.isChecked()

    @property
    def all_conditions(self) -> bool:
        return self.all_conditions_box.isChecked()

    def selected_trial_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()).trial_id if rows else None

    def select_trial(self, trial_id: str) -> bool:
        row = self.model.row_of(trial_id)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def set_busy(self, busy: bool) -> None:
        self.busy_label.setVisible(busy)

    def show_message(self, text: str) -> None:
        """No results to show (no profile yet, or it has an error): say why."""
        self.model.set_rows([])
        self.ask_next_model.set_rows([])
        self.ask_next_box.setVisible(False)
        self.summary_label.setText(text)
        self.hidden_label.setText("")

    def show_report(self, report: MatchReport) -> None:
        """Show a new ranking, keeping the selected trial selected when it is still listed."""
        selected = self.selected_trial_id()
        rows = [ResultRow.from_match(match) for match in report.trials]
        self.model.set_rows(rows)
        self.ask_next_model.set_rows([AskNextRow.from_item(item) for item in report.ask_next])
        # Nothing to ask: give the room to the table rather than show an empty box.
        self.ask_next_box.setVisible(self.ask_next_model.rowCount() > 0)
        count = len(rows)
        promising = sum(1 for row in rows if row.violated == 0)
        self.summary_label.setText(
            f"{count} trial{'s' if count != 1 else ''}, {promising} not ruled out"
        )
        # Nothing is left out silently: every trial not listed is counted, with the reason.
        left_out = []
        hidden = report.hidden_closed
        if hidden and not self.include_closed:
            left_out.append(f"{hidden} closed")
        if report.other_conditions:
            left_out.append(f"{report.other_conditions} for other conditions")
        if report.excluded_age_sex:
            left_out.append(f"{report.excluded_age_sex} excluded by age/sex")
        if report.problems:
            left_out.append(f"⚠ {len(report.problems)} could not be evaluated")
        self.hidden_label.setText(("Not listed: " + ", ".join(left_out)) if left_out else "")
        self.hidden_label.setToolTip(
            "\n".join(
                f"{problem.trial_id} ({problem.title or 'no title'}): {problem.problem}"
                for problem in report.problems
            )
        )
        if selected is None or not self.select_trial(selected):
            self.selection_cleared.emit()

    @Slot(bool)
    def _on_show_closed_box_toggled(self, checked: bool) -> None:
        self.include_closed_changed.emit(checked)

    @Slot(bool)
    def _on_all_conditions_box_toggled(self, checked: bool) -> None:
        self.all_conditions_changed.emit(checked)

    @Slot(QItemSelection, QItemSelection)
    def _on_table_selection_changed(self, _selected: QItemSelection, _old: QItemSelection) -> None:
        trial_id = self.selected_trial_id()
        if trial_id is None:
            self.selection_cleared.emit()
        else:
            self.trial_selected.emit(trial_id)

    @Slot(QModelIndex)
    def _on_ask_next_view_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.ask_next_requested.emit(self.ask_next_model.row_at(index.row()).fact)
