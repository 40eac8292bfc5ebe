"""The main window: for now the list of trials in the database."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMainWindow,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from models.database import SessionFactory
from models.operations import list_trials
from ui.trial_list_model import TrialListModel, TrialRow

WINDOW_TITLE = "TrialMatch"


class MainWindow(QMainWindow):
    """The application window; its dependencies come in through the constructor."""

    def __init__(self, session_factory: SessionFactory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session_factory = session_factory
        self.setWindowTitle(WINDOW_TITLE)

        self.trial_model = TrialListModel(self)
        self.trial_count_label = QLabel()
        self.trial_table = QTableView()
        self.trial_table.setModel(self.trial_model)
        self.trial_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.trial_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.trial_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.trial_table.setWordWrap(True)
        self.trial_table.verticalHeader().setVisible(False)
        header = self.trial_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.trial_count_label)
        layout.addWidget(self.trial_table)
        self.setCentralWidget(central)
        self.resize(1100, 640)

        self.reload_trials()

    def reload_trials(self) -> None:
        """Read the trial list from the database again (a few rows: fast on the UI thread)."""
        rows = [TrialRow.from_summary(trial) for trial in list_trials(self._session_factory)]
        self.trial_model.set_rows(rows)
        self.trial_table.resizeRowsToContents()
        count = len(rows)
        self.trial_count_label.setText(f"{count} trial{'s' if count != 1 else ''} in the database")
