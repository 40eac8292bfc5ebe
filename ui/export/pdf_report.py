"""The referral letter as a PDF: the entry point, which loads ReportLab only for the first letter.

The layout is ``ui.export.letter_layout``; importing it pulls in ReportLab (a few tenths of a
second), which the window, and every command that writes no letter, need not wait for. The
window calls ``warm_up`` in the background once it is shown, so its first letter need not wait
either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from models.letter import ReferralLetter


def render_referral_letter(letter: ReferralLetter, out: BinaryIO) -> None:
    """Write ``letter`` as a PDF to ``out``; the same letter always gives the same bytes."""
    from ui.export.letter_layout import render_letter_pdf

    render_letter_pdf(letter, out)


def warm_up() -> None:
    """Load ReportLab, the body fonts and the letter's styles now; safe on any thread.

    The CJK font is left for a letter that needs it (``ui.export.fonts``).
    """
    from ui.export.letter_layout import prepare

    prepare()
