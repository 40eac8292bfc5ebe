"""Counted choices ("at least two of the following five: ...") read into an ``at_least`` node.

A counted choice is read only when every listed item is read whole, without a review part,
and, when the text states how many items follow ("the following five"), the items found are
exactly that many. Otherwise the caller leaves the whole choice for review: counting over a
list with an item that could not be read would decide eligibility on a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.parser.quantities import COMPARATOR, VALUE, comparator, number
from engine.parser.rules import Rule, read_clause

_N = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)"
# "at least two", "two or more", "any two", "≥2", "a minimum of two", then at most three
# words ("abnormalities found") before "of" / "among" / "from".
_COUNTED = re.compile(
    rf"(?<![\w-])(?:at\s+least\s+(?P<a>{_N})|(?P<b>{_N})\s+or\s+more|any\s+(?P<c>{_N})|"
    rf"a\s+minimum\s+of\s+(?P<d>{_N}))(?![\w-])"
    rf"|(?:≥|>=)\s*(?P<e>\d{{1,2}})(?!\s*[\d.,%])",
    re.IGNORECASE,
)
_NOUN_THEN_OF = re.compile(
    r"(?P<noun>(?:\s+(?!of\b|among\b|from\b)[A-Za-z][A-Za-z-]*){0,3}?)\s+(?:of|among|from)(?![\w-])",
    re.IGNORECASE,
)
# After "of": "the following [five] [core measurements ...] (" or ":"; or ":" at once.
_FOLLOWING = re.compile(
    rf"\s+the\s+following(?:\s+(?P<total>{_N}))?(?P<what>(?:\s+[A-Za-z][A-Za-z'’-]*){{0,8}}?)"
    r"\s*(?P<open>[:(]|$)",
    re.IGNORECASE,
)
_COLON = re.compile(r"\s*:")
_WORD_NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# Words that make "at least 6 months of" a duration or a dose, not a counted choice.
_NOT_A_CHOICE = re.compile(
    r"\b(?:days?|weeks?|months?|years?|times?|doses?|cycles?|lines?|courses?|mg|hours?)\b",
    re.IGNORECASE,
)
# What may stand before the choice without being a part of the rule.
_LEAD_FILLER = re.compile(
    r"^(?:(?:the\s+)?(?:presence|evidence)\s+of|(?:patients?|subjects?|participants?)"
    r"(?:\s+(?:must|should))?(?:\s+(?:have|has|with|meeting|fulfilling|meet))?|"
    r"(?:must\s+|should\s+)?(?:have|has|meet|meets|fulfil+s?|satisfy|with|show)|)$",
    re.IGNORECASE,
)
_LEAD_TAIL = re.compile(r"(?:[\s,;:]|\b(?:and|with|plus)\b)+$", re.IGNORECASE)
_ITEM_BREAK = re.compile(r"[;\n]")
_BULLET = re.compile(r"^\s*(?:[*•‣⁃∙◦▪·\-–]|o(?=\s)|\(?[a-z0-9]{1,2}[.)])\s*", re.IGNORECASE)
# Comma separators, not the thousands comma of "1,500".
_COMMA = re.compile(r"\s*,(?!\d{3}\b)\s*(?:(?:and|or)\s+)?", re.IGNORECASE)
_LAST_JOIN = re.compile(r"\s+(?:and/or|or|and)\s+", re.IGNORECASE)
_TRAILING = re.compile(r"[\s.;,]+$")


@dataclass(frozen=True, slots=True)
class Counted:
    """A counted choice read from a criterion.

    Attributes:
        lead: the text before the choice ("Muscle involvement with MMT-8 < 142"), to be read
            by the caller; "" when there is none or it is only a lead-in ("Presence of").
        rule: ``{"at_least": N, "of": [...]}`` (``{"any": [...]}`` when N is one).
    """

    lead: str
    rule: Rule


# ---------------------------------------------------------------------------------------------
# Myositis core-set measures the general clause reader does not name
# ---------------------------------------------------------------------------------------------

# Global assessments on a 0-10 scale. A 10 cm visual analogue scale in cm is the same number;
# in mm it is a tenth. A bare number above 10 is another scale (0-100) and is not read.
_GLOBAL_SCALES: tuple[tuple[str, str], ...] = (
    (
        r"Physician(?:'s|’s)?\s+Global\s+Assessment(?:\s+of\s+disease\s+activity)?"
        r"(?:\s*\(\s*(?:PhGA|MDGA)\s*\))?|PhGA|MDGA",
        "score.phga",
    ),
    (
        r"Patient(?:'s|’s)?\s+Global\s+Assessment(?:\s+of\s+disease\s+activity)?"
        r"(?:\s*\(\s*PtGA\s*\))?|PtGA",
        "score.ptga",
    ),
    (
        r"extra-?muscular\s+(?:disease\s+)?activity(?:\s+(?:score|assessment))?",
        "score.extramuscular",
    ),
)
# Disability indices on their 0-3 scale.
_INDICES: tuple[tuple[str, str], ...] = (
    (
        r"(?:Childhood|Children(?:'s|’s)?)\s+Health\s+Assessment\s+Questionnaire"
        r"(?:\s*\(\s*C-?HAQ\s*\))?|C-?HAQ",
        "score.chaq",
    ),
    (
        r"Health\s+Assessment\s+Questionnaire(?:\s+Disability\s+Index)?"
        r"(?:\s*\(\s*HAQ(?:-DI)?\s*\))?|(?<![\w-])HAQ(?:-DI)?",
        "score.haq",
    ),
)
# "Muscle enzymes" as the curated files read them: CK, aldolase or LDH, as multiples of the ULN
# only (their normal ranges differ, so one absolute value cannot apply to all three).
_ENZYMES = r"(?:serum\s+)?muscle\s+enzymes?(?:\s+levels?)?"
_ENZYME_FACTS = ("lab.ck", "lab.aldolase", "lab.ldh")
_SCORE_WORDS = r"(?:\s+(?:total\s+)?score)?"
_THRESHOLD = COMPARATOR + r"\s*" + VALUE
_VAS_UNIT = re.compile(r"\s*(?P<vas>cm|mm)\b|\s*(?:points?|pts)\b", re.IGNORECASE)


def _score_leaf(fact: str, op: str, value: float, text: str) -> Rule:
    shown = int(value) if value == int(value) else value
    return {"fact": fact, "op": op, "value": shown, "text": text}


def _core_measure(item: str) -> Rule | None:
    """A myositis core-set item ("PhGA ≥2cm", "HAQ total score ≥ 0.25") or None."""
    text = _TRAILING.sub("", item.strip())
    for names, fact, high in (
        *((n, f, 10.0) for n, f in _GLOBAL_SCALES),
        *((n, f, 3.0) for n, f in _INDICES),
    ):
        match = re.fullmatch(
            rf"(?:{names}){_SCORE_WORDS}\s*{_THRESHOLD}(?P<rest>.*)", text, re.IGNORECASE
        )
        if match is None or match.group("uln") or match.group("exp") or match.group("unit"):
            continue
        op = comparator(match.group("cmp"))
        unit = _VAS_UNIT.fullmatch(match.group("rest"))
        if op is None or (match.group("rest").strip() and unit is None):
            return None
        value = number(match.group("num"))
        vas = unit.group("vas").casefold() if unit is not None and unit.group("vas") else None
        if vas is not None and high != 10.0:
            return None  # a disability index is never in cm
        if vas == "mm":
            value /= 10
        if value > high:
            return None
        return _score_leaf(fact, op, value, text)
    match = re.fullmatch(rf"{_ENZYMES}\s*{_THRESHOLD}", text, re.IGNORECASE)
    if match is None or not match.group("uln"):
        return None
    op = comparator(match.group("cmp"))
    if op is None:
        return None
    value = number(match.group("num"))
    shown = int(value) if value == int(value) else value
    leaves: list[Rule] = [
        {"fact": fact, "op": op, "value": shown, "unit": "xULN"} for fact in _ENZYME_FACTS
    ]
    return {"any": leaves, "text": text}


# ---------------------------------------------------------------------------------------------
# The choice and its list
# ---------------------------------------------------------------------------------------------


def _count(match: re.Match[str]) -> int:
    return _count_word(next(match.group(g) for g in "abcde" if match.group(g) is not None))


def _has_review(rule: Rule) -> bool:
    if "review" in rule:
        return True
    children = [rule["not"]] if "not" in rule else []
    for key in ("all", "any", "of"):
        children.extend(rule.get(key) or [])
    return any(_has_review(child) for child in children)


def _closing(text: str, opened: int) -> int | None:
    """The index of the ")" closing the "(" at ``opened``."""
    depth = 0
    for index in range(opened, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    return None


def _top_level(text: str, pattern: re.Pattern[str]) -> list[str]:
    """``text`` cut at the matches of ``pattern`` outside parentheses."""
    pieces: list[str] = []
    cursor = 0
    for match in pattern.finditer(text):
        before = text[: match.start()]
        if before.count("(") == before.count(")") and match.start() > cursor:
            pieces.append(text[cursor : match.start()])
            cursor = match.end()
    pieces.append(text[cursor:])
    return [p for p in (_BULLET.sub("", piece).strip() for piece in pieces) if p.strip(" .;,")]


def _read_item(item: str, kind: str) -> Rule | None:
    text = _TRAILING.sub("", item.strip())
    rule = _core_measure(text)
    if rule is None:
        rule = read_clause(text, kind)
    if rule is None or _has_review(rule):
        return None
    return rule


def _shared_threshold(pieces: list[str], kind: str) -> list[Rule] | None:
    """ "PhGA, PtGA, or extramuscular activity ≥ 2": the last piece's threshold for each bare
    name before it. None unless each earlier piece is unreadable alone and readable with it."""
    threshold = re.search(_THRESHOLD, pieces[-1], re.IGNORECASE)
    if threshold is None:
        return None
    rules: list[Rule] = []
    for piece in pieces[:-1]:
        if re.search(_THRESHOLD, piece, re.IGNORECASE) or _read_item(piece, kind) is not None:
            return None
        rule = _read_item(f"{piece} {pieces[-1][threshold.start() :]}", kind)
        if rule is None:
            return None
        rule["text"] = piece
        rules.append(rule)
    last = _read_item(pieces[-1], kind)
    return None if last is None else [*rules, last]


def _split_group(segment: str) -> list[str]:
    """A comma list "A, B, or C" as its items (the last "or"/"and" joins the last two)."""
    pieces = _top_level(segment, _COMMA)
    if len(pieces) >= 1:
        last = _top_level(pieces[-1], _LAST_JOIN)
        if len(last) == 2:
            pieces = [*pieces[:-1], *last]
    return pieces


def _items(listed: str, total: int | None, kind: str) -> list[Rule] | None:
    """The rules of the listed items, or None when one is unreadable or the count is off."""
    segments = _top_level(listed, _ITEM_BREAK)
    if len(segments) == 1:
        groups = [_split_group(segments[0])]
    else:
        groups = [[segment] for segment in segments]
        if total is not None and len(segments) != total:
            # "A, B, or C ≥ 2; D ≥ 0.25; E": the stated total says the commas list items too.
            groups = [_split_group(segment) for segment in segments]
    rules: list[Rule] = []
    for pieces in groups:
        read = [_read_item(piece, kind) for piece in pieces]
        if all(rule is not None for rule in read):
            rules.extend(rule for rule in read if rule is not None)
            continue
        shared = _shared_threshold(pieces, kind) if len(pieces) >= 2 else None
        if shared is None:
            return None
        rules.extend(shared)
    if len(rules) < 2 or (total is not None and len(rules) != total):
        return None
    return rules


def find_counted(text: str) -> re.Match[str] | None:
    """The first counted-choice phrase in ``text`` ("at least two ... of"), if any."""
    for match in _COUNTED.finditer(text):
        tail = _NOUN_THEN_OF.match(text, match.end())
        if tail is None or _NOT_A_CHOICE.search(tail.group("noun")):
            continue
        return match
    return None


def read_counted(text: str, kind: str) -> Counted | None:
    """The counted choice in ``text`` (from its clause to the end of the criterion), or None.

    None also when ``text`` has a counted choice that cannot be read; the caller then leaves
    it for review.
    """
    match = find_counted(text)
    if match is None:
        return None
    count = _count(match)
    tail = _NOUN_THEN_OF.match(text, match.end())
    assert tail is not None  # find_counted checked it
    cursor = tail.end()
    total: int | None = None
    phrase_end = cursor
    following = _FOLLOWING.match(text, cursor)
    colon = _COLON.match(text, cursor)
    if following is not None:
        if following.group("total"):
            total = _count_word(following.group("total"))
        opener = following.group("open")
        phrase_end = following.start("open")
        cursor = following.end()
        if opener == "(":
            close = _closing(text, cursor - 1)
            if close is None or text[close + 1 :].strip(" .;,\n"):
                return None
            listed = text[cursor:close]
        elif opener == ":":
            listed = text[cursor:]
        else:
            return None
    elif colon is not None:
        listed = text[colon.end() :]
    elif not tail.group("noun").strip():
        listed = text[cursor:]  # "any two of A, B and C"
    else:
        return None
    rules = _items(listed, total, kind)
    if rules is None or count > len(rules):
        return None
    phrase = text[match.start() : phrase_end].strip()
    node: Rule = (
        {"any": rules, "text": phrase}
        if count == 1
        else {"at_least": count, "of": rules, "text": phrase}
    )
    lead = _LEAD_TAIL.sub("", text[: match.start()]).strip()
    if _LEAD_FILLER.match(lead):
        lead = ""
    return Counted(lead, node)


def _count_word(word: str) -> int:
    spelled = word.casefold()
    return _WORD_NUMBERS.index(spelled) + 1 if spelled in _WORD_NUMBERS else int(spelled)


__all__ = ["Counted", "find_counted", "read_counted"]
