"""The patient profile form: grouped the way a clinician thinks, validated inline by the engine."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from engine.errors import ProfileError
from engine.facts import FACTS, FactKind
from engine.profile import (
    PROFILE_FORMAT,
    PatientProfile,
    profile_from_dict,
    profile_to_dict,
    profile_warnings,
)
from engine.units import UnitError, accepted_units, check_plausibility
from engine.vocabulary import INSTRUMENTS, drug_matches
from models.settings import ClinicSettings
from ui.profile.choice_combo import ChoiceCombo, tri_state_combo
from ui.profile.collapsible_section import CollapsibleSection
from ui.profile.diagnosis_row import DiagnosisRow
from ui.profile.entry_row import EntryRow, make_date_edit, make_line_edit
from ui.profile.field_box import FieldBox, FieldProblem, ProblemLevel
from ui.profile.finding_row import FindingRow
from ui.profile.form_values import number_value, text_of, text_value
from ui.profile.history_row import HistoryRow
from ui.profile.lab_row import LabRow, unit_label
from ui.profile.score_row import BILAG_ID, ScoreRow
from ui.profile.treatment_row import TreatmentRow

# The fields asked most often come first; the rest fold out.
FREQUENT_LABS = (
    "lab.wbc", "lab.anc", "lab.lymphocytes", "lab.hemoglobin", "lab.platelets", "lab.alt",
    "lab.ast", "lab.bilirubin_total", "lab.creatinine",
)  # fmt: skip
FREQUENT_SCORES = ("sledai_2k", BILAG_ID, "das28_esr", "das28_crp", "mrss", "essdai", "phga")
FREQUENT_ANTIBODIES = ("antibody.ana", "antibody.anti_dsdna", "antibody.anti_sm",
                       "antibody.anti_ssa")  # fmt: skip
FREQUENT_INFECTION = (
    "serology.hbsag", "serology.hbcab", "serology.hbv_dna", "serology.hcv_ab", "serology.hiv",
    "serology.syphilis", "infection.active_tb", "infection.latent_tb", "infection.uncontrolled",
)  # fmt: skip
FREQUENT_HISTORY = ("history.malignancy", "history.cardiac_disease", "history.heart_failure",
                    "history.cns_disease", "history.esrd")  # fmt: skip

LIST_SECTIONS = ("diagnoses", "scores", "labs", "findings", "treatments", "history")
_PATIENT_KEYS = ("name", "record_number", "birth_date", "sex", "weight", "height")
_REPRODUCTIVE_KEYS = ("pregnant", "pregnancy_test", "lactating", "childbearing_potential",
                      "contraception_agreed")  # fmt: skip
_MEASURE_KEYS = ("value", "unit", "date")
# Repeated top-level validation drops one failing field per round; a profile has far fewer.
_MAX_TOP_ROUNDS = 40
_INDEX = re.compile(r"^(\w+)\[0\]")

Target = tuple[FieldBox, str]
RowT = TypeVar("RowT", bound=EntryRow)


def _facts_in(group_prefixes: tuple[str, ...], kind: FactKind) -> list[str]:
    return [n for n, s in FACTS.items() if n.startswith(group_prefixes) and s.kind is kind]


def _suggested_unit(row: LabRow) -> str | None:
    """The unit engine.units suggests when the row's value is implausible in its unit."""
    entry = row.to_entry()
    if entry is None:
        return None
    value, unit = entry.get("value"), entry.get("unit")
    if not isinstance(value, int | float) or not isinstance(unit, str):
        return None
    try:
        check = check_plausibility(row.fact, value, unit, row.title)
    except UnitError:
        return None
    return check.suggested_unit if check.level != "ok" else None


def _focus_chain(layout: QLayout) -> list[QWidget]:
    """The widgets that take Tab focus under ``layout``, in layout (reading) order."""
    chain: list[QWidget] = []
    for index in range(layout.count()):
        item = layout.itemAt(index)
        if item is None:
            continue
        widget = item.widget()
        if widget is not None:
            inner = widget.layout()
            if inner is not None:
                chain.extend(_focus_chain(inner))
            elif widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
                chain.append(widget)
        else:
            nested = item.layout()
            if nested is not None:
                chain.extend(_focus_chain(nested))
    return chain


class ProfilePanel(QWidget):
    """The patient profile form.

    The profile is built by engine.profile.profile_from_dict from a dict assembled from the
    widgets, so the form and the file format cannot disagree; the engine's ProfileError paths
    are mapped back to the widgets. Text that cannot be used stays in its field with the reason
    shown under it.

    Signals:
        profile_changed(PatientProfile): after every edit that leaves the form valid and changes
            the profile, and after loading (set_profile, set_form_data, clear) a valid one.
        validity_changed(bool): the form became valid (True) or invalid (False); also after
            every load. After loading an invalid profile current_profile() is None.
        modified_changed(bool): the form now differs (True) or no longer differs from what was
            loaded or saved.
        form_edited: any edit at all, valid or not (for autosave).
    """

    profile_changed = Signal(object)
    validity_changed = Signal(bool)
    modified_changed = Signal(bool)
    form_edited = Signal()
    # The width the form's rows need changed (a diagnosis, lab or treatment row came or went).
    needed_width_changed = Signal(int)

    def __init__(
        self,
        settings: ClinicSettings | None = None,
        today: Callable[[], date] = date.today,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings or ClinicSettings()
        self._today = today
        self._loading = False
        self._modified = False
        self._is_valid = True
        self._last_valid: PatientProfile | None = None
        self._errors: tuple[str, ...] = ()
        self._warnings: tuple[str, ...] = ()
        self._targets: dict[str, Target] = {}
        self._top_extra: dict[str, Any] = {}
        self._patient_extra: dict[str, Any] = {}
        self._reproductive_extra: dict[str, Any] = {}
        self._measure_extra: dict[str, dict[str, Any]] = {"weight": {}, "height": {}}
        self._unplaced: dict[str, list[Any]] = {section: [] for section in LIST_SECTIONS}
        # Where each list entry stood in the loaded dict (by object id), and each row's entry.
        self._positions: dict[int, int] = {}
        self._row_positions: dict[EntryRow, int] = {}
        self._load_notes: list[str] = []
        self._scalar_boxes: list[FieldBox] = []

        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.file_problems = FieldBox()
        self.file_problems.title = "Profile file"

        content = QWidget()
        self.content_layout = QVBoxLayout(content)
        self.content_layout.addWidget(self.file_problems)
        self.content_layout.addWidget(self._build_patient_group())
        self.content_layout.addWidget(self._build_diagnosis_group())
        self.content_layout.addWidget(self._build_labs_group())
        self.content_layout.addWidget(self._build_infection_group())
        self.content_layout.addWidget(self._build_history_group())
        self.content_layout.addStretch(1)
        self.content_widget = content

        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(content)
        self.scroll_area.setAccessibleName("Patient profile form")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.scroll_area)
        content.installEventFilter(self)

        self.clear()

    def needed_width(self) -> int:
        """The width at which the form shows its rows whole beside its vertical scroll bar."""
        area = self.scroll_area
        return (
            self.content_widget.minimumSizeHint().width()
            + area.verticalScrollBar().sizeHint().width()
            + 2 * area.frameWidth()
        )

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.content_widget and event.type() == QEvent.Type.LayoutRequest:
            self.needed_width_changed.emit(self.needed_width())
        return super().eventFilter(watched, event)

    # Building -----------------------------------------------------------------------------

    def _scalar_box(self, title: str) -> FieldBox:
        box = FieldBox()
        box.title = title
        box.edited.connect(self._on_field_box_edited)
        self._scalar_boxes.append(box)
        return box

    def _single(self, form: QFormLayout, title: str, key: str, editor: QWidget) -> FieldBox:
        box = self._scalar_box(title)
        box.add_editor(key, editor, title, 1 if not isinstance(editor, ChoiceCombo) else 0)
        if isinstance(editor, ChoiceCombo):
            box.add_stretch()
        label = QLabel(title)
        label.setBuddy(editor)
        form.addRow(label, box)
        return box

    def _measure_box(self, form: QFormLayout, title: str, fact: str) -> FieldBox:
        box = self._scalar_box(title)
        value = make_line_edit(f"{title} value", 8)
        unit = ChoiceCombo([(unit_label(code), code) for code in accepted_units(fact)])
        unit.setAccessibleName(f"{title} unit")
        day = make_date_edit(f"{title} date measured")
        box.add_editor("value", value, "value")
        box.add_editor("unit", unit, "unit")
        box.add_text("measured")
        box.add_editor("date", day, "date")
        box.add_stretch()
        label = QLabel(title)
        label.setBuddy(value)
        form.addRow(label, box)
        return box

    def _build_patient_group(self) -> QGroupBox:
        group = QGroupBox("Patient")
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = make_line_edit("Patient name", 24)
        self.record_number_edit = make_line_edit("Medical record number", 14)
        self.birth_date_edit = make_date_edit("Birth date")
        self.sex_combo = ChoiceCombo([("not known", None), ("female", "female"), ("male", "male")])
        self.name_box = self._single(form, "Name", "name", self.name_edit)
        self.record_number_box = self._single(form, "Record number", "record_number",
                                              self.record_number_edit)  # fmt: skip
        self.birth_date_box = self._single(form, "Birth date", "birth_date", self.birth_date_edit)
        self.sex_box = self._single(form, "Sex", "sex", self.sex_combo)
        self.weight_box = self._measure_box(form, "Body weight", "weight_kg")
        self.height_box = self._measure_box(form, "Height", "height_cm")
        self.weight_edit = self.weight_box.editor("value")
        self.height_edit = self.height_box.editor("value")

        self.pregnant_combo = tri_state_combo()
        self.pregnant_box = self._single(form, "Currently pregnant", "pregnant",
                                         self.pregnant_combo)  # fmt: skip
        self.pregnancy_test_combo = ChoiceCombo(
            [("not done", None), ("negative", "negative"), ("positive", "positive")]
        )
        self.pregnancy_test_date_edit = make_date_edit("Pregnancy test date")
        self.pregnancy_test_box = self._scalar_box("Pregnancy test")
        self.pregnancy_test_box.add_editor("result", self.pregnancy_test_combo,
                                           "Pregnancy test result")  # fmt: skip
        self.pregnancy_test_box.add_editor("date", self.pregnancy_test_date_edit,
                                           "Pregnancy test date")  # fmt: skip
        self.pregnancy_test_box.add_stretch()
        test_label = QLabel("Pregnancy test")
        test_label.setBuddy(self.pregnancy_test_combo)
        form.addRow(test_label, self.pregnancy_test_box)
        self.lactating_combo = tri_state_combo()
        self.lactating_box = self._single(form, "Breastfeeding", "lactating",
                                          self.lactating_combo)  # fmt: skip
        self.childbearing_combo = tri_state_combo()
        self.childbearing_box = self._single(
            form, "Of childbearing potential", "childbearing_potential", self.childbearing_combo
        )
        self.contraception_combo = tri_state_combo()
        self.contraception_box = self._single(
            form,
            "Agrees to effective contraception",
            "contraception_agreed",
            self.contraception_combo,
        )
        self.consent_combo = tri_state_combo()
        self.consent_box = self._single(
            form, "Agrees to be contacted by a study team", "consent_to_contact", self.consent_combo
        )
        return group

    def _build_diagnosis_group(self) -> QGroupBox:
        group = QGroupBox("Diagnosis and disease activity")
        layout = QVBoxLayout(group)
        self.diagnosis_rows: list[DiagnosisRow] = []
        self.diagnosis_layout = QVBoxLayout()
        layout.addLayout(self.diagnosis_layout)
        self.add_diagnosis_button = QPushButton("Add diagnosis")
        self.add_diagnosis_button.setAccessibleName("Add another diagnosis")
        self.add_diagnosis_button.clicked.connect(self._on_add_diagnosis_button_clicked)
        layout.addWidget(self.add_diagnosis_button, 0, Qt.AlignmentFlag.AlignLeft)

        layout.addWidget(QLabel("Disease activity scores"))
        self.score_rows: dict[str, ScoreRow] = {}
        self.more_scores_section = CollapsibleSection("More scores…")
        for instrument in INSTRUMENTS:
            row = self._entry_row(ScoreRow(instrument))
            self.score_rows[instrument] = row
            if instrument in FREQUENT_SCORES:
                layout.addWidget(row)
            else:
                self.more_scores_section.content_layout.addWidget(row)
        layout.addWidget(self.more_scores_section)

        layout.addWidget(QLabel("Autoantibodies"))
        self.finding_rows: dict[str, FindingRow] = {}
        self.more_antibodies_section = CollapsibleSection("More autoantibodies…")
        for test in _facts_in(("antibody.",), FactKind.BOOLEAN):
            antibody_row = self._entry_row(FindingRow(test))
            self.finding_rows[test] = antibody_row
            if test in FREQUENT_ANTIBODIES:
                layout.addWidget(antibody_row)
            else:
                self.more_antibodies_section.content_layout.addWidget(antibody_row)
        layout.addWidget(self.more_antibodies_section)

        self.organ_section = CollapsibleSection("Organ involvement (ILD, renal crisis …)")
        for test in _facts_in(("disease.",), FactKind.BOOLEAN):
            organ_row = self._entry_row(FindingRow(test))
            self.finding_rows[test] = organ_row
            self.organ_section.content_layout.addWidget(organ_row)
        layout.addWidget(self.organ_section)
        return group

    def _build_labs_group(self) -> QGroupBox:
        group = QGroupBox("Labs")
        layout = QVBoxLayout(group)
        self.lab_rows: dict[str, LabRow] = {}
        self.more_labs_section = CollapsibleSection("More labs…")
        for fact in _facts_in(("lab.",), FactKind.NUMBER):
            row = self._entry_row(LabRow(fact, self._settings))
            self.lab_rows[fact] = row
            if fact in FREQUENT_LABS:
                layout.addWidget(row)
            else:
                self.more_labs_section.content_layout.addWidget(row)
        for test in _facts_in(("marker.",), FactKind.BOOLEAN):
            marker_row = self._entry_row(FindingRow(test))
            self.finding_rows[test] = marker_row
            self.more_labs_section.content_layout.addWidget(marker_row)
        layout.addWidget(self.more_labs_section)
        return group

    def _build_infection_group(self) -> QGroupBox:
        group = QGroupBox("Infection screening")
        layout = QVBoxLayout(group)
        self.more_infection_section = CollapsibleSection("More tests…")
        for test in _facts_in(("serology.", "infection."), FactKind.BOOLEAN):
            row = self._entry_row(FindingRow(test))
            self.finding_rows[test] = row
            if test in FREQUENT_INFECTION:
                layout.addWidget(row)
            else:
                self.more_infection_section.content_layout.addWidget(row)
        layout.addWidget(self.more_infection_section)
        return group

    def _build_history_group(self) -> QGroupBox:
        group = QGroupBox("History and prior treatment")
        layout = QVBoxLayout(group)
        layout.addWidget(QLabel("Treatments (blank end date: ongoing)"))
        self.treatment_rows: list[TreatmentRow] = []
        self.treatment_layout = QVBoxLayout()
        layout.addLayout(self.treatment_layout)
        self.add_treatment_button = QPushButton("Add treatment")
        self.add_treatment_button.setAccessibleName("Add another treatment")
        self.add_treatment_button.clicked.connect(self._on_add_treatment_button_clicked)
        layout.addWidget(self.add_treatment_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.treatments_complete_check = QCheckBox(
            "The treatment list is complete (a drug not listed was never given)"
        )
        self.treatments_complete_box = self._scalar_box("Treatment list complete")
        self.treatments_complete_box.add_editor(
            "treatments_complete", self.treatments_complete_check, "treatment list is complete"
        )
        layout.addWidget(self.treatments_complete_box)

        layout.addWidget(QLabel("History"))
        self.history_rows: dict[str, HistoryRow] = {}
        self.more_history_section = CollapsibleSection("More history items…")
        for item in [n for n in FACTS if n.startswith("history.")]:
            row = self._entry_row(HistoryRow(item))
            self.history_rows[item] = row
            if item in FREQUENT_HISTORY:
                layout.addWidget(row)
            else:
                self.more_history_section.content_layout.addWidget(row)
        layout.addWidget(self.more_history_section)
        return group

    def _entry_row(self, row: RowT) -> RowT:
        row.edited.connect(self._on_field_box_edited)
        return row

    def add_diagnosis_row(self) -> DiagnosisRow:
        """An empty diagnosis row at the end of the list."""
        row = self._entry_row(DiagnosisRow())
        row.remove_requested.connect(self._on_diagnosis_row_remove_requested)
        self.diagnosis_rows.append(row)
        self.diagnosis_layout.addWidget(row)
        if not self._loading:
            self._update_tab_order()
        return row

    def add_treatment_row(self) -> TreatmentRow:
        """An empty treatment row at the end of the list."""
        row = self._entry_row(TreatmentRow())
        row.remove_requested.connect(self._on_treatment_row_remove_requested)
        self.treatment_rows.append(row)
        self.treatment_layout.addWidget(row)
        if not self._loading:
            self._update_tab_order()
        return row

    def _update_tab_order(self) -> None:
        """Tab follows the form from top to bottom, also through rows added later."""
        content_layout = self.content_widget.layout()
        if content_layout is None:
            return
        chain = _focus_chain(content_layout)
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _remove_row(self, row: EntryRow, rows: list[Any]) -> None:
        if row in rows:
            rows.remove(row)
            row.hide()
            row.setParent(None)
            row.deleteLater()
            self._after_edit()

    # Public API -----------------------------------------------------------------------------

    def set_profile(self, profile: PatientProfile | None) -> None:
        """Show ``profile`` (None: an empty form); the form is then unmodified."""
        self.set_form_data(profile_to_dict(profile) if profile is not None else {})

    def current_profile(self) -> PatientProfile | None:
        """The profile the form holds; while it has errors, the last valid one since it was
        loaded (None when it has not been valid since)."""
        return self._last_valid

    def is_valid(self) -> bool:
        return self._is_valid

    def errors(self) -> tuple[str, ...]:
        """Every problem that keeps the form from being a valid profile, "Field: problem"."""
        return self._errors

    def warnings(self) -> tuple[str, ...]:
        """Values that are possible but unusual (shown with a "Check" mark)."""
        return self._warnings

    def is_modified(self) -> bool:
        return self._modified

    def mark_saved(self) -> None:
        """What the form holds was saved: it is no longer modified."""
        self._set_modified(False)

    def mark_modified(self) -> None:
        """The form holds changes that are in no file (a restored autosave)."""
        self._set_modified(True)

    def clear(self) -> None:
        """An empty form: every answer not known, one empty diagnosis row."""
        self.set_form_data({})

    def set_settings(self, settings: ClinicSettings) -> None:
        """Use the clinic's preferred units and ULN defaults."""
        self._settings = settings
        self._loading = True
        try:
            for row in self.lab_rows.values():
                row.apply_settings(settings)
        finally:
            self._loading = False
        self._validate()

    def form_data(self) -> dict[str, Any]:
        """The raw profile dict the widgets hold, including text that is not valid yet."""
        return self._assemble()[0]

    def set_form_data(self, data: Mapping[str, Any]) -> None:
        """Fill the form from a profile dict that may be invalid (an autosave, a broken file).

        Whatever the form has no field for is kept and written back unchanged.
        """
        self._loading = True
        try:
            self._load(data)
        finally:
            self._loading = False
        self._update_tab_order()
        self._set_modified(False)
        # Another patient: the previous patient's profile must never stand in for this one.
        self._last_valid = None
        self._validate(replaced=True)

    def focus_field(self, fact_name: str) -> bool:
        """Scroll to and focus the field where ``fact_name`` is entered; False when none is."""
        widget = self._widget_for_fact(fact_name)
        if widget is None:
            return False
        ancestor = widget.parentWidget()
        while ancestor is not None and ancestor is not self:
            if isinstance(ancestor, CollapsibleSection):
                ancestor.set_expanded(True)
            ancestor = ancestor.parentWidget()
        content_layout = self.content_widget.layout()
        if content_layout is not None:
            content_layout.activate()
        self.scroll_area.ensureWidgetVisible(widget)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    # Facts to widgets -----------------------------------------------------------------------

    def _widget_for_fact(self, fact: str) -> QWidget | None:
        simple: dict[str, QWidget] = {
            "age_years": self.birth_date_edit,
            "age_months": self.birth_date_edit,
            "age_days": self.birth_date_edit,
            "sex": self.sex_combo,
            "weight_kg": self.weight_edit,
            "height_cm": self.height_edit,
            "pregnant": self.pregnant_combo,
            "pregnancy_test_positive": self.pregnancy_test_combo,
            "lactating": self.lactating_combo,
            "childbearing_potential": self.childbearing_combo,
            "contraception_agreed": self.contraception_combo,
            "consent_to_contact": self.consent_combo,
            "derived.crcl": self.lab_rows["lab.creatinine"].value_edit,
            "derived.egfr": self.lab_rows["lab.creatinine"].value_edit,
            "score.bilag_a_count": self.score_rows[BILAG_ID].domain_combos["constitutional"],
            "score.bilag_b_count": self.score_rows[BILAG_ID].domain_combos["constitutional"],
        }
        if fact in simple:
            return simple[fact]
        if fact in ("diagnosis", "lupus_nephritis_class", "score.nih_activity_index",
                    "score.nih_chronicity_index"):  # fmt: skip
            row = self.diagnosis_rows[0] if self.diagnosis_rows else self.add_diagnosis_row()
            return {
                "diagnosis": row.condition_edit,
                "lupus_nephritis_class": row.class_boxes["I"],
                "score.nih_activity_index": row.activity_edit,
                "score.nih_chronicity_index": row.chronicity_edit,
            }[fact]
        if fact in self.lab_rows:
            return self.lab_rows[fact].value_edit
        if fact in self.finding_rows:
            return self.finding_rows[fact].result_combo
        if fact in self.history_rows:
            return self.history_rows[fact].present_combo
        if fact.startswith("score."):
            instrument = fact.removeprefix("score.")
            score_row = self.score_rows.get(instrument)
            return None if score_row is None else score_row.value_edit
        if fact.startswith(("treatment.", "derived.gc_dose")):
            return self._treatment_widget(fact.removeprefix("treatment."))
        return None

    def _treatment_widget(self, treatment_id: str) -> QWidget:
        for row in self.treatment_rows:
            drug = row.drug_id()
            if drug is not None and drug_matches(treatment_id, drug):
                return row.drug_edit
        empty = next((r for r in self.treatment_rows if r.to_entry() is None), None)
        return (empty or self.add_treatment_row()).drug_edit

    # Loading ------------------------------------------------------------------------------

    def _load(self, data: object) -> None:
        top = dict(data) if isinstance(data, Mapping) else {}
        self._load_notes = []
        top.pop("format", None)
        patient = top.pop("patient", None)
        reproductive = top.pop("reproductive", None)
        consent = top.pop("consent_to_contact", None)
        complete = top.pop("treatments_complete", False)
        sections = {section: top.pop(section, None) for section in LIST_SECTIONS}
        # Whatever is left (the screening date, unknown keys) is written back unchanged.
        self._top_extra = top

        patient_map = self._mapping(patient, "patient")
        self._patient_extra = {k: v for k, v in patient_map.items() if k not in _PATIENT_KEYS}
        self.name_edit.setText(text_of(patient_map.get("name")))
        self.record_number_edit.setText(text_of(patient_map.get("record_number")))
        self.birth_date_edit.setText(text_of(patient_map.get("birth_date")))
        self.sex_combo.set_value(patient_map.get("sex"))
        for key, box in (("weight", self.weight_box), ("height", self.height_box)):
            self._load_measure(box, key, patient_map.get(key))

        reproductive_map = self._mapping(reproductive, "reproductive")
        self._reproductive_extra = {
            k: v for k, v in reproductive_map.items() if k not in _REPRODUCTIVE_KEYS
        }
        self.pregnant_combo.set_value(reproductive_map.get("pregnant"))
        test = self._mapping(reproductive_map.get("pregnancy_test"), "pregnancy_test")
        self.pregnancy_test_combo.set_value(test.get("result"))
        self.pregnancy_test_date_edit.setText(text_of(test.get("date")))
        self.lactating_combo.set_value(reproductive_map.get("lactating"))
        self.childbearing_combo.set_value(reproductive_map.get("childbearing_potential"))
        self.contraception_combo.set_value(reproductive_map.get("contraception_agreed"))
        self.consent_combo.set_value(consent)
        if isinstance(complete, bool):
            self.treatments_complete_check.setChecked(complete)
        else:
            self.treatments_complete_check.setChecked(False)
            self._load_notes.append(f"treatments_complete was {complete!r}, not true or false; "
                                    "the box is left unticked")  # fmt: skip

        self._unplaced = {section: [] for section in LIST_SECTIONS}
        items = {section: self._list(value, section) for section, value in sections.items()}
        self._positions = {
            id(entry): position for entries in items.values()
            for position, entry in enumerate(entries)
        }  # fmt: skip
        self._row_positions = {}
        self._load_keyed(items["labs"], "labs", "analyte", self._lab_row_for)
        self._load_keyed(items["findings"], "findings", "test", self.finding_rows.get)
        self._load_keyed(items["scores"], "scores", "instrument", self.score_rows.get)
        self._load_keyed(items["history"], "history", "item", self.history_rows.get)

        for row in list(self.diagnosis_rows):
            self._drop_row(row, self.diagnosis_rows)
        for position, entry in enumerate(items["diagnoses"]):
            if isinstance(entry, Mapping):
                diagnosis_row = self.add_diagnosis_row()
                diagnosis_row.load_entry(entry)
                self._row_positions[diagnosis_row] = position
            else:
                self._unplaced["diagnoses"].append(entry)
        if not self.diagnosis_rows:
            self.add_diagnosis_row()
        for treatment_row in list(self.treatment_rows):
            self._drop_row(treatment_row, self.treatment_rows)
        for position, entry in enumerate(items["treatments"]):
            if isinstance(entry, Mapping):
                treatment_row = self.add_treatment_row()
                treatment_row.load_entry(entry)
                self._row_positions[treatment_row] = position
            else:
                self._unplaced["treatments"].append(entry)
        if not self.treatment_rows:
            self.add_treatment_row()

    def _drop_row(self, row: EntryRow, rows: list[Any]) -> None:
        rows.remove(row)
        row.hide()
        for layout in (self.diagnosis_layout, self.treatment_layout):
            layout.removeWidget(row)
        # The row keeps its parent until Qt deletes it: setParent(None) handed the C++ row to
        # Python while deleteLater was pending, and PySide6 6.11 then crashed (a segfault when
        # a cleared form was filled again, e.g. FHIR import after New Patient).
        row.deleteLater()

    def _mapping(self, value: object, name: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if isinstance(value, Mapping):
            return value
        self._load_notes.append(f"{name} in the file is {value!r}, not an object; not shown")
        return {}

    def _list(self, value: object, name: str) -> list[Any]:
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self._load_notes.append(f"{name} in the file is {value!r}, not a list; not shown")
        return []

    def _load_measure(self, box: FieldBox, key: str, value: object) -> None:
        measure = self._mapping(value, f"patient.{key}")
        self._measure_extra[key] = {k: v for k, v in measure.items() if k not in _MEASURE_KEYS}
        edit = box.editor("value")
        assert isinstance(edit, type(self.name_edit))
        edit.setText(text_of(measure.get("value")))
        unit = box.editor("unit")
        assert isinstance(unit, ChoiceCombo)
        if "unit" in measure:
            unit.set_value(measure.get("unit"))
        else:
            unit.reset()
        day = box.editor("date")
        assert isinstance(day, type(self.name_edit))
        day.setText(text_of(measure.get("date")))

    def _lab_row_for(self, analyte: str) -> LabRow | None:
        fact = analyte if analyte.startswith("lab.") else f"lab.{analyte}"
        row = self.lab_rows.get(fact)
        # "lab.hemoglobin" and "hemoglobin" both name the row; keep the file's spelling only
        # for the row's own name.
        return row if row is not None and analyte in (row.analyte, row.fact) else None

    def _load_keyed(
        self,
        entries: list[Any],
        section: str,
        key: str,
        row_for: Callable[[str], EntryRow | None],
    ) -> None:
        grouped: dict[EntryRow, list[Mapping[str, Any]]] = {}
        for entry in entries:
            name = entry.get(key) if isinstance(entry, Mapping) else None
            row = row_for(name) if isinstance(name, str) else None
            if row is None:
                self._unplaced[section].append(entry)
            else:
                grouped.setdefault(row, []).append(entry)
        rows: list[EntryRow] = []
        if section == "labs":
            rows = list(self.lab_rows.values())
        elif section == "findings":
            rows = list(self.finding_rows.values())
        elif section == "scores":
            rows = list(self.score_rows.values())
        else:
            rows = list(self.history_rows.values())
        for row in rows:
            row.clear_row()
            group = grouped.get(row, [])
            if not group:
                continue
            # The form shows the latest entry; earlier ones are kept and written back.
            latest = max(group, key=lambda e: str(e.get("date") or ""))
            row.load_entry(latest)
            self._row_positions[row] = self._positions[id(latest)]
            row.set_kept_entries([e for e in group if e is not latest])

    # Assembling and validating --------------------------------------------------------------

    def _assemble(self) -> tuple[dict[str, Any], dict[str, Target]]:
        targets: dict[str, Target] = {}
        data: dict[str, Any] = {"format": PROFILE_FORMAT}
        data.update(self._top_extra)

        patient: dict[str, Any] = dict(self._patient_extra)
        patient["name"] = text_value(self.name_edit.text())
        patient["record_number"] = text_value(self.record_number_edit.text())
        patient["birth_date"] = text_value(self.birth_date_edit.text())
        patient["sex"] = self.sex_combo.value()
        patient["weight"] = self._measure_value(self.weight_box, "weight")
        patient["height"] = self._measure_value(self.height_box, "height")
        data["patient"] = patient
        for key, box in (("name", self.name_box), ("record_number", self.record_number_box),
                         ("birth_date", self.birth_date_box), ("sex", self.sex_box)):  # fmt: skip
            targets[f"patient.{key}"] = (box, key)
        for key, box in (("weight", self.weight_box), ("height", self.height_box)):
            targets[f"patient.{key}"] = (box, "")
            for sub in _MEASURE_KEYS:
                targets[f"patient.{key}.{sub}"] = (box, sub)

        test_result = self.pregnancy_test_combo.value()
        test_date = text_value(self.pregnancy_test_date_edit.text())
        reproductive: dict[str, Any] = dict(self._reproductive_extra)
        reproductive.update({
            "pregnant": self.pregnant_combo.value(),
            "pregnancy_test": None if test_result is None and test_date is None else {
                "result": test_result, "date": test_date},
            "lactating": self.lactating_combo.value(),
            "childbearing_potential": self.childbearing_combo.value(),
            "contraception_agreed": self.contraception_combo.value(),
        })  # fmt: skip
        data["reproductive"] = reproductive
        for key, box in (("pregnant", self.pregnant_box), ("lactating", self.lactating_box),
                         ("childbearing_potential", self.childbearing_box),
                         ("contraception_agreed", self.contraception_box)):  # fmt: skip
            targets[f"reproductive.{key}"] = (box, key)
        targets["reproductive.pregnancy_test"] = (self.pregnancy_test_box, "")
        targets["reproductive.pregnancy_test.result"] = (self.pregnancy_test_box, "result")
        targets["reproductive.pregnancy_test.date"] = (self.pregnancy_test_box, "date")
        data["consent_to_contact"] = self.consent_combo.value()
        targets["consent_to_contact"] = (self.consent_box, "consent_to_contact")
        data["treatments_complete"] = self.treatments_complete_check.isChecked()
        targets["treatments_complete"] = (self.treatments_complete_box, "treatments_complete")

        row_lists: dict[str, list[EntryRow]] = {
            "diagnoses": list(self.diagnosis_rows),
            "scores": list(self.score_rows.values()),
            "labs": list(self.lab_rows.values()),
            "findings": list(self.finding_rows.values()),
            "treatments": list(self.treatment_rows),
            "history": list(self.history_rows.values()),
        }
        for section, rows in row_lists.items():
            # Entries from a file keep the file's order; new ones follow in the form's order.
            placed: list[tuple[tuple[int, int], Any, FieldBox, str]] = []
            for form_index, row in enumerate(rows):
                entry = row.to_entry()
                if entry is not None:
                    position = self._row_positions.get(row)
                    order = (0, position) if position is not None else (1, form_index)
                    placed.append((order, entry, row, ""))
                placed.extend(
                    ((0, self._positions.get(id(kept), 0)), kept, row, "kept")
                    for kept in row.kept_entries
                )
            placed.extend(
                ((0, self._positions.get(id(entry), 0)), entry, self.file_problems, "unplaced")
                for entry in self._unplaced[section]
            )
            placed.sort(key=lambda item: item[0])
            entries: list[Any] = []
            for index, (_, entry, box, kind) in enumerate(placed):
                if kind == "":
                    targets[f"{section}[{index}]"] = (box, "")
                    for key in box.editor_keys():
                        targets[f"{section}[{index}].{key}"] = (box, key)
                else:
                    targets[f"{section}[{index}]"] = (box, "kept" if kind == "kept" else "")
                entries.append(entry)
            data[section] = entries
        return data, targets

    def _measure_value(self, box: FieldBox, key: str) -> dict[str, Any] | None:
        value_edit = box.editor("value")
        date_edit = box.editor("date")
        unit = box.editor("unit")
        assert isinstance(value_edit, type(self.name_edit))
        assert isinstance(date_edit, type(self.name_edit))
        assert isinstance(unit, ChoiceCombo)
        value = number_value(value_edit.text())
        day = text_value(date_edit.text())
        if value is None and day is None and not self._measure_extra[key]:
            return None
        measure = dict(self._measure_extra[key])
        measure.update({"value": value, "unit": unit.value(), "date": day})
        return measure

    def _resolve(self, path: str, targets: Mapping[str, Target]) -> tuple[FieldBox, str, str]:
        """The box and key where a problem at ``path`` is shown, and the rest of the path."""
        candidate = path
        while candidate:
            if candidate in targets:
                box, key = targets[candidate]
                rest = path[len(candidate) :].lstrip(".")
                return box, key, rest
            cut = max(candidate.rfind("."), candidate.rfind("["))
            candidate = candidate[:cut] if cut > 0 else ""
        return self.file_problems, "", path

    def _validate(self, replaced: bool = False) -> None:
        """Check the form, show every problem, and emit the signals.

        ``replaced``: the form was just filled with another profile; both signals are emitted
        even when the validity did not change, so nothing computed for the previous profile
        stays on screen.
        """
        data, targets = self._assemble()
        self._targets = targets
        today = self._today()
        found: dict[FieldBox, dict[str, FieldProblem]] = {}
        errors: list[str] = []
        warnings: list[str] = []

        def record(path: str, problem: str, level: ProblemLevel) -> None:
            box, key, rest = self._resolve(path, targets)
            if key == "kept":
                key = ""
                problem = f"an earlier entry kept from the file: {rest or 'entry'}: {problem}"
            elif rest:
                problem = f"{rest}: {problem}"
            box_problems = found.setdefault(box, {})
            if key in box_problems:
                problem = f"{box_problems[key].message}; {problem}"
                level = (
                    ProblemLevel.ERROR
                    if ProblemLevel.ERROR in (level, box_problems[key].level)
                    else level
                )
            box_problems[key] = FieldProblem(level, problem)
            name = box.key_label(key)
            where = f"{box.title}: {name}" if name and name != box.title else box.title
            line = f"{where}: {problem}"
            (errors if level is ProblemLevel.ERROR else warnings).append(line)

        for note in self._load_notes:
            record("", note, ProblemLevel.WARNING)
        birth_date = self._validate_top(data, today, record)
        for section in LIST_SECTIONS:
            for index, item in enumerate(data[section]):
                probe = {"format": PROFILE_FORMAT, "patient": {"birth_date": birth_date},
                         section: [item]}  # fmt: skip
                try:
                    profile_from_dict(probe, today=today)
                except ProfileError as error:
                    path = _INDEX.sub(f"{section}[{index}]", error.path, count=1)
                    record(path, error.problem, ProblemLevel.ERROR)

        profile: PatientProfile | None = None
        if not errors:
            try:
                profile = profile_from_dict(data, today=today)
            except ProfileError as error:
                record(error.path, error.problem, ProblemLevel.ERROR)
        if profile is not None:
            for warning in profile_warnings(profile):
                path, _, message = warning.partition(": ")
                record(path, message, ProblemLevel.WARNING)

        for box in self._all_boxes():
            box.show_problems(found.get(box, {}))
        for lab_row in self.lab_rows.values():
            lab_row.offer_unit_fix(_suggested_unit(lab_row))
        self._errors = tuple(errors)
        self._warnings = tuple(warnings)
        self._show_summary()

        was_valid = self._is_valid
        self._is_valid = profile is not None
        if profile is not None and (replaced or profile != self._last_valid):
            self._last_valid = profile
            self.profile_changed.emit(profile)
        if replaced or was_valid != self._is_valid:
            self.validity_changed.emit(self._is_valid)

    def _validate_top(
        self, data: Mapping[str, Any], today: date, record: Callable[[str, str, ProblemLevel], None]
    ) -> str | None:
        """Check everything outside the lists, one failing field at a time; the usable birth date.

        The engine stops at the first problem, so each failing field is taken out and the rest
        checked again, to show every problem at once.
        """
        top: dict[str, Any] = {k: v for k, v in data.items() if k not in LIST_SECTIONS}
        top["patient"] = dict(top["patient"])
        top["reproductive"] = dict(top["reproductive"])
        failed_birth_date = False
        seen: set[str] = set()
        for _ in range(_MAX_TOP_ROUNDS):
            try:
                profile_from_dict(top, today=today)
                break
            except ProfileError as error:
                if error.path in seen:
                    break
                seen.add(error.path)
                record(error.path, error.problem, ProblemLevel.ERROR)
                parts = error.path.split(".")
                if parts[0] in ("patient", "reproductive") and len(parts) > 1:
                    top[parts[0]].pop(parts[1], None)
                    failed_birth_date |= parts[:2] == ["patient", "birth_date"]
                elif parts[0] and parts[0] != "format":
                    top.pop(parts[0], None)
                else:
                    break
        birth = data["patient"].get("birth_date")
        return None if failed_birth_date or not isinstance(birth, str) else birth

    def _all_boxes(self) -> list[FieldBox]:
        boxes: list[FieldBox] = [self.file_problems, *self._scalar_boxes]
        boxes += [*self.diagnosis_rows, *self.treatment_rows]
        boxes += [*self.score_rows.values(), *self.lab_rows.values()]
        boxes += [*self.finding_rows.values(), *self.history_rows.values()]
        return boxes

    def _show_summary(self) -> None:
        count = len(self._errors)
        if count:
            self.summary_label.setText(
                f"{count} problem{'s' if count != 1 else ''} to correct before the profile can "
                "be matched (marked in the form). Matching uses the last valid profile until then."
            )
        elif self._warnings:
            self.summary_label.setText(
                f"{len(self._warnings)} unusual value(s) to check (marked in the form)."
            )
        else:
            self.summary_label.setText("")
        self.summary_label.setVisible(bool(count or self._warnings))

    def _set_modified(self, modified: bool) -> None:
        if modified != self._modified:
            self._modified = modified
            self.modified_changed.emit(modified)

    def _after_edit(self) -> None:
        if self._loading:
            return
        self._set_modified(True)
        self._validate()
        self.form_edited.emit()

    # Slots --------------------------------------------------------------------------------

    @Slot()
    def _on_field_box_edited(self) -> None:
        self._after_edit()

    @Slot()
    def _on_add_diagnosis_button_clicked(self) -> None:
        self.add_diagnosis_row().condition_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def _on_add_treatment_button_clicked(self) -> None:
        self.add_treatment_row().drug_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot(object)
    def _on_diagnosis_row_remove_requested(self, row: DiagnosisRow) -> None:
        self._remove_row(row, self.diagnosis_rows)

    @Slot(object)
    def _on_treatment_row_remove_requested(self, row: TreatmentRow) -> None:
        self._remove_row(row, self.treatment_rows)
