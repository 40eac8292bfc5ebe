"""The patient profile form driven like a user: values reach the engine, problems show inline."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox
from pytestqt.qtbot import QtBot

from engine.facts import build_facts
from engine.profile import (
    Diagnosis,
    Lab,
    Measure,
    PatientInfo,
    PatientProfile,
    Reproductive,
    Score,
    Treatment,
    profile_from_dict,
)
from models.settings import ClinicSettings
from ui.profile.profile_panel import ProfilePanel

TODAY = date(2026, 11, 23)

# The offscreen platform cannot grab the keyboard, raise or resize a completer popup or a
# shown window; it says so as warnings. Harmless here: nothing is on a real screen.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def panel(qtbot: QtBot) -> ProfilePanel:
    widget = ProfilePanel(today=lambda: TODAY)
    qtbot.addWidget(widget)
    return widget


def choose(combo: QComboBox, value: object) -> None:
    """Select the item carrying ``value`` as a user would, by its row."""
    index = next(i for i in range(combo.count()) if combo.itemData(i) == value)
    combo.setCurrentIndex(index)


def test_empty_form_is_a_valid_profile_with_every_answer_not_known(panel: ProfilePanel) -> None:
    profile = panel.current_profile()
    assert profile is not None
    assert panel.errors() == ()
    assert profile.reproductive == Reproductive()
    assert profile.consent_to_contact is None
    assert profile.history == ()
    assert profile.treatments_complete is False
    for combo in (panel.pregnant_combo, panel.lactating_combo, panel.childbearing_combo,
                  panel.contraception_combo, panel.consent_combo):  # fmt: skip
        assert combo.currentText() == "not known"
        assert combo.value() is None
    assert all(row.present_combo.value() is None for row in panel.history_rows.values())
    assert not panel.is_modified()


def test_typed_profile_reaches_profile_changed_with_the_entered_units(
    panel: ProfilePanel, qtbot: QtBot
) -> None:
    qtbot.keyClicks(panel.name_edit, "Jane Doe")
    qtbot.keyClicks(panel.birth_date_edit, "1990-04-02")
    choose(panel.sex_combo, "female")
    qtbot.keyClicks(panel.weight_edit, "62")
    choose(panel.pregnant_combo, False)
    hemoglobin = panel.lab_rows["lab.hemoglobin"]
    choose(hemoglobin.unit_combo, "g/dL")
    qtbot.keyClicks(hemoglobin.date_edit, "2026-11-18")
    received: list[object] = []
    panel.profile_changed.connect(received.append)
    qtbot.keyClicks(hemoglobin.value_edit, "10,2")  # a decimal comma is understood

    # "1" is no plausible haemoglobin in g/dL (invalid, nothing emitted); "10" and "10,2" are.
    assert len(received) == 2
    profile = received[-1]
    assert isinstance(profile, PatientProfile)
    assert profile.patient.name == "Jane Doe"
    assert profile.patient.birth_date == date(1990, 4, 2)
    assert profile.patient.sex == "female"
    assert profile.patient.weight == Measure(62, "kg", None)
    assert profile.reproductive.pregnant is False
    assert profile.reproductive.lactating is None
    assert profile.labs == (Lab("hemoglobin", 10.2, "g/dL", date(2026, 11, 18), None),)
    assert panel.is_modified()
    facts = build_facts(profile, TODAY)
    hb = facts.get("lab.hemoglobin")
    assert hb is not None
    assert hb.value == pytest.approx(102)
    assert hb.unit == "g/L"
    assert hb.entered is not None
    assert "10.2" in hb.entered


def test_implausible_lab_shows_the_likely_unit_and_keeps_the_text(
    panel: ProfilePanel, qtbot: QtBot
) -> None:
    hemoglobin = panel.lab_rows["lab.hemoglobin"]
    choose(hemoglobin.unit_combo, "g/L")
    before = panel.current_profile()
    with qtbot.waitSignal(panel.validity_changed) as blocker:
        qtbot.keyClicks(hemoglobin.value_edit, "5.4")

    assert blocker.args == [False]
    assert hemoglobin.value_edit.text() == "5.4"
    message = hemoglobin.problem_text.text()
    assert "did you mean 5.4 g/dL (54 g/L)?" in message
    assert message.startswith("Error")  # worded, not only coloured
    assert "5.4 g/dL" in hemoglobin.value_edit.toolTip()
    assert not hemoglobin.problem_row_widget.isHidden()
    assert len(panel.errors()) == 1
    assert panel.errors()[0].startswith("Haemoglobin")
    assert panel.current_profile() is before  # the last valid profile, not a guess

    assert not hemoglobin.fix_button.isHidden()
    assert hemoglobin.fix_button.text() == "Use g/dL"
    with qtbot.waitSignal(panel.validity_changed) as blocker:
        qtbot.mouseClick(hemoglobin.fix_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [True]
    assert hemoglobin.unit_combo.value() == "g/dL"
    assert hemoglobin.fix_button.isHidden()
    assert hemoglobin.problem_row_widget.isHidden()
    profile = panel.current_profile()
    assert profile is not None
    assert profile.labs == (Lab("hemoglobin", 5.4, "g/dL"),)


def test_future_date_and_unusable_text_are_explained_next_to_their_fields(
    panel: ProfilePanel, qtbot: QtBot
) -> None:
    alt = panel.lab_rows["lab.alt"]
    qtbot.keyClicks(alt.value_edit, "35")
    qtbot.keyClicks(alt.date_edit, "2027-01-05")
    qtbot.keyClicks(panel.weight_edit, "sixty")

    assert "2027-01-05 is in the future" in alt.problem_text.text()
    assert alt.date_edit.toolTip() == "2027-01-05 is in the future"
    assert panel.weight_edit.text() == "sixty"
    assert "must be a number, not 'sixty'" in panel.weight_box.problem_text.text()
    assert len(panel.errors()) == 2
    assert panel.form_data()["patient"]["weight"]["value"] == "sixty"  # kept for autosave


def test_several_top_level_problems_show_at_once(panel: ProfilePanel) -> None:
    panel.birth_date_edit.setText("1990-13-01")
    panel.height_edit.setText("1.68")  # metres typed while the unit says cm

    assert "is not a date YYYY-MM-DD" in panel.birth_date_box.problem_text.text()
    assert "did you mean 1.68 m" in panel.height_box.problem_text.text()
    assert len(panel.errors()) == 2


def test_non_ascii_input_is_kept(panel: ProfilePanel, qtbot: QtBot) -> None:
    panel.name_edit.setText("Zoë Ångström 张伟")
    profile = panel.current_profile()
    assert profile is not None
    assert profile.patient.name == "Zoë Ångström 张伟"


def test_diagnosis_synonym_completes_to_the_condition(panel: ProfilePanel, qtbot: QtBot) -> None:
    row = panel.diagnosis_rows[0]
    completer = row.completer
    completer.setCompletionPrefix("dry syndrome")
    assert completer.completionCount() >= 1
    assert completer.currentCompletion() == "Sjögren's disease"

    qtbot.keyClicks(row.condition_edit, "dry syndrome")
    qtbot.keyClicks(row.date_edit, "2020-05-01")
    profile = panel.current_profile()
    assert profile is not None
    assert [d.condition for d in profile.diagnoses] == ["sjogren"]
    assert profile.diagnoses[0].text == "dry syndrome"


def test_unknown_condition_is_kept_with_the_reason(panel: ProfilePanel, qtbot: QtBot) -> None:
    row = panel.diagnosis_rows[0]
    qtbot.keyClicks(row.condition_edit, "lupuss nephritis")
    assert row.condition_edit.text() == "lupuss nephritis"
    assert "unknown condition 'lupuss nephritis'" in row.problem_text.text()
    assert not panel.is_valid()


def test_set_profile_round_trips_and_is_unmodified(panel: ProfilePanel, qtbot: QtBot) -> None:
    profile = profile_from_dict(
        {
            "format": "trialmatch-patient/1",
            "patient": {"name": "Li Na", "birth_date": "1985-02-03", "sex": "female",
                        "weight": {"value": 55.5, "unit": "kg", "date": "2026-11-01"}},
            "reproductive": {"pregnant": False, "childbearing_potential": True,
                             "pregnancy_test": {"result": "negative", "date": "2026-11-20"}},
            "consent_to_contact": True,
            "diagnoses": [{"condition": "sle", "diagnosis_date": "2019-03-01",
                           "classification": ["2019 EULAR/ACR"], "status": ["refractory"],
                           "lupus_nephritis": {"classes": ["III", "V"],
                                               "biopsy_date": "2026-08-01",
                                               "activity_index": 8, "chronicity_index": 2}}],
            "scores": [{"instrument": "sledai_2k", "value": 12, "date": "2026-11-15"},
                       {"instrument": "bilag_2004", "domains": {"renal": "A"},
                        "date": "2026-11-15"}],
            "labs": [{"analyte": "alt", "value": 30, "unit": "U/L", "date": "2026-11-18",
                      "uln": 35}],
            "findings": [{"test": "serology.hbsag", "result": "negative", "date": "2026-10-01"},
                         {"test": "antibody.ana", "result": "positive", "titer": 640}],
            "treatments_complete": True,
            "treatments": [{"drug": "prednisone", "start": "2019-03-01", "dose": 10,
                            "dose_unit": "mg/d"}],
            "history": [{"item": "history.malignancy", "present": False}],
            "screening_date": "2026-12-01",
        },
        today=TODAY,
    )  # fmt: skip
    with qtbot.waitSignal(panel.profile_changed):
        panel.set_profile(profile)

    assert panel.current_profile() == profile
    assert panel.errors() == ()
    assert not panel.is_modified()
    assert panel.diagnosis_rows[0].condition_edit.text() == "Systemic lupus erythematosus"
    assert panel.score_rows["bilag_2004"].domain_combos["renal"].value() == "A"

    with qtbot.waitSignal(panel.modified_changed) as blocker:
        panel.treatments_complete_check.setChecked(False)
    assert blocker.args == [True]


def test_entries_the_form_cannot_show_are_kept(panel: ProfilePanel) -> None:
    data = {
        "format": "trialmatch-patient/1",
        "patient": {},
        "labs": [
            {"analyte": "hemoglobin", "value": 9.8, "unit": "g/dL", "date": "2026-08-01"},
            {"analyte": "hemoglobin", "value": 10.2, "unit": "g/dL", "date": "2026-11-18"},
        ],
        "treatments": [{"drug": "rituximab", "start": "2024-01-10"}],
    }
    panel.set_form_data(data)

    row = panel.lab_rows["lab.hemoglobin"]
    assert row.value_edit.text() == "10.2"  # the latest is shown
    assert "9.8" in row.kept_note.text()
    profile = panel.current_profile()
    assert profile is not None
    assert sorted(lab.value for lab in profile.labs) == [9.8, 10.2]
    assert profile.treatments == (Treatment("rituximab", date(2024, 1, 10)),)


def test_tri_state_value_from_a_file_that_is_not_an_answer_is_kept(panel: ProfilePanel) -> None:
    panel.set_form_data({"format": "trialmatch-patient/1", "consent_to_contact": "yes"})
    assert panel.consent_combo.value() == "yes"
    assert "must be true, false or null" in panel.consent_box.problem_text.text()
    choose(panel.consent_combo, True)
    assert panel.errors() == ()


def test_focus_field_opens_the_folded_section_and_focuses_the_lab(
    panel: ProfilePanel, qtbot: QtBot
) -> None:
    panel.resize(1366, 768)
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    row = panel.lab_rows["lab.cd19_b_cells"]
    assert not panel.more_labs_section.is_expanded()

    assert panel.focus_field("lab.cd19_b_cells")

    assert panel.more_labs_section.is_expanded()
    assert row.value_edit.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is row.value_edit)
    assert panel.focus_field("antibody.anti_mda5")
    assert panel.more_antibodies_section.is_expanded()
    assert panel.focus_field("treatment.rituximab")
    assert panel.focus_field("diagnosis")
    assert not panel.focus_field("no.such_fact")


def test_every_input_has_an_accessible_name(panel: ProfilePanel) -> None:
    from PySide6.QtWidgets import QAbstractButton, QLineEdit

    fields = panel.findChildren(QLineEdit) + panel.findChildren(QComboBox)
    assert len(fields) > 150
    assert [w for w in fields if not w.accessibleName()] == []
    # Buttons and check boxes are read out by their text when they have no name of their own.
    buttons = panel.findChildren(QAbstractButton)
    assert [b for b in buttons if not b.accessibleName() and not b.text()] == []


def test_settings_give_the_preferred_unit_and_the_uln_placeholder(panel: ProfilePanel) -> None:
    settings = ClinicSettings(preferred_units={"hemoglobin": "g/dL"}, lab_ulns={"alt": 35.0})
    panel.set_settings(settings)
    assert panel.lab_rows["lab.hemoglobin"].unit_combo.value() == "g/dL"
    alt_uln = panel.lab_rows["lab.alt"].uln_edit
    assert alt_uln is not None
    assert alt_uln.placeholderText() == "default 35 U/L (assumed)"
    ast_uln = panel.lab_rows["lab.ast"].uln_edit
    assert ast_uln is not None
    assert ast_uln.placeholderText() == "default 40 U/L (assumed)"


def test_removing_a_treatment_row_removes_it_from_the_profile(
    panel: ProfilePanel, qtbot: QtBot
) -> None:
    row = panel.treatment_rows[0]
    qtbot.keyClicks(row.drug_edit, "MMF")
    profile = panel.current_profile()
    assert profile is not None
    assert [t.drug for t in profile.treatments] == ["mycophenolate"]
    qtbot.mouseClick(row.remove_button, Qt.MouseButton.LeftButton)
    profile = panel.current_profile()
    assert profile is not None
    assert profile.treatments == ()


def test_clear_empties_the_form(panel: ProfilePanel, qtbot: QtBot) -> None:
    panel.set_profile(PatientProfile(PatientInfo(name="X"), diagnoses=(Diagnosis("ra"),),
                                     scores=(Score("sledai_2k", 4),)))  # fmt: skip
    panel.clear()
    assert panel.name_edit.text() == ""
    assert panel.current_profile() == PatientProfile(PatientInfo())
    assert len(panel.diagnosis_rows) == 1


def test_tab_order_follows_the_form_through_rows_added_later(
    panel: ProfilePanel, qtbot: QtBot
) -> None:
    chain = []
    widget = panel.name_edit.nextInFocusChain()
    while widget is not panel.name_edit and len(chain) < 2000:
        chain.append(widget)
        widget = widget.nextInFocusChain()
    position = {id(w): i for i, w in enumerate(chain)}

    def at(w: object) -> int:
        return position[id(w)]

    diagnosis = panel.diagnosis_rows[0]
    treatment = panel.treatment_rows[0]
    assert at(panel.record_number_edit) < at(panel.consent_combo) < at(diagnosis.condition_edit)
    assert at(diagnosis.condition_edit) < at(diagnosis.date_edit) < at(diagnosis.remove_button)
    assert at(diagnosis.remove_button) < at(panel.add_diagnosis_button)
    assert at(panel.add_diagnosis_button) < at(panel.lab_rows["lab.wbc"].value_edit)
    assert at(panel.lab_rows["lab.wbc"].value_edit) < at(treatment.drug_edit)
    assert at(treatment.drug_edit) < at(panel.add_treatment_button)

    qtbot.mouseClick(panel.add_treatment_button, Qt.MouseButton.LeftButton)
    added = panel.treatment_rows[1]
    assert treatment.remove_button.nextInFocusChain() is added.drug_edit


def test_loading_an_invalid_profile_never_keeps_the_previous_patient(
    panel: ProfilePanel, qtbot: QtBot
) -> None:
    panel.set_profile(PatientProfile(PatientInfo(name="Previous patient")))
    assert panel.current_profile() is not None
    panel.name_edit.setText("Previous patient, edited")
    panel.weight_edit.setText("heavy")
    assert panel.current_profile() == PatientProfile(PatientInfo(name="Previous patient, edited"))

    with qtbot.waitSignal(panel.validity_changed) as blocker:
        panel.set_form_data({"format": "trialmatch-patient/1",
                             "patient": {"name": "Next", "birth_date": "someday"}})  # fmt: skip
    assert blocker.args == [False]
    assert panel.current_profile() is None


def test_form_fits_beside_the_results_on_a_1366_wide_screen(panel: ProfilePanel) -> None:
    for section in (panel.more_labs_section, panel.more_scores_section, panel.organ_section,
                    panel.more_antibodies_section, panel.more_history_section,
                    panel.more_infection_section):  # fmt: skip
        section.set_expanded(True)
    # Widths follow the font (no fixed pixel sizes); with the test font the widest row, all
    # sections open, must leave room for the results in a 1366-pixel window.
    assert panel.content_widget.minimumSizeHint().width() <= 1366 // 2 + 100
    assert panel.minimumSizeHint().height() < 768
