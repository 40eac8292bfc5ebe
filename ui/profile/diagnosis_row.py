"""One diagnosis in the form: condition (any name or synonym), date, criteria, status, biopsy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from engine.profile import DIAGNOSIS_STATUSES, LN_CLASSES
from engine.vocabulary import CONDITIONS, find_condition
from ui.profile.entry_row import EntryRow, make_date_edit, make_line_edit
from ui.profile.form_values import list_value, number_value, text_of, text_value
from ui.profile.vocabulary_completer import VocabularyCompleter
from ui.profile.vocabulary_term_list_model import condition_terms

_EDITED_KEYS = {
    "condition",
    "text",
    "diagnosis_date",
    "classification",
    "subtype",
    "status",
    "lupus_nephritis",
}
_BIOPSY_KEYS = {"classes", "biopsy_date", "activity_index", "chronicity_index"}


def resolve_condition(text: str) -> str | None:
    """The condition id a typed name stands for ("dry syndrome" → "sjogren"); None if unknown."""
    found = find_condition(text)
    if found is None and " — " in text:
        found = find_condition(text.rsplit(" — ", 1)[1])
    return None if found is None else found.id


class DiagnosisRow(EntryRow):
    """A diagnosis. Classification criteria are separated by ";" ("2019 EULAR/ACR; SLICC 2012").

    Signals:
        remove_requested: the row's Remove button was pressed.
    """

    remove_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Diagnosis", parent)
        self._loaded_condition: str | None = None
        # The file's free text and what was shown for it: unchanged, the file's text is kept.
        self._loaded_text: object = None
        self._shown_text = ""
        # Values from a file that no checkbox stands for: written back so validation names them.
        self._unknown_status: list[Any] = []
        self._unknown_classes: list[Any] = []
        grid_widget = QWidget()
        grid = QGridLayout(grid_widget)
        grid.setContentsMargins(0, 0, 0, 0)

        self.condition_edit = make_line_edit(
            "Diagnosis (name, synonym or ICD-10 code)", 18, "condition, synonym or ICD-10"
        )
        self.completer = VocabularyCompleter(condition_terms(), self)
        self.condition_edit.setCompleter(self.completer)
        self.date_edit = make_date_edit("Diagnosis date")
        self.classification_edit = make_line_edit(
            "Classification criteria met", 12, "e.g. 2019 EULAR/ACR"
        )
        self.subtype_edit = make_line_edit("Subtype", 10, "e.g. diffuse cutaneous")
        self.status_boxes = {status: QCheckBox(status) for status in DIAGNOSIS_STATUSES}
        self.class_boxes = {ln_class: QCheckBox(ln_class) for ln_class in LN_CLASSES}
        self.biopsy_date_edit = make_date_edit("Lupus nephritis biopsy date")
        self.activity_edit = make_line_edit("NIH activity index (0–24)", 4, "0–24")
        self.chronicity_edit = make_line_edit("NIH chronicity index (0–12)", 4, "0–12")
        self.remove_button = QPushButton("Remove diagnosis")
        self.remove_button.setAccessibleName("Remove this diagnosis")
        self.remove_button.clicked.connect(self._on_remove_button_clicked)

        self.register_editor("condition", self.condition_edit, "diagnosis")
        self.register_editor("diagnosis_date", self.date_edit, "diagnosis date")
        self.register_editor("classification", self.classification_edit, "classification")
        self.register_editor("subtype", self.subtype_edit, "subtype")
        for status, box in self.status_boxes.items():
            box.setAccessibleName(f"Disease status: {status}")
            self.register_editor(f"status.{status}", box, status)
        for ln_class, box in self.class_boxes.items():
            box.setAccessibleName(f"Lupus nephritis class {ln_class}")
            self.register_editor(f"lupus_nephritis.classes.{ln_class}", box, f"class {ln_class}")
        self.register_editor("lupus_nephritis.biopsy_date", self.biopsy_date_edit, "biopsy date")
        self.register_editor("lupus_nephritis.activity_index", self.activity_edit, "activity index")
        self.register_editor(
            "lupus_nephritis.chronicity_index", self.chronicity_edit, "chronicity index"
        )

        grid.addWidget(_buddy("&Condition", self.condition_edit), 0, 0)
        grid.addWidget(self.condition_edit, 0, 1, 1, 3)
        grid.addWidget(_buddy("Diagnosed", self.date_edit), 0, 4)
        grid.addWidget(self.date_edit, 0, 5)
        grid.addWidget(_buddy("Classification", self.classification_edit), 1, 0)
        grid.addWidget(self.classification_edit, 1, 1)
        grid.addWidget(_buddy("Subtype", self.subtype_edit), 1, 2)
        grid.addWidget(self.subtype_edit, 1, 3)
        grid.addWidget(QLabel("Status"), 2, 0)
        grid.addLayout(_row_of(list(self.status_boxes.values())), 2, 1, 1, 3)
        grid.addWidget(QLabel("LN biopsy class"), 3, 0)
        grid.addLayout(_row_of(list(self.class_boxes.values())), 3, 1, 1, 3)
        grid.addWidget(_buddy("Biopsy date", self.biopsy_date_edit), 3, 4)
        grid.addWidget(self.biopsy_date_edit, 3, 5)
        indices = QHBoxLayout()
        indices.addWidget(_buddy("NIH activity", self.activity_edit))
        indices.addWidget(self.activity_edit)
        indices.addWidget(_buddy("chronicity", self.chronicity_edit))
        indices.addWidget(self.chronicity_edit)
        indices.addStretch(1)
        grid.addLayout(indices, 4, 1, 1, 3)
        grid.addWidget(self.remove_button, 4, 5)
        self.title_label.hide()
        self.editor_layout.addWidget(grid_widget, 1)

    def condition_id(self) -> str | None:
        return resolve_condition(self.condition_edit.text())

    def is_blank(self) -> bool:
        return self.to_entry() is None

    def to_entry(self) -> dict[str, Any] | None:
        typed = self.condition_edit.text().strip()
        condition = self.condition_id()
        day = text_value(self.date_edit.text())
        classification = list_value(self.classification_edit.text())
        subtype = text_value(self.subtype_edit.text())
        status = [s for s, box in self.status_boxes.items() if box.isChecked()]
        status += self._unknown_status
        biopsy = {
            "classes": [c for c, box in self.class_boxes.items() if box.isChecked()]
            + self._unknown_classes,
            "biopsy_date": text_value(self.biopsy_date_edit.text()),
            "activity_index": number_value(self.activity_edit.text()),
            "chronicity_index": number_value(self.chronicity_edit.text()),
        }
        has_biopsy = bool(biopsy["classes"]) or any(
            biopsy[k] is not None for k in ("biopsy_date", "activity_index", "chronicity_index")
        )
        if not typed and not (day or classification or subtype or status or has_biopsy):
            return None
        entry = dict(self.extra)
        kept_biopsy = entry.pop("lupus_nephritis_extra", {})
        if condition is None or condition != self._loaded_condition:
            # A different condition: the file's free text and code described the old one.
            entry.pop("icd10", None)
        entry.update(
            {
                # An unresolved name is kept as typed, so validation says "unknown condition …".
                "condition": condition if condition is not None else (typed or None),
                "text": self._loaded_text if typed == self._shown_text else (typed or None),
                "diagnosis_date": day,
                "classification": classification,
                "subtype": subtype,
                "status": status,
                "lupus_nephritis": {**kept_biopsy, **biopsy} if has_biopsy or kept_biopsy else None,
            }
        )
        return entry

    def load_entry(self, entry: Mapping[str, Any]) -> None:
        self._remember_extra(entry, _EDITED_KEYS)
        condition = entry.get("condition")
        text = entry.get("text")
        if isinstance(condition, str) and condition in CONDITIONS:
            self._loaded_condition = condition
            shown = (
                text
                if isinstance(text, str) and resolve_condition(text) == condition
                else (CONDITIONS[condition].label)
            )
        else:
            self._loaded_condition = None
            shown = text_of(condition) or text_of(text)
        self.condition_edit.setText(shown)
        self._loaded_text = text
        self._shown_text = shown
        self.date_edit.setText(text_of(entry.get("diagnosis_date")))
        classification = entry.get("classification")
        self.classification_edit.setText(
            "; ".join(str(c) for c in classification)
            if isinstance(classification, list)
            else text_of(classification)
        )
        self.subtype_edit.setText(text_of(entry.get("subtype")))
        status = entry.get("status")
        status_list = status if isinstance(status, list) else []
        for name, box in self.status_boxes.items():
            box.setChecked(name in status_list)
        self._unknown_status = [s for s in status_list if s not in self.status_boxes]
        biopsy = entry.get("lupus_nephritis")
        biopsy_map: Mapping[str, Any] = biopsy if isinstance(biopsy, Mapping) else {}
        classes = biopsy_map.get("classes")
        class_list = classes if isinstance(classes, list) else []
        for name, box in self.class_boxes.items():
            box.setChecked(name in class_list)
        self._unknown_classes = [c for c in class_list if c not in self.class_boxes]
        self.biopsy_date_edit.setText(text_of(biopsy_map.get("biopsy_date")))
        self.activity_edit.setText(text_of(biopsy_map.get("activity_index")))
        self.chronicity_edit.setText(text_of(biopsy_map.get("chronicity_index")))
        kept = {k: v for k, v in biopsy_map.items() if k not in _BIOPSY_KEYS}
        if kept:
            self.extra["lupus_nephritis_extra"] = kept

    def clear_row(self) -> None:
        self.extra = {}
        self._loaded_condition = None
        self._unknown_status = []
        self._unknown_classes = []
        self._loaded_text = None
        self._shown_text = ""
        for edit in (
            self.condition_edit,
            self.date_edit,
            self.classification_edit,
            self.subtype_edit,
            self.biopsy_date_edit,
            self.activity_edit,
            self.chronicity_edit,
        ):
            edit.clear()
        for box in (*self.status_boxes.values(), *self.class_boxes.values()):
            box.setChecked(False)

    @Slot()
    def _on_remove_button_clicked(self) -> None:
        self.remove_requested.emit(self)


def _buddy(text: str, editor: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(editor)
    return label


def _row_of(widgets: list[QWidget]) -> QHBoxLayout:
    row = QHBoxLayout()
    for widget in widgets:
        row.addWidget(widget)
    row.addStretch(1)
    return row
