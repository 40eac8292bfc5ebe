"""Diagnosis mentions: alternatives, named criteria sets, durations and cohort lead-outs."""

from __future__ import annotations

import re
from itertools import pairwise

from engine.parser.quantities import COUNT

# Criteria sets named without a society and a year: (pattern, label, condition it is for, or
# None for any). "The 2002 international classification criteria" for Sjögren's are the
# American-European Consensus Group (AECG) criteria.
_NAMED_SETS: tuple[tuple[re.Pattern[str], str, str | None], ...] = (
    (
        re.compile(
            r"(?:(?:according\s+to|based\s+on|fulfill?(?:ing|s)?|meet(?:ing|s)?|by)\s+)?(?:the\s+)?"
            r"(?:(?:diagnostic|classification)\s+)?(?:criteria\s+(?:of|by)\s+)?Bohan\s+(?:and|&)\s+"
            r"Peter(?:['’]s)?(?:\s+(?:diagnostic\s+|classification\s+)?criteria)?",
            re.IGNORECASE,
        ),
        "Bohan and Peter",
        None,
    ),
    (
        re.compile(
            r"(?:(?:according\s+to|based\s+on|fulfill?(?:ing|s)?|meet(?:ing|s)?)\s+)?(?:the\s+)?"
            r"2002\s+(?:revised\s+)?international\s+classification\s+criteria(?:\s+for\s+"
            r"(?:primary\s+)?(?:Sj[öo]e?gren(?:['’]?s)?|dry)\s+syndrome)?",
            re.IGNORECASE,
        ),
        "2002 AECG",
        "sjogren",
    ),
)


def named_classifications(text: str, condition_id: str) -> list[tuple[int, int, str]]:
    """Named criteria sets in ``text`` for ``condition_id``: (start, end, label)."""
    found: list[tuple[int, int, str]] = []
    for pattern, label, condition in _NAMED_SETS:
        if condition is not None and condition != condition_id:
            continue
        found.extend((m.start(), m.end(), label) for m in pattern.finditer(text))
    return found


# "History of SLE for at least 6 months prior to screening": the duration right after the
# condition is how long the diagnosis has stood.
_CONDITION_DURATION = re.compile(
    r"\s*(?:,\s*)?(?:for\s+(?:at\s+least|more\s+than|over)|of\s+at\s+least|for\s*(?:≥|>=)|≥|>=)\s*"
    rf"(?P<wnum>{COUNT})\s*(?P<wunit>months?|years?)"
    r"(?:\s+(?:prior\s+to|before)\s+(?:the\s+)?(?:screening|enrol(?:l)?ment|randomi[sz]ation))?",
    re.IGNORECASE,
)


def condition_duration(text: str, condition_end: int) -> re.Match[str] | None:
    """The duration written right after the last condition named, if one is."""
    return _CONDITION_DURATION.match(text, condition_end)


# Between two different conditions: only a comma and/or "or" (and a closing abbreviation).
_OR_GAP = re.compile(
    r"\s*\)?\s*(?:\([^()]{1,20}\)\s*)?(?:,\s*(?:or\s+|and/or\s+)?|(?:or|and/or)\s+)", re.IGNORECASE
)
# Between two names of the same condition: "granulomatosis with polyangiitis (GPA)".
_SAME_GAP = re.compile(r"\s*\(?\s*")


def diagnosis_alternatives(text: str, conditions: list[tuple[str, int, int]]) -> bool:
    """Whether the conditions are alternatives: "GPA or MPA", "dcSSc, lcSSc or SSc-ILD".

    Only "or" (with commas) between them; "and" would require both, which one diagnosis leaf
    cannot say, and anything else (a word between) is not a plain list.
    """
    saw_or = False
    for (left_id, _, left_end), (right_id, right_start, _) in pairwise(conditions):
        gap = text[left_end:right_start]
        if left_id == right_id:
            if _SAME_GAP.fullmatch(gap) is None:
                return False
            continue
        if _OR_GAP.fullmatch(gap) is None:
            return False
        saw_or = saw_or or "or" in gap.casefold()
    return saw_or


# "..., and meeting the following conditions:" closes an item that opens a cohort; the
# conditions are the cohort's own criteria.
_COHORT_LEAD_OUT = re.compile(
    r",?\s*and\s+(?:meeting|meets?|fulfill?(?:ing|s)?)\s+the\s+following\s+"
    r"(?:conditions|criteria|requirements)\s*:?\s*$",
    re.IGNORECASE,
)


def cohort_lead_out(text: str) -> list[tuple[int, int]]:
    """The span of a trailing "and meeting the following conditions:", if there is one."""
    match = _COHORT_LEAD_OUT.search(text)
    return [] if match is None else [(match.start(), match.end())]
