"""The letter's bundled fonts (DejaVu Sans, Droid Sans Fallback for CJK) and per-run font switching.

ReportLab has no automatic font fallback, so text is split into runs: characters DejaVu Sans
has stay in the body font, characters only Droid Sans Fallback has (Chinese, Japanese, Korean)
are wrapped in a ``<font>`` tag naming it. Every run is escaped here, in the one place where
data becomes Paragraph markup.
"""

from __future__ import annotations

from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from resources import resource_path

BODY_FONT = "TrialMatchSans"
BOLD_FONT = "TrialMatchSans-Bold"
CJK_FONT = "TrialMatchCJK"
_FONT_FILES = {
    BODY_FONT: "DejaVuSans.ttf",
    BOLD_FONT: "DejaVuSans-Bold.ttf",
    CJK_FONT: "DroidSansFallback.ttf",
}


@cache
def register_fonts() -> None:
    """Register the bundled TTFs once per process (ReportLab keeps a global font registry)."""
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, file_name in _FONT_FILES.items():
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(resource_path("fonts", file_name))))
    # <b> inside a paragraph must find the bold face; italics fall back to the upright faces.
    addMapping(BODY_FONT, 0, 0, BODY_FONT)
    addMapping(BODY_FONT, 1, 0, BOLD_FONT)
    addMapping(BODY_FONT, 0, 1, BODY_FONT)
    addMapping(BODY_FONT, 1, 1, BOLD_FONT)
    # Droid Sans Fallback has one weight: bold CJK text prints in the regular face.
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(CJK_FONT, bold, italic, CJK_FONT)


@cache
def _glyphs(font_name: str) -> frozenset[int]:
    register_fonts()
    font = pdfmetrics.getFont(font_name)
    assert isinstance(font, TTFont)
    return frozenset(font.face.charToGlyph)


def needs_cjk_font(character: str) -> bool:
    """True for a character the body font lacks and the CJK font has."""
    code = ord(character)
    return code not in _glyphs(BODY_FONT) and code in _glyphs(CJK_FONT)


def markup(text: str) -> str:
    """Paragraph markup printing ``text`` literally, CJK runs set in the CJK font.

    Tags, entities and attribute payloads in ``text`` (``<b>``, ``<font color="[[[x]]]">``,
    ``<img src=...>``, ``&amp;``) come out as the characters typed, never as markup.
    """
    pieces: list[str] = []
    run: list[str] = []
    run_is_cjk = False
    for character in text:
        is_cjk = needs_cjk_font(character)
        if run and is_cjk != run_is_cjk:
            pieces.append(_run_markup("".join(run), run_is_cjk))
            run = []
        run.append(character)
        run_is_cjk = is_cjk
    if run:
        pieces.append(_run_markup("".join(run), run_is_cjk))
    return "".join(pieces)


def _run_markup(run: str, is_cjk: bool) -> str:
    escaped = escape(run)
    return f'<font name="{CJK_FONT}">{escaped}</font>' if is_cjk else escaped
