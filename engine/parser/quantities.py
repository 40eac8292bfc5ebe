"""Comparators, numbers, units, ×ULN multiples and time windows as registry text writes them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.units import resolve_unit

_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")

# Word comparators, longest first so "not less than" is never read as "less than".
_WORD_COMPARATORS: tuple[tuple[str, str], ...] = (
    ("greater than or equal to", ">="),
    ("more than or equal to", ">="),
    ("equal to or greater than", ">="),
    ("equal to or more than", ">="),
    ("less than or equal to", "<="),
    ("equal to or less than", "<="),
    ("not less than", ">="),
    ("no less than", ">="),
    ("not lower than", ">="),
    ("not below", ">="),
    ("not more than", "<="),
    ("no more than", "<="),
    ("not greater than", "<="),
    ("not higher than", "<="),
    ("not exceeding", "<="),
    ("not above", "<="),
    ("at least", ">="),
    ("at most", "<="),
    ("up to", "<="),
    ("a minimum of", ">="),
    ("a maximum of", "<="),
    ("greater than", ">"),
    ("more than", ">"),
    ("higher than", ">"),
    ("in excess of", ">"),
    ("exceeding", ">"),
    ("exceeds", ">"),
    ("above", ">"),
    ("over", ">"),
    ("less than", "<"),
    ("lower than", "<"),
    ("fewer than", "<"),
    ("below", "<"),
    ("under", "<"),
)
_SYMBOL_COMPARATORS: dict[str, str] = {
    "≥": ">=",
    "≧": ">=",
    "⩾": ">=",
    ">=": ">=",
    "=>": ">=",
    "> =": ">=",
    "≤": "<=",
    "≦": "<=",
    "⩽": "<=",
    "<=": "<=",
    "=<": "<=",
    "< =": "<=",
    ">": ">",
    "<": "<",
    "=": "==",
}
_SUFFIX_COMPARATORS: tuple[tuple[str, str], ...] = (
    ("or more", ">="),
    ("or greater", ">="),
    ("or above", ">="),
    ("or higher", ">="),
    ("or over", ">="),
    ("and above", ">="),
    ("and over", ">="),
    ("or older", ">="),
    ("or less", "<="),
    ("or fewer", "<="),
    ("or below", "<="),
    ("or lower", "<="),
    ("and below", "<="),
    ("or younger", "<="),
)

COMPARATOR = (
    r"(?P<cmp>"
    + "|".join(re.escape(word).replace(r"\ ", r"\s+") for word, _ in _WORD_COMPARATORS)
    + r"|≥|≧|⩾|>\s?=|=>|≤|≦|⩽|<\s?=|=<|>|<|=)"
)
SUFFIX = (
    r"(?P<suffix>"
    + "|".join(re.escape(word).replace(r"\ ", r"\s+") for word, _ in _SUFFIX_COMPARATORS)
    + ")"
)
NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "sixty": 60,
    "ninety": 90,
}
COUNT = r"(?:\d{1,4}|" + "|".join(_NUMBER_WORDS) + r")"

# A value with what follows it: ×10^9/L forms (also the flattened "109/L" and "10⁹/L"), ×ULN
# multiples, or a plain unit.
ULN = (
    r"(?:(?:[x×*]|times)\s*)?(?:the\s+)?(?:(?:institutional|laboratory)\s+)?"
    r"(?:ULN|upper\s+limits?\s+(?:of\s+)?(?:the\s+)?normal(?:\s+(?:range|value))?"
    r"(?:\s*\(\s*ULN\s*\))?)"
)
POWER = (
    r"(?:[x×*]\s*10\s*(?:\^|\*\*?)?\s*(?P<exp>\d{1,2}|[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})"
    r"\s*(?:cells\s*)?/\s*(?P<per>L|l|µL|μL|uL|mm3|mm³))"
)
UNIT = (
    r"(?P<unit>ml/min(?:ute)?/1\.73\s*m(?:2|²|\^2)|ml/min(?:ute)?|g/dl|g/l|mg/dl|mg/l|[µμu]mol/l|"
    r"mmol/l|(?:cells\s*)?/\s*(?:[µμu]l|mm3|mm³|mcl)|per\s*/?\s*[µμu]l|[ui]u/l|iu/ml|g/g|mg/g|"
    r"mg/mmol|g/24\s*h(?:ours?)?|g/d(?:ay)?|mg/kg/d(?:ay)?|mg/d(?:ay)?|%|seconds?|sec|s|kg|g|mg)(?![A-Za-z/])"
)
VALUE = rf"(?P<num>{NUMBER})\s*(?:{POWER}|(?P<uln>{ULN})|{UNIT})?"


def comparator(text: str) -> str | None:
    """The rule operator a comparator spelling stands for ("not less than" → ">=")."""
    spelled = " ".join(text.casefold().split())
    if spelled in _SYMBOL_COMPARATORS:
        return _SYMBOL_COMPARATORS[spelled]
    return next((op for word, op in _WORD_COMPARATORS if word == spelled), None)


def suffix_comparator(text: str) -> str | None:
    """The operator of a trailing comparator ("18 years or older" → ">=")."""
    spelled = " ".join(text.casefold().split())
    return next((op for word, op in _SUFFIX_COMPARATORS if word == spelled), None)


def number(text: str) -> float:
    """A written number ("1,500" → 1500.0; "five" → 5.0)."""
    word = text.casefold()
    if word in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[word])
    return float(text.replace(",", ""))


@dataclass(frozen=True, slots=True)
class Quantity:
    """A threshold as written: the number and the unit code the fact accepts (or "xULN")."""

    value: float
    unit: str | None  # None: no unit written


def quantity(fact: str, match: re.Match[str], *, has_uln: bool) -> Quantity | None:
    """The quantity of a VALUE match for ``fact``; None when the unit does not fit the fact."""
    value = number(match.group("num"))
    if match.group("uln"):
        return Quantity(value, "xULN") if has_uln else None
    exponent = match.group("exp")
    if exponent:
        per = match.group("per").replace("µ", "u").replace("μ", "u").replace("³", "3")
        power = exponent.translate(_SUPERSCRIPT_DIGITS)
        code = resolve_unit(fact, f"10^{power}/{'L' if per in ('L', 'l') else per}")
        return None if code is None else Quantity(value, code)
    unit = match.group("unit")
    if unit is None:
        return Quantity(value, None)
    spelled = re.sub(r"\s+", "", unit).replace("³", "3")
    spelled = re.sub(r"^(?:cells|per)/?", "/", spelled, flags=re.IGNORECASE)
    if spelled.casefold() == "/mcl":
        spelled = "/uL"
    if fact == "lab.urine_protein_24h" and spelled in ("g", "mg"):
        spelled += "/d"  # "24-hour urine protein > 1.0 g": the amount per day
    if spelled.casefold().startswith("ml/min"):
        spelled = "mL/min/1.73m2" if "1.73" in spelled else "mL/min"
    code = resolve_unit(fact, spelled)
    return None if code is None else Quantity(value, code)


WINDOW_UNIT = r"(?P<wunit>days?|weeks?|months?|years?)"
WINDOW = (
    rf"(?:within|in|during)\s+(?:the\s+)?(?:(?:past|last|previous|preceding|prior)\s+)?"
    rf"(?P<wnum>{COUNT})\s*{WINDOW_UNIT}"
    r"(?:\s+(?:prior\s+to|before|of|preceding)\s+(?:the\s+)?(?:first\s+)?"
    r"(?:screening|enrol(?:l)?ment|randomi[sz]ation|study\s+entry|baseline|inclusion|"
    r"the\s+study|study\s+start|dosing|first\s+dose|examination|signing\s+(?:the\s+)?informed\s+consent)"
    r"(?:\s+visit)?)?"
)


def window(match: re.Match[str]) -> dict[str, int]:
    """The rule window of a WINDOW match ({"weeks": 4})."""
    unit = match.group("wunit").casefold().rstrip("s") + "s"
    return {unit: int(number(match.group("wnum")))}
