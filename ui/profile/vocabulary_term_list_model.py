"""The names a completer offers for conditions or drugs: labels and synonyms, each with its id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from typing_extensions import override

from engine.vocabulary import CONDITIONS, DRUGS
from ui.row_list_model import RowListModel

ITEM_ID_ROLE = Qt.ItemDataRole.UserRole + 1
LABEL_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True, slots=True)
class VocabularyTerm:
    """One name of a vocabulary item: ``term`` is what is matched, ``label`` what is filled in."""

    term: str
    item_id: str
    label: str

    @property
    def display(self) -> str:
        return self.label if self.term == self.label else f"{self.term} — {self.label}"


def condition_terms() -> list[VocabularyTerm]:
    """Every condition label and synonym ("dry syndrome" → Sjögren's disease)."""
    return _terms((c.id, c.label, c.synonyms) for c in CONDITIONS.values())


def drug_terms() -> list[VocabularyTerm]:
    """Every drug label and synonym ("MMF" → mycophenolate)."""
    return _terms((d.id, d.label, d.synonyms) for d in DRUGS.values())


def _terms(items: Iterable[tuple[str, str, tuple[str, ...]]]) -> list[VocabularyTerm]:
    rows: list[VocabularyTerm] = []
    for item_id, label, synonyms in items:
        rows.append(VocabularyTerm(label, item_id, label))
        rows.extend(VocabularyTerm(s, item_id, label) for s in synonyms if s != label)
    return rows


class VocabularyTermListModel(RowListModel[VocabularyTerm]):
    """A read-only list of VocabularyTerm rows for a QCompleter.

    DisplayRole and EditRole give "term — label", so a contains-match finds synonyms;
    ITEM_ID_ROLE and LABEL_ROLE give what the chosen row stands for.
    """

    def __init__(self, rows: Sequence[VocabularyTerm] = (), parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows = list(rows)

    @override
    def row_data(self, row: VocabularyTerm, role: int) -> object:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return row.display
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.label} ({row.item_id})"
        if role == ITEM_ID_ROLE:
            return row.item_id
        if role == LABEL_ROLE:
            return row.label
        return None
