"""The trial editor: a person checks each parsed rule against its sentence, then signs it off."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine import CriteriaError, load_criteria
from models.criteria_library import read_bundled_criteria
from models.criteria_set import CriteriaSource
from models.database import SessionFactory
from models.operations import get_criteria_sets, get_trial, store_criteria_set
from ui.dialogs import show_error
from ui.trials.criteria_review_model import CriteriaReviewModel, Decision, ReviewRow
from ui.trials.rule_words import rule_in_words
from ui.workers import JobRunner

ORIGIN_TEXT = {
    "reviewed": "reviewed earlier by a person",
    "curated": "curated criteria shipped with TrialMatch",
    "automatic": "parsed automatically at import, not verified",
    "parsed": "parsed automatically from the registry text just now, not verified",
}


@dataclass(frozen=True, slots=True)
class EditableCriteria:
    """A trial's criteria file to review, where it came from, and the trial's title."""

    trial_id: str
    title: str | None
    data: dict[str, Any]
    origin: str


def load_editable_criteria(session_factory: SessionFactory, trial_id: str) -> EditableCriteria:
    """The set the matcher would use (models.criteria_library order), as an editable dict."""
    trial = get_trial(session_factory, trial_id)
    if trial is None:
        raise LookupError(f"no trial {trial_id} in the database")
    title = trial.summary.title
    stored = {
        record.source.value: record for record in get_criteria_sets(session_factory, trial_id)
    }
    if "curated" in stored:
        data = json.loads(stored["curated"].criteria_json)
        return EditableCriteria(trial_id, title, data, "reviewed")
    bundled = read_bundled_criteria()
    if trial_id in bundled:
        return EditableCriteria(trial_id, title, copy.deepcopy(bundled[trial_id]), "curated")
    if "automatic" in stored:
        data = json.loads(stored["automatic"].criteria_json)
        return EditableCriteria(trial_id, title, data, "automatic")
    # Imported here, not with the window: the parser's tables are a tenth of a second of start-up.
    from engine.parser import parse_criteria_text

    parsed = parse_criteria_text(trial_id, trial.eligibility_criteria or "")
    return EditableCriteria(trial_id, title, parsed, "parsed")


def _initial_decision(entry: dict[str, Any], origin: str) -> Decision:
    if origin in ("reviewed", "curated") and entry.get("verified"):
        return Decision.CONFIRMED if entry.get("rule") is not None else Decision.REVIEW_ONLY
    return Decision.PENDING


class TrialEditorDialog(QDialog):
    """Shows each criterion's sentence beside its rule; confirm, leave to the team, or edit."""

    def __init__(
        self,
        session_factory: SessionFactory,
        runner: JobRunner,
        trial_id: str,
        on_saved: Callable[[str], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._session_factory = session_factory
        self._runner = runner
        self._on_saved = on_saved
        self.trial_id = trial_id
        self._data: dict[str, Any] | None = None
        self.setWindowTitle(f"Review criteria: {trial_id}")
        self.setAccessibleName("Trial criteria editor")

        self.origin_label = QLabel("Loading the criteria…")
        self.origin_label.setWordWrap(True)
        self.model = CriteriaReviewModel(self)
        self.criteria_list = QListView()
        self.criteria_list.setModel(self.model)
        self.criteria_list.setAccessibleName("Criteria to review")
        self.criteria_list.setWordWrap(True)
        self.criteria_list.setAlternatingRowColors(True)
        self.criteria_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.criteria_list.selectionModel().selectionChanged.connect(
            self._on_criteria_list_selection_changed
        )

        self.sentence_view = QPlainTextEdit()
        self.sentence_view.setReadOnly(True)
        self.sentence_view.setAccessibleName("Criterion sentence (verbatim)")
        self.words_view = QPlainTextEdit()
        self.words_view.setReadOnly(True)
        self.words_view.setAccessibleName("Parsed rule in plain words")
        self.rule_editor = QPlainTextEdit()
        self.rule_editor.setAccessibleName("Rule JSON")
        monospace = QFont("monospace")
        monospace.setStyleHint(QFont.StyleHint.Monospace)
        self.rule_editor.setFont(monospace)
        self.validation_label = QLabel()
        self.validation_label.setWordWrap(True)
        self.validation_label.setAccessibleName("Rule check")

        self.confirm_button = QPushButton("&Confirm rule")
        self.confirm_button.setToolTip("The rule says what the sentence says")
        self.review_only_button = QPushButton("&Leave to study team")
        self.review_only_button.setToolTip("Drop the rule: the study team judges this sentence")
        self.apply_button = QPushButton("&Apply edited rule")
        self.apply_button.setToolTip("Check the JSON above against the rule grammar and keep it")
        self.confirm_button.clicked.connect(self._on_confirm_button_clicked)
        self.review_only_button.clicked.connect(self._on_review_only_button_clicked)
        self.apply_button.clicked.connect(self._on_apply_button_clicked)

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(
            "Mark trial &reviewed", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.buttons.rejected.connect(self.reject)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(QLabel("<b>Sentence</b> (as the registry gives it)"))
        right_layout.addWidget(self.sentence_view, 2)
        right_layout.addWidget(QLabel("<b>Rule in plain words</b>"))
        right_layout.addWidget(self.words_view, 2)
        right_layout.addWidget(QLabel("<b>Rule JSON</b> (edit, then Apply)"))
        right_layout.addWidget(self.rule_editor, 3)
        right_layout.addWidget(self.validation_label)
        actions = QHBoxLayout()
        actions.addWidget(self.confirm_button)
        actions.addWidget(self.review_only_button)
        actions.addStretch(1)
        actions.addWidget(self.apply_button)
        right_layout.addLayout(actions)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.criteria_list)
        splitter.addWidget(right)
        splitter.setSizes([420, 560])

        layout = QVBoxLayout(self)
        layout.addWidget(self.origin_label)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.buttons)
        self.resize(1100, 700)
        self._set_editing_enabled(False)
        self.save_button.setEnabled(False)
        self._runner.start(
            lambda: load_editable_criteria(session_factory, trial_id), self._loaded, self._failed
        )

    # Public API for the window and tests

    @property
    def loaded(self) -> bool:
        return self._data is not None

    def current_row(self) -> int | None:
        rows = self.criteria_list.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def select_row(self, row: int) -> None:
        self.criteria_list.setCurrentIndex(self.model.index(row, 0))

    # Loading

    @Slot(object)
    def _loaded(self, result: object) -> None:
        assert isinstance(result, EditableCriteria)
        self._data = result.data
        title = result.title or "(no title)"
        self.origin_label.setText(
            f"<b>{result.trial_id}</b>: {title}<br/>These criteria are the "
            f"{ORIGIN_TEXT.get(result.origin, result.origin)}. Check each rule against its "
            "sentence; when every criterion is decided, mark the trial reviewed."
        )
        self.origin_label.setTextFormat(Qt.TextFormat.RichText)
        rows = [
            ReviewRow(
                criterion_id=str(entry.get("id")),
                kind=str(entry.get("kind")),
                cohort=entry.get("cohort"),
                text=str(entry.get("text", "")),
                decision=_initial_decision(entry, result.origin),
            )
            for entry in self._entries()
        ]
        self.model.set_rows(rows)
        self._update_save_button()
        if rows:
            self.select_row(0)

    @Slot(Exception)
    def _failed(self, error: Exception) -> None:
        show_error(self, "Cannot review criteria", f"The criteria of {self.trial_id}: {error}")
        self.reject()

    def _entries(self) -> list[dict[str, Any]]:
        assert self._data is not None
        entries = self._data.get("criteria", [])
        return entries if isinstance(entries, list) else []

    # Editing

    def _set_editing_enabled(self, enabled: bool) -> None:
        for widget in (
            self.confirm_button,
            self.review_only_button,
            self.apply_button,
            self.rule_editor,
        ):
            widget.setEnabled(enabled)

    def _show_entry(self, row: int) -> None:
        entry = self._entries()[row]
        self.sentence_view.setPlainText(str(entry.get("text", "")))
        rule = entry.get("rule")
        self.words_view.setPlainText(rule_in_words(rule))
        self.rule_editor.setPlainText(json.dumps(rule, indent=2, ensure_ascii=False))
        self.confirm_button.setEnabled(rule is not None)
        self.validation_label.setText("")

    def _decide(self, row: int, decision: Decision) -> None:
        entry = self._entries()[row]
        entry["verified"] = True
        self.model.replace_row(row, replace(self.model.row_at(row), decision=decision))
        self._update_save_button()

    def _update_save_button(self) -> None:
        pending = self.model.pending_count()
        self.save_button.setEnabled(self._data is not None and pending == 0)
        self.save_button.setToolTip(
            "Store these criteria as reviewed"
            if pending == 0
            else f"{pending} criteria still to decide"
        )

    def apply_rule_text(self, row: int, text: str) -> str | None:
        """Validate ``text`` as the rule of criterion ``row``; None when kept, else the problem."""
        assert self._data is not None
        try:
            rule = json.loads(text)
        except json.JSONDecodeError as error:
            return f"Not valid JSON: line {error.lineno}, column {error.colno}: {error.msg}"
        candidate = copy.deepcopy(self._data)
        candidate["criteria"][row]["rule"] = rule
        try:
            load_criteria(candidate)
        except CriteriaError as error:
            return str(error)
        self._entries()[row]["rule"] = rule
        self._decide(row, Decision.EDITED if rule is not None else Decision.REVIEW_ONLY)
        self._show_entry(row)
        return None

    @Slot(QItemSelection, QItemSelection)
    def _on_criteria_list_selection_changed(
        self, _selected: QItemSelection, _old: QItemSelection
    ) -> None:
        row = self.current_row()
        self._set_editing_enabled(row is not None)
        if row is not None:
            self._show_entry(row)

    @Slot()
    def _on_confirm_button_clicked(self) -> None:
        row = self.current_row()
        if row is not None:
            self._decide(row, Decision.CONFIRMED)
            self.select_row(min(row + 1, self.model.rowCount() - 1))

    @Slot()
    def _on_review_only_button_clicked(self) -> None:
        row = self.current_row()
        if row is None:
            return
        self._entries()[row]["rule"] = None
        self._decide(row, Decision.REVIEW_ONLY)
        self._show_entry(row)

    @Slot()
    def _on_apply_button_clicked(self) -> None:
        row = self.current_row()
        if row is None:
            return
        problem = self.apply_rule_text(row, self.rule_editor.toPlainText())
        if problem is None:
            self.validation_label.setText("✔ The rule is valid and kept.")
            self.validation_label.setStyleSheet("color: #1b7f3b;")
        else:
            self.validation_label.setText(f"✖ Not kept: {problem}")
            self.validation_label.setStyleSheet("color: #b3261e;")

    @Slot()
    def _on_save_button_clicked(self) -> None:
        if self._data is None or self.model.pending_count():
            return
        try:
            load_criteria(self._data)
        except CriteriaError as error:
            show_error(self, "Criteria not valid", str(error))
            return
        text = json.dumps(self._data, indent=2, ensure_ascii=False)
        session_factory, trial_id = self._session_factory, self.trial_id
        now = dt.datetime.now(dt.UTC)
        self.save_button.setEnabled(False)
        self._runner.start(
            lambda: store_criteria_set(
                session_factory,
                trial_id,
                # "curated" in the database means a person reviewed the set (criteria_library).
                CriteriaSource.CURATED,
                text,
                verified=True,
                reviewed_at=now,
            ),
            self._saved,
            self._save_failed,
        )

    @Slot(object)
    def _saved(self, _record: object) -> None:
        if self._on_saved is not None:
            self._on_saved(self.trial_id)
        self.accept()

    @Slot(Exception)
    def _save_failed(self, error: Exception) -> None:
        self._update_save_button()
        show_error(self, "Criteria not saved", str(error))
