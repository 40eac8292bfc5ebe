"""Pure text helpers for ClinicalTrials.gov records: markdown unescaping and age limits."""

from __future__ import annotations

import re
from decimal import Decimal

# ClinicalTrials.gov stores its text as markdown and backslash-escapes the characters markdown
# would otherwise interpret ("≥3×10\^9/L", "\<18 years"). Only these pairs are escapes; any other
# backslash is a literal character and is kept.
MARKDOWN_ESCAPED_CHARACTERS = "\\<>^*_~[]()#+-.!`{}|"
_ESCAPE_PATTERN = re.compile("\\\\([" + re.escape(MARKDOWN_ESCAPED_CHARACTERS) + "])")

# Days per unit for age limits. A year is 365.25 days and a month a twelfth of that, so that
# "18 Years" means the 18th birthday to within a day whatever the leap years in between.
DAYS_PER_AGE_UNIT: dict[str, Decimal] = {
    "year": Decimal("365.25"),
    "month": Decimal("365.25") / 12,
    "week": Decimal(7),
    "day": Decimal(1),
    "hour": Decimal(1) / 24,
    "minute": Decimal(1) / (24 * 60),
}
_AGE_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+?)s?\s*$")
# What the registry writes, in its own words, when a study sets no limit.
NO_AGE_LIMIT_TEXTS = frozenset({"", "n/a", "na", "none", "no limit"})


class AgeFormatError(ValueError):
    """An age limit that is neither missing nor "<number> <unit>"."""


def unescape_registry_text(text: str) -> str:
    r"""Turn the registry's markdown escapes into the characters they stand for.

    ``"≥3×10\^9/L"`` becomes ``"≥3×10^9/L"``; ``"\\"`` becomes one backslash. Everything else,
    including full-width punctuation, ``<``, ``&`` and ``≥``, is returned unchanged.
    """
    return _ESCAPE_PATTERN.sub(r"\1", text)


def parse_age_days(text: str | None) -> int | None:
    """An age limit as the registry gives it ("18 Years", "6 Months") in whole days.

    Missing or "N/A" means no limit and gives None. Fractions of a day are dropped, so a
    minimum age is never made stricter than the text says.

    Raises:
        AgeFormatError: the text is not a number followed by a known unit.
    """
    if text is None or text.strip().casefold() in NO_AGE_LIMIT_TEXTS:
        return None
    match = _AGE_PATTERN.match(text)
    if match is None:
        raise AgeFormatError(f'not an age such as "18 Years": {text!r}')
    unit = match.group(2).casefold()
    days_per_unit = DAYS_PER_AGE_UNIT.get(unit)
    if days_per_unit is None:
        raise AgeFormatError(f"unknown age unit {match.group(2)!r} in {text!r}")
    return int(Decimal(match.group(1)) * days_per_unit)
