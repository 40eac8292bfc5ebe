"""The letter layout's speed-ups draw what ReportLab's own objects draw, and load lazily."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Rect
from reportlab.platypus import Paragraph

from ui.export.letter_layout import (
    QR_SIZE,
    _cell,
    _OneLineCell,
    _paragraph,
    _QrCode,
    _styles,
)

REPOSITORY = Path(__file__).resolve().parents[2]
URLS = [
    "https://clinicaltrials.gov/study/NCT06941129",
    "https://clinicaltrials.gov/study/NCT99000123",
]
LONG_TEXT = (
    "Inclusion: Estimated glomerular filtration rate ≥ 30 mL/min/1.73 m² at screening, and "
    "urine protein-to-creatinine ratio ≥ 0.5 g/g in a first-morning void; 狼疮肾炎 patients "
    "with <b>biopsy</b> & class III or IV disease"
)


class _RecordingCanvas:
    """The canvas calls a QR code makes, with the rectangles in page coordinates."""

    def __init__(self) -> None:
        self.scale_factor = 1.0
        self.rects: list[tuple[float, float, float, float]] = []

    def saveState(self) -> None:  # noqa: N802 (ReportLab's name)
        pass

    def restoreState(self) -> None:  # noqa: N802
        pass

    def setFillColor(self, _color: object) -> None:  # noqa: N802
        pass

    def scale(self, x: float, y: float) -> None:
        assert x == y
        self.scale_factor *= x

    def addLiteral(self, operators: str) -> None:  # noqa: N802
        # Only "n x y width height re f*": a rectangle filled (even-odd) and nothing stroked.
        factor = self.scale_factor
        for line in operators.split("\n"):
            n, *numbers, re, fill = line.split()
            assert (n, re, fill) == ("n", "re", "f*")
            x, y, width, height = (float(number) * factor for number in numbers)
            self.rects.append((x, y, width, height))


def _widget_rects(url: str) -> list[tuple[float, float, float, float]]:
    """The dark rectangles QrCodeWidget draws, scaled to QR_SIZE as the old Drawing did."""
    widget = QrCodeWidget(url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    assert (right - left) == (top - bottom)
    factor = QR_SIZE / (right - left)
    return [
        (shape.x * factor, shape.y * factor, shape.width * factor, shape.height * factor)
        for shape in widget.draw().contents  # type: ignore[no-untyped-call]
        if isinstance(shape, Rect) and shape.fillColor is not None
    ]


@pytest.mark.parametrize("url", URLS)
def test_qr_code_fills_the_rectangles_the_reportlab_widget_draws(url: str) -> None:
    code = _QrCode(url)
    canvas = _RecordingCanvas()
    code.canv = canvas  # type: ignore[assignment]
    code.draw()

    expected = _widget_rects(url)
    assert len(canvas.rects) == len(expected) > 100
    for drawn, wanted in zip(canvas.rects, expected, strict=True):
        # The PDF carries six decimals, as canvas.rect writes them.
        assert drawn == pytest.approx(wanted, abs=1e-5)
    assert code.wrap(500, 800) == (QR_SIZE, QR_SIZE)


@pytest.mark.parametrize("url", URLS)
def test_qr_code_writes_the_bytes_canvas_rect_writes(url: str) -> None:
    """The literal operators are byte for byte what a canvas.rect per run wrote before."""
    from reportlab.lib import colors
    from reportlab.pdfgen.canvas import Canvas

    from ui.export.letter_layout import _QR_BORDER_MODULES, _QR_WIDGET_SIZE, _dark_runs
    from ui.export.qr import qr_modules

    direct = Canvas(io.BytesIO(), invariant=1)
    code = _QrCode(url)
    code.drawOn(direct, 10, 20)

    by_rect = Canvas(io.BytesIO(), invariant=1)
    modules = qr_modules(url)
    box = _QR_WIDGET_SIZE / (len(modules) + 2 * _QR_BORDER_MODULES)
    by_rect.saveState()
    by_rect.translate(10, 20)
    by_rect.saveState()
    by_rect.scale(QR_SIZE / _QR_WIDGET_SIZE, QR_SIZE / _QR_WIDGET_SIZE)
    by_rect.setFillColor(colors.black)
    for row, column, length in _dark_runs(modules):
        by_rect.rect(
            (column + _QR_BORDER_MODULES) * box,
            _QR_WIDGET_SIZE - (row + _QR_BORDER_MODULES + 1) * box,
            length * box,
            box,
            stroke=0,
            fill=1,
        )
    by_rect.restoreState()
    by_rect.restoreState()
    assert direct.getpdfdata() == by_rect.getpdfdata()


def _line_texts(paragraph: Paragraph) -> list[str]:
    """The text of each line the paragraph was last broken into (mixed-font lines)."""
    lines = paragraph.blPara.lines  # type: ignore[attr-defined]
    return ["".join(getattr(word, "text", "") for word in line.words) for line in lines]


def test_a_repeated_wrap_at_the_same_width_keeps_the_lines_of_that_width() -> None:
    cell = _styles()["cell"]
    cached = _paragraph(LONG_TEXT, cell, bold_label="Inclusion:")
    for width in (200.0, 90.0, 200.0, 200.0, 90.0):
        fresh = _paragraph(LONG_TEXT, cell, bold_label="Inclusion:")
        assert cached.wrap(width, 1000) == fresh.wrap(width, 1000)
        assert _line_texts(cached) == _line_texts(fresh)
        assert len(_line_texts(cached)) > 1


def test_paragraphs_sharing_a_parse_break_like_a_paragraph_parsed_on_its_own() -> None:
    cell = _styles()["cell"]
    first = _paragraph(LONG_TEXT, cell)
    second = _paragraph(LONG_TEXT, cell)
    first.wrap(60, 1000)  # breaking one at a narrow width must not change the other
    for width in (60.0, 150.0, 300.0):
        own_parse = Paragraph(first.text, cell)
        assert second.wrap(width, 1000) == own_parse.wrap(width, 1000)
        assert second.getPlainText() == own_parse.getPlainText()
    # Data markup was escaped before parsing: it prints as typed, CJK in the CJK font.
    unwrapped = _paragraph(LONG_TEXT, cell)
    assert "<b>biopsy</b> &" in unwrapped.getPlainText()
    fonts = {fragment.fontName: fragment.text for fragment in unwrapped.frags}
    assert fonts["TrialMatchCJK"] == "狼疮肾炎"


def test_the_renderer_entry_point_loads_reportlab_only_for_a_letter() -> None:
    probe = (
        "import sys\n"
        "import ui.export, ui.export.pdf_report\n"
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPOSITORY,
        timeout=120,
    )
    loaded = set(result.stdout.split())
    assert "ui" in loaded
    assert "reportlab" not in loaded


def test_a_one_line_cell_takes_the_room_and_baseline_of_a_one_line_paragraph() -> None:
    cell = _styles()["cell"]
    text = "No patient data used"
    line = _cell(text, cell)
    assert isinstance(line, _OneLineCell)
    paragraph = Paragraph(text, cell)
    assert line.wrap(170, 1000) == paragraph.wrap(170, 1000) == (170, cell.leading)


def test_cells_a_string_cannot_print_the_same_stay_paragraphs() -> None:
    cell = _styles()["cell"]
    assert isinstance(_cell("狼疮 nephritis", cell), Paragraph)  # needs the CJK font
    assert isinstance(_cell("two\nlines", cell), Paragraph)
    assert isinstance(_cell("double  space", cell), Paragraph)  # Paragraph collapses it
    assert isinstance(_cell("", cell), Paragraph)


def test_a_one_line_cell_in_a_narrow_column_wraps_as_a_paragraph() -> None:
    cell = _styles()["cell"]
    text = "For the study team to judge"
    line = _cell(text, cell)
    narrow = 40.0
    assert line.wrap(narrow, 1000) == Paragraph(text, cell).wrap(narrow, 1000)
    assert line.wrap(narrow, 1000)[1] > cell.leading


def test_page_streams_are_flate_compressed_without_an_ascii85_layer() -> None:
    from models.letter import build_referral_letter
    from tests.letter_inputs import CLINIC, GENERATED_AT, standard_report
    from ui.export import render_referral_letter

    letter = build_referral_letter(
        standard_report(),
        CLINIC,
        None,
        deidentified=False,
        physician=None,
        generated_at=GENERATED_AT,
    )
    out = io.BytesIO()
    render_referral_letter(letter, out)
    data = out.getvalue()
    assert data.count(b"/FlateDecode") >= 2  # every page's stream, the fonts' too
    assert b"ASCII85Decode" not in data
