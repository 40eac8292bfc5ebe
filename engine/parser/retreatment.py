"""Inclusions open to the untreated or to those a past treatment failed ("… after X")."""

from __future__ import annotations

import re
from collections.abc import Callable

from engine.parser.regimens import names_a_treatment
from engine.parser.rules import Rule

# "Previously not treated with CAR-T; or recurrence or poor efficacy after previous autologous
# or universal CD19-targeted CAR-T treatment (evaluated by the researcher)". The second
# alternative is not computable (recurrence, efficacy, who judges it), but it is said of
# patients who had the treatment: "after previous X" makes X a necessary condition of it.
_TWO_ALTERNATIVES = re.compile(
    r"^\s*(?P<first>[^;]+?)\s*(?:;|\.|,)?\s+or\s+(?P<second>[^;]+?)\s*[.;]?\s*$",
    re.IGNORECASE | re.DOTALL,
)
# The second alternative must say that the treatment was given before what it names.
_AFTER = r"(?<![\w-])(?:after|following|despite)\s+(?:(?:a|the|previous|prior|earlier)\s+)?"
# A negation there could say the treatment was not given; "or" a choice of two premises.
_NEGATION = re.compile(
    r"(?<![\w-])(?:no|not|never|without|non|except|unless|other\s+than)(?![\w-])", re.IGNORECASE
)
_TREATMENT_WORDS = re.compile(r"\s+(?:therapy|therapies|treatment|treatments)\s*$", re.IGNORECASE)


def read_retreatment(text: str, read: Callable[[str], Rule | None]) -> Rule | None:
    """``any(not X ever, all(X ever, review))`` for "not treated with X; or … after (previous) X".

    The first alternative must read whole as "not X ever" (one treatment); the second must name
    the same treatment after "after" / "following" / "despite" and hold no negation. Everything
    of the second alternative but the treatment, judgement words included, is one review part
    beside it: a patient never treated satisfies the criterion, a treated one is for the team,
    and no treated patient is ever called eligible from the history alone.
    """
    match = _TWO_ALTERNATIVES.match(text)
    if match is None:
        return None
    first, second = match.group("first"), match.group("second")
    untreated = read(first)
    if untreated is None or set(untreated) - {"not", "text"}:
        return None
    event = untreated["not"]
    if not isinstance(event, dict) or set(event) - {"fact", "op", "text"}:
        return None
    if not str(event.get("fact", "")).startswith("treatment.") or event.get("op") != "ever":
        return None
    name = _TREATMENT_WORDS.sub("", str(event.get("text", ""))).strip()
    if not name or _NEGATION.search(second):
        return None
    # The name may carry qualifiers before it ("autologous or universal CD19-targeted CAR-T").
    named_after = re.search(
        _AFTER + r"(?P<qualifiers>[^;()]{0,80}?)(?<![\w])" + re.escape(name) + r"(?![\w-])",
        second,
        re.IGNORECASE,
    )
    # "after previous rituximab or CAR-T" could be satisfied by rituximab alone: X would not be
    # necessary, so another treatment among the qualifiers leaves the criterion unread.
    if named_after is None or names_a_treatment(named_after.group("qualifiers")):
        return None
    treated = {"fact": event["fact"], "op": "ever", "text": name}
    return {
        "any": [untreated, {"all": [treated, {"review": second.strip()}]}],
    }
