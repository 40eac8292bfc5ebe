"""Intolerance or non-response to a stated regimen: the regimen is read, the response reviewed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Rule = dict[str, Any]

_GC_WORDS = r"(?:hormones?|glucocorticoids?|corticosteroids?|steroids?)"
# "Patients who are intolerant or unresponsive to glucocorticoids and at least 2
# immunosuppressants, and the duration of adequate hormone therapy should be at least 6 months";
# "For those who are intolerant or have an insufficient response to glucocorticoid (…) and at
# least two immunosuppressants, the duration of hormone treatment should be at least 6 months".
_INTOLERANT = re.compile(
    r"^\s*(?:for\s+)?(?:patients|those|subjects|participants)\s+who\s+(?:are\s+)?"
    r"(?:intolerant\s+or\s+(?:are\s+)?unresponsive|unresponsive\s+or\s+(?:are\s+)?intolerant|"
    r"intolerant\s+or\s+(?:have|had)\s+an?\s+(?:insufficient|inadequate)\s+response)\s+to\s+"
    r"(?P<drugs>[^;]+?)\s*,\s*(?:and\s+)?the\s+duration\s+of\s+(?:(?:adequate|the)\s+)?"
    + _GC_WORDS
    + r"\s+(?:therapy|treatment)\s+(?:should|must|shall)\s+be\s+(?:at\s+least|≥|no\s+less\s+than)"
    r"\s*(?P<num>\d{1,2})\s*(?P<unit>months?|weeks?)\s*\.?\s*$",
    re.IGNORECASE,
)
_PARENTHESIS = re.compile(r"\s*\([^()]*\)")
_NEGATION_OR_HEDGE = re.compile(
    r"(?<![\w-])(?:no|not|never|without|except|unless|if|may|might|other\s+than)(?![\w-])",
    re.IGNORECASE,
)


def read_intolerant_history(text: str, read_history: Callable[[str], Rule | None]) -> Rule | None:
    """The regimen a patient is intolerant of or unresponsive to, with the stated duration.

    Being intolerant or unresponsive to a drug means having received it, so the drugs read by
    ``read_history`` (a treatment-history reader) are required, the glucocorticoid for the
    duration the sentence states; whether the patient was intolerant or unresponsive is not
    recorded and stays a review part beside them: ``all(glucocorticoid duration, …, review)``
    (never more than REVIEW on the strength of the drug history alone). None for any other
    wording, a negation or hedge, or a drug list without a glucocorticoid.
    """
    match = _INTOLERANT.match(text)
    if match is None or _NEGATION_OR_HEDGE.search(match.group("drugs")):
        return None
    drugs = _PARENTHESIS.sub("", match.group("drugs")).strip()
    history = read_history("treatment with " + drugs)
    if history is None:
        return None
    parts = list(history["all"]) if set(history) <= {"all", "text"} else [history]
    unit = match.group("unit").casefold().rstrip("s") + "s"
    window = {unit: int(match.group("num"))}
    with_duration: list[Rule] = []
    found = False
    for part in parts:
        if part.get("fact") == "treatment.glucocorticoid" and part.get("op") == "ever":
            part = {**part, "op": "duration_at_least", "window": window}
            found = True
        with_duration.append(part)
    if not found:
        return None  # "hormone" names the glucocorticoid only when the sentence lists one
    return {"all": [*with_duration, {"review": text.strip().rstrip(".")}]}


__all__ = ["read_intolerant_history"]
