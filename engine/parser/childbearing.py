"""Criteria for women of childbearing potential: a negative pregnancy test, agreed contraception."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Rule = dict[str, Any]

# Who the criterion is about: "Female subjects of childbearing potential", "women of
# childbearing potential (WOCBP)", "The subject of childbearing age".
_SUBJECT = re.compile(
    r"(?<![\w-])(?:(?:the\s+)?(?:female\s+)?(?:subjects?|patients?|participants?)|women|woman|"
    r"females?)\s+of\s+(?:child[-\s]?bearing|reproductive)\s+(?:potential|age)"
    r"(?:\s*\(\s*WOCBP\s*\))?",
    re.IGNORECASE,
)
_NEGATIVE_TEST = re.compile(
    r"(?:(?:a|have\s+a|has\s+a|had\s+a)\s+)?negative\s+(?:serum\s+|urine\s+|blood\s+)?"
    r"(?:(?:β|beta)[-\s]?)?(?:(?:human\s+chorionic\s+gonadotropin|hCG)\s*(?:\(\s*hCG\s*\)\s*)?)?"
    r"(?:pregnancy\s+)?test(?:\s+results?)?",
    re.IGNORECASE,
)
_TEST_WINDOW = re.compile(
    r"\s*(?:within\s+(?P<days>\d{1,2})\s+days?\s+(?:before|prior\s+to)\s+"
    r"(?:(?:study\s+)?(?:enrol(?:l)?ment|screening|randomi[sz]ation|the\s+first\s+dose|"
    r"(?:the\s+)?infusion|treatment))|at\s+screening|during\s+screening)",
    re.IGNORECASE,
)
_CONTRACEPTION = re.compile(
    r"(?:agree(?:s|d)?\s+to\s+(?:use|take|practi[cs]e|adopt)|(?:be\s+)?willing\s+to\s+use|"
    r"(?:must|should)\s+use)\s+(?:an?\s+)?(?:highly\s+|medically\s+approved\s+|reliable\s+|"
    r"adequate\s+|acceptable\s+)?(?:effective\s+)?(?:methods?\s+of\s+)?"
    r"(?:contracepti(?:on|ve\s+(?:methods?|measures))|birth\s+control)",
    re.IGNORECASE,
)
# The period of the agreement ("during the study", "until 1 year after the infusion"): a
# detail of what is agreed, not a further condition.
_CONTRACEPTION_PERIOD = re.compile(
    r"\s*(?:(?:during|throughout|for)\s+the\s+(?:study|trial|test|treatment)(?:\s+(?:treatment\s+)?"
    r"period)?)?\s*(?:(?:and\s+)?(?:for\s+(?:at\s+least\s+)?\d{1,2}\s+(?:days?|weeks?|months?|years?)"
    r"|until\s+(?:\d{1,2}|one|two|six)\s+(?:weeks?|months?|years?)|the\s+first\s+year)\s+after\s+"
    r"(?:the\s+)?(?:last\s+dose|end\s+of\s+(?:the\s+)?(?:study\s+)?treatment|(?:CAR[-\s]?T\s+)?"
    r"infusion)(?:\s+of\s+(?:the\s+)?study\s+drug)?)?",
    re.IGNORECASE,
)
_JOINERS = re.compile(
    r"(?<![\w-])(?:must|should|shall|will|and|also|have|has|a|the|for|who\s+are)(?![\w-])|[,;:.]",
    re.IGNORECASE,
)
# Anything that turns or narrows the meaning: left for review.
_REFUSE = re.compile(
    r"(?<![\w-])(?:males?|men|partners?|not|no|unless|except|if|may|without|or|either|"
    r"postmenopausal|sterili[sz]ed|lactating|breast[-\s]?feeding)(?![\w-])",
    re.IGNORECASE,
)

APPLIES_TO_CHILDBEARING_WOMEN: Rule = {
    "all": [
        {"fact": "sex", "op": "in", "value": ["female"]},
        {"fact": "childbearing_potential", "op": "is_true"},
    ]
}


@dataclass(frozen=True, slots=True)
class ChildbearingReading:
    """The rule and its ``applies_if`` for a criterion about women of childbearing potential."""

    rule: Rule
    applies_if: Rule


def read_childbearing(text: str) -> ChildbearingReading | None:
    """ "Female subjects of childbearing potential must have a negative pregnancy test".

    The whole criterion must be about women of childbearing potential and say only that they
    have a negative pregnancy test (with an optional "within N days before ...") and/or agree
    to effective contraception (with its period). Anything else — men or partners, "or",
    negations, exceptions, other conditions — gives None and the criterion is read as before.
    """
    if len(text) > 400 or _REFUSE.search(text):
        return None
    subject = _SUBJECT.search(text)
    if subject is None:
        return None
    spans: list[tuple[int, int]] = [subject.span()]
    leaves: list[Rule] = []
    test = _NEGATIVE_TEST.search(text)
    if test is not None:
        leaf: Rule = {"fact": "pregnancy_test_positive", "op": "is_false"}
        end = test.end()
        window = _TEST_WINDOW.match(text, end)
        if window is not None:
            if window.group("days"):
                leaf["max_age_days"] = int(window.group("days"))
            end = window.end()
        leaf["text"] = text[test.start() : test.end()].strip()
        leaves.append(leaf)
        spans.append((test.start(), end))
    contraception = _CONTRACEPTION.search(text)
    if contraception is not None:
        period = _CONTRACEPTION_PERIOD.match(text, contraception.end())
        end = period.end() if period is not None else contraception.end()
        leaves.append(
            {
                "fact": "contraception_agreed",
                "op": "is_true",
                "text": text[contraception.start() : contraception.end()].strip(),
            }
        )
        spans.append((contraception.start(), end))
    if not leaves:
        return None
    rest = []
    cursor = 0
    for start, end in sorted(spans):
        if start < cursor:
            return None  # overlapping readings: the wording is not the simple form
        rest.append(text[cursor:start])
        cursor = end
    rest.append(text[cursor:])
    residue = _JOINERS.sub(" ", " ".join(rest))
    if re.search(r"\w", residue):
        return None
    rule = leaves[0] if len(leaves) == 1 else {"all": leaves}
    return ChildbearingReading(rule, APPLIES_TO_CHILDBEARING_WOMEN)


__all__ = ["APPLIES_TO_CHILDBEARING_WOMEN", "ChildbearingReading", "read_childbearing"]
