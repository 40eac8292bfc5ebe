"""QR code modules exactly as ReportLab's encoder makes them, with its mask choice made faster.

``QRCode.make`` lays the symbol out eight times (once per mask pattern) and scores each with
list-based loops over every module, about 20 ms per URL: a tenth of a 10-trial letter. Here the
symbol is laid out once; each mask is applied to the data modules as integers (one per row)
and scored with the same four rules, to the same points, on strings and integers; then ReportLab
lays out the chosen mask. The modules are those of ``QRCode.make`` (tests/export/test_qr.py).

ReportLab's scoring, reproduced as it is (it is what decides the mask):
- rule 1: every run of 5 or more same-coloured modules in a row or a column costs its length - 2;
- rule 2: every 2 x 2 block of one colour costs 3;
- rule 3: 40 for each 1:1:3:1:1 finder-like pattern followed by four light modules in a row,
  not starting in the last possible place and never in a column (it compares a column, a tuple,
  with its pattern, a list, which is never equal);
- rule 4: 10 for every 5 % the dark share is away from 50 %.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel, QRUtil

_MASKS = range(8)
_LONG_RUN = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = "10111010000"


def qr_modules(data: str) -> list[list[bool]]:
    """The modules (True = dark) of ``data`` at error correction level M, as ReportLab has them."""
    code = QRCode(None, QRErrorCorrectLevel.M)
    code.addData(data)
    # ReportLab's stubs leave these untyped: calculate_version returns the version (an int),
    # dataPosIterator the data modules' (column, row), getMask a (row, column) -> bool.
    code.version = code.calculate_version()  # type: ignore[no-untyped-call]
    # Mask 0 in test mode: the function patterns, blank format areas, data masked with pattern 0.
    code.makeImpl(True, 0)
    layout = _layout(code)
    size = layout.size
    laid_out = [_row_bits(row) for row in code.modules]
    fixed = [bits & ~area for bits, area in zip(laid_out, layout.data_area, strict=True)]
    unmasked = [  # each data module's own bit, mask 0 taken off again
        (bits ^ mask) & area
        for bits, mask, area in zip(laid_out, layout.masks[0], layout.data_area, strict=True)
    ]
    scores = []
    for mask in _MASKS:
        rows = [
            fixed[row] | ((unmasked[row] ^ layout.masks[mask][row]) & layout.data_area[row])
            for row in range(size)
        ]
        scores.append((_lost_points(rows, size), mask))
    code.makeImpl(False, min(scores)[1])  # the first of the lowest, as ReportLab picks
    modules: list[list[bool]] = code.modules
    return modules


def _row_bits(row: Sequence[bool | None]) -> int:
    """A row of modules as an integer, the first module the highest bit."""
    bits = 0
    for dark in row:
        bits = (bits << 1) | bool(dark)
    return bits


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where a version's data modules are, and each mask pattern over them, one int per row."""

    size: int
    data_area: tuple[int, ...]
    masks: tuple[tuple[int, ...], ...]


_LAYOUTS: dict[int, _Layout] = {}


def _layout(code: QRCode) -> _Layout:
    version: int = code.version
    layout = _LAYOUTS.get(version)
    if layout is None:
        size = len(code.modules)
        placed = code.dataPosIterator()  # type: ignore[no-untyped-call]
        positions = [(row, col) for col, row in placed]
        area = [0] * size
        masks = [[0] * size for _ in _MASKS]
        functions = [QRUtil.getMask(mask) for mask in _MASKS]  # type: ignore[no-untyped-call]
        for row, col in positions:
            bit = 1 << (size - 1 - col)
            area[row] |= bit
            for mask in _MASKS:
                if functions[mask](row, col):
                    masks[mask][row] |= bit
        layout = _Layout(size, tuple(area), tuple(tuple(rows) for rows in masks))
        _LAYOUTS[version] = layout
    return layout


def _lost_points(rows: Sequence[int], size: int) -> int:
    """ReportLab's ``QRUtil.getLostPoint`` for the modules given as one integer per row."""
    lines = [format(row, f"0{size}b") for row in rows]
    columns = ["".join(column) for column in zip(*lines, strict=True)]
    points = 0
    for line in lines + columns:
        points += sum(len(run) - 2 for run in _LONG_RUN.findall(line))
    inner = (1 << (size - 1)) - 1  # block corners: every column but the last
    for upper, lower in itertools.pairwise(rows):
        same = ~(upper ^ lower)
        block = same & (same >> 1) & ~(upper ^ (upper >> 1)) & inner
        points += 3 * block.bit_count()
    points += 40 * sum(line[:-1].count(_FINDER_LIKE) for line in lines)
    dark = sum(row.bit_count() for row in rows)
    points += 10 * (abs(100 * dark // (size * size) - 50) // 5)
    return points
