"""A Qt list model that is a thin adapter over a list of frozen row dataclasses."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from typing_extensions import override

from ui.row_table_model import RowTableModel

RowT = TypeVar("RowT")


class RowListModel(RowTableModel[RowT]):
    """Rows in, one item per row out: subclasses say what a row shows per role.

    A list is a table of one column to its views (QListView and QCompleter show column 0), so
    the Qt scaffolding (count, bounds checks, whole resets) is ``RowTableModel``'s, written once.
    """

    headers: ClassVar[tuple[str, ...]] = ("",)

    def row_data(self, row: RowT, role: int) -> object:
        """What ``row`` shows for ``role``; None for roles it does not answer."""
        raise NotImplementedError

    @override
    def cell_data(self, row: RowT, column: int, role: int) -> object:
        return self.row_data(row, role)
