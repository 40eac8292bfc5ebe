"""The FHIR import report, shown before anything in the form changes: replace, merge or cancel."""

from __future__ import annotations

import enum
from html import escape
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
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from engine.fhir import FhirImportReport, IssueKind
from ui.fhir_value_table_model import FhirValueTableModel


class ImportChoice(enum.Enum):
    """What to do with the imported profile."""

    REPLACE = "replace"
    MERGE = "merge"


# Plain headings, in the order a physician should read them: what was refused first.
ISSUE_HEADINGS: tuple[tuple[IssueKind, str], ...] = (
    ("unknown_code", "Codes TrialMatch does not know (not imported)"),
    ("implausible", "Values that failed the plausibility checks (flagged, not stored)"),
    ("unit", "Units that could not be converted (not imported)"),
    ("not_imported", "Values TrialMatch will not guess (enter them by hand)"),
    ("unusual", "Unusual values (imported: please check)"),
    ("ignored", "Ignored resources"),
    ("note", "Notes"),
)

# What an EHR export does not carry in a form TrialMatch can read (docs/fhir-import.md).
NOT_FROM_FHIR: tuple[str, ...] = (
    "Consent to be contacted about trials",
    "Pregnancy, pregnancy test, breastfeeding, childbearing potential and contraception",
    "History answers (the yes/no questions of the History section)",
    "Disease classification (e.g. lupus nephritis class), biopsy details",
    "Refractory status (which treatments failed and why)",
    "Disease activity scores (SLEDAI-2K, BILAG, DAS28 …); only ECOG is read from FHIR",
)


def issues_html(report: FhirImportReport) -> str:
    """Every issue grouped by kind under a plain heading, each with its source."""
    parts: list[str] = []
    for kind, heading in ISSUE_HEADINGS:
        issues = report.issues_of(kind)
        if not issues:
            continue
        items = "".join(
            f"<li>{escape(issue.message)}<br><small>{escape(issue.source.describe())}</small></li>"
            for issue in issues
        )
        parts.append(f"<h4>{escape(heading)} ({len(issues)})</h4><ul>{items}</ul>")
    return "".join(parts) or "<p>Nothing: every value in the export was imported.</p>"


def not_from_fhir_html() -> str:
    items = "".join(f"<li>{escape(item)}</li>" for item in NOT_FROM_FHIR)
    return (
        "<p><b>An EHR export cannot supply these. Please ask the patient or check the record, "
        "and enter them in the form:</b></p>"
        f"<ul>{items}</ul>"
        "<p>Until they are entered, criteria that need them stay <i>unknown</i>, never met.</p>"
    )


class FhirImportDialog(QDialog):
    """Shows what an import will bring in and what it will not; nothing changes until a choice.

    Public widgets for tests: ``values_table``/``values_model`` (the values to import),
    ``history_table``/``history_model`` (earlier results), ``issues_view``, ``missing_view``,
    ``replace_button``, ``merge_button`` (only with a profile open) and ``cancel_button``.
    """

    def __init__(
        self,
        report: FhirImportReport,
        has_current_profile: bool,
        source_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import from EHR (FHIR)")
        self.choice: ImportChoice | None = None
        self.report = report

        issue_count = len(report.issues)
        summary = QLabel(
            f"<p>Nothing has changed yet. From <b>{escape(source_name or 'the export')}</b>: "
            f"{len(report.imported)} value(s) to import, {issue_count} item(s) need your "
            f"attention, {len(report.earlier_values)} earlier result(s).</p>"
        )
        summary.setWordWrap(True)
        self.summary_label = summary

        self.values_model = FhirValueTableModel(self)
        self.values_model.set_values(report.imported)
        self.values_table = self._table(self.values_model, "Values to import")
        self.history_model = FhirValueTableModel(self)
        self.history_model.set_values(report.earlier_values)
        self.history_table = self._table(self.history_model, "Earlier results")

        self.issues_view = QTextBrowser()
        self.issues_view.setAccessibleName("Items that need your attention")
        self.issues_view.setHtml(issues_html(report))
        self.missing_view = QTextBrowser()
        self.missing_view.setAccessibleName("What the export cannot supply")
        self.missing_view.setHtml(not_from_fhir_html())

        self.tabs = QTabWidget()
        self.tabs.addTab(self.values_table, f"Values to import ({len(report.imported)})")
        self.tabs.addTab(self.issues_view, f"Needs your attention ({issue_count})")
        self.tabs.addTab(self.history_table, f"Earlier results ({len(report.earlier_values)})")
        self.tabs.addTab(self.missing_view, "Please ask and enter")

        buttons = QDialogButtonBox()
        self.replace_button = QPushButton("Replace the current profile" if has_current_profile
                                          else "Import as the profile")  # fmt: skip
        buttons.addButton(self.replace_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.merge_button = QPushButton("Merge into the current profile")
        self.merge_button.setToolTip(
            "Add the imported values to the profile in the form; for the same lab, finding or "
            "score the newer dated value is used, and differences are listed afterwards. The "
            "patient's name, record number, birth date and sex in the form are never overwritten."
        )
        buttons.addButton(self.merge_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.merge_button.setVisible(has_current_profile)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.replace_button.clicked.connect(self._on_replace_button_clicked)
        self.merge_button.clicked.connect(self._on_merge_button_clicked)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(900, 560)

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        report: FhirImportReport,
        has_current_profile: bool,
        source_name: str = "",
    ) -> ImportChoice | None:
        """The physician's choice after reading the report; None when cancelled."""
        dialog = cls(report, has_current_profile, source_name, parent)
        dialog.exec()
        return dialog.choice

    @staticmethod
    def _table(model: FhirValueTableModel, name: str) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setAccessibleName(name)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    @Slot()
    def _on_replace_button_clicked(self) -> None:
        self.choice = ImportChoice.REPLACE
        self.accept()

    @Slot()
    def _on_merge_button_clicked(self) -> None:
        self.choice = ImportChoice.MERGE
        self.accept()


def describe_source(path: Path) -> str:
    """How the dialog and the status bar name an export: the file or folder name."""
    return path.name or str(path)
