"""Fits a table's long text columns into the room its short columns leave, down to a floor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Slot
from PySide6.QtWidgets import QHeaderView, QTableView
from typing_extensions import override


@dataclass(frozen=True, slots=True)
class LongColumn:
    """An elided column: its share of the spare room and the width it never goes below."""

    column: int
    share: float
    minimum: int


class ColumnFitter(QObject):
    """Short columns take what their contents need; long columns share the rest of the viewport.

    QHeaderView's Stretch mode shrinks stretched columns to a few pixels when the room runs out,
    which turns a trial title into "N…". Here a long column keeps its floor instead, and only
    then does a sideways scroll appear.
    """

    def __init__(self, table: QTableView, short: Sequence[int], long: Sequence[LongColumn]) -> None:
        super().__init__(table)
        self._table = table
        self._short = tuple(short)
        self._long = tuple(long)
        self._fitting = False
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        for column in self._short:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for item in self._long:
            header.setSectionResizeMode(item.column, QHeaderView.ResizeMode.Interactive)
        header.sectionResized.connect(self._on_header_section_resized)
        table.viewport().installEventFilter(self)

    def fit(self) -> None:
        """Give the long columns the viewport width the short ones leave (at least their floors)."""
        if self._fitting:
            return
        self._fitting = True
        try:
            header = self._table.horizontalHeader()
            room = self._table.viewport().width() - sum(
                header.sectionSize(column) for column in self._short
            )
            spare = max(0, room - sum(item.minimum for item in self._long))
            total_share = sum(item.share for item in self._long) or 1.0
            widths = [item.minimum + int(spare * item.share / total_share) for item in self._long]
            # Rounding leaves a pixel or two: the first long column takes them, so the columns
            # end exactly at the viewport's edge.
            if spare:
                widths[0] += room - sum(widths)
            for item, width in zip(self._long, widths, strict=True):
                header.resizeSection(item.column, width)
        finally:
            self._fitting = False

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    @Slot(int, int, int)
    def _on_header_section_resized(self, column: int, _old: int, _new: int) -> None:
        if column in self._short:
            self.fit()
