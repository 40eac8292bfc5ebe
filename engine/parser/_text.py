"""The parser's working text: registry escapes undone, with a map back to the input offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.registry_text import MARKDOWN_ESCAPED_CHARACTERS

_ESCAPE = re.compile("\\\\([" + re.escape(MARKDOWN_ESCAPED_CHARACTERS) + "])")


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
    """Undo the registry's markdown escapes, keeping offsets into ``raw`` (same pairs as
    ``engine.registry_text.unescape_registry_text``)."""
    pieces: list[str] = []
    origin: list[int] = []
    cursor = 0
    for match in _ESCAPE.finditer(raw):
        pieces.append(raw[cursor : match.start()])
        origin.extend(range(cursor, match.start()))
        pieces.append(match.group(1))
        origin.append(match.start())
        cursor = match.end()
    pieces.append(raw[cursor:])
    origin.extend(range(cursor, len(raw) + 1))
    return WorkingText("".join(pieces), tuple(origin))
