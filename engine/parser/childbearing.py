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
    r"\s*(?:within\s+(?:(?P<days>\d{1,2})\s+days?|(?P<hours>\d{1,3})\s+hours?)\s+(?:before|prior\s+to)\s+"
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


def _days(window: re.Match[str]) -> int:
    """The test's age limit in whole days; "72 hours" is 3 days, "36 hours" only 1 (stricter)."""
    if window.group("days"):
        return int(window.group("days"))
    return int(window.group("hours")) // 24


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


def _negative_test(text: str, *, window_in_text: bool) -> tuple[Rule, tuple[int, int]] | None:
    """ "a negative pregnancy test (within 7 days)": its leaf and the span it covers.

    The test's window, when written, is how recent the result must be (``max_age_days``);
    ``window_in_text`` says whether the leaf's text quotes it too.
    """
    test = _NEGATIVE_TEST.search(text)
    if test is None:
        return None
    leaf: Rule = {"fact": "pregnancy_test_positive", "op": "is_false"}
    end = test.end()
    window = _TEST_WINDOW.match(text, end)
    if window is not None:
        if window.group("days") or window.group("hours"):
            leaf["max_age_days"] = _days(window)
        end = window.end()
    leaf["text"] = text[test.start() : end if window_in_text else test.end()].strip()
    return leaf, (test.start(), end)


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
    negative_test = _negative_test(text, window_in_text=False)
    if negative_test is not None:
        leaves.append(negative_test[0])
        spans.append(negative_test[1])
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


# Men whose partners may become pregnant: "male subjects with partners of childbearing
# potential", "men with female partners of childbearing potential". The partner's potential is
# not a fact; the criterion is applied to every man, as the curated files do (stricter, never
# looser, than the wording).
_MEN = re.compile(
    r"(?<![\w-])(?:(?:the\s+)?male\s+(?:subjects?|patients?|participants?)|men|males)"
    r"(?:\s+(?:with|whose|who\s+have)\s+(?:a\s+)?(?:female\s+)?(?:sexual\s+)?partners?"
    r"(?:\s+(?:who\s+)?(?:is|are))?\s+of\s+(?:child[-\s]?bearing|reproductive)\s+(?:potential|age))?",
    re.IGNORECASE,
)
_NOT_LACTATING = re.compile(
    r"(?:must\s+|should\s+)?(?:not\s+be|be\s+non-?)\s*(?:lactating|breast[-\s]?feeding|nursing)",
    re.IGNORECASE,
)
_ABSTINENCE = re.compile(r"\s*(?:or|and/or)\s+(?:sexual\s+)?abstinence", re.IGNORECASE)
_CLAUSE_END = re.compile(r";|\.\s+(?=[A-Z])")
_BRANCH_REFUSE = re.compile(
    r"(?<![\w-])(?:unless|except|if|may|without|either|postmenopausal|sterili[sz]ed|no)(?![\w-])",
    re.IGNORECASE,
)
_MALE: Rule = {"fact": "sex", "op": "in", "value": ["male"]}
_FEMALE: Rule = {"fact": "sex", "op": "in", "value": ["female"]}


def _branch_clause(text: str) -> tuple[dict[str, str], list[Rule]] | None:
    """Who one clause is about ("women", "men", with their wording) and what it requires."""
    spans: list[tuple[int, int]] = []
    who: dict[str, str] = {}
    for match in _MEN.finditer(text):
        who.setdefault("men", match.group(0).strip())
        spans.append(match.span())
    for match in _SUBJECT.finditer(text):
        if any(s <= match.start() < e for s, e in spans):
            continue
        who.setdefault("women", match.group(0).strip())
        spans.append(match.span())
    leaves: list[Rule] = []
    contraception = _CONTRACEPTION.search(text)
    if contraception is not None:
        end = contraception.end()
        abstinence = _ABSTINENCE.match(text, end)
        if abstinence is not None:
            end = abstinence.end()
        period = _CONTRACEPTION_PERIOD.match(text, end)
        leaves.append(
            {
                "fact": "contraception_agreed",
                "op": "is_true",
                "text": text[contraception.start() : end].strip(),
            }
        )
        spans.append((contraception.start(), period.end() if period is not None else end))
    negative_test = _negative_test(text, window_in_text=True)
    if negative_test is not None:
        leaves.append(negative_test[0])
        spans.append(negative_test[1])
    for match in _NOT_LACTATING.finditer(text):
        leaves.append({"fact": "lactating", "op": "is_false", "text": match.group(0).strip()})
        spans.append(match.span())
    if not who or not leaves:
        return None
    rest: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        if start < cursor:
            return None
        rest.append(text[cursor:start])
        cursor = end
    rest.append(text[cursor:])
    if re.search(r"\w", _JOINERS.sub(" ", " ".join(rest))):
        return None
    if "men" in who and any(leaf["fact"] != "contraception_agreed" for leaf in leaves):
        return None  # a pregnancy test or breastfeeding asked of men: not the usual wording
    return who, leaves


def read_childbearing_branches(text: str) -> ChildbearingReading | None:
    """Women of childbearing potential and men with such partners, clause by clause.

    "Female subjects of childbearing potential and male subjects with partners of
    childbearing potential must use medically approved contraception or abstinence ...;
    Female subjects of childbearing potential must have a negative HCG test within 7 days
    before study enrollment and not be lactating": applies to women of childbearing potential
    and to men; each clause's requirements hold for the people it names, so a women-only
    clause is any(sex male, requirements) when men are also concerned. Every clause must name
    its people and say only contraception, a negative pregnancy test or "not be lactating";
    anything else gives None.
    """
    if len(text) > 800 or _BRANCH_REFUSE.search(text):
        return None
    clauses = [c for c in _CLAUSE_END.split(text) if re.search(r"\w", c)]
    read = [_branch_clause(clause) for clause in clauses]
    if not read or any(r is None for r in read):
        return None
    readings = [r for r in read if r is not None]
    wording: dict[str, str] = {}
    for who, _ in readings:
        for group, words in who.items():
            wording.setdefault(group, words)
    everyone = set(wording)
    parts: list[Rule] = []
    for who, leaves in readings:
        required: Rule = leaves[0] if len(leaves) == 1 else {"all": leaves}
        if set(who) == everyone:
            parts.append(required)
        elif set(who) == {"women"}:
            # The men of the criterion are not asked what only the women's clause says.
            parts.append({"any": [{**_MALE, "text": wording["men"]}, required]})
        else:
            parts.append({"any": [{**_FEMALE, "text": wording["women"]}, required]})
    rule = parts[0] if len(parts) == 1 else {"all": parts}
    if everyone == {"women"}:
        return ChildbearingReading(rule, APPLIES_TO_CHILDBEARING_WOMEN)
    if everyone == {"men"}:
        return ChildbearingReading(rule, _MALE)
    return ChildbearingReading(rule, {"any": [APPLIES_TO_CHILDBEARING_WOMEN, _MALE]})


_WOMEN_WORD = re.compile(
    r"(?<![\w-])(?:females?|women|woman|girls?|mothers?)(?![\w-])", re.IGNORECASE
)
_MEN_WORD = re.compile(
    r"(?<![\w-])(?:males?|men|man|boys?|partners?|fathers?|sperm)(?![\w-])", re.IGNORECASE
)
_PLANS = re.compile(
    r"(?<![\w-])(?:plan(?:s|ning|ned)?|intend(?:s|ing)?|wish(?:es|ing)?|want(?:s|ing)?)\s+to\s+"
    r"(?:conceive|become\s+pregnant|get\s+pregnant|have\s+(?:a\s+)?(?:pregnancy|baby|child(?:ren)?))"
    r"|(?<![\w-])(?:pregnancy|family)\s+plann(?:ing|ed)(?![\w-])",
    re.IGNORECASE,
)
_PREGNANCY_WORD = re.compile(r"(?<![\w-])(?:pregnant|pregnancy)(?![\w-])", re.IGNORECASE)
PREGNANCY_FACTS = frozenset({"pregnant", "lactating", "pregnancy_test_positive"})


def names_women_only(text: str) -> bool:
    """The wording speaks of women ("Females who are pregnant") and of no man or partner."""
    return _WOMEN_WORD.search(text) is not None and _MEN_WORD.search(text) is None


def is_womans_plan(text: str) -> bool:
    """ "women planning to conceive", "who plan to have a pregnancy": a plan only a woman has.

    "conceive" said of unnamed patients could be a man's plan, so the wording must name women
    or speak of pregnancy, and must name no man or partner.
    """
    if _PLANS.search(text) is None or _MEN_WORD.search(text) is not None:
        return False
    return _WOMEN_WORD.search(text) is not None or _PREGNANCY_WORD.search(text) is not None


def scoped_to_women(rule: Rule, wording: str) -> Rule:
    """Pregnancy leaves of an exclusion part said of women, with "sex is female" beside them.

    "Females who are pregnant or breastfeeding or who plan ...": any(all(sex female,
    any(pregnant, lactating)), review). Used when the criterion also concerns men (a partner's
    plans), so the whole criterion cannot be made not-applicable to men.
    """
    women_word = _WOMEN_WORD.search(wording)
    female: Rule = {**_FEMALE, "text": women_word.group(0) if women_word else ""}
    if rule.get("fact") in PREGNANCY_FACTS:
        return {"all": [female, rule]}
    children = rule.get("any")
    if not isinstance(children, list):
        return rule
    pregnancy = [c for c in children if c.get("fact") in PREGNANCY_FACTS]
    if not pregnancy:
        return rule
    others = [c for c in children if c.get("fact") not in PREGNANCY_FACTS]
    women: Rule = {"all": [female, pregnancy[0] if len(pregnancy) == 1 else {"any": pregnancy}]}
    return women if not others else {"any": [women, *others]}


__all__ = [
    "APPLIES_TO_CHILDBEARING_WOMEN",
    "PREGNANCY_FACTS",
    "ChildbearingReading",
    "is_womans_plan",
    "names_women_only",
    "read_childbearing",
    "read_childbearing_branches",
    "scoped_to_women",
]
