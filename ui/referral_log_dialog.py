"""ReferralLogDialog: the referral log (letters exported or printed) as a table; CSV export."""

from __future__ import annotations

import io
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from models.database import SessionFactory
from models.files import atomic_write_text
from models.letter import DEIDENTIFIED_MARK, write_referrals_csv
from models.operations import list_referrals
from ui import dialogs
from ui.referral_log_model import ReferralLogModel
from ui.workers import JobRunner


class ReferralLogDialog(QDialog):
    """Shows the referral log, loaded off the UI thread, and writes it as CSV.

    Signals from the runner arrive on the UI thread; ``loaded`` tells tests the table is filled.
    """

    def __init__(
        self,
        session_factory: SessionFactory,
        runner: JobRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Referral log")
        self._session_factory = session_factory
        self._runner = runner
        self.loading = False
        self.model = ReferralLogModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.status_label = QLabel("Loading the referral log…")
        self.status_label.setWordWrap(True)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setEnabled(False)
        self.reload_button = QPushButton("Reload")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.reload_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)
        self.resize(900, 420)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.reload_button.clicked.connect(self._on_reload_button_clicked)
        self.reload()

    def reload(self) -> None:
        """Read the log again (in the database worker)."""
        if self.loading:
            return
        self.loading = True
        self.reload_button.setEnabled(False)
        session_factory = self._session_factory
        self._runner.start(
            lambda: list_referrals(session_factory),
            self._on_log_loaded,
            self._on_log_failed,
            self._on_log_finished,
        )

    def export_csv(self, path: Path) -> None:
        """Write the rows shown as CSV to ``path`` (atomically, in a worker)."""
        buffer = io.StringIO(newline="")
        write_referrals_csv(self.model.records, buffer)
        text = buffer.getvalue()
        count = len(self.model.records)
        self.export_button.setEnabled(False)
        self._runner.start(
            lambda: atomic_write_text(path, text),
            lambda _result: self._on_csv_written(path, count),
            lambda error: self._on_csv_failed(path, error),
            self._on_csv_finished,
        )

    @Slot(object)
    def _on_log_loaded(self, records: object) -> None:
        rows = tuple(records) if isinstance(records, tuple) else ()
        self.model.set_rows(rows)
        if not rows:
            self.status_label.setText("The referral log is empty.")
            return
        text = f"{len(rows)} referral{'s' if len(rows) != 1 else ''}, newest first."
        if any(record.patient_identifier.endswith(DEIDENTIFIED_MARK) for record in rows):
            text += (
                f" {DEIDENTIFIED_MARK.strip()}: the letter itself carried no name or record "
                "number; the identifier is kept here, on this machine only."
            )
        self.status_label.setText(text)

    @Slot(Exception)
    def _on_log_failed(self, error: Exception) -> None:
        self.status_label.setText("The referral log could not be read.")
        dialogs.show_error(self, "Referral log", f"The referral log could not be read: {error}")

    @Slot()
    def _on_log_finished(self) -> None:
        self.loading = False
        self.reload_button.setEnabled(True)
        self.export_button.setEnabled(bool(self.model.records))

    def _on_csv_written(self, path: Path, count: int) -> None:
        self.status_label.setText(f"Wrote {count} referral(s) to {path}.")

    def _on_csv_failed(self, path: Path, error: Exception) -> None:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        dialogs.show_error(self, "Export CSV", f"{path} could not be written ({reason}).")

    @Slot()
    def _on_csv_finished(self) -> None:
        self.export_button.setEnabled(bool(self.model.records))

    @Slot()
    def _on_export_button_clicked(self) -> None:
        path = dialogs.ask_save_path(
            self, "Export the referral log", "referrals.csv", dialogs.CSV_FILE_FILTER
        )
        if path is not None:
            self.export_csv(path if path.suffix else path.with_suffix(".csv"))

    @Slot()
    def _on_reload_button_clicked(self) -> None:
        self.reload()
