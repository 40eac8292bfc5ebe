"""The parser's working text: registry escapes undone, with a map back to the input offsets."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from engine.registry_text import MARKDOWN_ESCAPED_CHARACTERS

_ESCAPE = "\\\\([" + re.escape(MARKDOWN_ESCAPED_CHARACTERS) + "])"
# Some records (and pages copied into the library) carry the criteria as HTML. Only these tag
# names are read as markup, so "ANC <1.5" or "age <18 years" are never taken for a tag.
_HTML_TAG = (
    r"<(/?)(p|br|li|ul|ol|div|b|strong|i|em|u|span|sup|sub|h[1-6])"
    r"(?:\s+[A-Za-z-]+(?:=(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s<>]+))?){0,10}\s*/?>"
)
_HTML_ENTITY = r"&(?:[A-Za-z]{2,8}|#[0-9]{1,6}|#[xX][0-9A-Fa-f]{1,6});"
_MARKUP = re.compile(f"{_ESCAPE}|{_HTML_TAG}|{_HTML_ENTITY}", re.IGNORECASE)
_BLOCK_TAGS = frozenset({"p", "br", "ul", "ol", "div", "h1", "h2", "h3", "h4", "h5", "h6"})


def _replacement(match: re.Match[str]) -> str:
    """What one escape, tag or entity stands for in the working text."""
    if match.group(1) is not None:
        return match.group(1)
    tag = match.group(3)
    if tag is None:
        return html.unescape(match.group(0))
    tag = tag.casefold()
    closing = bool(match.group(2))
    if tag == "li":
        return "\n" if closing else "\n* "
    if tag in _BLOCK_TAGS:
        return "\n"
    if tag == "sup" and not closing:
        return "^"  # "10<sup>9</sup>/L" is 10^9/L
    return ""


@dataclass(frozen=True, slots=True)
class WorkingText:
    """The unescaped text the parser reads and where each of its characters came from.

    Attributes:
        text: the criteria text with ``\\<``, ``\\>``, ``\\^`` ... turned into their characters.
        origin: ``origin[i]`` is the offset in the input of ``text[i]``; one extra entry maps
            ``len(text)`` to ``len(input)`` so that end offsets translate too.
    """

    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The input offsets of the working-text slice ``[start, end)``."""
        return self.origin[start], self.origin[end]


def working_text(raw: str) -> WorkingText:
    """Undo the registry's markdown escapes (same pairs as
    ``engine.registry_text.unescape_registry_text``) and read HTML list markup and entities
    (``<li>`` → a "* " item, ``&ge;`` → ≥), keeping offsets into ``raw``."""
    pieces: list[str] = []
    origin: list[int] = []
    cursor = 0
    for match in _MARKUP.finditer(raw):
        pieces.append(raw[cursor : match.start()])
        origin.extend(range(cursor, match.start()))
        replacement = _replacement(match)
        pieces.append(replacement)
        origin.extend([match.start()] * len(replacement))
        cursor = match.end()
    pieces.append(raw[cursor:])
    origin.extend(range(cursor, len(raw) + 1))
    return WorkingText("".join(pieces), tuple(origin))


def top_level_cuts(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Spans of ``pattern``'s matches outside parentheses (where a clause may be cut)."""
    cuts: list[tuple[int, int]] = []
    for match in pattern.finditer(text):
        before = text[: match.start()]
        if before.count("(") == before.count(")"):
            cuts.append((match.start(), match.end()))
    return cuts
