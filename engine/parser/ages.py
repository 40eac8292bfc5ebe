"""Ages written in months or days ("aged 6 months to 17 years", "Age ≥ 28 days")."""

from __future__ import annotations

import re
from typing import Any

from engine.parser.quantities import COMPARATOR, comparator

Rule = dict[str, Any]

# Completed years cannot decide a limit in months or days: a child of 6 months and 20 days is
# 0 years old. Each bound is compared in the unit it is written in (engine/facts.py).
_FACTS = {"month": ("age_months", "mo"), "day": ("age_days", "d"), "year": ("age_years", "a")}
_UNIT = r"(?:months?|days?|years?)"
_CONTEXT = r"(?:(?:the\s+)?age(?:d)?(?:\s+of)?\s*:?\s*|age\s*:\s*)"
_TAIL = r"(?P<old>\s+old)?(?P<of_age>\s+of\s+age)?(?:\s*\(?inclusive\)?)?"
_RANGE = re.compile(
    rf"(?P<context>{_CONTEXT})?(?:between\s+|from\s+)?(?P<low>\d{{1,3}})\s*(?P<lunit>{_UNIT})?(?:\s+old)?"
    rf"\s*(?:-|–|to|and)\s*(?P<high>\d{{1,3}})\s*(?P<hunit>{_UNIT}){_TAIL}",
    re.IGNORECASE,
)
_THRESHOLD = re.compile(
    rf"{_CONTEXT}(?:must\s+be\s+|is\s+|of\s+)?{COMPARATOR}\s*(?P<num>\d{{1,3}})\s*"
    rf"(?P<unit>months?|days?){_TAIL}",
    re.IGNORECASE,
)


def _unit(word: str) -> str:
    return word.casefold().rstrip("s")


def ages_in_months_or_days(text: str) -> list[tuple[int, int, Rule]]:
    """(start, end, rule) for age limits where a bound is in months or days.

    "aged 6 months to 17 years" → all(age_months >= 6, age_years <= 17); "6 to 24 months of
    age" → age_months between [6, 24]; "Age ≥ 28 days" → age_days >= 28. Weeks have no fact
    and are not read. Limits wholly in years are left to the year patterns.
    """
    found: list[tuple[int, int, Rule]] = []
    for match in _RANGE.finditer(text):
        high_unit = _unit(match.group("hunit"))
        low_unit = _unit(match.group("lunit") or match.group("hunit"))
        if "week" in (low_unit, high_unit) or {low_unit, high_unit} == {"year"}:
            continue
        if not (match.group("context") or match.group("old") or match.group("of_age")):
            continue  # "6 months to 2 years" without "age" may be a duration
        low, high = int(match.group("low")), int(match.group("high"))
        words = match.group(0).strip()
        if low_unit == high_unit:
            if not low < high:
                continue
            fact, unit = _FACTS[low_unit]
            rule: Rule = {"fact": fact, "op": "between", "value": [low, high], "unit": unit}
        else:
            (low_fact, low_code), (high_fact, high_code) = _FACTS[low_unit], _FACTS[high_unit]
            rule = {
                "all": [
                    {"fact": low_fact, "op": ">=", "value": low, "unit": low_code, "text": words},
                    {"fact": high_fact, "op": "<=", "value": high, "unit": high_code},
                ]
            }
        rule.setdefault("text", words)
        for child in rule.get("all", []):
            child["text"] = words
        found.append((match.start(), match.end(), rule))
    for match in _THRESHOLD.finditer(text):
        if any(s < match.end() and match.start() < e for s, e, _ in found):
            continue
        op = comparator(match.group("cmp"))
        if op is None or op == "==":
            continue
        fact, code = _FACTS[_unit(match.group("unit"))]
        leaf = {
            "fact": fact,
            "op": op,
            "value": int(match.group("num")),
            "unit": code,
            "text": match.group(0).strip(),
        }
        found.append((match.start(), match.end(), leaf))
    return found


__all__ = ["ages_in_months_or_days"]
