"""The settings dialog: round trip through the settings file, gazetteer cities, inline problems."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from models.settings import ClinicSettings, load_settings
from ui.settings_dialog import SettingsDialog, SettingsResult, load_gazetteer

TODAY = date(2026, 11, 23)


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings.json"


def make_dialog(qtbot: QtBot, settings: ClinicSettings, path: Path) -> SettingsDialog:
    dialog = SettingsDialog(settings, None, path, today=TODAY)
    qtbot.addWidget(dialog)
    return dialog


def test_gazetteer_has_the_seed_site_cities_and_sane_coordinates() -> None:
    cities = load_gazetteer()
    assert len(cities) >= 150
    names = {city.name for city in cities}
    assert {"Changsha", "Tianjin", "Hangzhou", "Hefei", "Beijing", "Shanghai"} <= names
    assert {"London", "Paris", "Berlin", "New York", "Toronto"} <= names
    assert all(-90 <= c.latitude <= 90 and -180 <= c.longitude <= 180 for c in cities)
    changsha = next(c for c in cities if c.name == "Changsha")
    assert (round(changsha.latitude), round(changsha.longitude)) == (28, 113)


def test_settings_round_trip(qtbot: QtBot, settings_path: Path) -> None:
    dialog = make_dialog(qtbot, ClinicSettings(), settings_path)
    assert dialog.screening_date_edit.text() == "2026-11-23"  # default: today
    qtbot.keyClicks(dialog.clinic_name_edit, "Rheumatology Clinic")
    dialog.clinic_address_edit.setPlainText("1 Xiangya Road\nChangsha")
    qtbot.keyClicks(dialog.physician_name_edit, "Dr. Wang")
    qtbot.keyClicks(dialog.physician_email_edit, "wang@example.org")
    index = dialog.city_combo.findText("Changsha, China")
    dialog.city_combo.setCurrentIndex(index)
    dialog.city_combo.activated.emit(index)
    assert dialog.latitude_edit.text() == "28.23"
    dialog.unit_combos["hemoglobin"].setCurrentIndex(
        dialog.unit_combos["hemoglobin"].findData("g/dL")
    )
    assert dialog.uln_edits["alt"].placeholderText() == "default 40 U/L (assumed)"
    qtbot.keyClicks(dialog.uln_edits["alt"], "35")
    qtbot.keyClicks(dialog.uln_edits["creatinine.female"], "84")
    dialog.screening_date_edit.setText("2026-12-01")

    dialog.accept()

    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    result = dialog.result_value
    assert isinstance(result, SettingsResult)
    assert result.screening_date == date(2026, 12, 1)
    saved = load_settings(settings_path)
    assert saved == result.settings
    assert saved.clinic_name == "Rheumatology Clinic"
    assert saved.clinic_address == "1 Xiangya Road\nChangsha"
    assert saved.clinic_city == "Changsha, China"
    assert (saved.clinic_latitude, saved.clinic_longitude) == (28.23, 112.94)
    assert dict(saved.lab_ulns) == {"alt": 35.0, "creatinine.female": 84.0}
    assert dict(saved.preferred_units) == {"hemoglobin": "g/dL"}
    assert "screening" not in settings_path.read_text(encoding="utf-8")

    reopened = make_dialog(qtbot, saved, settings_path)
    assert reopened.clinic_name_edit.text() == "Rheumatology Clinic"
    assert reopened.city_combo.currentText() == "Changsha, China"
    assert reopened.uln_edits["alt"].text() == "35"
    assert reopened.unit_combos["hemoglobin"].currentData() == "g/dL"


def test_typed_coordinates_and_problems_shown(qtbot: QtBot, settings_path: Path) -> None:
    dialog = make_dialog(qtbot, ClinicSettings(), settings_path)
    dialog.latitude_edit.setText("95")
    dialog.longitude_edit.setText("10")
    dialog.uln_edits["ast"].setText("-3")
    dialog.screening_date_edit.setText("2026-02-30")

    dialog.accept()

    assert dialog.result_value is None
    assert not settings_path.exists()
    text = dialog.problem_label.text()
    assert "Latitude: '95' is not a number between -90 and 90" in text
    assert "'-3' is not a positive number" in text
    assert "'2026-02-30' is not a date" in text
    assert dialog.latitude_edit.toolTip().startswith("Latitude")

    dialog.latitude_edit.setText("-33.9")
    dialog.uln_edits["ast"].clear()
    dialog.screening_date_edit.setText("2026-11-20")
    dialog.accept()
    assert dialog.result_value is not None
    assert load_settings(settings_path).clinic_latitude == -33.9


def test_only_one_coordinate_is_a_problem(qtbot: QtBot, settings_path: Path) -> None:
    dialog = make_dialog(qtbot, ClinicSettings(), settings_path)
    dialog.latitude_edit.setText("40")
    dialog.accept()
    assert "both latitude and longitude" in dialog.problem_label.text()


def test_ask_returns_none_when_cancelled(
    qtbot: QtBot, settings_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SettingsDialog, "exec", lambda _self: SettingsDialog.DialogCode.Rejected)
    assert SettingsDialog.ask(None, ClinicSettings(), settings_path=settings_path) is None
    assert not settings_path.exists()


def test_ask_returns_the_saved_settings(
    qtbot: QtBot, settings_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fill_and_save(self: SettingsDialog) -> int:
        self.physician_name_edit.setText("Dr. Müller")
        self.accept()
        return self.result()

    monkeypatch.setattr(SettingsDialog, "exec", fill_and_save)
    result = SettingsDialog.ask(None, ClinicSettings(clinic_name="Keep"), date(2026, 11, 1),
                                settings_path)  # fmt: skip
    assert result is not None
    assert result.settings.clinic_name == "Keep"
    assert result.settings.physician_name == "Dr. Müller"
    assert result.screening_date == date(2026, 11, 1)
    assert load_settings(settings_path) == result.settings
