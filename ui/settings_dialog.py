"""Clinic settings dialog: letterhead, physician, location, units and ULNs, the screening date."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from engine.facts import FACTS, FactKind
from engine.units import DEFAULT_CREATININE_ULN, DEFAULT_ULN, accepted_units, format_quantity
from models.settings import ClinicSettings, SettingsError, save_settings
from resources import resource_path
from ui import dialogs
from ui.profile.form_values import number_value, text_of
from ui.profile.lab_row import unit_label


@dataclass(frozen=True, slots=True)
class City:
    """A gazetteer entry: a major city with its approximate centre."""

    name: str
    country: str
    latitude: float
    longitude: float

    @property
    def display(self) -> str:
        return f"{self.name}, {self.country}"


@cache
def load_gazetteer() -> tuple[City, ...]:
    """The bundled offline list of major cities (resources/gazetteer/cities.json)."""
    path = resource_path("gazetteer", "cities.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        City(item["name"], item["country"], float(item["lat"]), float(item["lon"]))
        for item in data["cities"]
    )


@dataclass(frozen=True, slots=True)
class SettingsResult:
    """What the dialog gives back: the saved clinic settings and this session's screening date."""

    settings: ClinicSettings
    screening_date: date


def _lab_facts() -> list[str]:
    return [name for name, spec in FACTS.items()
            if name.startswith("lab.") and spec.kind is FactKind.NUMBER]  # fmt: skip


def _uln_keys() -> list[tuple[str, str, float | None, str]]:
    """(settings key, label, engine default, canonical unit) for every analyte with a ULN."""
    keys: list[tuple[str, str, float | None, str]] = []
    for fact in _lab_facts():
        spec = FACTS[fact]
        if not spec.has_uln:
            continue
        analyte = fact.removeprefix("lab.")
        if fact == "lab.creatinine":
            for sex in ("female", "male"):
                keys.append((f"{analyte}.{sex}", f"{spec.label} ({sex})",
                             DEFAULT_CREATININE_ULN[sex], spec.unit))  # fmt: skip
        else:
            keys.append((analyte, spec.label, DEFAULT_ULN.get(fact), spec.unit))
    return keys


class SettingsDialog(QDialog):
    """Edits ClinicSettings and the session's screening date; Save writes the settings file.

    The screening date is not saved: it belongs to this session only.
    """

    def __init__(
        self,
        settings: ClinicSettings,
        screening_date: date | None = None,
        settings_path: Path | None = None,
        today: date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Clinic Settings")
        self._settings = settings
        self._settings_path = settings_path
        self._today = today or date.today()
        self.result_value: SettingsResult | None = None

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_clinic_tab(settings), "&Clinic and physician")
        self.tabs.addTab(self._build_location_tab(settings, screening_date), "&Location and date")
        self.tabs.addTab(self._build_labs_tab(settings), "Lab &units and ULNs")

        self.problem_icon = QLabel()
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setTextFormat(Qt.TextFormat.PlainText)
        problem_row = QGridLayout()
        problem_row.addWidget(self.problem_icon, 0, 0, Qt.AlignmentFlag.AlignTop)
        problem_row.addWidget(self.problem_label, 0, 1)
        problem_row.setColumnStretch(1, 1)

        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addLayout(problem_row)
        layout.addWidget(self.button_box)

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        settings: ClinicSettings,
        screening_date: date | None = None,
        settings_path: Path | None = None,
    ) -> SettingsResult | None:
        """Show the dialog; the saved settings and the screening date, or None when cancelled."""
        dialog = cls(settings, screening_date, settings_path, parent=parent)
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted:
                return dialog.result_value
            return None
        finally:
            dialog.deleteLater()

    # Building -----------------------------------------------------------------------------

    @staticmethod
    def _line(name: str, text: str = "", placeholder: str = "") -> QLineEdit:
        edit = QLineEdit(text)
        edit.setAccessibleName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    def _build_clinic_tab(self, settings: ClinicSettings) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.clinic_name_edit = self._line("Clinic name", settings.clinic_name)
        self.clinic_address_edit = QPlainTextEdit(settings.clinic_address)
        self.clinic_address_edit.setAccessibleName("Clinic address")
        self.clinic_address_edit.setTabChangesFocus(True)
        lines = self.clinic_address_edit.fontMetrics().lineSpacing()
        self.clinic_address_edit.setMaximumHeight(lines * 5)
        self.clinic_phone_edit = self._line("Clinic phone", settings.clinic_phone)
        self.physician_name_edit = self._line("Physician name", settings.physician_name)
        self.physician_credentials_edit = self._line(
            "Physician credentials", settings.physician_credentials, "e.g. MD, PhD, rheumatology"
        )
        self.physician_phone_edit = self._line("Physician phone", settings.physician_phone)
        self.physician_email_edit = self._line("Physician e-mail", settings.physician_email)
        for text, widget in (
            ("Clinic &name", self.clinic_name_edit),
            ("&Address", self.clinic_address_edit),
            ("Clinic &phone", self.clinic_phone_edit),
            ("P&hysician", self.physician_name_edit),
            ("C&redentials", self.physician_credentials_edit),
            ("Physician ph&one", self.physician_phone_edit),
            ("&E-mail", self.physician_email_edit),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        return tab

    def _build_location_tab(self, settings: ClinicSettings, screening_date: date | None) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.city_combo = QComboBox()
        self.city_combo.setEditable(True)
        self.city_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.city_combo.setAccessibleName("Clinic city (choose to fill in the coordinates)")
        self.city_combo.addItem("", None)
        for city in sorted(load_gazetteer(), key=lambda c: (c.name, c.country)):
            self.city_combo.addItem(city.display, city)
        completer = self.city_combo.completer()
        if completer is not None:
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.city_combo.setCurrentIndex(0)
        self.city_combo.setEditText(settings.clinic_city)
        self.city_combo.activated.connect(self._on_city_combo_activated)
        self.latitude_edit = self._line(
            "Clinic latitude in decimal degrees", text_of(settings.clinic_latitude),
            "e.g. 28.23 (north positive)",
        )  # fmt: skip
        self.longitude_edit = self._line(
            "Clinic longitude in decimal degrees", text_of(settings.clinic_longitude),
            "e.g. 112.94 (east positive)",
        )  # fmt: skip
        self.screening_date_edit = self._line(
            "Screening date for this session (not saved)",
            (screening_date or self._today).isoformat(),
            "YYYY-MM-DD",
        )
        note = QLabel(
            "Choose a city to fill in its approximate coordinates, or type coordinates. "
            "They are used only for distances to trial sites."
        )
        note.setWordWrap(True)
        for text, widget in (
            ("C&ity", self.city_combo),
            ("&Latitude", self.latitude_edit),
            ("L&ongitude", self.longitude_edit),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        form.addRow(note)
        label = QLabel("&Screening date")
        label.setBuddy(self.screening_date_edit)
        form.addRow(label, self.screening_date_edit)
        date_note = QLabel("The date eligibility is judged on; for this session only.")
        date_note.setWordWrap(True)
        form.addRow(date_note)
        return tab

    def _build_labs_tab(self, settings: ClinicSettings) -> QWidget:
        inner = QWidget()
        grid = QGridLayout(inner)
        grid.addWidget(QLabel("Analyte"), 0, 0)
        grid.addWidget(QLabel("Preferred unit"), 0, 1)
        self.unit_combos: dict[str, QComboBox] = {}
        row = 1
        for fact in _lab_facts():
            units = accepted_units(fact)
            if len(units) < 2:
                continue
            analyte = fact.removeprefix("lab.")
            combo = QComboBox()
            combo.setAccessibleName(f"Preferred unit for {FACTS[fact].label}")
            for code in units:
                combo.addItem(unit_label(code), code)
            preferred = settings.preferred_units.get(analyte)
            index = combo.findData(preferred) if preferred else 0
            combo.setCurrentIndex(max(index, 0))
            label = QLabel(FACTS[fact].label)
            label.setBuddy(combo)
            grid.addWidget(label, row, 0)
            grid.addWidget(combo, row, 1)
            self.unit_combos[analyte] = combo
            row += 1

        grid.addWidget(QLabel("Upper limit of normal of your lab (blank: the default)"), row, 0,
                       1, 2)  # fmt: skip
        row += 1
        self.uln_edits: dict[str, QLineEdit] = {}
        for key, label_text, default, unit in _uln_keys():
            placeholder = (f"default {format_quantity(default, unit)} (assumed)" if default
                           else "no default: ×ULN rules stay unknown")  # fmt: skip
            value = settings.lab_ulns.get(key)
            edit = self._line(f"Upper limit of normal for {label_text}", text_of(value),
                              placeholder)  # fmt: skip
            edit.setToolTip(f"In {unit_label(unit)}; blank: {placeholder}")
            label = QLabel(label_text)
            label.setBuddy(edit)
            grid.addWidget(label, row, 0)
            grid.addWidget(edit, row, 1)
            self.uln_edits[key] = edit
            row += 1
        grid.setRowStretch(row, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        return scroll

    # Reading ------------------------------------------------------------------------------

    def collect(self) -> tuple[SettingsResult | None, list[tuple[QWidget, str]]]:
        """The result the fields describe, or the problems (field, message) that prevent it."""
        problems: list[tuple[QWidget, str]] = []
        coordinates: list[float | None] = []
        for edit, name, limit in ((self.latitude_edit, "Latitude", 90.0),
                                  (self.longitude_edit, "Longitude", 180.0)):  # fmt: skip
            value = number_value(edit.text())
            if value is None:
                coordinates.append(None)
            elif isinstance(value, str) or not math.isfinite(value) or abs(value) > limit:
                problems.append((edit, f"{name}: {edit.text().strip()!r} is not a number "
                                       f"between -{limit:g} and {limit:g}"))  # fmt: skip
                coordinates.append(None)
            else:
                coordinates.append(float(value))
        latitude, longitude = coordinates
        if (latitude is None) != (longitude is None) and not problems:
            missing = self.longitude_edit if longitude is None else self.latitude_edit
            problems.append((missing, "Enter both latitude and longitude, or neither"))
        ulns: dict[str, float] = {}
        for key, edit in self.uln_edits.items():
            value = number_value(edit.text())
            if value is None:
                continue
            if isinstance(value, str) or value <= 0:
                problems.append((edit, f"{edit.accessibleName()}: {edit.text().strip()!r} is "
                                       "not a positive number"))  # fmt: skip
            else:
                ulns[key] = float(value)
        screening: date | None = None
        text = self.screening_date_edit.text().strip()
        try:
            screening = date.fromisoformat(text)
            if len(text) != 10:
                raise ValueError(text)
        except ValueError:
            problems.append((self.screening_date_edit,
                             f"Screening date: {text!r} is not a date YYYY-MM-DD"))  # fmt: skip
        if problems or screening is None:
            return None, problems
        preferred = {}
        for analyte, combo in self.unit_combos.items():
            code = combo.currentData()
            # The canonical unit (first) is the default: only a different choice is stored.
            if isinstance(code, str) and combo.currentIndex() > 0:
                preferred[analyte] = code
        settings = ClinicSettings(
            clinic_name=self.clinic_name_edit.text().strip(),
            clinic_address=self.clinic_address_edit.toPlainText().strip(),
            clinic_phone=self.clinic_phone_edit.text().strip(),
            clinic_city=self.city_combo.currentText().strip(),
            clinic_latitude=latitude,
            clinic_longitude=longitude,
            physician_name=self.physician_name_edit.text().strip(),
            physician_credentials=self.physician_credentials_edit.text().strip(),
            physician_phone=self.physician_phone_edit.text().strip(),
            physician_email=self.physician_email_edit.text().strip(),
            lab_ulns=ulns,
            preferred_units=preferred,
        )
        return SettingsResult(settings, screening), []

    @override
    def accept(self) -> None:
        result, problems = self.collect()
        if result is None:
            self._show_problems(problems)
            return
        try:
            save_settings(result.settings, self._settings_path)
        except (OSError, SettingsError) as error:
            dialogs.show_error(self, "Cannot save the settings", str(error))
            return
        self.result_value = result
        super().accept()

    def _show_problems(self, problems: list[tuple[QWidget, str]]) -> None:
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)
        self.problem_icon.setPixmap(icon.pixmap(size, size))
        self.problem_label.setText("\n".join(f"Error: {message}" for _, message in problems))
        for widget, message in problems:
            widget.setToolTip(message)
            widget.setAccessibleDescription(message)
        first = problems[0][0]
        page: QWidget | None = first
        while page is not None and self.tabs.indexOf(page) < 0:
            page = page.parentWidget()
        if page is not None:
            self.tabs.setCurrentWidget(page)
        first.setFocus(Qt.FocusReason.OtherFocusReason)

    # Slots --------------------------------------------------------------------------------

    @Slot(int)
    def _on_city_combo_activated(self, index: int) -> None:
        city = self.city_combo.itemData(index)
        if isinstance(city, City):
            self.latitude_edit.setText(text_of(city.latitude))
            self.longitude_edit.setText(text_of(city.longitude))
