"""File > Import from EHR (FHIR): choose an export, read it in a worker, show the report, apply."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QWidget

from engine.facts import fact_spec
from engine.fhir import FhirImportReport
from engine.units import format_number
from models.fhir_io import FhirFileError, load_fhir_profile
from ui import dialogs
from ui.fhir_import_dialog import FhirImportDialog, ImportChoice, describe_source
from ui.patient_files import PatientFileController
from ui.profile.profile_panel import ProfilePanel
from ui.workers import JobRunner

FHIR_FILE_FILTER = "FHIR exports (*.json *.ndjson);;All files (*)"
IDENTITY_FIELDS = (("name", "name"), ("record_number", "record number"),
                   ("birth_date", "date of birth"), ("sex", "sex"))  # fmt: skip
# Sections with one current value per key: the newer dated entry is the one the form shows.
KEYED_SECTIONS = (("labs", "analyte", "lab."), ("findings", "test", ""),
                  ("scores", "instrument", "score."))  # fmt: skip


def ask_fhir_folder(parent: QWidget | None, title: str) -> Path | None:
    """The folder of a bulk export the user chose; None when cancelled."""
    chosen = QFileDialog.getExistingDirectory(parent, title, "")
    return Path(chosen) if chosen else None


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The merged form dict, how many imported values it took, and what the physician must see.

    ``identity_warnings``: patient fields that differ (the form's value was kept).
    ``conflicts``: the same lab, finding, score, diagnosis or treatment with different values;
    both are named, with which one the form now shows.
    """

    data: dict[str, Any]
    added: int
    identity_warnings: tuple[str, ...]
    conflicts: tuple[str, ...]


def form_holds_data(data: Mapping[str, Any]) -> bool:
    """Whether a form dict holds anything entered (an empty form holds only empty answers)."""
    patient = data.get("patient")
    if isinstance(patient, Mapping) and any(v not in (None, "") for v in patient.values()):
        return True
    reproductive = data.get("reproductive")
    if isinstance(reproductive, Mapping) and any(v is not None for v in reproductive.values()):
        return True
    sections = ("diagnoses", "scores", "labs", "findings", "treatments", "history")
    return data.get("consent_to_contact") is not None or any(data.get(s) for s in sections)


def _label(prefix: str, key: str) -> str:
    spec = fact_spec(prefix + key) or fact_spec(key)
    return spec.label if spec is not None else key


def _day(entry: Mapping[str, Any]) -> str:
    # ISO dates compare correctly as text; an undated entry is older than any dated one.
    value = entry.get("date")
    return value if isinstance(value, str) else ""


def _shown(entry: Mapping[str, Any], *keys: str) -> str:
    parts = [
        format_number(entry[key])
        if isinstance(entry[key], int | float) and not isinstance(entry[key], bool)
        else str(entry[key])
        for key in keys
        if entry.get(key) not in (None, "")
    ]
    day = _day(entry)
    return " ".join(parts) + (f" ({day})" if day else " (undated)")


def _same_value(a: Mapping[str, Any], b: Mapping[str, Any], keys: tuple[str, ...]) -> bool:
    return all(a.get(key) == b.get(key) for key in keys)


def merge_profile_dicts(current: Mapping[str, Any], imported: Mapping[str, Any]) -> MergeResult:
    """Add an imported profile dict to the form's dict without losing what the form holds.

    Patient identity fields are filled only where the form is empty. Weight, height and each
    lab, finding and score: the newer dated value becomes current (the older one stays as
    history for keyed entries). Diagnoses and treatments the form lacks are added. Reproductive
    answers, consent, history answers and ``treatments_complete`` are the form's alone.
    """
    data = copy.deepcopy(dict(current))
    new = copy.deepcopy(dict(imported))
    added = 0
    warnings: list[str] = []
    conflicts: list[str] = []

    patient = data.setdefault("patient", {})
    if not isinstance(patient, dict):
        patient = data["patient"] = {}
    new_patient = new.get("patient") or {}
    for key, label in IDENTITY_FIELDS:
        theirs = new_patient.get(key)
        ours = patient.get(key)
        if theirs in (None, ""):
            continue
        if ours in (None, ""):
            patient[key] = theirs
            added += 1
        elif str(ours).strip().casefold() != str(theirs).strip().casefold():
            warnings.append(
                f"The export's {label} is '{theirs}', the form's is '{ours}': the form's was "
                "kept. Check that the export belongs to this patient."
            )
    for key in ("weight", "height"):
        theirs = new_patient.get(key)
        ours = patient.get(key)
        if not isinstance(theirs, Mapping):
            continue
        if not isinstance(ours, Mapping) or ours.get("value") is None:
            patient[key] = theirs
            added += 1
        elif not _same_value(ours, theirs, ("value", "unit", "date")):
            newer = _day(theirs) > _day(ours)
            if newer:
                patient[key] = theirs
                added += 1
            conflicts.append(
                f"{key.capitalize()}: form {_shown(ours, 'value', 'unit')}, export "
                f"{_shown(theirs, 'value', 'unit')}; the form now shows the "
                f"{'export' if newer else 'form'}'s value."
            )

    for section, key_name, prefix in KEYED_SECTIONS:
        entries = data.get(section)
        if not isinstance(entries, list):
            entries = data[section] = []
        value_keys = ("result",) if section == "findings" else ("value", "unit")
        for theirs in new.get(section) or []:
            key = str(theirs.get(key_name, "")).removeprefix(prefix)
            same_key = [
                entry for entry in entries
                if isinstance(entry, Mapping)
                and str(entry.get(key_name, "")).removeprefix(prefix) == key
            ]  # fmt: skip
            if not same_key:
                entries.append(theirs)
                added += 1
                continue
            latest = max(same_key, key=_day)
            if _same_value(latest, theirs, (*value_keys, "date")):
                continue  # already in the form
            label = _label(prefix, key)
            if _day(theirs) > _day(latest):
                entries.append(theirs)  # the form shows the newest; the older stays as history
                added += 1
                if not _same_value(latest, theirs, value_keys):
                    conflicts.append(
                        f"{label}: form {_shown(latest, *value_keys)}, export "
                        f"{_shown(theirs, *value_keys)}; the newer (the export's) is shown."
                    )
            elif _day(theirs) == _day(latest):
                conflicts.append(
                    f"{label}: form {_shown(latest, *value_keys)}, export "
                    f"{_shown(theirs, *value_keys)} on the same date; the form's is kept: "
                    "please check which is right."
                )
            elif not any(_same_value(entry, theirs, (*value_keys, "date")) for entry in same_key):
                entries.append(theirs)  # an older result: history, the form's stays current
                added += 1

    diagnoses = data.get("diagnoses")
    if not isinstance(diagnoses, list):
        diagnoses = data["diagnoses"] = []
    for theirs in new.get("diagnoses") or []:
        ours = next((d for d in diagnoses if isinstance(d, Mapping)
                     and d.get("condition") == theirs.get("condition")), None)  # fmt: skip
        if ours is None:
            diagnoses.append(theirs)
            added += 1
        elif theirs.get("diagnosis_date") and ours.get("diagnosis_date") not in (
            None,
            theirs.get("diagnosis_date"),
        ):
            conflicts.append(
                f"Diagnosis {theirs.get('text') or theirs.get('condition')}: diagnosed "
                f"{ours.get('diagnosis_date')} in the form, {theirs.get('diagnosis_date')} in the "
                "export; the form's date is kept."
            )

    treatments = data.get("treatments")
    if not isinstance(treatments, list):
        treatments = data["treatments"] = []
    for theirs in new.get("treatments") or []:
        same = [t for t in treatments if isinstance(t, Mapping)
                and t.get("drug") == theirs.get("drug")
                and t.get("start") == theirs.get("start")]  # fmt: skip
        if not same:
            treatments.append(theirs)
            added += 1
        elif not any(t == theirs for t in same):
            conflicts.append(
                f"Treatment {theirs.get('drug')} from {theirs.get('start') or 'an unknown date'}: "
                "the export's dose or end date differs from the form's; the form's is kept."
            )
    return MergeResult(data, added, tuple(warnings), tuple(conflicts))


class FhirImportController(QObject):
    """Imports a FHIR export into the patient form after the physician has read the report.

    The window puts ``import_action`` (Ctrl+Shift+I) and ``import_folder_action`` in its File
    menu. ``last_report`` keeps the report of the last applied import, with every value's
    source (the profile format itself has no field for a value's source).
    """

    def __init__(
        self,
        panel: ProfilePanel,
        patient_files: PatientFileController,
        runner: JobRunner,
        parent_widget: QWidget,
        show_status: Callable[[str], None],
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        super().__init__(parent_widget)
        self._panel = panel
        self._patient_files = patient_files
        self._runner = runner
        self._parent_widget = parent_widget
        self._show_status = show_status
        self._today = today
        self._running = False
        self.last_report: FhirImportReport | None = None
        self.last_merge: MergeResult | None = None

        self.import_action = QAction("Import from &EHR (FHIR)…", self)
        self.import_action.setShortcut(QKeySequence("Ctrl+Shift+I"))
        self.import_action.setStatusTip(
            "Read the patient from an EHR's FHIR export (Bundle JSON or NDJSON) (Ctrl+Shift+I)"
        )
        self.import_action.triggered.connect(self._on_import_action_triggered)
        self.import_folder_action = QAction("Import EHR &Folder (FHIR)…", self)
        self.import_folder_action.setStatusTip(
            "Read the patient from a folder of FHIR resources (a bulk export)"
        )
        self.import_folder_action.triggered.connect(self._on_import_folder_action_triggered)

    @property
    def running(self) -> bool:
        return self._running

    def start(self, path: Path) -> bool:
        """Read ``path`` in a worker; the report is shown when it is read. False when busy."""
        if self._running:
            return False
        self._set_running(True)
        today = self._today()
        self._runner.start(
            lambda: load_fhir_profile(path, today=today),
            lambda result: self._on_loaded(path, result),
            lambda error: self._on_failed(path, error),
            lambda: self._set_running(False),
        )
        return True

    def has_current_profile(self) -> bool:
        """A profile is open: a file, edits not saved anywhere, or a form that holds data."""
        return (
            self._patient_files.current_path is not None
            or self._panel.is_modified()
            or form_holds_data(self._panel.form_data())
        )

    def apply(self, path: Path, report: FhirImportReport, choice: ImportChoice) -> bool:
        """Put the import into the form as chosen; False when the physician cancelled."""
        imported = copy.deepcopy(dict(report.profile_dict))
        attention = len(report.issues)
        if choice is ImportChoice.REPLACE:
            # new_profile() asks about unsaved changes and leaves no file name: Save asks for one.
            if not self._patient_files.new_profile():
                self._show_status("Import cancelled; the form was not changed.")
                return False
            self._panel.set_form_data(imported)
            count = len(report.imported)
            self.last_merge = None
        else:
            merged = merge_profile_dicts(self._panel.form_data(), imported)
            self._panel.set_form_data(merged.data)
            count = merged.added
            attention += len(merged.identity_warnings) + len(merged.conflicts)
            self.last_merge = merged
        # What came from the export is in no file yet: modified, and in the crash-recovery copy
        # at once rather than after the next keystroke.
        self._panel.mark_modified()
        self._patient_files.write_recovery()
        self.last_report = report
        self._show_status(
            f"Imported {count} value{'s' if count != 1 else ''} from {describe_source(path)}; "
            f"{attention} item{'s' if attention != 1 else ''} need your attention"
        )
        if self.last_merge is not None and (
            self.last_merge.identity_warnings or self.last_merge.conflicts
        ):
            dialogs.show_information(
                self._parent_widget, "Merged: please check", merge_summary(self.last_merge)
            )
        return True

    def _set_running(self, running: bool) -> None:
        self._running = running
        self.import_action.setEnabled(not running)
        self.import_folder_action.setEnabled(not running)

    def _on_loaded(self, path: Path, result: object) -> None:
        if not isinstance(result, tuple) or not isinstance(result[1], FhirImportReport):
            return
        report = result[1]
        choice = FhirImportDialog.ask(
            self._parent_widget, report, self.has_current_profile(), describe_source(path)
        )
        if choice is None:
            self._show_status("FHIR import cancelled; the form was not changed.")
            return
        self.apply(path, report, choice)

    def _on_failed(self, path: Path, error: Exception) -> None:
        if isinstance(error, FhirFileError):
            text = f"The export was not imported; the form was not changed.\n\n{error}"
        else:
            text = f"{path} could not be imported; the form was not changed.\n\n{error}"
        dialogs.show_error(self._parent_widget, "Import from EHR (FHIR)", text)

    @Slot()
    def _on_import_action_triggered(self) -> None:
        path = dialogs.ask_open_path(
            self._parent_widget, "Import from EHR (FHIR)", "", FHIR_FILE_FILTER
        )
        if path is not None:
            self.start(path)

    @Slot()
    def _on_import_folder_action_triggered(self) -> None:
        path = ask_fhir_folder(self._parent_widget, "Import a folder of FHIR resources")
        if path is not None:
            self.start(path)


def merge_summary(merged: MergeResult) -> str:
    """The text shown after a merge: identity differences first, then conflicting values."""
    parts = []
    if merged.identity_warnings:
        parts.append("Patient identity:\n" + "\n".join(f"• {w}" for w in merged.identity_warnings))
    if merged.conflicts:
        parts.append(
            "Values that differ between the form and the export:\n"
            + "\n".join(f"• {c}" for c in merged.conflicts)
        )
    return "\n\n".join(parts)
