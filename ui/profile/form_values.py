"""Turning typed text into profile values and back, keeping any text that cannot be used."""

from __future__ import annotations

import math
import re

# A number as a clinician types it: "10.2", "10,2" (decimal comma), "-3", "1e3", " 62 ".
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")

FormValue = int | float | str | None


def number_value(text: str) -> FormValue:
    """The number typed, or the text itself when it is not one (so validation can say why).

    Blank text is None. Whole numbers stay ints so a file keeps what was typed ("62", not "62.0").
    """
    stripped = text.strip()
    if not stripped:
        return None
    if _INTEGER.match(stripped):
        return int(stripped)
    candidate = stripped.replace(",", ".") if _DECIMAL_COMMA.match(stripped) else stripped
    try:
        value = float(candidate)
    except ValueError:
        return stripped
    # float() accepts "nan" and "inf"; neither is a measurement.
    return value if math.isfinite(value) else stripped


def text_value(text: str) -> str | None:
    """Trimmed text, or None when blank."""
    stripped = text.strip()
    return stripped or None


def text_of(value: object) -> str:
    """How a profile value is shown in a line edit: numbers without ".0", None as blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Every digit kept (str, not a rounded format): reloading must not change the value.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else str(value)
    return str(value)


def list_value(text: str) -> list[str]:
    """Comma- or semicolon-separated items ("2019 EULAR/ACR; SLICC 2012")."""
    return [item.strip() for item in re.split(r"[;,]", text) if item.strip()]
