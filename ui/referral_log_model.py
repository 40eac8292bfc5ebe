"""Qt table model of the referral log (letters exported or printed), newest first."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt
from typing_extensions import override

from models.letter import referral_rows
from models.operations import ReferralRecord
from ui.row_table_model import RowTableModel

# The same columns, in the same order, as `referrals --csv` (models.letter.REFERRAL_CSV_COLUMNS).
COLUMN_TITLES = ("When (UTC)", "Kind", "Trials", "Patient", "Physician", "File")


class ReferralLogModel(RowTableModel[ReferralRecord]):
    """A thin adapter over the log's frozen ReferralRecord rows; cells are the CSV's texts."""

    headers = COLUMN_TITLES
    numbered_rows = True

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._texts: dict[ReferralRecord, tuple[str, ...]] = {}

    @override
    def set_rows(self, rows: Sequence[ReferralRecord]) -> None:
        self._texts.clear()
        super().set_rows(rows)

    @property
    def records(self) -> tuple[ReferralRecord, ...]:
        return tuple(self._rows)

    def _texts_of(self, record: ReferralRecord) -> tuple[str, ...]:
        # Formatted as the CSV formats them, once per record rather than once per paint.
        texts = self._texts.get(record)
        if texts is None:
            texts = self._texts[record] = referral_rows((record,))[0]
        return texts

    @override
    def cell_data(self, row: ReferralRecord, column: int, role: int) -> object:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._texts_of(row)[column]
        return None
