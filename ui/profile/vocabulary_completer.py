"""A completer that matches any name of a condition or drug and fills in its label."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QCompleter
from typing_extensions import override

from ui.profile.vocabulary_term_list_model import (
    LABEL_ROLE,
    VocabularyTerm,
    VocabularyTermListModel,
)


class VocabularyCompleter(QCompleter):
    """Contains-match on "synonym — label" rows; choosing a row inserts the label.

    Typing "dry syndrome" offers "dry syndrome — Sjögren's disease" and fills in
    "Sjögren's disease", which engine.vocabulary.find_condition resolves.
    """

    def __init__(self, terms: list[VocabularyTerm], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.term_model = VocabularyTermListModel(terms, self)
        self.setModel(self.term_model)
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setMaxVisibleItems(12)

    @override
    def pathFromIndex(self, index: QModelIndex | QPersistentModelIndex) -> str:
        label = index.data(LABEL_ROLE)
        return label if isinstance(label, str) else super().pathFromIndex(index)
