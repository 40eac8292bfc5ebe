"""The selected trial in detail: its criteria with evidence, its summary, sites and contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, Slot
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui.results.detail_html import criteria_html, summary_html
from ui.results.site_contact_models import (
    ContactsTableModel,
    SiteRow,
    SitesTableModel,
    contact_rows,
)

if TYPE_CHECKING:
    from models.matching import TrialMatch

PLACEHOLDER = "Select a trial in the list above to see each criterion and the evidence behind it."


def _read_only_table(model: SitesTableModel | ContactsTableModel, name: str) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    return table


class TrialDetailPanel(QTabWidget):
    """Tabs: Criteria, Trial, Sites and contacts; empty until a trial is shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Trial detail")
        self._match: TrialMatch | None = None

        self.criteria_view = QTextBrowser()
        self.criteria_view.setAccessibleName("Criteria and evidence")
        self.criteria_view.setOpenLinks(False)
        self.summary_view = QTextBrowser()
        self.summary_view.setAccessibleName("Trial summary")
        self.summary_view.setOpenExternalLinks(True)

        self.sites_model = SitesTableModel(self)
        self.contacts_model = ContactsTableModel(self)
        self.sites_table = _read_only_table(self.sites_model, "Sites")
        self.contacts_table = _read_only_table(self.contacts_model, "Contacts")
        self.copy_button = QPushButton("&Copy contact")
        self.copy_button.setToolTip("Copy the selected contact (name, role, phone, e-mail)")
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.contacts_table.customContextMenuRequested.connect(
            self._on_contacts_table_custom_context_menu_requested
        )
        self.contacts_table.selectionModel().selectionChanged.connect(
            self._on_contacts_selection_changed
        )

        places = QWidget()
        layout = QVBoxLayout(places)
        layout.addWidget(QLabel("<b>Sites</b>"))
        layout.addWidget(self.sites_table, 1)
        contacts_bar = QHBoxLayout()
        contacts_bar.addWidget(QLabel("<b>Contacts</b> (right-click a cell to copy it)"))
        contacts_bar.addStretch(1)
        contacts_bar.addWidget(self.copy_button)
        layout.addLayout(contacts_bar)
        layout.addWidget(self.contacts_table, 1)

        self.addTab(self.criteria_view, "Criteria")
        self.addTab(self.summary_view, "Trial")
        self.addTab(places, "Sites and contacts")
        self.clear_trial()

    @property
    def shown_trial_id(self) -> str | None:
        return None if self._match is None else self._match.summary.trial_id

    def clear_trial(self) -> None:
        self._match = None
        self.criteria_view.setPlainText(PLACEHOLDER)
        self.summary_view.setPlainText(PLACEHOLDER)
        self.sites_model.set_rows([])
        self.contacts_model.set_rows([])
        self.copy_button.setEnabled(False)

    def show_trial(self, match: TrialMatch, origin: tuple[float, float] | None) -> None:
        """Show ``match``; ``origin`` is the clinic's location for site distances (None: unset)."""
        keep_scroll = self.shown_trial_id == match.summary.trial_id
        position = self.criteria_view.verticalScrollBar().value()
        self._match = match
        self.criteria_view.setHtml(criteria_html(match))
        self.summary_view.setHtml(summary_html(match.detail))
        summary = match.detail.summary
        self.sites_model.set_rows([SiteRow.from_site(site, origin) for site in summary.sites])
        self.contacts_model.set_rows(contact_rows(summary))
        self.sites_table.resizeColumnsToContents()
        self.contacts_table.resizeColumnsToContents()
        self.copy_button.setEnabled(False)
        if keep_scroll:
            # A re-match of the same trial while typing must not throw the reader back to the top.
            self.criteria_view.verticalScrollBar().setValue(position)

    def copy_selected_contact(self) -> str | None:
        """Copy the selected contact's line to the clipboard; the text copied, or None."""
        indexes = self.contacts_table.selectionModel().selectedIndexes()
        if not indexes:
            return None
        text = self.contacts_model.row_at(indexes[0].row()).copy_text
        QGuiApplication.clipboard().setText(text)
        return text

    @Slot()
    def _on_copy_button_clicked(self) -> None:
        self.copy_selected_contact()

    @Slot()
    def _on_contacts_selection_changed(self) -> None:
        self.copy_button.setEnabled(self.contacts_table.selectionModel().hasSelection())

    @Slot(QPoint)
    def _on_contacts_table_custom_context_menu_requested(self, position: QPoint) -> None:
        index = self.contacts_table.indexAt(position)
        if not index.isValid():
            return
        contact = self.contacts_model.row_at(index.row())
        cell = self.contacts_model.cell_text(contact, index.column())
        line = contact.copy_text
        menu = QMenu(self)
        copy_cell = QAction(f"Copy “{cell}”", menu)
        copy_cell.triggered.connect(lambda: QGuiApplication.clipboard().setText(cell))
        copy_line = QAction("Copy whole contact", menu)
        copy_line.triggered.connect(lambda: QGuiApplication.clipboard().setText(line))
        menu.addAction(copy_cell)
        menu.addAction(copy_line)
        menu.exec(self.contacts_table.viewport().mapToGlobal(position))
