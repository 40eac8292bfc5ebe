"""The completer's term model passes qtmodeltester and carries each term's id and label."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester

from ui.profile.vocabulary_term_list_model import (
    ITEM_ID_ROLE,
    LABEL_ROLE,
    VocabularyTermListModel,
    condition_terms,
    drug_terms,
)


def test_model_passes_the_model_tester_empty_and_filled(qtmodeltester: ModelTester) -> None:
    model = VocabularyTermListModel()
    qtmodeltester.check(model)
    model.set_rows(condition_terms())
    qtmodeltester.check(model)
    assert model.rowCount() > 50


def test_synonym_rows_show_the_term_and_carry_the_condition() -> None:
    model = VocabularyTermListModel(condition_terms())
    rows = [model.index(r, 0) for r in range(model.rowCount())]
    dry = next(i for i in rows if i.data(Qt.ItemDataRole.DisplayRole).startswith("dry syndrome"))
    assert dry.data(Qt.ItemDataRole.DisplayRole) == "dry syndrome — Sjögren's disease"
    assert dry.data(ITEM_ID_ROLE) == "sjogren"
    assert dry.data(LABEL_ROLE) == "Sjögren's disease"


def test_drug_terms_include_abbreviations() -> None:
    terms = {term.term: term.item_id for term in drug_terms()}
    assert terms["CYC"] == "cyclophosphamide"
