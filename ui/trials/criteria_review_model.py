"""Qt list model of a trial's criteria in the trial editor, each with the reviewer's decision."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from typing_extensions import override


class Decision(enum.Enum):
    """What the reviewer decided about one criterion's rule."""

    PENDING = "not reviewed yet"
    CONFIRMED = "rule confirmed"
    REVIEW_ONLY = "left to the study team"
    EDITED = "rule corrected"


_DECISION_SYMBOLS = {
    Decision.PENDING: "○",
    Decision.CONFIRMED: "✔",
    Decision.REVIEW_ONLY: "◆",
    Decision.EDITED: "✎",
}


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """One criterion as the editor lists it."""

    criterion_id: str
    kind: str
    cohort: str | None
    text: str
    decision: Decision

    @property
    def display(self) -> str:
        where = self.kind.capitalize() + (f", cohort {self.cohort}" if self.cohort else "")
        sentence = self.text if len(self.text) <= 110 else self.text[:107] + "…"
        symbol = _DECISION_SYMBOLS[self.decision]
        return f"{symbol} {self.decision.value} · {where}\n{sentence}"


class CriteriaReviewModel(QAbstractListModel):
    """Thin adapter over a list of ``ReviewRow``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ReviewRow] = []

    def set_rows(self, rows: Sequence[ReviewRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> ReviewRow:
        return self._rows[row]

    def replace_row(self, row: int, new: ReviewRow) -> None:
        self._rows[row] = new
        index = self.index(row, 0)
        self.dataChanged.emit(index, index)

    def pending_count(self) -> int:
        return sum(1 for row in self._rows if row.decision is Decision.PENDING)

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
            return row.display
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.text
        if role == Qt.ItemDataRole.ForegroundRole and row.decision is Decision.PENDING:
            return QColor("#8a4b00")
        return None
