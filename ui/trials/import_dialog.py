"""Import trial records: progress while the import runs, then what was added and what failed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QProgressDialog,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from models.database import SessionFactory
from models.importer import ImportedTrial, ImportReport
from models.operations import import_files
from ui.dialogs import show_error
from ui.workers import JobRunner


def report_html(report: ImportReport) -> str:
    """Added, updated and failed records, each failure with its reason."""

    def trials(title: str, items: Sequence[ImportedTrial]) -> str:
        if not items:
            return f"<p><b>{escape(title)}: none</b></p>"
        lines = "".join(
            f"<li>{escape(item.trial_id)}: {escape(item.title or '(no title)')} "
            f"<small>({escape(item.file)})</small></li>"
            for item in items
        )
        return f"<p><b>{escape(title)}: {len(items)}</b></p><ul>{lines}</ul>"

    parts = [trials("Added", report.added), trials("Updated", report.updated)]
    if report.failed:
        lines = "".join(f"<li>{escape(failure.message())}</li>" for failure in report.failed)
        parts.append(
            f"<p style='color:#b3261e'><b>Not imported: {len(report.failed)}</b></p>"
            f"<ul>{lines}</ul>"
        )
    else:
        parts.append("<p><b>Not imported: none</b></p>")
    return "".join(parts)


class ImportSummaryDialog(QDialog):
    """What an import did, with every failure's reason."""

    def __init__(self, report: ImportReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import finished")
        self.report = report
        self.text = QTextBrowser()
        self.text.setAccessibleName("Import summary")
        self.text.setHtml(report_html(report))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(620, 420)

    @classmethod
    def show_report(cls, parent: QWidget | None, report: ImportReport) -> None:
        cls(report, parent).exec()


class ImportController:
    """Runs one import at a time off the UI thread, with a progress dialog and a summary."""

    def __init__(
        self,
        parent: QWidget,
        session_factory: SessionFactory,
        runner: JobRunner,
        on_imported: Callable[[ImportReport], None],
    ) -> None:
        self._parent = parent
        self._session_factory = session_factory
        self._runner = runner
        self._on_imported = on_imported
        self.progress: QProgressDialog | None = None

    @property
    def running(self) -> bool:
        return self.progress is not None

    def start(self, paths: Sequence[Path]) -> bool:
        """Start importing ``paths``; False when nothing was chosen or an import already runs."""
        if not paths or self.running:
            return False
        names = ", ".join(path.name for path in paths[:3]) + (" …" if len(paths) > 3 else "")
        # The importer reports no progress it could measure, so the bar is a busy indicator.
        progress = QProgressDialog(f"Importing {names}", "", 0, 0, self._parent)
        progress.setWindowTitle("Importing trials")
        progress.setCancelButton(None)  # a transaction half-way cannot be abandoned safely
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.setAutoClose(False)
        progress.show()
        self.progress = progress
        session_factory = self._session_factory
        paths = tuple(paths)
        self._runner.start(
            lambda: import_files(session_factory, paths),
            self._succeeded,
            self._failed,
        )
        return True

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _succeeded(self, report: object) -> None:
        self._close_progress()
        assert isinstance(report, ImportReport)
        self._on_imported(report)
        ImportSummaryDialog.show_report(self._parent, report)

    def _failed(self, error: Exception) -> None:
        self._close_progress()
        show_error(self._parent, "Import failed", f"The import stopped: {error}")
