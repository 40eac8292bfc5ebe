"""Qt list model of "what to ask next": the missing facts that would settle the most trials."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from typing_extensions import override

from engine.ask_next import AskItem
from ui.row_list_model import RowListModel

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


class AskNextModel(RowListModel[AskNextRow]):
    """Thin adapter over a list of ``AskNextRow``, most useful question first."""

    FactRole = Qt.ItemDataRole.UserRole + 1

    @override
    def row_data(self, row: AskNextRow, role: int) -> object:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return row.text
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Click to go to “{row.label}” in the form."
        if role == self.FactRole:
            return row.fact
        return None
