"""Treatment-history requirements: drug lists, "any one or more of the following", durations."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from engine.parser.quantities import COUNT, number
from engine.vocabulary import CLASSES, find_drug, normalise_term

Rule = dict[str, Any]

# Plural and everyday names of treatment classes that registry texts write for a whole class.
# Class ids come from engine/vocabulary.py; only the wording lives here.
_CLASS_WORDS: tuple[tuple[str, str], ...] = (
    ("glucocorticoid", "glucocorticoid"),
    ("corticosteroid", "glucocorticoid"),
    ("steroid", "glucocorticoid"),
    ("antimalarial", "antimalarial"),
    ("antimalarial drug", "antimalarial"),
    ("antimalarial agent", "antimalarial"),
    ("biologic", "biologic"),
    ("biological", "biologic"),
    ("biologic agent", "biologic"),
    ("biological agent", "biologic"),
    ("biologic drug", "biologic"),
    ("biological drug", "biologic"),
    ("biologic dmard", "biologic"),
    ("immunosuppressant", "immunosuppressant"),
    ("immunosuppressive agent", "immunosuppressant"),
    ("immunosuppressive drug", "immunosuppressant"),
    ("calcineurin inhibitor", "calcineurin_inhibitor"),
    ("jak inhibitor", "jak_inhibitor"),
    ("tnf inhibitor", "tnf_inhibitor"),
    ("csdmard", "csdmard"),
)

_WORDS_FOR = (
    r"(?:drugs?|medications?|medicines?|agents?|therap(?:y|ies)|treatments?|"
    r"immunomodulators?|immunosuppressants?)"
)
_DURATION = re.compile(
    r"^\s*(?:for\s+)?(?:(?:more\s+than|at\s+least|over|≥|>=|>)\s*)"
    rf"(?P<wnum>{COUNT})\s*(?P<wunit>months?|weeks?|years?)\s*$",
    re.IGNORECASE,
)
# "(and) any one or more of the following immunomodulatory drugs [for more than 6 months]:"
_LIST_LEAD = re.compile(
    r"^(?P<head>.*?)\s*,?\s*(?:as\s+well\s+as|and)\s+(?P<count>any(?:\s+one)?(?:\s+or\s+more)?|"
    r"one\s+or\s+more|at\s+least\s+one)\s+of\s+the\s+following\s+(?:[\w-]+\s+){0,2}?"
    + _WORDS_FOR
    + r"(?P<duration>\s+for\s+[^:]{1,40}?)?\s*:\s*(?P<items>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_ITEM_SEPARATOR = re.compile(
    r"\s*,\s*(?:and\s+|as\s+well\s+as\s+|or\s+)?|\s+(?:and|as\s+well\s+as)\s+", re.IGNORECASE
)
_ETC = re.compile(r"\s*,?\s*(?:etc\.?|and\s+so\s+on)\s*\)?\s*$", re.IGNORECASE)
# Parenthetical doses and other qualifiers beside a base drug: kept as review wording.
_PARENTHESIS = re.compile(r"\s*\(([^()]{1,80})\)")
_HEAD_DURATION = re.compile(
    r"\s+for\s+(?:more\s+than|at\s+least|over|≥|>=|>)\s*"
    rf"(?P<wnum>{COUNT})\s*(?P<wunit>months?|weeks?|years?)\s*$",
    re.IGNORECASE,
)
_HEAD_LEAD = re.compile(
    r"^\s*(?:(?:the\s+)?(?:use|treatment|therapy)\s+(?:of|with)\s+)?", re.IGNORECASE
)
_NEGATION_OR_HEDGE = re.compile(
    r"(?<![\w-])(?:no|not|never|without|except|excluding|unless|other\s+than|may|might|could|"
    r"can|considered|optional|prohibited|forbidden|contraindicat\w*|intoleran\w*|allerg\w*|"
    r"no\s+more\s+than|only)(?![\w-])",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _class_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for words, class_id in _CLASS_WORDS:
        if class_id not in CLASSES:
            continue
        key = normalise_term(words)
        index[key] = class_id
        index[key + "s"] = class_id
    return index


def treatment_id(name: str) -> str | None:
    """The drug or class id a list item names ("MMF", "antimalarials", "biologics"), or None."""
    cleaned = name.strip(" .,;:")
    if not cleaned:
        return None
    drug = find_drug(cleaned)
    if drug is not None:
        return drug.id
    return _class_index().get(normalise_term(cleaned))


def _duration(text: str | None) -> dict[str, int] | bool | None:
    """The window of "for more than 6 months"; None when absent; False when not understood."""
    if text is None or not text.strip():
        return None
    match = _DURATION.match(text)
    if match is None:
        return False
    unit = match.group("wunit").casefold().rstrip("s") + "s"
    return {unit: int(number(match.group("wnum")))}


def _leaf(treatment: str, duration: dict[str, int] | None, text: str) -> Rule:
    if duration is None:
        return {"fact": f"treatment.{treatment}", "op": "ever", "text": text}
    return {
        "fact": f"treatment.{treatment}",
        "op": "duration_at_least",
        "window": dict(duration),
        "text": text,
    }


def _list_items(text: str) -> list[str] | None:
    """Names of a listed choice; a class with examples counts once, as the class."""
    body = _ETC.sub("", text.strip().rstrip("."))
    # Examples after a class name are one item: cut the list where a class's examples start.
    items: list[str] = []
    examples = re.search(r"(?<![\w-])(?:including|such\s+as)(?![\w-])", body, re.IGNORECASE)
    tail = ""
    if examples is not None:
        tail = body[examples.start() :]
        body = body[: examples.start()]
    for piece in _ITEM_SEPARATOR.split(body):
        if piece.strip():
            items.append(piece.strip())
    if not items:
        return None
    if tail:
        # Only the last item may carry examples ("..., and biologics including X, Y, etc."),
        # and it must name a class: the examples only illustrate the class the rule names.
        last = items[-1]
        if find_drug(last) is not None or _class_index().get(normalise_term(last)) is None:
            return None
    return items


def _base(text: str) -> tuple[list[Rule], str] | None:
    """The required drugs before the listed choice: "glucocorticoids and cyclophosphamide"."""
    reviews: list[Rule] = []
    for match in _PARENTHESIS.finditer(text):
        reviews.append({"review": match.group(1).strip()})
    plain = _PARENTHESIS.sub(" ", text)
    plain = _HEAD_LEAD.sub("", plain).strip(" ,")
    duration: dict[str, int] | None = None
    found = _HEAD_DURATION.search(plain)
    if found is not None:
        duration = {
            found.group("wunit").casefold().rstrip("s") + "s": int(number(found.group("wnum")))
        }
        plain = plain[: found.start()]
    has_and = re.search(r"(?<![\w-])and(?![\w-])|,", plain, re.IGNORECASE) is not None
    has_or = re.search(r"(?<![\w-])or(?![\w-])", plain, re.IGNORECASE) is not None
    if has_and and has_or:
        return None
    names = [
        p for p in re.split(r"\s*,\s*|\s+(?:and|or)\s+", plain, flags=re.IGNORECASE) if p.strip()
    ]
    leaves: list[Rule] = []
    for name in names:
        treatment = treatment_id(name)
        if treatment is None:
            return None
        leaves.append(_leaf(treatment, duration, name.strip()))
    if not leaves:
        return None
    if has_or and len(leaves) > 1:
        return [{"any": leaves}, *reviews], "any"
    return [*leaves, *reviews], "all"


def read_treatment_definition(text: str, duration_hint: dict[str, int] | None) -> Rule | None:
    """ "glucocorticoids and cyclophosphamide, and any one or more of the following drugs: A, B".

    The required drugs (``all``, or ``any`` when joined by "or") and one of the listed drugs or
    classes (``any``). A duration written beside the required drugs or after the list lead
    applies there; ``duration_hint`` (from "conventional treatment over 6 months" in the
    sentence this one defines) applies to the required drugs when they carry none. Dose
    remarks in brackets become review parts. Anything else — negations, hedges, an unknown
    drug — gives None.
    """
    if _NEGATION_OR_HEDGE.search(text):
        return None
    match = _LIST_LEAD.match(text.strip())
    if match is None:
        return read_any_definition(text)
    list_duration = _duration(match.group("duration"))
    if isinstance(list_duration, bool):
        return None
    items = _list_items(match.group("items"))
    if items is None or len(items) < 2:
        return None
    listed: list[Rule] = []
    for item in items:
        treatment = treatment_id(item)
        if treatment is None:
            return None
        listed.append(_leaf(treatment, list_duration, item))
    base = _base(match.group("head"))
    if base is None:
        return None
    parts, _ = base
    if duration_hint is not None:
        parts = [_with_duration(part, duration_hint) for part in parts]
    choice: Rule = {"any": listed, "text": match.group("items").strip()}
    return {"all": [*parts, choice]}


# "(stable) use of any of the following (alone or in combination): A, B, and other X or Y
# agents, including …": a choice with no required drug.
_ANY_LEAD = re.compile(
    r"^\s*(?:the\s+)?(?:stable\s+)?(?:use|treatment|therapy)\s+(?:of|with)\s+"
    r"(?:any(?:\s+one)?(?:\s+or\s+more)?|one\s+or\s+more|at\s+least\s+one)\s+of\s+the\s+"
    r"following(?:\s+[\w-]+){0,2}?\s*(?:\(\s*alone\s+or\s+in\s+combination\s*\))?\s*:\s*"
    r"(?P<items>.+)$",
    re.IGNORECASE | re.DOTALL,
)
# "other immunosuppressive or biologic agents": two classes sharing a noun.
_SHARED_NOUN = re.compile(
    r"^(?:other\s+)?(?P<a>[\w-]+)\s+or\s+(?P<b>[\w-]+)\s+"
    r"(?P<noun>agents?|drugs?|medications?|therap(?:y|ies))$",
    re.IGNORECASE,
)
_EXAMPLES_AT = re.compile(r"\s*,?\s*(?<![\w-])(?:including|such\s+as)(?![\w-])\s*", re.IGNORECASE)


def read_any_definition(text: str) -> Rule | None:
    """ "stable use of any of the following (alone or in combination): corticosteroids, NSAIDs,
    and other immunosuppressive or biologic agents, including azathioprine, …".

    Every item is an alternative, so the known ones are read (a class with examples is the
    class) and the names the vocabulary does not know (NSAIDs, an unknown example) become one
    review alternative beside them: known treatment → satisfied; none of them → review, never
    "not met" on the strength of an unread name.
    """
    if _NEGATION_OR_HEDGE.search(text):
        return None
    match = _ANY_LEAD.match(text.strip())
    if match is None:
        return None
    body = _ETC.sub("", match.group("items").strip().rstrip("."))
    examples = ""
    cut = _EXAMPLES_AT.search(body)
    if cut is not None:
        examples = body[cut.end() :]
        body = body[: cut.start()]
    names = [p.strip() for p in _ITEM_SEPARATOR.split(body) if p.strip()]
    known: list[Rule] = []
    unknown: list[str] = []
    for name in names:
        shared = _SHARED_NOUN.match(name)
        parts = [name]
        if shared is not None:
            noun = shared.group("noun")
            parts = [f"{shared.group('a')} {noun}", f"{shared.group('b')} {noun}"]
        for part in parts:
            plain = _PARENTHESIS.sub("", part).strip()
            treatment = treatment_id(plain) or treatment_id(re.sub(r"^other\s+", "", plain))
            if treatment is None:
                unknown.append(name)
            else:
                # The leaf text is the item as written ("other immunosuppressive or biologic
                # agents" for both classes it names).
                known.append(_leaf(treatment, None, name))
    if examples:
        last = names[-1] if names else ""
        if not known or known[-1]["text"] != last:
            return None  # examples of something that is not a class just read
        for example in _ITEM_SEPARATOR.split(examples):
            example = example.strip(" .")
            if example and treatment_id(example) is None:
                # An example the vocabulary does not know may lie outside the class.
                unknown.append(example)
    if not known or len(names) < 2:
        return None
    choices: list[Rule] = list(known)
    if unknown:
        choices.append({"review": ", ".join(unknown)})
    return {"any": choices, "text": match.group("items").strip()}


def _with_duration(node: Rule, duration: dict[str, int]) -> Rule:
    """An ``ever`` leaf (or a group of them) turned into ``duration_at_least``."""
    if node.get("op") == "ever":
        return {**node, "op": "duration_at_least", "window": dict(duration)}
    for mode in ("all", "any"):
        children = node.get(mode)
        if isinstance(children, list):
            return {**node, mode: [_with_duration(child, duration) for child in children]}
    return node


__all__ = ["read_any_definition", "read_treatment_definition", "treatment_id"]
