"""One history question in the form: yes / no / not known, with the date when it applies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QWidget

from engine.facts import FACTS
from ui.profile.choice_combo import tri_state_combo
from ui.profile.entry_row import EntryRow, make_date_edit
from ui.profile.form_values import text_of, text_value


class HistoryRow(EntryRow):
    """A history item; "not known" (the default) is never written as "no"."""

    def __init__(self, item: str, parent: QWidget | None = None) -> None:
        spec = FACTS[item]
        super().__init__(spec.label, parent)
        self.item = item
        self.present_combo = tri_state_combo()
        self.present_combo.setAccessibleName(f"{spec.label}: present?")
        self.date_edit = make_date_edit(f"{spec.label} date")
        self.add_editor("present", self.present_combo, "answer")
        self.add_editor("date", self.date_edit, "date")
        self.add_stretch()

    def to_entry(self) -> dict[str, Any] | None:
        present = self.present_combo.value()
        day = text_value(self.date_edit.text())
        if present is None and day is None and not self.extra:
            return None
        return self._with_extra({"item": self.item, "present": present, "date": day})

    def load_entry(self, entry: Mapping[str, Any]) -> None:
        self._remember_extra(entry, {"item", "present", "date"})
        self.present_combo.set_value(entry.get("present"))
        self.date_edit.setText(text_of(entry.get("date")))

    def clear_row(self) -> None:
        self.extra = {}
        self.set_kept_entries([])
        self.present_combo.reset()
        self.date_edit.clear()
