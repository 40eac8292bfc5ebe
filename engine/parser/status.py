"""Refractory / relapsed / progressive definitions read as the status of the cohort's diagnosis."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from engine.parser._text import top_level_cuts

Rule = dict[str, Any]

_STATUS_WORD = r"(?:refractory|relapsed|relapsing|progressive)"
_BULLET = re.compile(r"^\s*(?:[*•‣⁃∙◦▪·\-–]|o(?=\s))\s*")


def _names(group: str) -> str:
    return rf"(?P<{group}>{_STATUS_WORD}(?:\s*(?:/|,|and/or|or|and)\s*{_STATUS_WORD})*)"


# Only a lead that opens the clause and says it defines the statuses it names licenses a
# status: "Definition of relapsed/refractory:", "Meet the definition of refractory or
# progressive disease:", "Refractory disease definition:", "Refractory disease is defined as",
# "Relapsed or refractory disease, defined as:".
_LEAD = re.compile(
    r"^\s*(?:(?:(?:meet(?:s|ing)?\s+)?the\s+)?definition\s+of\s+"
    + _names("a")
    + r"(?:\s+disease)?\s*:|"
    + _names("b")
    + r"(?:\s+disease)?\s+definition\s*:|"
    + _names("c")
    + r"(?:\s+disease)?\s*,?\s*(?:(?:is|are)\s+)?defined\s+as\s*:?)",
    re.IGNORECASE,
)
_WORD_STATUS = {
    "refractory": "refractory",
    "relapsed": "relapsed",
    "relapsing": "relapsed",
    "progressive": "progressive",
}
# The wording of each status inside a defining sentence.
_PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "refractory",
        re.compile(
            r"(?<![\w-])(?:(?:remain(?:s|ed)?|(?:is|was|were|are))\s+)?ineffective(?![\w-])|"
            r"(?<![\w-])(?:inadequate|insufficient)\s+response(?![\w-])|"
            r"(?<![\w-])fail(?:ure|ed)\s+to\s+respond(?![\w-])|"
            r"(?<![\w-])did\s+not\s+(?:show|achieve)\s+(?:a\s+)?significant\s+remission(?![\w-])",
            re.IGNORECASE,
        ),
    ),
    (
        "relapsed",
        re.compile(
            r"(?<![\w-])(?:relaps(?:e|es|ed|ing)|recurren(?:ce|t)|flares?(?=\s+after))"
            r"(?:\s+after\s+(?:achieving\s+)?(?:an?\s+)?(?:(?:complete|partial)\s+)?remission)?"
            r"(?![\w-])",
            re.IGNORECASE,
        ),
    ),
    ("progressive", re.compile(r"(?<![\w-])progress(?:ion|ive|ed|es)(?![\w-])", re.IGNORECASE)),
)
# Words that turn or hedge what a status phrase says: such an alternative stays for review.
_NEGATION_OR_HEDGE = re.compile(
    r"(?<![\w-])(?:no|not|never|without|free|absence|unless|if|may|might|could|except|"
    r"intoleran\w*|within|prior|before|since)(?![\w-])",
    re.IGNORECASE,
)
# What is left of an alternative once its status phrase is taken out and adds nothing.
_FILLER = re.compile(
    r"^(?:\s|[,.;:]|(?<![\w-])(?:a|an|the|disease|after|to|of|despite|with|in|its)(?![\w-]))*$",
    re.IGNORECASE,
)
# The rest of an alternative read as a treatment history: "to glucocorticoids for at least 3
# months", "despite treatment with at least one immunosuppressant", "with rituximab".
_REST_LEAD = re.compile(
    r"^\s*(?:(?:the\s+)?disease\s+)?(?:despite|to|with)\s+(?:(?:treatment|therapy)\s+with\s+)?",
    re.IGNORECASE,
)
_OR = re.compile(r",\s*or\s+|;\s*or\s+", re.IGNORECASE)
_BARE_OR = re.compile(r"\s+or\s+", re.IGNORECASE)


def _statuses(names: str) -> tuple[str, ...]:
    found: list[str] = []
    for word in re.findall(_STATUS_WORD, names, re.IGNORECASE):
        status = _WORD_STATUS[word.casefold()]
        if status not in found:
            found.append(status)
    return tuple(found)


def status_lead(text: str) -> tuple[tuple[str, ...], str] | None:
    """The statuses a defining lead names and the sentence after it, or None without one."""
    plain = _BULLET.sub("", text, count=1)
    match = _LEAD.match(plain)
    if match is None:
        return None
    names = match.group("a") or match.group("b") or match.group("c")
    return _statuses(names), plain[match.end() :].strip()


def status_leaf(condition: str, statuses: tuple[str, ...], text: str) -> Rule:
    """The diagnosis of ``condition`` recorded with one of ``statuses``."""
    return {
        "fact": "diagnosis",
        "op": "has",
        "value": [condition],
        "status": list(statuses),
        "text": text,
    }


def _alternatives(body: str) -> list[str]:
    """The "or" alternatives of a defining sentence; ", or" binds loosest when present."""
    cuts = top_level_cuts(body, _OR) or top_level_cuts(body, _BARE_OR)
    pieces: list[str] = []
    cursor = 0
    for start, end in [*cuts, (len(body), len(body))]:
        piece = body[cursor:start].strip(" ,.;")
        cursor = end
        if piece and piece.casefold() not in {p.casefold() for p in pieces}:
            pieces.append(piece)  # "…, or disease recurrence after remission., or …" once
    return pieces


def _phrase(text: str) -> tuple[str, re.Match[str]] | None:
    """The one status an alternative words, with where it says it; None for none or several."""
    found = [(status, m) for status, pattern in _PHRASES if (m := pattern.search(text))]
    if len(found) != 1:
        return None
    return found[0]


def _read_alternative(
    text: str,
    condition: str,
    read_rest: Callable[[str], Rule | None],
    regimen: Rule | None,
    reference: re.Pattern[str] | None,
) -> Rule | None:
    """One alternative: the status leaf, with what else it requires; None when not a status."""
    found = _phrase(text)
    if found is None:
        return None
    status, match = found
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    if _NEGATION_OR_HEDGE.search(rest):
        return None
    leaf = status_leaf(condition, (status,), text)
    if regimen is not None and reference is not None and reference.search(rest):
        # The defined regimen (with the duration the sentence gives it) is what this
        # alternative names: "Conventional treatment over 6 months remains ineffective".
        remainder = reference.sub(" ", rest)
        if _FILLER.match(remainder):
            return {"all": [leaf, regimen]}
        return {"all": [leaf, regimen, {"review": text}]}
    if _FILLER.match(rest):
        return leaf
    lead = _REST_LEAD.match(rest)
    if lead is not None and lead.end() < len(rest):
        history = read_rest("treatment with " + rest[lead.end() :])
        if history is not None:
            return {"all": [leaf, history]}
    return {"all": [leaf, {"review": text}]}


def read_status_definition(
    text: str,
    condition: str,
    read_rest: Callable[[str], Rule | None],
    *,
    regimen: Rule | None = None,
    reference: re.Pattern[str] | None = None,
) -> Rule | None:
    """ "Definition of relapsed/refractory: Conventional treatment over 6 months remains
    ineffective, or disease recurrence after remission" in a cohort of ``condition``.

    Each alternative that words one status ("remains ineffective", "inadequate response",
    "did not show significant remission" → refractory; "recurrence after remission",
    "relapse", "flare after remission" → relapsed; "progression" → progressive) becomes the
    cohort's diagnosis with that status, beside what else the alternative requires: the
    defined ``regimen`` where it names the conventional treatment (``reference``), a
    treatment history ``read_rest`` reads ("despite treatment with …"), else the alternative
    as a review part. An alternative without such wording, or negated or hedged, is a review
    alternative after ", or"; otherwise the clause is not read (None). None without the lead,
    and None when no alternative is read without a review part.
    """
    lead = status_lead(text)
    if lead is None:
        return None
    _, body = lead
    alternatives = _alternatives(body)
    if not alternatives:
        return None
    split_by_comma = bool(top_level_cuts(body, _OR))
    rules: list[Rule] = []
    for alternative in alternatives:
        rule = _read_alternative(alternative, condition, read_rest, regimen, reference)
        if rule is None:
            if not split_by_comma and len(alternatives) > 1:
                return None  # "inadequate response or intolerance to X": a fragment
            rule = {"review": alternative}
            if regimen is not None and reference is not None and reference.search(alternative):
                # "SLEDAI-2K ≥ 8 despite standard therapy": the regimen is required there as
                # it is without a status (criterion._with_definition), the rest reviewed.
                rule = {"all": [rule, regimen]}
        rules.append(rule)
    if regimen is not None and not any(_holds(rule, regimen) for rule in rules):
        return None  # the definition belongs to no alternative: the caller reads it as before
    if not any(_fully_read(rule) for rule in rules):
        # Every alternative carries wording beyond the status that is left for review ("Rapid
        # skin progression (mRSS increase > 25%)"): the definition is the team's measure,
        # not the recorded status, so the clause is left as it was.
        return None
    return rules[0] if len(rules) == 1 else {"any": rules}


def _holds(rule: Rule, part: Rule) -> bool:
    """True when ``part`` is ``rule`` or one of its nodes."""
    return rule is part or any(
        _holds(child, part) for mode in ("all", "any") for child in rule.get(mode, ())
    )


def _fully_read(rule: Rule) -> bool:
    """True when no part of ``rule`` is left for review."""
    if "review" in rule:
        return False
    if "not" in rule:
        return _fully_read(rule["not"])
    return all(_fully_read(child) for mode in ("all", "any", "of") for child in rule.get(mode, ()))


def _statuses_in(rule: Rule, condition: str) -> set[str]:
    if rule.get("fact") == "diagnosis" and condition in rule.get("value", ()):
        return set(rule.get("status", ()))
    found: set[str] = set()
    for mode in ("all", "any", "of"):
        for child in rule.get(mode, ()):
            found |= _statuses_in(child, condition)
    if "not" in rule:
        found |= _statuses_in(rule["not"], condition)
    return found


def undefined_statuses(lead: str, rule: Rule, condition: str) -> Rule | None:
    """ "Meet the definition of refractory or progressive disease:" over items that define only
    some of the named statuses: the others as the recorded status with the lead for review
    (the protocol does not say what it means by them). None when it is no such lead or every
    named status is defined below it.
    """
    found = status_lead(lead)
    if found is None or found[1]:
        return None
    missing = tuple(s for s in found[0] if s not in _statuses_in(rule, condition))
    if not missing or len(missing) == len(found[0]):
        return None
    return {"all": [status_leaf(condition, missing, lead.strip()), {"review": lead.strip()}]}


__all__ = ["read_status_definition", "status_lead", "status_leaf", "undefined_statuses"]
