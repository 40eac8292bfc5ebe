"""Table model of values read from a FHIR export: field, value and where each came from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from typing_extensions import override

from engine.facts import fact_spec
from engine.fhir import ImportedValue, Source
from engine.vocabulary import condition_label

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


class FhirValueTableModel(QAbstractTableModel):
    """Thin adapter over a list of ``FhirValueRow``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[FhirValueRow] = []

    def set_rows(self, rows: Sequence[FhirValueRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def set_values(self, values: Sequence[ImportedValue]) -> None:
        self.set_rows([FhirValueRow.of(value) for value in values])

    def row_at(self, row: int) -> FhirValueRow:
        return self._rows[row]

    @staticmethod
    def _cell(row: FhirValueRow, column: int) -> str:
        return (row.label, row.value, row.resource, row.code, row.date)[column]

    # Qt interface

    @override
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    @override
    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMN_HEADERS)

    @override
    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            # The entry in the export, so the physician can find it in the EHR's file.
            return f"{row.field} from {row.resource} [{row.location}]"
        return None

    @override
    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMN_HEADERS)
        ):
            return COLUMN_HEADERS[section]
        return None
