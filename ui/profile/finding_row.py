"""One yes/no finding in the form (a serology, an antibody, a marker): result, date, titer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QWidget

from engine.facts import FACTS
from ui.profile.choice_combo import ChoiceCombo
from ui.profile.entry_row import EntryRow, make_date_edit, make_line_edit
from ui.profile.form_values import number_value, text_of, text_value

TEST_RESULTS: tuple[tuple[str, object], ...] = (
    ("not done", None),
    ("negative", "negative"),
    ("positive", "positive"),
    ("indeterminate", "indeterminate"),
)
FEATURE_RESULTS: tuple[tuple[str, object], ...] = (
    ("not known", None),
    ("absent", "absent"),
    ("present", "present"),
)


class FindingRow(EntryRow):
    """A test result (positive / negative / not done) or a disease feature (present / absent /
    not known), with its date; antibodies also take a titer."""

    def __init__(self, test: str, parent: QWidget | None = None) -> None:
        spec = FACTS[test]
        super().__init__(spec.label, parent)
        self.test = test
        choices = FEATURE_RESULTS if test.startswith("disease.") else TEST_RESULTS
        self.result_combo = ChoiceCombo(choices)
        self.date_edit = make_date_edit(f"{spec.label} date")
        self.add_editor("result", self.result_combo, "result")
        self.result_combo.setAccessibleName(f"{spec.label} result")
        self.add_editor("date", self.date_edit, "date")
        self.titer_edit = None
        if test.startswith("antibody."):
            self.titer_edit = make_line_edit(f"{spec.label} titer (1:n, enter n)", 6, "titer 1:n")
            self.add_editor("titer", self.titer_edit, "titer")
        self.add_stretch()

    def to_entry(self) -> dict[str, Any] | None:
        result = self.result_combo.value()
        day = text_value(self.date_edit.text())
        titer = number_value(self.titer_edit.text()) if self.titer_edit is not None else None
        if result is None and day is None and titer is None:
            return None
        return self._with_extra({"test": self.test, "result": result, "date": day, "titer": titer})

    def load_entry(self, entry: Mapping[str, Any]) -> None:
        self._remember_extra(entry, {"test", "result", "date", "titer"})
        result = entry.get("result")
        if isinstance(result, str):
            # Files may say present/yes for a test: keep the word, select the matching answer.
            folded = result.strip().casefold()
            for index in range(self.result_combo.count()):
                if self.result_combo.itemData(index) == folded:
                    result = folded
        self.result_combo.set_value(result)
        self.date_edit.setText(text_of(entry.get("date")))
        if self.titer_edit is not None:
            self.titer_edit.setText(text_of(entry.get("titer")))
        elif entry.get("titer") is not None:
            self.extra["titer"] = entry["titer"]

    def clear_row(self) -> None:
        self.extra = {}
        self.set_kept_entries([])
        self.result_combo.reset()
        self.date_edit.clear()
        if self.titer_edit is not None:
            self.titer_edit.clear()
