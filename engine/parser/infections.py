"""Viral infections named with their defining test: "Active hepatitis B (HBsAg positive)"."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Rule = dict[str, Any]

# The facts that can define each infection; a definition naming any other fact is not read.
_VIRUSES: tuple[tuple[str, frozenset[str]], ...] = (
    (
        r"hepatitis\s+B(?:\s+virus)?|HBV",
        frozenset({"serology.hbsag", "serology.hbcab", "serology.hbv_dna", "lab.hbv_dna"}),
    ),
    (
        r"hepatitis\s+C(?:\s+virus)?|HCV",
        frozenset({"serology.hcv_ab", "serology.hcv_rna", "lab.hcv_rna"}),
    ),
    (r"human\s+immunodeficiency\s+virus|HIV", frozenset({"serology.hiv"})),
)
_LEAD = r"^\s*(?:(?:known|active|chronic)\s+){0,2}(?:(?:with|of)\s+)?"
_TAIL = r"(?:\s+(?:virus\s+)?infections?)?\s*"
_NAMED = [
    (re.compile(_LEAD + f"(?:{name})" + _TAIL + r"\((?P<inner>[^()]{3,160})\)\s*$", re.I), facts)
    for name, facts in _VIRUSES
]
# "Known HIV infection": a positive HIV test is what the infection is.
_HIV_INFECTION = re.compile(
    r"^\s*(?:known\s+)?(?:human\s+immunodeficiency\s+virus(?:\s+\(HIV\))?|HIV)\s+infection\s*$",
    re.IGNORECASE,
)


def _facts(rule: Rule) -> set[str]:
    if "fact" in rule:
        return {str(rule["fact"])}
    if "review" in rule:
        return {"review"}
    if "not" in rule:
        return _facts(rule["not"])
    found: set[str] = set()
    for child in rule.get("all") or rule.get("any") or []:
        found |= _facts(child)
    return found


def read_defined_infection(
    text: str, read: Callable[[str], Rule | None], *, exclusion: bool
) -> Rule | None:
    """An exclusion naming a viral infection with its defining test in brackets.

    "Active hepatitis B (HBsAg positive)", "hepatitis C (HCV RNA positive)": the protocol says
    what it means by the infection, so the bracket's rule stands for it, provided the bracket
    is read whole, has no review part and names only that virus's tests. "Known HIV infection"
    is a positive HIV test. Inclusions and anything else give None.
    """
    if not exclusion:
        return None
    if _HIV_INFECTION.match(text):
        return {"fact": "serology.hiv", "op": "is_true", "text": text.strip()}
    for pattern, allowed in _NAMED:
        match = pattern.match(text)
        if match is None:
            continue
        rule = read(match.group("inner"))
        if rule is None or not _facts(rule) <= allowed:
            return None
        return rule
    return None


__all__ = ["read_defined_infection"]
