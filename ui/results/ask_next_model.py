"""Qt list model of "what to ask next": the missing facts that would settle the most trials."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from typing_extensions import override

from engine.ask_next import AskItem

GROUP_LABELS = {
    "patient": "Patient",
    "diagnosis": "Diagnosis",
    "labs": "Labs",
    "infection": "Infection",
    "history": "History and treatments",
}


@dataclass(frozen=True, slots=True)
class AskNextRow:
    """One question: the fact to fill in, its form section, and how many trials it would settle."""

    fact: str
    label: str
    group: str
    trials_settled: int

    @classmethod
    def from_item(cls, item: AskItem) -> AskNextRow:
        return cls(
            fact=item.fact, label=item.label, group=item.group, trials_settled=item.trial_count
        )

    @property
    def text(self) -> str:
        trials = "trial" if self.trials_settled == 1 else "trials"
        section = GROUP_LABELS.get(self.group, self.group or "form")
        return f"{self.label}  ({section}; would settle {self.trials_settled} {trials})"


class AskNextModel(QAbstractListModel):
    """Thin adapter over a list of ``AskNextRow``, most useful question first."""

    FactRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[AskNextRow] = []

    def set_rows(self, rows: Sequence[AskNextRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> AskNextRow:
        return self._rows[row]

    # Qt interface

    @override
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    @override
    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return row.text
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Click to go to “{row.label}” in the form."
        if role == self.FactRole:
            return row.fact
        return None
