"""Condition mentions in free text, found through the one condition vocabulary."""

from __future__ import annotations

import re
from functools import lru_cache

from engine.vocabulary import CONDITIONS, normalise_term

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


@lru_cache(maxsize=1)
def _term_index() -> tuple[dict[str, str], int]:
    """Normalised label / synonym / id → condition id, and the longest term in words.

    Built from engine.vocabulary.CONDITIONS with its own normalisation, so the parser reads the
    one vocabulary and keeps no list of its own.
    """
    index: dict[str, str] = {}
    for condition in CONDITIONS.values():
        for term in (condition.id, condition.label, *condition.synonyms):
            key = normalise_term(term)
            if key:
                index.setdefault(key, condition.id)
    longest = max((len(key.split()) for key in index), default=1)
    return index, longest


@lru_cache(maxsize=1)
def _first_words() -> frozenset[str]:
    """The first word of every term: a phrase can only start at one of these."""
    index, _ = _term_index()
    return frozenset(key.split()[0] for key in index)


@lru_cache(maxsize=1)
def _exact_short_terms() -> frozenset[str]:
    """Short names written in mixed case in the vocabulary ("SSc", "pSS", "pJIA")."""
    return frozenset(
        term
        for condition in CONDITIONS.values()
        for term in condition.synonyms
        if len(term) <= 5 and not term.isupper() and not term.islower()
    )


@lru_cache(maxsize=4096)
def _normalised(word: str) -> str:
    return normalise_term(word)


def find_conditions(text: str) -> list[tuple[str, int, int]]:
    """Every condition the vocabulary names in ``text``: ``(condition id, start, end)``.

    Longest phrases win ("systemic lupus erythematosus" before "lupus"); matches never overlap.
    Short terms (four letters or fewer) count only when written in capitals or exactly as the
    vocabulary spells them ("SSc", "pSS"), so "dm" in a unit or "as" in running text is never
    read as a diagnosis.
    """
    index, longest = _term_index()
    words = [(m.start(), m.end(), _normalised(m.group(0))) for m in _WORD.finditer(text)]
    found: list[tuple[str, int, int]] = []
    position = 0
    starts = _first_words()
    while position < len(words):
        if words[position][2] not in starts:
            position += 1
            continue
        match: tuple[str, int] | None = None
        for size in range(min(longest, len(words) - position), 0, -1):
            key = " ".join(word for _, _, word in words[position : position + size])
            condition_id = index.get(key)
            if condition_id is None:
                continue
            phrase = text[words[position][0] : words[position + size - 1][1]]
            if phrase.isdigit() or (
                len(phrase) <= 4 and not phrase.isupper() and phrase not in _exact_short_terms()
            ):
                continue
            match = (condition_id, size)
            break
        if match is None:
            position += 1
            continue
        found.append((match[0], words[position][0], words[position + match[1] - 1][1]))
        position += match[1]
    return found
