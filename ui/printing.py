"""Printing a referral letter: the PDF written to a file, then its pages drawn on a QPrinter."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter

from models.files import atomic_writer
from models.letter import ReferralLetter, build_referral_letter
from models.matching import MatchReport
from models.settings import ClinicSettings
from ui.export.pdf_report import render_referral_letter

# A page rendered at 300 dpi is about 35 MB (A4, 32-bit); at 1200 dpi it would be over 500 MB.
# Text printed from a 300 dpi image stays sharp, so higher printer resolutions are scaled to it.
MAX_RENDER_DPI = 300
POINTS_PER_INCH = 72


class PrintError(Exception):
    """The PDF could not be printed; the message says why."""


def write_letter_pdf(
    report: MatchReport,
    settings: ClinicSettings,
    trial_ids: tuple[str, ...],
    out_path: Path,
    *,
    deidentified: bool,
    physician: str,
    now: dt.datetime | None = None,
) -> ReferralLetter:
    """Write the letter PDF to ``out_path`` without logging it (printing logs once printed).

    Qt-free, so it runs in a worker.

    Raises:
        LetterError: see ``models.letter.build_referral_letter``.
        OSError: the file could not be written.
    """
    letter = build_referral_letter(
        report,
        settings,
        trial_ids,
        deidentified=deidentified,
        physician=physician,
        generated_at=now or dt.datetime.now(dt.UTC),
    )
    with atomic_writer(out_path) as stream:
        render_referral_letter(letter, stream)
    return letter


def print_pdf(path: Path, printer: QPrinter) -> int:
    """Draw every page of the PDF at ``path`` on ``printer``, one PDF page per sheet.

    Each page is rendered to an image at the printer's resolution (at most MAX_RENDER_DPI)
    and scaled to fit the printable area, keeping its proportions. Returns the pages printed.

    Raises:
        PrintError: the PDF cannot be read or the printer cannot be started.
    """
    document = QPdfDocument()
    status = document.load(str(path))
    if status != QPdfDocument.Error.None_:
        raise PrintError(f"{path.name} could not be read for printing ({status.name}).")
    page_count = document.pageCount()
    if page_count == 0:
        raise PrintError(f"{path.name} has no pages to print.")
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintError("The printer could not be started.")
    try:
        render_dpi = min(printer.resolution(), MAX_RENDER_DPI)
        scale_to_device = printer.resolution() / render_dpi
        area = painter.viewport()
        for page in range(page_count):
            if page > 0 and not printer.newPage():
                raise PrintError(f"The printer refused page {page + 1}.")
            points = document.pagePointSize(page)
            image_size = QSize(
                max(1, round(points.width() * render_dpi / POINTS_PER_INCH)),
                max(1, round(points.height() * render_dpi / POINTS_PER_INCH)),
            )
            image = document.render(page, image_size)
            if image.isNull():
                raise PrintError(f"Page {page + 1} of {path.name} could not be rendered.")
            target = QSize(
                round(image_size.width() * scale_to_device),
                round(image_size.height() * scale_to_device),
            ).scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRect(QPoint(area.x(), area.y()), target), image)
    finally:
        painter.end()
    document.close()
    return page_count
