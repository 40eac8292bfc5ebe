"""Qt list model of a trial's criteria in the trial editor, each with the reviewer's decision."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from typing_extensions import override

from ui.row_list_model import RowListModel


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


class CriteriaReviewModel(RowListModel[ReviewRow]):
    """Thin adapter over a list of ``ReviewRow``."""

    def replace_row(self, row: int, new: ReviewRow) -> None:
        self._rows[row] = new
        index = self.index(row, 0)
        self.dataChanged.emit(index, index)

    def pending_count(self) -> int:
        return sum(1 for row in self._rows if row.decision is Decision.PENDING)

    @override
    def row_data(self, row: ReviewRow, role: int) -> object:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return row.display
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.text
        if role == Qt.ItemDataRole.ForegroundRole and row.decision is Decision.PENDING:
            return QColor("#8a4b00")
        return None
