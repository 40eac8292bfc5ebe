"""One prior or current treatment in the form: drug (any name), start, end, dose, dose unit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QPushButton, QWidget

from engine.profile import DOSE_UNITS
from engine.vocabulary import DRUGS, find_drug
from ui.profile.choice_combo import ChoiceCombo
from ui.profile.entry_row import EntryRow, make_date_edit, make_line_edit
from ui.profile.form_values import number_value, text_of, text_value
from ui.profile.vocabulary_completer import VocabularyCompleter
from ui.profile.vocabulary_term_list_model import drug_terms


def resolve_drug(text: str) -> str | None:
    """The drug id a typed name stands for ("MMF" → "mycophenolate"); None if unknown."""
    found = find_drug(text)
    if found is None and " — " in text:
        found = find_drug(text.rsplit(" — ", 1)[1])
    return None if found is None else found.id


class TreatmentRow(EntryRow):
    """A treatment; a blank end date means ongoing.

    Signals:
        remove_requested: the row's Remove button was pressed.
    """

    remove_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Treatment", parent)
        self.title_label.hide()
        self.drug_edit = make_line_edit("Drug or procedure", 14, "drug, brand or abbreviation")
        self.completer = VocabularyCompleter(drug_terms(), self)
        self.drug_edit.setCompleter(self.completer)
        self.start_edit = make_date_edit("Treatment start date")
        self.end_edit = make_date_edit("Treatment end date (blank: ongoing)")
        self.end_edit.setPlaceholderText("ongoing")
        self.dose_edit = make_line_edit("Dose", 6, "dose")
        self.dose_unit_combo = ChoiceCombo([("unit", None)] + [(u, u) for u in DOSE_UNITS])
        self.dose_unit_combo.setAccessibleName("Dose unit")
        self.remove_button = QPushButton("✕")
        self.remove_button.setToolTip("Remove this treatment")
        self.remove_button.setAccessibleName("Remove this treatment")
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.add_editor("drug", self.drug_edit, "drug", 1)
        self.add_text("from")
        self.add_editor("start", self.start_edit, "start")
        self.add_text("to")
        self.add_editor("end", self.end_edit, "end")
        self.add_editor("dose", self.dose_edit, "dose")
        self.add_editor("dose_unit", self.dose_unit_combo, "dose unit")
        self.editor_layout.addWidget(self.remove_button)

    def drug_id(self) -> str | None:
        return resolve_drug(self.drug_edit.text())

    def to_entry(self) -> dict[str, Any] | None:
        typed = self.drug_edit.text().strip()
        start = text_value(self.start_edit.text())
        end = text_value(self.end_edit.text())
        dose = number_value(self.dose_edit.text())
        unit = self.dose_unit_combo.value()
        if not typed and start is None and end is None and dose is None and unit is None:
            return None
        drug = self.drug_id()
        return self._with_extra(
            {
                # An unresolved name is kept as typed, so validation says "unknown drug …".
                "drug": drug if drug is not None else (typed or None),
                "start": start,
                "end": end,
                "dose": dose,
                "dose_unit": unit,
            }
        )

    def load_entry(self, entry: Mapping[str, Any]) -> None:
        self._remember_extra(entry, {"drug", "start", "end", "dose", "dose_unit"})
        drug = entry.get("drug")
        self.drug_edit.setText(
            DRUGS[drug].label if isinstance(drug, str) and drug in DRUGS else text_of(drug)
        )
        self.start_edit.setText(text_of(entry.get("start")))
        self.end_edit.setText(text_of(entry.get("end")))
        self.dose_edit.setText(text_of(entry.get("dose")))
        self.dose_unit_combo.set_value(entry.get("dose_unit"))

    def clear_row(self) -> None:
        self.extra = {}
        for edit in (self.drug_edit, self.start_edit, self.end_edit, self.dose_edit):
            edit.clear()
        self.dose_unit_combo.reset()

    @Slot()
    def _on_remove_button_clicked(self) -> None:
        self.remove_requested.emit(self)
