"""Organ-function wording: support-free thresholds, no-transfusion windows, "INR or APTT"."""

from __future__ import annotations

import re
from typing import Any

from engine.facts import fact_spec
from engine.parser.quantities import (
    COMPARATOR,
    COUNT,
    VALUE,
    WINDOW_UNIT,
    comparator,
    number,
    quantity,
)
from engine.units import UnitError, to_canonical

Rule = dict[str, Any]

# ---------------------------------------------------------------------------------------------
# Support the values must be reached without: transfusions, growth factors, hydration
# ---------------------------------------------------------------------------------------------

# Supportive products the facts know, as (pattern, fact). Transfusions of any blood product are
# the treatment class; granulocyte colony-stimulating factors are treatment.csf.
_SUPPORT_ITEMS: tuple[tuple[str, str], ...] = (
    # A named product is that product only: a red cell transfusion does not break "without
    # platelet transfusion".
    (r"platelets?\s+transfusions?", "treatment.platelet_transfusion"),
    (
        r"(?:red\s+(?:blood\s+)?cells?|RBC|packed\s+red\s+cells?)\s+transfusions?",
        "treatment.red_cell_transfusion",
    ),
    (
        r"(?:(?:blood|blood\s+products?)\s+)?transfusions?|blood\s+products?",
        "treatment.transfusion",
    ),
    (
        r"(?:granulocyte[-\s])?colony[-\s]stimulating\s+factors?|G-?CSF|"
        r"(?:ha?ematopoietic\s+)?growth\s+factors?",
        "treatment.csf",
    ),
)
_SUPPORT_ITEM_RE = re.compile(
    r"(?<![\w-])(?:"
    + "|".join(f"(?P<s{i}>{p})" for i, (p, _) in enumerate(_SUPPORT_ITEMS))
    + r")(?:\s+(?:support|therapy|treatment|administration))?(?![\w-])",
    re.IGNORECASE,
)
_GROWTH_FACTOR = re.compile(r"growth\s+factors?", re.IGNORECASE)
# What "growth factors" covers beyond the colony-stimulating factors the facts record
# (erythropoietin, thrombopoietin agonists): never assumed absent, left to the study team.
_OTHER_GROWTH_FACTORS = "No other growth factor (such as erythropoietin) in the window"

_ITEM_JOINER = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|and/or|and|or|nor)\s*", re.IGNORECASE)
_WINDOW_AFTER = re.compile(
    rf"\s*within\s+(?:the\s+)?(?:(?:past|last|previous|preceding|prior)\s+)?(?P<wnum>{COUNT})\s*"
    + WINDOW_UNIT
    # The anchor of the window: screening, enrolment, the tests themselves ("before the
    # inclusion and exclusion screening", "prior to the laboratory tests"). The engine measures
    # every window from the screening date.
    + r"(?:\s+(?:before|prior\s+to|preceding)\s+(?:the\s+)?(?:[\w-]+\s+){0,4}"
    r"(?:screening|enrol(?:l)?ment|randomi[sz]ation|baseline|inclusion|tests?|assessments?|"
    r"(?:laboratory\s+)?(?:evaluations?|examinations?)|first\s+dose|infusion)(?:\s+visits?)?)?",
    re.IGNORECASE,
)
# "Blood transfusion and growth factors should not be used to meet these requirements within
# 7 days before the inclusion and exclusion screening".
_NOT_USED = re.compile(
    r"\s*(?:(?:should|must|shall|may|can)\s+not|cannot|can't)\s+(?:have\s+been|be)\s+"
    r"(?:used|given|administered|received)"
    r"(?:\s+(?:to|in\s+order\s+to)\s+(?:meet|achieve|reach|fulfil+|satisfy)\s+"
    r"(?:these|this|the|the\s+above|above)\s+(?:requirements?|criteria|criterion|values?|levels?|"
    r"thresholds?|laboratory\s+values?))?",
    re.IGNORECASE,
)
# "without the need for hydration assistance", "without transfusion support within 7 days".
_WITHOUT = re.compile(
    r"[,;]?\s*\(?\s*without\s+(?:the\s+)?(?:need\s+(?:for|of)|use\s+of|help\s+of|support\s+of|"
    r"aid\s+of|requirement\s+(?:for|of))?\s*(?:any\s+)?(?P<tail>[^()]{3,120}?)\s*\)?\s*$",
    re.IGNORECASE,
)
_SUPPORT_WORDS = re.compile(
    r"(?<![\w-])(?:support(?:ive)?|assistance|assisted|therapy|treatment|use|administration|"
    r"hydration|infusion|fluids?|transfusions?|growth|factors?|dialysis|oxygen|"
    r"supplementation)(?![\w-])",
    re.IGNORECASE,
)


def _support_items(text: str) -> list[tuple[str, str]] | None:
    """(fact, wording) of a list of supportive products; None when anything else is listed."""
    found: list[tuple[str, str]] = []
    cursor = 0
    for match in _SUPPORT_ITEM_RE.finditer(text):
        gap = text[cursor : match.start()]
        if gap.strip() and not _ITEM_JOINER.fullmatch(gap):
            return None
        fact = _SUPPORT_ITEMS[int((match.lastgroup or "s0")[1:])][1]
        found.append((fact, match.group(0)))
        cursor = match.end()
    if not found or text[cursor:].strip():
        return None
    return found


def _not_within(items: list[tuple[str, str]], window: dict[str, int], wording: str) -> Rule:
    """not(event within window) for every product; "growth factors" keeps what CSF misses."""
    parts: list[Rule] = []
    seen: set[str] = set()
    for fact, name in items:
        if fact not in seen:
            seen.add(fact)
            parts.append(
                {"not": {"fact": fact, "op": "within", "window": window, "text": name.strip()}}
            )
        if _GROWTH_FACTOR.search(name):
            parts.append({"review": f"{_OTHER_GROWTH_FACTORS} ({wording.strip()})"})
    for part in parts:
        if "not" in part:
            part["text"] = wording.strip()
    return parts[0] if len(parts) == 1 else {"all": parts}


def _window_of(match: re.Match[str]) -> dict[str, int]:
    unit = match.group("wunit").casefold().rstrip("s") + "s"
    return {unit: int(number(match.group("wnum")))}


def read_not_used_sentence(text: str) -> Rule | None:
    """ "Blood transfusion and growth factors should not be used ... within 7 days before ...".

    Only transfusions and growth factors, only with a window: → all(not(transfusion within
    7 days), not(csf within 7 days), review of other growth factors when "growth factors" is
    named). Anything else gives None.
    """
    stripped = text.strip().rstrip(".;")
    if len(stripped) > 300:
        return None
    verb = _NOT_USED.search(stripped)
    if verb is None:
        return None
    items = _support_items(stripped[: verb.start()])
    after = _WINDOW_AFTER.match(stripped, verb.end())
    if items is None or after is None or stripped[after.end() :].strip():
        return None
    return _not_within(items, _window_of(after), stripped)


def split_support_tail(text: str) -> tuple[str, Rule] | None:
    """A threshold clause ending in "without ..." → (the threshold part, what the tail says).

    "creatinine clearance ≥ 50 mL/min without the need for hydration assistance": the value
    must be reached without that support, which is stricter than the value alone, so the
    threshold is kept and the tail is added beside it (all of them, inclusions only). A tail
    naming transfusions or growth factors with a window is read as their absence in the window;
    any other tail about support is a review part. Tails that are not about support (a
    negation such as "without evidence of ...") give None.
    """
    match = _WITHOUT.search(text)
    if match is None or match.start() == 0:
        return None
    tail = match.group("tail")
    if not _SUPPORT_WORDS.search(tail):
        return None
    window = _WINDOW_AFTER.search(tail)
    if window is not None and not tail[window.end() :].strip():
        items = _support_items(tail[: window.start()])
        if items is not None:
            return text[: match.start()], _not_within(items, _window_of(window), tail)
    return text[: match.start()], {"review": text[match.start() :].strip(" ,;()")}


def support_in_brackets(inner: str) -> Rule | None:
    """ "(without platelet transfusion within 7 days)" after a threshold: what the tail says.

    The same reading as a trailing "without ..." (split_support_tail); None when the bracket
    does not start with "without" or is not about support.
    """
    split = split_support_tail("value " + inner.strip())
    if split is None or split[0].strip() != "value":
        return None
    return split[1]


# ---------------------------------------------------------------------------------------------
# "INR or APTT ≤ 1.5×ULN" in an inclusion
# ---------------------------------------------------------------------------------------------


def either_or_both(leaves: list[Rule], text: str) -> Rule:
    """Two or more tests sharing one threshold with "or" in an inclusion.

    "INR or APTT ≤ 1.5×ULN" may mean that one of them within the limit suffices, or that each
    must be (a shared threshold written once). The rule is true when all are within the limit,
    false when none is, and review when they disagree: any(all(leaves), all(any(leaves),
    review)). Neither reading is guessed, so eligibility is never overstated.
    """
    copies = [dict(leaf) for leaf in leaves]
    doubt = {"review": f"Whether one of the values within the limit suffices: {text.strip()}"}
    return {
        "any": [
            {"all": leaves, "text": text},
            {"all": [{"any": copies}, doubt]},
        ],
        "text": text,
    }


# ---------------------------------------------------------------------------------------------
# A garbled spelled-out lab name before its code in brackets
# ---------------------------------------------------------------------------------------------

_GARBLED_WORDS = re.compile(r"(?:[A-Za-z][A-Za-z'-]*\s+){0,3}[A-Za-z][A-Za-z'-]*\s*$")
_STOP_WORDS = frozenset(
    {
        "and",
        "or",
        "with",
        "without",
        "not",
        "no",
        "nor",
        "except",
        "excluding",
        "other",
        "than",
        "if",
        "unless",
        "direct",
        "indirect",
        "conjugated",
        "unconjugated",
        "free",
        "urine",
        "urinary",
        "ratio",
        # another measure of the same analyte ("Prothrombin activity (PT)" is not the time)
        "activity",
        "index",
        "percentage",
        "percent",
        "fraction",
        "time",
        "function",
        "defined",
        "as",
        "of",
        "the",
        "a",
        "an",
        "in",
        "is",
        "are",
        "be",
        "must",
        "should",
    }
)


def by_bracket_code(text: str, names: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Let a known code in brackets stand for the unknown words just before it.

    "Asparagus cochinchinensis transase (AST)": a mistranslated name followed by a bracket
    that holds exactly a known lab code is read by the code. Only up to four plain words
    directly before the bracket are taken, none of them a known name, a negation, a joiner or
    a qualifier ("direct", "urine"); the words start after a delimiter (start, ":", ",", ";").
    """
    result: list[tuple[int, int, str]] = []
    for start, end, fact in names:
        opening = text.rfind("(", 0, start)
        closing = text.find(")", end)
        if (
            opening < 0
            or closing < 0
            or text[opening + 1 : start].strip()
            or text[end:closing].strip()
        ):
            result.append((start, end, fact))
            continue
        before = text[:opening]
        words = _GARBLED_WORDS.search(before)
        if words is None:
            result.append((start, end, fact))
            continue
        lead = before[: words.start()].rstrip()
        spelled = words.group(0).split()
        if (
            (lead and lead[-1] not in ":,;")
            or any(w.casefold() in _STOP_WORDS for w in spelled)
            or any(s < opening and e > words.start() for s, e, _ in names)
        ):
            result.append((start, end, fact))
            continue
        result.append((words.start(), closing + 1, fact))
    return result


# ---------------------------------------------------------------------------------------------
# The same threshold restated in another unit: "ANC ≥ 1.5 × 10^9/L (1500/μL)"
# ---------------------------------------------------------------------------------------------

_RESTATED = re.compile(r"\(\s*(?:" + COMPARATOR + r"\s*)?" + VALUE + r"\s*\)", re.IGNORECASE)


def restated_values(text: str) -> list[tuple[int, int]]:
    """Spans of brackets holding only a number with its unit ("(1500/μL)", "(9 g/dL)")."""
    return [m.span() for m in _RESTATED.finditer(text) if m.group("num")]


def is_same_threshold(bracket: str, leaf: Rule) -> bool:
    """Whether a bracketed value is the leaf's threshold in another unit (within 1 %).

    The 1 % allows the rounding of a written conversion ("1.5 mg/dL (133 µmol/L)"); a bracket
    with another comparator, no unit, or another value is not the same threshold.
    """
    match = _RESTATED.fullmatch(bracket.strip())
    fact = leaf.get("fact")
    value = leaf.get("value")
    if match is None or not isinstance(fact, str) or not isinstance(value, int | float):
        return False
    written = match.group("cmp")
    if written is not None and comparator(written) != leaf.get("op"):
        return False
    spec = fact_spec(fact)
    if spec is None:
        return False
    amount = quantity(fact, match, has_uln=spec.has_uln)
    unit = leaf.get("unit")
    if amount is None or amount.unit is None or not isinstance(unit, str):
        return False
    if "xULN" in (amount.unit, unit):
        return amount.unit == unit and abs(amount.value - value) <= 0.01 * abs(value)
    try:
        here = to_canonical(fact, amount.value, amount.unit)
        there = to_canonical(fact, float(value), unit)
    except UnitError:
        return False
    return abs(here - there) <= 0.01 * max(abs(here), abs(there))


__all__ = [
    "by_bracket_code",
    "either_or_both",
    "is_same_threshold",
    "read_not_used_sentence",
    "restated_values",
    "split_support_tail",
    "support_in_brackets",
]
