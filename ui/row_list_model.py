"""A Qt list model that is a thin adapter over a list of frozen row dataclasses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from typing_extensions import override

RowT = TypeVar("RowT")


class RowListModel(QAbstractListModel, Generic[RowT]):
    """Rows in, one item per row out: subclasses say what a row shows per role.

    The list counterpart of ``ui.row_table_model.RowTableModel``: the Qt scaffolding (count,
    bounds check, whole resets) lives here once, so each list's model holds only what it shows.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RowT] = []

    def set_rows(self, rows: Sequence[RowT]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> RowT:
        return self._rows[row]

    def row_data(self, row: RowT, role: int) -> object:
        """What ``row`` shows for ``role``; None for roles it does not answer."""
        raise NotImplementedError

    # Qt interface

    @override
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    @override
    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self.row_data(self._rows[index.row()], role)
