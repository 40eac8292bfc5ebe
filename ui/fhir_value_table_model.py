"""Table model of values read from a FHIR export: field, value and where each came from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from typing_extensions import override

from engine.facts import fact_spec
from engine.fhir import ImportedValue, Source
from engine.vocabulary import condition_label
from ui.row_table_model import RowTableModel

COLUMN_HEADERS = ("Field", "Value", "Source", "Code", "Date")

# Patient fields have no fact of their own; these are the form's labels for them.
_PATIENT_LABELS = {
    "patient.birth_date": "Date of birth",
    "patient.sex": "Sex",
    "patient.name": "Name",
    "patient.record_number": "Record number",
    "patient.weight": "Weight",
    "patient.height": "Height",
}
# The report's section of a field ("labs[hemoglobin]") and the fact prefix its key lacks.
_SECTION_PREFIXES = {"labs": "lab.", "scores": "score.", "findings": "", "diagnoses": "",
                     "treatments": "treatment."}  # fmt: skip
_SECTION_NAMES = {"labs": "Lab", "scores": "Score", "findings": "Finding",
                  "diagnoses": "Diagnosis", "treatments": "Treatment"}  # fmt: skip


def field_label(field: str) -> str:
    """A physician's name for a report field path: "labs[hemoglobin]" -> "Lab: Haemoglobin"."""
    if field in _PATIENT_LABELS:
        return _PATIENT_LABELS[field]
    section, bracket, rest = field.partition("[")
    if not bracket or section not in _SECTION_NAMES:
        return field
    key = rest.removesuffix("]")
    if section == "diagnoses":
        return f"Diagnosis: {condition_label(key) or key}"
    spec = fact_spec(_SECTION_PREFIXES[section] + key) or fact_spec(key)
    return f"{_SECTION_NAMES[section]}: {spec.label if spec is not None else key}"


def source_code(source: Source) -> str:
    """The code a value was read from with its system ("LOINC 718-7"), or empty."""
    if source.code is None:
        return ""
    # Source.describe() already names the system; reuse its wording rather than a second table.
    described = source.describe().split(", ")
    return next((part for part in described[1:] if part.endswith(source.code)), source.code)


@dataclass(frozen=True, slots=True)
class FhirValueRow:
    """One imported (or earlier) value as the table shows it."""

    field: str
    label: str
    value: str
    resource: str
    code: str
    date: str
    location: str

    @classmethod
    def of(cls, imported: ImportedValue) -> FhirValueRow:
        source = imported.source
        return cls(
            field=imported.field,
            label=field_label(imported.field),
            value=imported.value,
            resource=f"{source.resource_type}/{source.resource_id or '(no id)'}",
            code=source_code(source),
            date=source.date.isoformat() if source.date is not None else "",
            location=source.location,
        )


class FhirValueTableModel(RowTableModel[FhirValueRow]):
    """Thin adapter over a list of ``FhirValueRow``."""

    headers = COLUMN_HEADERS

    def set_values(self, values: Sequence[ImportedValue]) -> None:
        self.set_rows([FhirValueRow.of(value) for value in values])

    @staticmethod
    def _cell(row: FhirValueRow, column: int) -> str:
        return (row.label, row.value, row.resource, row.code, row.date)[column]

    @override
    def cell_data(self, row: FhirValueRow, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            # The entry in the export, so the physician can find it in the EHR's file.
            return f"{row.field} from {row.resource} [{row.location}]"
        return None
