"""The letter's bundled fonts (DejaVu Sans, Droid Sans Fallback for CJK) and per-run font switching.

ReportLab has no automatic font fallback, so text is split into runs: characters DejaVu Sans
has stay in the body font, characters only Droid Sans Fallback has (Chinese, Japanese, Korean)
are wrapped in a ``<font>`` tag naming it. Every run is escaped here, in the one place where
data becomes Paragraph markup.

Registering a font parses its whole file. Droid Sans Fallback (3.4 MB, about 20 MB once
parsed) is most of that cost, so it is registered only when a letter has a character DejaVu
Sans lacks; a letter without one neither parses nor embeds it. Registrations are kept for the
process (ReportLab's font registry is global); a lock lets the window register them in the
background while a letter may already be rendering.
"""

from __future__ import annotations

import threading
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
_REGISTERING = threading.Lock()
# Widths a face keeps before it starts over: a 10-trial letter measures about 2,000 distinct
# texts, so this holds many letters' worth and stays a few megabytes.
_WIDTHS_KEPT = 100_000


class _MeasuringTTFont(TTFont):
    """A TrueType face that remembers the widths it measured.

    Line breaking and drawing measure every word and cell again and again (25,000 times for
    2,000 distinct texts in a 10-trial letter), each time summing the glyph widths in Python;
    a width depends only on the text and the size.
    """

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        self._widths: dict[tuple[str | bytes, float, str], float] = {}

    def stringWidth(self, text: str | bytes, size: float, encoding: str = "utf8") -> float:  # noqa: N802
        key = (text, size, encoding)
        width = self._widths.get(key)
        if width is None:
            if len(self._widths) >= _WIDTHS_KEPT:
                self._widths.clear()
            width = super().stringWidth(text, size, encoding)
            self._widths[key] = width
        return width


def _register(name: str) -> None:
    if name not in pdfmetrics.getRegisteredFontNames():
        file_name = str(resource_path("fonts", _FONT_FILES[name]))
        pdfmetrics.registerFont(_MeasuringTTFont(name, file_name))


@cache
def _register_body_fonts() -> None:
    _register(BODY_FONT)
    _register(BOLD_FONT)
    # <b> inside a paragraph must find the bold face; italics fall back to the upright faces.
    addMapping(BODY_FONT, 0, 0, BODY_FONT)
    addMapping(BODY_FONT, 1, 0, BOLD_FONT)
    addMapping(BODY_FONT, 0, 1, BODY_FONT)
    addMapping(BODY_FONT, 1, 1, BOLD_FONT)


@cache
def _register_cjk_font() -> None:
    _register(CJK_FONT)
    # Droid Sans Fallback has one weight: bold CJK text prints in the regular face.
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(CJK_FONT, bold, italic, CJK_FONT)


def register_fonts() -> None:
    """Register the body faces (regular and bold) once per process; the CJK face waits for CJK."""
    with _REGISTERING:
        _register_body_fonts()


def register_cjk_font() -> None:
    """Register the CJK face once per process (``markup`` does it for text that needs it)."""
    with _REGISTERING:
        _register_body_fonts()
        _register_cjk_font()


def cjk_font_registered() -> bool:
    """True once this process has parsed and registered the CJK face."""
    return CJK_FONT in pdfmetrics.getRegisteredFontNames()


def _glyph_codes(font_name: str) -> frozenset[int]:
    font = pdfmetrics.getFont(font_name)
    assert isinstance(font, TTFont)
    return frozenset(font.face.charToGlyph)


@cache
def _body_characters() -> frozenset[str]:
    register_fonts()
    return frozenset(map(chr, _glyph_codes(BODY_FONT)))


@cache
def _cjk_codes() -> frozenset[int]:
    register_cjk_font()
    return _glyph_codes(CJK_FONT)


def needs_cjk_font(character: str) -> bool:
    """True for a character the body font lacks and the CJK font has.

    Only a character the body font lacks loads the CJK font, to see whether that font has it.
    """
    return character not in _body_characters() and ord(character) in _cjk_codes()


def has_cjk(text: str) -> bool:
    """True when some character of ``text`` is to be set in the CJK font."""
    return not _body_characters().issuperset(text) and any(map(needs_cjk_font, text))


def markup(text: str) -> str:
    """Paragraph markup printing ``text`` literally, CJK runs set in the CJK font.

    Tags, entities and attribute payloads in ``text`` (``<b>``, ``<font color="[[[x]]]">``,
    ``<img src=...>``, ``&amp;``) come out as the characters typed, never as markup.
    """
    if _body_characters().issuperset(text):
        # Nearly every text: one run in the body font.
        return escape(text)
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
