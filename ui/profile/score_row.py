"""One disease-activity score in the form: value and date (BILAG-2004: nine domain grades)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from engine.vocabulary import BILAG_DOMAINS, BILAG_GRADES, INSTRUMENTS
from ui.profile.choice_combo import ChoiceCombo
from ui.profile.entry_row import EntryRow, make_date_edit, make_line_edit
from ui.profile.form_values import number_value, text_of, text_value

BILAG_ID = "bilag_2004"


class ScoreRow(EntryRow):
    """An instrument's value with its date; BILAG-2004 rows hold a grade per domain instead."""

    def __init__(self, instrument: str, parent: QWidget | None = None) -> None:
        spec = INSTRUMENTS[instrument]
        super().__init__(spec.label, parent)
        self.instrument = instrument
        self.value_edit = None
        self.domain_combos: dict[str, ChoiceCombo] = {}
        if instrument == BILAG_ID:
            grid_widget = QWidget()
            grid = QGridLayout(grid_widget)
            grid.setContentsMargins(0, 0, 0, 0)
            for position, domain in enumerate(BILAG_DOMAINS):
                combo = ChoiceCombo([("not graded", None)] + [(g, g) for g in BILAG_GRADES])
                label = QLabel(domain.capitalize())
                label.setBuddy(combo)
                combo.setAccessibleName(f"BILAG-2004 {domain} grade")
                row, column = divmod(position, 2)
                grid.addWidget(label, row, column * 2)
                grid.addWidget(combo, row, column * 2 + 1)
                self.register_editor(f"domains.{domain}", combo, f"{domain} grade")
                self.domain_combos[domain] = combo
            # Under the title and date rather than beside them: nine grades are wide.
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(1, grid_widget)
        else:
            scale = f"{spec.low:g}–{spec.high:g}"
            self.value_edit = make_line_edit(f"{spec.label} value ({scale})", 6, scale)
            self.add_editor("value", self.value_edit, "value")
        self.date_edit = make_date_edit(f"{spec.label} date")
        self.add_editor("date", self.date_edit, "date")
        self.add_stretch()

    def to_entry(self) -> dict[str, Any] | None:
        day = text_value(self.date_edit.text())
        if self.value_edit is None:
            domains = {d: c.value() for d, c in self.domain_combos.items() if c.value() is not None}
            if not domains and day is None:
                return None
            extra_domains = self.extra.get("domains")
            merged = dict(extra_domains) if isinstance(extra_domains, Mapping) else {}
            merged.update(domains)
            return self._with_extra({"instrument": self.instrument, "domains": merged, "date": day})
        value = number_value(self.value_edit.text())
        if value is None and day is None:
            return None
        return self._with_extra({"instrument": self.instrument, "value": value, "date": day})

    def load_entry(self, entry: Mapping[str, Any]) -> None:
        if self.value_edit is None:
            self._remember_extra(entry, {"instrument", "date"})
            domains = entry.get("domains")
            known = {}
            if isinstance(domains, Mapping):
                known = {d: g for d, g in domains.items() if d in self.domain_combos}
                # Unknown domain names stay in the kept "domains" so validation names them.
                self.extra["domains"] = {d: g for d, g in domains.items() if d not in known}
            for domain, combo in self.domain_combos.items():
                if domain in known:
                    combo.set_value(known[domain])
                else:
                    combo.reset()
        else:
            self._remember_extra(entry, {"instrument", "value", "date"})
            self.value_edit.setText(text_of(entry.get("value")))
        self.date_edit.setText(text_of(entry.get("date")))

    def clear_row(self) -> None:
        self.extra = {}
        self.set_kept_entries([])
        if self.value_edit is not None:
            self.value_edit.clear()
        for combo in self.domain_combos.values():
            combo.reset()
        self.date_edit.clear()
