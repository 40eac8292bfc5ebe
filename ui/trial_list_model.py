"""Qt table model of the trial list: title, status, phase, conditions, number of sites."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from typing_extensions import override

from models.operations import TrialListEntry
from ui.row_table_model import RowTableModel

UNTITLED = "(the record has no title)"
NOT_GIVEN = "not given"

# The registry's enum words as a person reads them; values not listed are shown as given.
STATUS_LABELS = {
    "ACTIVE_NOT_RECRUITING": "Active, not recruiting",
    "COMPLETED": "Completed",
    "ENROLLING_BY_INVITATION": "Enrolling by invitation",
    "NOT_YET_RECRUITING": "Not yet recruiting",
    "RECRUITING": "Recruiting",
    "SUSPENDED": "Suspended",
    "TERMINATED": "Terminated",
    "WITHDRAWN": "Withdrawn",
    "AVAILABLE": "Available",
    "NO_LONGER_AVAILABLE": "No longer available",
    "TEMPORARILY_NOT_AVAILABLE": "Temporarily not available",
    "APPROVED_FOR_MARKETING": "Approved for marketing",
    "WITHHELD": "Withheld",
    "UNKNOWN": "Unknown",
}
PHASE_LABELS = {
    "NA": "Not applicable",
    "EARLY_PHASE1": "Early phase 1",
    "PHASE1": "Phase 1",
    "PHASE2": "Phase 2",
    "PHASE3": "Phase 3",
    "PHASE4": "Phase 4",
}


@dataclass(frozen=True, slots=True)
class TrialRow:
    """One row of the trial list, ready to display."""

    trial_id: str
    title: str
    status: str
    phase: str
    conditions: str
    site_count: int

    @classmethod
    def from_entry(cls, trial: TrialListEntry) -> TrialRow:
        return cls(
            trial_id=trial.trial_id,
            title=trial.title or UNTITLED,
            status=(
                STATUS_LABELS.get(trial.overall_status, trial.overall_status)
                if trial.overall_status
                else NOT_GIVEN
            ),
            phase=" / ".join(PHASE_LABELS.get(phase, phase) for phase in trial.phases) or NOT_GIVEN,
            conditions="; ".join(trial.conditions) or NOT_GIVEN,
            site_count=trial.site_count,
        )


COLUMN_HEADERS = ("Title", "Status", "Phase", "Conditions", "Sites")


class TrialListModel(RowTableModel[TrialRow]):
    """Thin adapter over a list of ``TrialRow``."""

    headers = COLUMN_HEADERS

    def _cell(self, row: TrialRow, column: int) -> str | int:
        values: tuple[str | int, ...] = (
            row.title,
            row.status,
            row.phase,
            row.conditions,
            row.site_count,
        )
        return values[column]

    @override
    def cell_data(self, row: TrialRow, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.trial_id}: {row.title}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column == len(COLUMN_HEADERS) - 1:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None
