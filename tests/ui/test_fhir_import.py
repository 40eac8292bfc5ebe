"""File > Import from EHR (FHIR): report before any change, replace, merge, errors, the models."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from engine.fhir import FhirImportReport
from engine.units import to_canonical
from models.fhir_io import load_fhir_profile
from ui import dialogs, fhir_import_controller
from ui.fhir_import_controller import merge_profile_dicts
from ui.fhir_import_dialog import FhirImportDialog, ImportChoice
from ui.fhir_value_table_model import FhirValueRow, FhirValueTableModel
from ui.main_window import MainWindow

SCREENING_DATE = dt.date(2026, 11, 23)
FHIR = Path(__file__).parents[1] / "fhir"
SLE_BUNDLE = FHIR / "sle_bundle.json"


def observation(ident: str, loinc: str, value: float, unit: str, day: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "effectiveDateTime": day,
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


@pytest.fixture
def problem_bundle(tmp_path: Path) -> Path:
    """The SLE bundle plus an unknown LOINC code and an implausible platelet count."""
    bundle = json.loads(SLE_BUNDLE.read_text(encoding="utf-8"))
    bundle["entry"].append({"resource": observation("odd", "99999-9", 4.0, "mg/dL", "2026-11-18")})
    bundle["entry"].append(
        {"resource": observation("plt-huge", "777-3", 90000.0, "10*3/uL", "2026-11-20")}
    )
    path = tmp_path / "problems.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


class Recorded:
    """What the patched dialogs were asked; each ask() answers with ``choice``."""

    def __init__(self, choice: ImportChoice | None) -> None:
        self.choice = choice
        self.asked: list[tuple[FhirImportReport, bool]] = []
        self.errors: list[str] = []
        self.information: list[str] = []
        self.unsaved_prompts: list[str] = []


@pytest.fixture
def patch_dialogs(monkeypatch: pytest.MonkeyPatch) -> Callable[[ImportChoice | None], Recorded]:
    def patch(choice: ImportChoice | None) -> Recorded:
        recorded = Recorded(choice)

        def ask(
            _parent: object, report: FhirImportReport, has_current: bool, _name: str = ""
        ) -> ImportChoice | None:
            recorded.asked.append((report, has_current))
            return recorded.choice

        monkeypatch.setattr(FhirImportDialog, "ask", ask)
        monkeypatch.setattr(
            dialogs, "show_error", lambda _p, _title, text, *_: recorded.errors.append(text)
        )
        monkeypatch.setattr(
            dialogs, "show_information", lambda _p, _t, text: recorded.information.append(text)
        )

        def discard(_parent: object, _title: str, text: str) -> dialogs.UnsavedChoice:
            recorded.unsaved_prompts.append(text)
            return dialogs.UnsavedChoice.DISCARD

        # Imported data is unsaved: closing the window at teardown asks, and discards here.
        monkeypatch.setattr(dialogs, "ask_save_discard_cancel", discard)
        return recorded

    return patch


def import_file(
    qtbot: QtBot, window: MainWindow, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Trigger the menu action with the file chooser answering ``path``; wait for the reading."""
    monkeypatch.setattr(dialogs, "ask_open_path", lambda *_args: path)
    window.fhir_import.import_action.trigger()
    qtbot.waitUntil(lambda: not window.fhir_import.running, timeout=10_000)


def test_menu_action_sits_after_open_recent_with_its_shortcut(
    make_window: Callable[..., MainWindow],
) -> None:
    window = make_window()
    file_menu = window.menuBar().actions()[0].menu()
    assert isinstance(file_menu, QMenu)
    actions = file_menu.actions()
    recent = next(i for i, a in enumerate(actions) if a.menu() is window.patient_files.recent_menu)
    assert actions[recent + 1] is window.fhir_import.import_action
    assert window.fhir_import.import_action.shortcut().toString() == "Ctrl+Shift+I"
    assert actions[recent + 2] is window.fhir_import.import_folder_action


def test_import_fills_the_form_marks_it_modified_and_matches_again(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    patch_dialogs: Callable[[ImportChoice | None], Recorded],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window()
    recorded = patch_dialogs(ImportChoice.REPLACE)
    import_file(qtbot, window, SLE_BUNDLE, monkeypatch)

    assert len(recorded.asked) == 1
    report, has_current = recorded.asked[0]
    assert has_current is False  # an empty form: no merge offered
    panel = window.profile_panel
    assert panel.name_edit.text() == "Lena Adult-SLE"
    hb_row = panel.lab_rows["lab.hemoglobin"]
    assert hb_row.value_edit.text() == "11.8"
    assert hb_row.unit_combo.value() == "g/dL"
    assert panel.is_modified()
    assert panel.errors() == ()
    recovery = json.loads(window.patient_files.recovery_path.read_text(encoding="utf-8"))
    assert recovery["form"]["patient"]["name"] == "Lena Adult-SLE"
    # The source of every value is kept with the window's last import.
    kept = window.fhir_import.last_report
    assert kept is report
    hb = next(v for v in kept.imported if v.field == "labs[hemoglobin]")
    assert (hb.source.resource_id, hb.source.code) == ("hb", "718-7")
    status = window.statusBar().currentMessage()
    assert status == (
        f"Imported {len(report.imported)} values from sle_bundle.json; "
        f"{len(report.issues)} items need your attention"
    )

    qtbot.waitUntil(lambda: window.report is not None and not window.matching, timeout=20_000)
    assert window.report is not None
    matched_hb = next(lab for lab in window.report.profile.labs if lab.analyte == "hemoglobin")
    # The matcher reads 11.8 g/dL as 118 g/L, the canonical unit.
    assert to_canonical("lab.hemoglobin", matched_hb.value, matched_hb.unit) == pytest.approx(118)
    assert window.report.profile.patient.name == "Lena Adult-SLE"


def test_a_malformed_bundle_is_reported_and_the_form_is_unchanged(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    patch_dialogs: Callable[[ImportChoice | None], Recorded],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window()
    window.profile_panel.name_edit.setText("Existing Patient")
    before = window.profile_panel.form_data()
    recorded = patch_dialogs(ImportChoice.REPLACE)
    import_file(qtbot, window, FHIR / "malformed_entry_without_resource.json", monkeypatch)

    assert recorded.asked == []
    assert len(recorded.errors) == 1
    assert "malformed_entry_without_resource.json" in recorded.errors[0]
    assert "Bundle.entry[" in recorded.errors[0]
    assert "form was not changed" in recorded.errors[0]
    assert window.profile_panel.form_data() == before
    assert window.fhir_import.import_action.isEnabled()


def test_cancel_in_the_report_changes_nothing(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    patch_dialogs: Callable[[ImportChoice | None], Recorded],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window()
    before = window.profile_panel.form_data()
    recorded = patch_dialogs(None)
    import_file(qtbot, window, SLE_BUNDLE, monkeypatch)
    assert len(recorded.asked) == 1
    assert window.profile_panel.form_data() == before
    assert not window.profile_panel.is_modified()


def test_replace_asks_about_unsaved_changes_and_cancel_keeps_the_form(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    patch_dialogs: Callable[[ImportChoice | None], Recorded],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window()
    window.profile_panel.name_edit.setText("Unsaved Patient")
    assert window.profile_panel.is_modified()
    patch_dialogs(ImportChoice.REPLACE)
    prompts: list[str] = []

    def cancel(_parent: object, _title: str, text: str) -> dialogs.UnsavedChoice:
        prompts.append(text)
        return dialogs.UnsavedChoice.CANCEL

    monkeypatch.setattr(dialogs, "ask_save_discard_cancel", cancel)
    import_file(qtbot, window, SLE_BUNDLE, monkeypatch)
    assert len(prompts) == 1
    assert window.profile_panel.name_edit.text() == "Unsaved Patient"

    monkeypatch.setattr(
        dialogs, "ask_save_discard_cancel", lambda *_: dialogs.UnsavedChoice.DISCARD
    )
    import_file(qtbot, window, SLE_BUNDLE, monkeypatch)
    assert window.profile_panel.name_edit.text() == "Lena Adult-SLE"


def test_merge_keeps_the_existing_name_adds_labs_and_lists_conflicts(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    patch_dialogs: Callable[[ImportChoice | None], Recorded],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window()
    panel = window.profile_panel
    panel.set_form_data(
        {
            "format": "trialmatch-patient/1",
            "patient": {"name": "Lena A. Form", "birth_date": "1992-04-02", "sex": "female"},
            "labs": [
                # Older than the export's 2026-11-18 value: the export's becomes current.
                {"analyte": "hemoglobin", "value": 12.5, "unit": "g/dL", "date": "2026-10-01"},
                # The export has no CK: it must survive the merge.
                {"analyte": "ck", "value": 120, "unit": "U/L", "date": "2026-11-01"},
            ],
        }
    )
    recorded = patch_dialogs(ImportChoice.MERGE)
    import_file(qtbot, window, SLE_BUNDLE, monkeypatch)

    assert recorded.asked[0][1] is True  # a profile is open: merge is offered
    assert panel.name_edit.text() == "Lena A. Form"
    assert panel.record_number_edit.text() == "GOLDEN-LENA"  # empty in the form: filled
    assert panel.lab_rows["lab.hemoglobin"].value_edit.text() == "11.8"
    assert panel.lab_rows["lab.ck"].value_edit.text() == "120"
    assert panel.lab_rows["lab.alt"].value_edit.text() == "28"
    labs = panel.form_data()["labs"]
    assert {"analyte": "hemoglobin", "value": 12.5, "unit": "g/dL", "date": "2026-10-01"} in [
        {k: lab.get(k) for k in ("analyte", "value", "unit", "date")} for lab in labs
    ]  # the older value is kept as history
    assert panel.is_modified()
    assert len(recorded.information) == 1
    summary = recorded.information[0]
    assert "'Lena Adult-SLE'" in summary
    assert "'Lena A. Form'" in summary
    assert "Haemoglobin" in summary
    assert "12.5" in summary
    assert "11.8" in summary
    assert "need your attention" in window.statusBar().currentMessage()


def test_merge_on_the_same_date_keeps_the_forms_value_and_names_both() -> None:
    current = {
        "format": "trialmatch-patient/1",
        "patient": {},
        "labs": [{"analyte": "hemoglobin", "value": 12.0, "unit": "g/dL", "date": "2026-11-18"}],
    }
    imported = {
        "format": "trialmatch-patient/1",
        "patient": {"name": "Someone"},
        "labs": [{"analyte": "hemoglobin", "value": 11.8, "unit": "g/dL", "date": "2026-11-18"}],
        "treatments": [{"drug": "prednisone", "start": "2019-03-01", "dose": 10.0}],
    }
    original = copy.deepcopy(current)
    merged = merge_profile_dicts(current, imported)
    assert current == original  # the form's dict is not changed in place
    assert merged.data["labs"] == current["labs"]
    assert len(merged.conflicts) == 1
    assert "12 g/dL" in merged.conflicts[0]
    assert "11.8 g/dL" in merged.conflicts[0]
    assert merged.data["patient"]["name"] == "Someone"
    assert merged.data["treatments"] == imported["treatments"]
    assert merged.added == 2
    assert merged.identity_warnings == ()


def test_dialog_lists_the_unknown_code_and_the_implausible_value(
    qtbot: QtBot, problem_bundle: Path
) -> None:
    _profile, report = load_fhir_profile(problem_bundle, today=SCREENING_DATE)
    dialog = FhirImportDialog(report, has_current_profile=False, source_name="problems.json")
    qtbot.addWidget(dialog)

    issues = dialog.issues_view.toPlainText()
    assert "Codes TrialMatch does not know" in issues
    assert "99999-9" in issues
    assert "Values that failed the plausibility checks (flagged, not stored)" in issues
    assert "Observation/plt-huge" in issues
    assert "Ignored resources" in issues
    assert "Encounter" in issues
    # The implausible count is not in the values to import: the earlier, plausible one is.
    platelets = [
        dialog.values_model.row_at(row)
        for row in range(dialog.values_model.rowCount())
        if dialog.values_model.row_at(row).field == "labs[platelets]"
    ]
    assert [row.value for row in platelets] == ["180 10*3/uL"]
    assert dialog.history_model.rowCount() == len(report.earlier_values) == 1
    assert "please ask" in dialog.missing_view.toPlainText().casefold()
    assert "Consent" in dialog.missing_view.toPlainText()
    assert dialog.merge_button.isHidden()


# The offscreen platform cannot size a shown top-level dialog to its hints; harmless here.
@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_dialog_buttons_give_the_choice(qtbot: QtBot) -> None:
    _profile, report = load_fhir_profile(SLE_BUNDLE, today=SCREENING_DATE)
    for button_name, expected in (
        ("replace_button", ImportChoice.REPLACE),
        ("merge_button", ImportChoice.MERGE),
        ("cancel_button", None),
    ):
        dialog = FhirImportDialog(report, has_current_profile=True)
        qtbot.addWidget(dialog)
        dialog.show()
        assert dialog.merge_button.isVisible()
        qtbot.mouseClick(getattr(dialog, button_name), Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
        assert dialog.choice is expected
        assert not dialog.isVisible()


def test_a_folder_export_is_imported_through_the_folder_action(
    qtbot: QtBot,
    tmp_path: Path,
    make_window: Callable[..., MainWindow],
    patch_dialogs: Callable[[ImportChoice | None], Recorded],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "export"
    shutil.copytree(FHIR / "bulk_export", folder)
    window = make_window()
    recorded = patch_dialogs(ImportChoice.REPLACE)
    monkeypatch.setattr(fhir_import_controller, "ask_fhir_folder", lambda *_args: folder)
    window.fhir_import.import_folder_action.trigger()
    qtbot.waitUntil(lambda: len(recorded.asked) == 1, timeout=10_000)
    report = recorded.asked[0][0]
    assert report.imported
    assert window.statusBar().currentMessage().startswith(f"Imported {len(report.imported)} value")
    assert "from export;" in window.statusBar().currentMessage()


def test_value_table_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = FhirValueTableModel()
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]
    _profile, report = load_fhir_profile(SLE_BUNDLE, today=SCREENING_DATE)
    model.set_values(report.imported)
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]
    hb = next(model.row_at(r) for r in range(model.rowCount())
              if model.row_at(r).field == "labs[hemoglobin]")  # fmt: skip
    assert hb == FhirValueRow(
        field="labs[hemoglobin]",
        label="Lab: Haemoglobin",
        value="11.8 g/dL",
        resource="Observation/hb",
        code="LOINC 718-7",
        date="2026-11-18",
        location="Bundle.entry[6].resource",
    )
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Field"
