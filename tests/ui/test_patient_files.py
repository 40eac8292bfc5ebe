"""Patient files through the controller: save and reopen, unsaved-changes prompt, crash recovery."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from engine.profile import Lab
from ui import dialogs
from ui.patient_files import (
    MAX_RECENT_FILES,
    RECOVERY_FORMAT,
    PatientFileController,
)
from ui.profile.profile_panel import ProfilePanel

TODAY = date(2026, 11, 23)


@pytest.fixture
def store(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def panel(qtbot: QtBot) -> ProfilePanel:
    widget = ProfilePanel(today=lambda: TODAY)
    qtbot.addWidget(widget)
    return widget


def make_controller(panel: ProfilePanel, store: QSettings, tmp_path: Path) -> PatientFileController:
    return PatientFileController(panel, None, store, tmp_path / "recovery", autosave_delay_ms=10)


@pytest.fixture
def controller(panel: ProfilePanel, store: QSettings, tmp_path: Path) -> PatientFileController:
    return make_controller(panel, store, tmp_path)


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fails the test on any unexpected dialog; records error titles."""
    shown: list[str] = []

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"unexpected dialog {args[1:2]}")

    monkeypatch.setattr(dialogs, "ask_open_path", fail)
    monkeypatch.setattr(dialogs, "ask_save_path", fail)
    monkeypatch.setattr(dialogs, "ask_yes_no", fail)
    monkeypatch.setattr(dialogs, "ask_save_discard_cancel", fail)
    monkeypatch.setattr(dialogs, "show_error", lambda _parent, title, *_: shown.append(title))
    return shown


def fill_hemoglobin(panel: ProfilePanel, value: str = "10.2") -> None:
    row = panel.lab_rows["lab.hemoglobin"]
    row.unit_combo.set_value("g/dL")
    row.value_edit.setText(value)
    row.date_edit.setText("2026-11-18")


def test_actions_use_the_standard_shortcuts(controller: PatientFileController) -> None:
    assert controller.new_action.shortcut() == QKeySequence(QKeySequence.StandardKey.New)
    assert controller.open_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert controller.save_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    assert controller.save_as_action.shortcut() == QKeySequence(QKeySequence.StandardKey.SaveAs)
    assert not controller.recent_menu.isEnabled()


def test_save_and_reopen_round_trip(
    panel: ProfilePanel,
    controller: PatientFileController,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_dialogs: list[str],
) -> None:
    panel.name_edit.setText("Zoë Li")
    panel.record_number_edit.setText("MRN 7")
    fill_hemoglobin(panel)
    asked: list[str] = []

    def ask_save(_parent: object, _title: str, suggested: str, *_: object) -> Path:
        asked.append(suggested)
        return tmp_path / "zoe"

    monkeypatch.setattr(dialogs, "ask_save_path", ask_save)
    controller.save_action.trigger()

    saved = tmp_path / "zoe.tmprofile.json"
    assert asked[0].endswith("MRN_7.tmprofile.json")
    assert controller.current_path == saved
    assert not panel.is_modified()
    assert json.loads(saved.read_text(encoding="utf-8"))["patient"]["name"] == "Zoë Li"
    assert controller.recent_files() == [saved.resolve()]
    assert controller.recent_menu.isEnabled()

    controller.new_action.trigger()
    assert panel.name_edit.text() == ""
    assert controller.current_path is None

    monkeypatch.setattr(dialogs, "ask_open_path", lambda *_: saved)
    controller.open_action.trigger()
    profile = panel.current_profile()
    assert profile is not None
    assert profile.patient.name == "Zoë Li"
    assert profile.labs == (Lab("hemoglobin", 10.2, "g/dL", date(2026, 11, 18)),)
    assert controller.current_path == saved
    assert no_dialogs == []


def test_invalid_form_is_not_saved(
    panel: ProfilePanel,
    controller: PatientFileController,
    tmp_path: Path,
    no_dialogs: list[str],
) -> None:
    fill_hemoglobin(panel, "abc")
    assert not controller.save_as()  # refuses before asking for a file name
    assert no_dialogs == ["The profile cannot be saved yet"]
    assert list(tmp_path.glob("*.json")) == []


@pytest.mark.parametrize(
    ("choice", "expected_result", "expected_name"),
    [
        (dialogs.UnsavedChoice.CANCEL, False, "Unsaved"),
        (dialogs.UnsavedChoice.DISCARD, True, ""),
    ],
)
def test_unsaved_changes_prompt_on_new(
    panel: ProfilePanel,
    controller: PatientFileController,
    monkeypatch: pytest.MonkeyPatch,
    no_dialogs: list[str],
    choice: dialogs.UnsavedChoice,
    expected_result: bool,
    expected_name: str,
) -> None:
    panel.name_edit.setText("Unsaved")
    prompts: list[str] = []

    def ask(_parent: object, title: str, _text: str) -> dialogs.UnsavedChoice:
        prompts.append(title)
        return choice

    monkeypatch.setattr(dialogs, "ask_save_discard_cancel", ask)
    assert controller.new_profile() is expected_result
    assert prompts == ["Unsaved patient profile"]
    assert panel.name_edit.text() == expected_name


def test_unsaved_changes_save_then_close(
    panel: ProfilePanel,
    controller: PatientFileController,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_dialogs: list[str],
) -> None:
    panel.name_edit.setText("Keep me")
    monkeypatch.setattr(dialogs, "ask_save_discard_cancel", lambda *_: dialogs.UnsavedChoice.SAVE)
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *_: tmp_path / "kept.json")
    assert controller.maybe_close()
    assert json.loads((tmp_path / "kept.json").read_text("utf-8"))["patient"]["name"] == "Keep me"


def test_no_prompt_when_nothing_changed(
    controller: PatientFileController, no_dialogs: list[str]
) -> None:
    assert controller.maybe_close()


def test_broken_file_opens_with_its_problems_shown(
    panel: ProfilePanel,
    controller: PatientFileController,
    tmp_path: Path,
    no_dialogs: list[str],
) -> None:
    path = tmp_path / "broken.json"
    path.write_text(
        json.dumps({"format": "trialmatch-patient/1", "patient": {"birth_date": "2030-01-01"}}),
        encoding="utf-8",
    )
    assert controller.open_profile(path)
    assert panel.birth_date_edit.text() == "2030-01-01"
    assert "2030-01-01 is in the future" in panel.birth_date_box.problem_text.text()


def test_file_that_is_not_json_reports_an_error(
    controller: PatientFileController, tmp_path: Path, no_dialogs: list[str]
) -> None:
    path = tmp_path / "not.json"
    path.write_text("{oops", encoding="utf-8")
    assert not controller.open_profile(path)
    assert no_dialogs == ["Cannot open the patient profile"]


def test_recent_files_keep_the_latest_eight(
    panel: ProfilePanel, controller: PatientFileController, tmp_path: Path
) -> None:
    for number in range(MAX_RECENT_FILES + 2):
        path = tmp_path / f"p{number}.json"
        path.write_text(json.dumps({"format": "trialmatch-patient/1"}), encoding="utf-8")
        assert controller.open_profile(path)
    recent = controller.recent_files()
    assert len(recent) == MAX_RECENT_FILES
    assert recent[0].name == f"p{MAX_RECENT_FILES + 1}.json"
    actions = [a for a in controller.recent_menu.actions() if a.data()]
    assert len(actions) == MAX_RECENT_FILES

    actions[-1].trigger()  # the oldest kept entry reopens and moves to the top
    assert controller.current_path == tmp_path / "p2.json"
    assert controller.recent_files()[0].name == "p2.json"


def test_autosave_writes_the_raw_form_even_when_invalid(
    panel: ProfilePanel, controller: PatientFileController, qtbot: QtBot
) -> None:
    fill_hemoglobin(panel, "ten")
    qtbot.waitUntil(controller.recovery_path.exists)
    recovery = json.loads(controller.recovery_path.read_text("utf-8"))
    assert recovery["format"] == RECOVERY_FORMAT
    assert recovery["form"]["labs"][0]["value"] == "ten"


def test_recovery_after_a_crash_restores_the_form(
    panel: ProfilePanel,
    store: QSettings,
    tmp_path: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    no_dialogs: list[str],
) -> None:
    recovery_file = tmp_path / "recovery" / "profile-recovery.json"
    recovery_file.parent.mkdir()
    form = {
        "format": "trialmatch-patient/1",
        "patient": {"name": "Crashed Case", "weight": {"value": "6O", "unit": "kg"}},
        "labs": [{"analyte": "platelets", "value": 150, "unit": "10*9/L", "date": "2026-11-20"}],
    }
    recovery_file.write_text(
        json.dumps({"format": RECOVERY_FORMAT, "saved_at": "2026-11-23T09:00:00+00:00",
                    "file": None, "form": form}),
        encoding="utf-8",
    )  # fmt: skip
    questions: list[str] = []

    def accept(_parent: object, title: str, text: str, *_: object) -> bool:
        questions.append(text)
        return True

    monkeypatch.setattr(dialogs, "ask_yes_no", accept)
    controller = make_controller(panel, store, tmp_path)

    assert controller.offer_recovery()

    assert "unsaved new profile" in questions[0]
    assert panel.name_edit.text() == "Crashed Case"
    assert panel.weight_edit.text() == "6O"  # the typo survives, with its reason shown
    assert "must be a number" in panel.weight_box.problem_text.text()
    assert panel.lab_rows["lab.platelets"].value_edit.text() == "150"
    assert panel.is_modified()
    assert recovery_file.exists()  # until the profile is saved or the window closed


def test_declined_recovery_deletes_the_copy(
    panel: ProfilePanel,
    store: QSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_dialogs: list[str],
) -> None:
    controller = make_controller(panel, store, tmp_path)
    panel.name_edit.setText("Someone")
    controller.write_recovery()
    monkeypatch.setattr(dialogs, "ask_yes_no", lambda *_: False)
    panel.clear()
    assert not make_controller(panel, store, tmp_path).offer_recovery()
    assert not controller.recovery_path.exists()
    assert panel.name_edit.text() == ""


def test_clean_close_removes_the_recovery_file(
    panel: ProfilePanel,
    controller: PatientFileController,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    no_dialogs: list[str],
) -> None:
    panel.name_edit.setText("Someone")
    qtbot.waitUntil(controller.recovery_path.exists)
    monkeypatch.setattr(
        dialogs, "ask_save_discard_cancel", lambda *_: dialogs.UnsavedChoice.DISCARD
    )
    assert controller.maybe_close()
    assert not controller.recovery_path.exists()
    assert not controller.offer_recovery()
