"""Criteria stating their own structure: numbered sub-conditions, "one of", named-drug counts.

Each reader returns a rule only when the wording of the structure is understood exactly; the
items inside it are read by the caller's reader and become review parts when unreadable, so
Kleene logic keeps the result safe: an ``any`` whose readable members are false but which has a
review member is REVIEW, never FALSE, and an ``at_least`` counts its review members as possible.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from engine.parser.rules import Rule
from engine.vocabulary import find_drug

# Reads one item's text into a rule, or None when nothing of it is understood.
ItemReader = Callable[[str], Rule | None]

_WORD_COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_LABEL = r"\(?(?:\d{1,2}|[A-H])\)?"
_DASH = r"\s*(?:-|–|—|to)\s*"
# "meet (1) and any one of (2)-(5)", "meeting criterion (1) and at least one of (2)-(4)",
# "meet criteria 1 and 2, and either 3 or 4", "must fulfil A and at least one of B–D".
_STRUCTURE = re.compile(
    r"(?P<prefix>.*?)(?<![\w-])(?:must\s+|should\s+)?"
    r"(?:meet(?:s|ing)?|fulfil(?:l|ls|s|ling)?|satisf(?:y|ies|ying))\s+(?:the\s+)?"
    r"(?:criteri(?:on|a)\s+)?(?P<required>"
    + _LABEL
    + r"(?:\s*(?:,|and)\s*"
    + _LABEL
    + r")*)\s*,?\s+and\s+(?P<choice>any\s+one\s+of|one\s+of|either|"
    r"at\s+least\s+(?:one|two|three|\d)\s+of)\s+(?:criteri(?:on|a)\s+)?(?P<options>"
    + _LABEL
    + _DASH
    + _LABEL
    + r"|"
    + _LABEL
    + r"(?:\s*(?:,|or)\s*"
    + _LABEL
    + r")+)"
    r"(?:\s+(?:below|of\s+the\s+following|as\s+follows))?\s*:\s*(?P<items>.+)$",
    re.IGNORECASE | re.DOTALL,
)
# Words in the lead before the structure that would change what it means.
_UNSAFE_PREFIX = re.compile(
    r"(?<![\w-])(?:not|no|never|unless|if|except|without|or|neither|nor|fail(?:s|ed)?\s+to)(?![\w-])",
    re.IGNORECASE,
)
# An item label at the start, after ":" / ";" / a line break, or in brackets anywhere:
# "(1) ...; (2) ...", "1) ...", "A. ...".
_ITEM_LABEL = re.compile(
    r"(?:(?<=^)|(?<=[:;\n])|(?<=[:;]\s)|(?<=\n\s))\s*(?:\((?P<a>\d{1,2}|[A-H])\)|(?P<b>\d{1,2}|[A-H])[.)])\s+"
    r"|(?<=\s)\((?P<c>\d{1,2})\)\s+",
)


def _label_value(label: str) -> int:
    bare = label.strip("() ")
    return int(bare) if bare.isdigit() else ord(bare.upper()) - ord("A") + 1


def _labels(text: str) -> list[int]:
    return [_label_value(m.group(0)) for m in re.finditer(r"\(?(?:\d{1,2}|[A-H])\)?", text)]


def _options(text: str) -> list[int] | None:
    """ "(2)-(5)" → [2, 3, 4, 5]; "3 or 4" → [3, 4]."""
    bounds = re.fullmatch(r"(" + _LABEL + ")" + _DASH + "(" + _LABEL + ")", text.strip())
    if bounds is not None:
        low, high = _label_value(bounds.group(1)), _label_value(bounds.group(2))
        return list(range(low, high + 1)) if high > low else None
    return _labels(text)


def _choice_count(choice: str) -> int:
    words = choice.casefold().split()
    if words[0] == "at":
        word = words[2]
        return _WORD_COUNTS[word] if word in _WORD_COUNTS else int(word)
    return 1


def _trimmed(text: str) -> str:
    return text.strip().rstrip(";；.,").strip()


def _numbered_items(text: str) -> list[tuple[int, str]] | None:
    """The labelled items of ``text`` (which must open with a label), in order."""
    found = [m for m in _ITEM_LABEL.finditer(text) if _depth(text, m.start()) == 0]
    if not found or text[: found[0].start()].strip():
        return None
    items: list[tuple[int, str]] = []
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(text)
        label = match.group("a") or match.group("b") or match.group("c")
        body = _trimmed(text[match.end() : end])
        if not body or "\n" in body:
            # A line without its own label after the items (a further bullet of the
            # criterion) is not part of the last item.
            return None
        items.append((_label_value(label), body))
    return items


def _depth(text: str, index: int) -> int:
    """Bracket depth at ``index``; a lone ")" (the label "A) ") does not go below zero."""
    depth = 0
    for char in text[:index]:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
    return depth


def _item_rule(text: str, read_item: ItemReader) -> Rule:
    rule = read_item(text)
    return rule if rule is not None else {"review": text}


def read_numbered_structure(text: str, read_item: ItemReader) -> Rule | None:
    """ "Meet (1) and any one of (2)-(5): (1) ...; (2) ...": all(1, any(2..5)).

    None unless the labels the lead names are exactly the labels of the items found, in order
    and without gaps, and nothing in the lead before "meet" negates or conditions it.
    """
    match = _STRUCTURE.match(text.strip())
    if match is None or _UNSAFE_PREFIX.search(match.group("prefix")):
        return None
    if re.search(r"[:\n]", match.group("prefix")):
        return None  # the structure is one sub-item of a longer criterion
    lead = _lead(match.group("prefix"), read_item)
    if lead is False:
        return None
    required = _labels(match.group("required"))
    options = _options(match.group("options"))
    items = _numbered_items(match.group("items"))
    if not required or not options or items is None:
        return None
    named = required + options
    labels = [label for label, _ in items]
    if labels != sorted(named) or labels != list(range(labels[0], labels[0] + len(labels))):
        return None
    count = _choice_count(match.group("choice"))
    if len(options) < 2 or count > len(options):
        return None
    by_label = {label: _item_rule(body, read_item) for label, body in items}
    chosen = [by_label[label] for label in options]
    choice: Rule = {"any": chosen} if count == 1 else {"at_least": count, "of": chosen}
    choice["text"] = f"{match.group('choice').strip()} {match.group('options').strip()}"
    parts = [*(by_label[label] for label in required), choice]
    return {"all": [lead, *parts] if lead is not None else parts}


_CONJOINED = re.compile(r"(?:[\s,]|\b(?:and|with|plus|as\s+well\s+as)\b)+$", re.IGNORECASE)
_CONJUNCTION_END = re.compile(r"\b(?:and|with|plus|as\s+well\s+as)[\s,]*$", re.IGNORECASE)
_HEADING_WORDS = 8


def _lead(prefix: str, read_item: ItemReader) -> Rule | bool | None:
    """What the words before "meet" require: a rule, None (a heading), or False (unread).

    "Age ≥ 18 years and meet (1) ..." requires the age beside the structure; "Refractory
    disease and meet (1) ..." a review part; a short heading ("The classification criteria of
    RJDM must", "Active disease,") nothing. A longer unread lead leaves the criterion as it was.
    """
    words = _CONJOINED.sub("", prefix).strip()
    if not words:
        return None
    rule = read_item(words)
    if rule is not None:
        return rule
    if _CONJUNCTION_END.search(prefix):
        return {"review": words}
    return None if len(words.split()) <= _HEADING_WORDS else False


# "Fulfillment of one of the following conditions: A; B; C", "One of the following: A; B".
_ONE_OF = re.compile(
    r"^(?:(?:the\s+)?fulfil+ment\s+of\s+|(?:patients?\s+)?(?:must\s+|should\s+)?"
    r"(?:meet|fulfil+|satisfy|have)\s+(?:at\s+least\s+)?)?(?:any\s+)?one\s+of\s+the\s+following"
    r"(?:\s+(?:conditions|criteria|items))?\s*:\s*(?P<items>.+)$",
    re.IGNORECASE | re.DOTALL,
)
# "Either A or B" as the whole criterion.
_EITHER = re.compile(r"^either\s+(?P<items>.+)$", re.IGNORECASE | re.DOTALL)
_OR = re.compile(r"\s+or\s+", re.IGNORECASE)
_LEADING_AND = re.compile(r"^and\s+", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[*•‣⁃∙◦▪·\-–]|o(?=\s))\s*")
# A sentence after the list that defines a term ("Standard treatment regimen is defined as
# ..."): it belongs to the item naming the term, never a further alternative.
_DEFINES = re.compile(
    r"^(?P<term>[A-Za-z][\w\s-]{2,60}?)\s+(?:is|are)\s+defined\s+as\b|"
    r"^(?:the\s+)?definition\s+of\s+(?P<term2>[\w\s-]{3,60}?)\s*:",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.。])\s+(?=[A-Z])")


def _top_level_split(text: str, separators: str) -> list[str]:
    pieces: list[str] = []
    depth = 0
    cursor = 0
    for index, char in enumerate(text):
        if char in "(（[":
            depth += 1
        elif char in ")）]":
            depth = max(0, depth - 1)
        elif depth == 0 and char in separators:
            pieces.append(text[cursor:index])
            cursor = index + 1
    pieces.append(text[cursor:])
    return pieces


def _with_definitions(items: list[str]) -> tuple[list[str], set[int]] | None:
    """Items with trailing definition sentences moved into the one item naming each term.

    Also returns the indices of the items that received a definition. None when the last item
    holds a further sentence that is not a definition (it may be a requirement of its own, not
    part of the last alternative) or when a defined term is named by no item or by several.
    """
    last_sentences = _SENTENCE_END.split(items[-1])
    definitions: list[str] = []
    while len(last_sentences) > 1 and _DEFINES.match(last_sentences[-1]):
        definitions.insert(0, last_sentences.pop())
    if len(last_sentences) > 1:
        return None
    items = [*items[:-1], _trimmed(last_sentences[0])]
    defined: set[int] = set()
    for definition in definitions:
        found = _DEFINES.match(definition)
        assert found is not None
        term = (found.group("term") or found.group("term2")).strip().casefold()
        referring = [i for i, item in enumerate(items) if term in item.casefold()]
        if len(referring) != 1:
            return None
        index = referring[0]
        items[index] = f"{_trimmed(items[index])}. {definition.strip()}"
        defined.add(index)
    return items, defined


def read_one_of(text: str, read_item: ItemReader) -> Rule | None:
    """ "One of the following: A; B; C" / "Either A or B" as any(A, B, C).

    Items are cut at ";" and line breaks ("either": at its one "or"). A last item opened by
    "and" ("...; B; and C") may instead be a condition required beside the choice: then the
    rule is TRUE only when both readings hold, FALSE only when neither does, else REVIEW.
    A definition sentence after the list goes with the item naming the defined term (that item
    is then one review part), never becomes an alternative of its own.
    """
    stripped = text.strip()
    one_of = _ONE_OF.match(stripped)
    if one_of is not None:
        pieces = _top_level_split(one_of.group("items"), ";；\n")
        items = [_trimmed(_BULLET.sub("", piece)) for piece in pieces]
        items = [item for item in items if item]
    else:
        either = _EITHER.match(stripped)
        if either is None:
            return None
        body = either.group("items")
        cuts = [m for m in _OR.finditer(body) if _depth(body, m.start()) == 0]
        commas = [i for i, char in enumerate(body) if char == "," and _depth(body, i) == 0]
        if len(cuts) != 1 or commas or re.search(r"[;；\n]", body):
            # "Either A, B or C": the comma part's combination is not stated.
            return None
        items = [_trimmed(body[: cuts[0].start()]), _trimmed(body[cuts[0].end() :])]
    if len(items) < 2 or not all(items):
        return None
    with_definitions = _with_definitions(items)
    if with_definitions is None:
        return None
    items, defined = with_definitions
    last_joined = one_of is not None and _LEADING_AND.match(items[-1]) is not None
    # An item with a definition is left whole for review: the defined term is a premise of the
    # item ("... at 3 months after use of a standard treatment regimen"), not a requirement
    # the reader can separate from it.
    rules = [
        {"review": item} if index in defined else _item_rule(_LEADING_AND.sub("", item), read_item)
        for index, item in enumerate(items)
    ]
    if not last_joined:
        return {"any": rules}
    others = rules[0] if len(rules) == 2 else {"any": rules[:-1]}
    note = {
        "review": "Whether the last condition (after 'and') is required beside one of the "
        "others, or is one of the alternatives."
    }
    return {"at_least": 2, "of": [others, rules[-1], note]}


_N = r"(?:\d|one|two|three|four|five)"
# "at least 2 of the following treatments (A, B, C)", "... of the following csDMARDs: A, B".
_NAMED_COUNT = re.compile(
    rf"(?P<lead>.*?)(?<![\w-])(?P<phrase>at\s+least\s+(?P<n>{_N})\s+of\s+the\s+following)"
    r"(?:\s+(?P<noun>[A-Za-z-]+))?\s*(?:\((?P<bracket>[^()]+)\)\s*[.;,]?\s*$|:\s*(?P<colon>[^:;()]+?)\s*[.;]?\s*$)",
    re.IGNORECASE | re.DOTALL,
)
_NOUNS = frozenset(
    {
        "treatments",
        "drugs",
        "medications",
        "medicines",
        "agents",
        "therapies",
        "dmards",
        "csdmards",
        "bdmards",
        "biologics",
        "immunosuppressants",
    }
)
_NAME_SEPARATOR = re.compile(r"\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+", re.IGNORECASE)
_BARE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,30}")


def read_named_count(text: str, read_lead: ItemReader) -> Rule | None:
    """ "Hydroxychloroquine and at least 2 of the following treatments (cyclophosphamide, MMF,
    ...)" → all(lead, at_least 2 of [treatment.<drug> ever, ...]).

    Every item must be a bare name; a name the vocabulary does not know ("Beliumab") becomes a
    review member, so the count is decided only when the known names decide it. None when an
    item is not a bare name, fewer than two names are known, or the noun is not a drug word.
    """
    match = _NAMED_COUNT.match(text.strip())
    if match is None:
        return None
    noun = (match.group("noun") or "treatments").casefold()
    if noun not in _NOUNS:
        return None
    listed = match.group("bracket") or match.group("colon") or ""
    names = [name.strip() for name in _NAME_SEPARATOR.split(listed.strip()) if name.strip()]
    members: list[Rule] = []
    known: set[str] = set()
    for name in names:
        if not _BARE_NAME.fullmatch(name):
            return None
        drug = find_drug(name)
        if drug is None:
            members.append({"review": name})
            continue
        if drug.id in known:
            return None  # a name twice (a synonym repeated): the count would be off
        known.add(drug.id)
        members.append({"fact": f"treatment.{drug.id}", "op": "ever", "text": name})
    n_word = match.group("n").casefold()
    count = _WORD_COUNTS[n_word] if n_word in _WORD_COUNTS else int(n_word)
    if len(known) < 2 or not 1 <= count <= len(members) or len(members) < 2:
        return None
    choice: Rule = {"any": members} if count == 1 else {"at_least": count, "of": members}
    choice["text"] = text.strip()[match.start("phrase") :].strip()
    lead = re.sub(r"(?:[\s,;:]|\b(?:and|with|plus)\b)+$", "", match.group("lead"), flags=re.I)
    if not lead.strip():
        return choice
    lead_rule = read_lead(lead.strip())
    return {"all": [lead_rule if lead_rule is not None else {"review": lead.strip()}, choice]}


__all__ = ["ItemReader", "read_named_count", "read_numbered_structure", "read_one_of"]
