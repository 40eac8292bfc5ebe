"""Comparing parsed criteria with hand-made ones: leaf matching, precision, recall, review share.

A parsed leaf matches a reference leaf when, inside criteria aligned by their text, both have
the same fact, operator, polarity (number of enclosing ``not``), value after conversion to the
fact's canonical unit (×ULN multiples compared as multiples), and window or condition set.
Each reference leaf can be matched once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.facts import FactKind, fact_spec
from engine.units import UnitError, to_canonical

_DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0, "months": 30.4375, "years": 365.25}
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_NUMBER_PREFIX = re.compile(r"^\s*(?:\(?\d{1,2}[.)]|[A-Za-z][.)])\s+")
# Criteria align when this share of the shorter text's words occur in the other.
_ALIGN_THRESHOLD = 0.6

LeafKey = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """The figures of one or more comparisons."""

    parsed_leaves: int
    matched_parsed: int
    reference_leaves: int
    matched_reference: int
    criteria: int
    review_criteria: int

    @property
    def precision(self) -> float:
        """Matched parsed leaves over parsed leaves (1.0 when nothing was parsed)."""
        return self.matched_parsed / self.parsed_leaves if self.parsed_leaves else 1.0

    @property
    def recall(self) -> float:
        """Matched reference leaves over reference leaves (1.0 when there are none)."""
        return self.matched_reference / self.reference_leaves if self.reference_leaves else 1.0

    @property
    def review_share(self) -> float:
        """Share of parsed criteria left entirely for review."""
        return self.review_criteria / self.criteria if self.criteria else 0.0

    def __add__(self, other: Comparison) -> Comparison:
        return Comparison(
            self.parsed_leaves + other.parsed_leaves,
            self.matched_parsed + other.matched_parsed,
            self.reference_leaves + other.reference_leaves,
            self.matched_reference + other.matched_reference,
            self.criteria + other.criteria,
            self.review_criteria + other.review_criteria,
        )


EMPTY = Comparison(0, 0, 0, 0, 0, 0)


def leaves(rule: object, negated: bool = False) -> Iterator[tuple[Mapping[str, Any], bool]]:
    """Every fact leaf of a rule with whether an odd number of ``not`` encloses it."""
    if not isinstance(rule, Mapping):
        return
    if "fact" in rule:
        yield rule, negated
    elif "not" in rule:
        yield from leaves(rule["not"], not negated)
    else:
        # "of" holds the children of an "at_least" node: each leaf counts once, like any/all.
        for mode in ("all", "any", "of"):
            for child in rule.get(mode, ()) or ():
                yield from leaves(child, negated)


def _number(fact: str, value: object, unit: object) -> object:
    spec = fact_spec(fact)
    unit_text = unit if isinstance(unit, str) else (spec.unit if spec else "")
    if unit_text == "xULN":
        return ("xULN", value)
    values = value if isinstance(value, list) else [value]
    converted: list[float] = []
    for item in values:
        if not isinstance(item, int | float):
            return ("raw", str(value), unit_text)
        try:
            converted.append(round(to_canonical(fact, float(item), unit_text), 6))
        except UnitError:
            return ("raw", str(value), unit_text)
    return tuple(converted)


def _window(window: object) -> float | None:
    if not isinstance(window, Mapping) or len(window) != 1:
        return None
    ((unit, amount),) = window.items()
    if not isinstance(amount, int | float):
        return None
    return round(float(amount) * _DAYS_PER_UNIT.get(str(unit), 0.0), 1)


def leaf_key(leaf: Mapping[str, Any], negated: bool) -> LeafKey:
    """What must agree for two leaves to count as the same rule."""
    fact = str(leaf.get("fact"))
    op = leaf.get("op")
    spec = fact_spec(fact)
    kind = spec.kind if spec else None
    value: object = None
    if kind is FactKind.NUMBER:
        value = _number(fact, leaf.get("value"), leaf.get("unit"))
    elif kind is FactKind.EVENT:
        value = (_window(leaf.get("window")), leaf.get("value"))
    elif kind in (FactKind.CONDITION, FactKind.ENUM, FactKind.SET):
        raw = leaf.get("value")
        value = frozenset([raw] if isinstance(raw, str) else (raw or []))
    return (fact, op, negated, value)


def _words(text: str) -> list[str]:
    return _TOKEN.findall(_NUMBER_PREFIX.sub("", text).casefold())


def _overlap(left: list[str], right: list[str]) -> float:
    if not left or not right:
        return 0.0
    shorter, longer = (left, right) if len(left) <= len(right) else (right, left)
    pool = Counter(longer)
    common = 0
    for word in shorter:
        if pool[word] > 0:
            pool[word] -= 1
            common += 1
    return common / len(shorter)


def align(parsed: list[Mapping[str, Any]], reference: list[Mapping[str, Any]]) -> list[int | None]:
    """For each parsed criterion, the index of the reference criterion it stands for."""
    reference_words = [_words(str(c.get("text", ""))) for c in reference]
    result: list[int | None] = []
    used: set[int] = set()
    for criterion in parsed:
        words = _words(str(criterion.get("text", "")))
        best: tuple[float, int] | None = None
        for index, other in enumerate(reference):
            if other.get("kind") != criterion.get("kind"):
                continue
            score = _overlap(words, reference_words[index])
            # Prefer the reference of similar length when a short item sits inside a long one.
            score -= abs(len(words) - len(reference_words[index])) / 10000
            # Identical texts in several cohorts: each reference is taken once where possible.
            score -= 1e-6 if index in used else 0.0
            if score >= _ALIGN_THRESHOLD and (best is None or score > best[0]):
                best = (score, index)
        result.append(None if best is None else best[1])
        if best is not None:
            used.add(best[1])
    return result


def compare(parsed: Mapping[str, Any], reference: Mapping[str, Any]) -> Comparison:
    """Precision and recall of ``parsed`` leaves against ``reference`` (same criteria format)."""
    parsed_criteria = list(parsed.get("criteria", []))
    reference_criteria = list(reference.get("criteria", []))
    alignment = align(parsed_criteria, reference_criteria)
    remaining = [
        Counter(leaf_key(leaf, neg) for leaf, neg in leaves(c.get("rule")))
        for c in reference_criteria
    ]
    reference_total = sum(sum(counter.values()) for counter in remaining)
    parsed_total = 0
    matched = 0
    for criterion, target in zip(parsed_criteria, alignment, strict=True):
        for leaf, negated in leaves(criterion.get("rule")):
            parsed_total += 1
            key = leaf_key(leaf, negated)
            if target is not None and remaining[target][key] > 0:
                remaining[target][key] -= 1
                matched += 1
    review = sum(1 for c in parsed_criteria if c.get("rule") is None)
    return Comparison(parsed_total, matched, reference_total, matched, len(parsed_criteria), review)


def unmatched(
    parsed: Mapping[str, Any], reference: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """Descriptions of parsed leaves without a match and reference leaves never matched."""
    parsed_criteria = list(parsed.get("criteria", []))
    reference_criteria = list(reference.get("criteria", []))
    alignment = align(parsed_criteria, reference_criteria)
    remaining = [
        Counter(leaf_key(leaf, neg) for leaf, neg in leaves(c.get("rule")))
        for c in reference_criteria
    ]
    extra: list[str] = []
    for criterion, target in zip(parsed_criteria, alignment, strict=True):
        for leaf, negated in leaves(criterion.get("rule")):
            key = leaf_key(leaf, negated)
            if target is not None and remaining[target][key] > 0:
                remaining[target][key] -= 1
            else:
                where = reference_criteria[target]["id"] if target is not None else "-"
                extra.append(f"{criterion.get('id')}→{where}: {key}")
    missed = [
        f"{reference_criteria[i].get('id')}: {key}"
        for i, counter in enumerate(remaining)
        for key, count in counter.items()
        for _ in range(count)
    ]
    return extra, missed
