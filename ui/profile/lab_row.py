"""One lab result in the form: value, unit (the analyte's accepted units), date, the lab's ULN."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QPushButton, QWidget

from engine.facts import FACTS
from engine.units import (
    DEFAULT_CREATININE_ULN,
    DEFAULT_ULN,
    accepted_units,
    display_unit,
    format_quantity,
    resolve_unit,
)
from models.settings import ClinicSettings
from ui.profile.choice_combo import ChoiceCombo
from ui.profile.entry_row import EntryRow, make_date_edit, make_line_edit
from ui.profile.form_values import number_value, text_of, text_value


def unit_label(code: str) -> str:
    """A unit code as a physician reads it in a chooser ("10*9/L" → "×10⁹/L", "{INR}" → "ratio")."""
    return display_unit(code) or "ratio"


def uln_placeholder(fact: str, settings: ClinicSettings) -> str:
    """What an empty ULN field stands for: the clinic's or the engine's assumed default."""
    analyte = fact.removeprefix("lab.")
    unit = display_unit(FACTS[fact].unit)
    if fact == "lab.creatinine":
        female = settings.lab_ulns.get(f"{analyte}.female", DEFAULT_CREATININE_ULN["female"])
        male = settings.lab_ulns.get(f"{analyte}.male", DEFAULT_CREATININE_ULN["male"])
        return f"default F {female:g} / M {male:g} {unit} (assumed)"
    default = settings.lab_ulns.get(analyte, DEFAULT_ULN.get(fact))
    if default is None:
        return "no default: enter the lab's ULN"
    return f"default {format_quantity(default, FACTS[fact].unit)} (assumed)"


class LabRow(EntryRow):
    """A lab analyte's latest result. The ULN is in the unit of the value, as the lab reports it."""

    def __init__(self, fact: str, settings: ClinicSettings, parent: QWidget | None = None) -> None:
        spec = FACTS[fact]
        super().__init__(spec.label, parent)
        self.fact = fact
        self.analyte = fact.removeprefix("lab.")
        self.value_edit = make_line_edit(f"{spec.label} value", 8)
        self.unit_combo = ChoiceCombo([])
        self.date_edit = make_date_edit(f"{spec.label} date")
        self.add_editor("value", self.value_edit, "value")
        self.add_editor("unit", self.unit_combo, "unit")
        self.unit_combo.setAccessibleName(f"{spec.label} unit")
        self.add_editor("date", self.date_edit, "date")
        self.uln_edit = None
        if spec.has_uln:
            self.uln_edit = make_line_edit(f"{spec.label} upper limit of normal", 7)
            self.add_text("ULN")
            self.add_editor("uln", self.uln_edit, "ULN")
        # The likely fix for an implausible value, one click (or Space) away.
        self.fix_button = QPushButton()
        self.fix_button.setAccessibleName(f"Change the {spec.label} unit to the suggested one")
        self.fix_button.hide()
        self.fix_button.clicked.connect(self._on_fix_button_clicked)
        self._suggested_unit: str | None = None
        self.editor_layout.addWidget(self.fix_button)
        self.add_stretch()
        self.apply_settings(settings)

    def offer_unit_fix(self, unit: str | None) -> None:
        """Show a button that switches to ``unit`` (None: hide it)."""
        if unit == self._suggested_unit:
            return
        self._suggested_unit = unit
        if unit is None:
            self.fix_button.hide()
            return
        self.fix_button.setText(f"Use {unit_label(unit)}")
        self.fix_button.setAccessibleName(f"Change the {self.title} unit to {unit_label(unit)}")
        self.fix_button.show()

    @Slot()
    def _on_fix_button_clicked(self) -> None:
        if self._suggested_unit is not None:
            self.unit_combo.set_value(self._suggested_unit)

    def apply_settings(self, settings: ClinicSettings) -> None:
        """Offer the clinic's preferred unit first and show its ULN as the placeholder."""
        # A unit already chosen for a typed value stays; an empty row starts at the preferred one.
        has_value = bool(self.value_edit.text().strip())
        current = self.unit_combo.value() if self.unit_combo.count() and has_value else None
        codes = list(accepted_units(self.fact))
        preferred = settings.preferred_units.get(self.analyte)
        preferred_code = resolve_unit(self.fact, preferred) if preferred else None
        if preferred_code in codes:
            codes.remove(preferred_code)
            codes.insert(0, preferred_code)
        self.unit_combo.blockSignals(True)
        self.unit_combo.clear()
        for code in codes:
            self.unit_combo.addItem(unit_label(code), code)
        self.unit_combo.set_choice_count(len(codes))
        self.unit_combo.blockSignals(False)
        if current is not None:
            self._select_unit(current)
        if self.uln_edit is not None:
            placeholder = uln_placeholder(self.fact, settings)
            self.uln_edit.setPlaceholderText(placeholder)
            self.uln_edit.setToolTip(
                f"The lab's upper limit of normal, in the value's unit; blank: {placeholder}"
            )

    def _select_unit(self, unit: object) -> None:
        if isinstance(unit, str):
            code = resolve_unit(self.fact, unit)
            if code is not None and code == unit:
                self.unit_combo.set_value(code)
                return
            if code is not None:
                # Another spelling of an accepted unit ("g/dl"): keep the file's spelling.
                self.unit_combo.set_value(unit, f"{unit} (as written in the file)")
                return
        self.unit_combo.set_value(unit)

    def to_entry(self) -> dict[str, Any] | None:
        value = number_value(self.value_edit.text())
        day = text_value(self.date_edit.text())
        uln = number_value(self.uln_edit.text()) if self.uln_edit is not None else None
        if value is None and day is None and uln is None:
            return None
        return self._with_extra(
            {
                "analyte": self.analyte,
                "value": value,
                "unit": self.unit_combo.value(),
                "date": day,
                "uln": uln,
            }
        )

    def load_entry(self, entry: Mapping[str, Any]) -> None:
        self._remember_extra(entry, {"analyte", "value", "unit", "date", "uln"})
        self.value_edit.setText(text_of(entry.get("value")))
        if "unit" in entry:
            self._select_unit(entry.get("unit"))
        self.date_edit.setText(text_of(entry.get("date")))
        if self.uln_edit is not None:
            self.uln_edit.setText(text_of(entry.get("uln")))
        elif entry.get("uln") is not None:
            self.extra["uln"] = entry["uln"]

    def clear_row(self) -> None:
        self.extra = {}
        self.set_kept_entries([])
        self.value_edit.clear()
        self.unit_combo.reset()
        self.date_edit.clear()
        if self.uln_edit is not None:
            self.uln_edit.clear()
