"""Criteria-text parser: a registry eligibility text → an automatic, unverified criteria file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.parser._text import working_text
from engine.parser.criterion import read_criterion
from engine.parser.split import INCLUSION, split_criteria
from engine.vocabulary import CONDITIONS

CRITERIA_FORMAT = "trialmatch-criteria/1"


@dataclass(frozen=True, slots=True)
class ParseStatistics:
    """How much of a text the parser could turn into rules.

    Attributes:
        criteria: criteria found.
        computable: criteria whose rule has no review part.
        mixed: criteria with computable and review parts.
        review: criteria left entirely to the study team (rule null).
        leaves: fact leaves over all rules.
        review_parts: review leaves inside rules (not counting whole review criteria).
        cohorts: cohorts found.
        groups: "either criterion 4 or 5" groups found.
    """

    criteria: int
    computable: int
    mixed: int
    review: int
    leaves: int
    review_parts: int
    cohorts: int
    groups: int

    @property
    def review_share(self) -> float:
        """Share of criteria left entirely for review (0 when there are no criteria)."""
        return self.review / self.criteria if self.criteria else 0.0


@dataclass(frozen=True, slots=True)
class LeafSpan:
    """Where a rule leaf's wording sits in the input (the file format has no leaf spans).

    Attributes:
        criterion_id: the criterion the leaf belongs to.
        text: the leaf's ``text`` (verbatim, escapes undone).
        span: ``(start, end)`` offsets into the input as passed, escapes included.
    """

    criterion_id: str
    text: str
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The criteria file dict, the statistics of one parse and the leaves' input spans."""

    criteria: dict[str, Any]
    statistics: ParseStatistics
    leaf_spans: tuple[LeafSpan, ...] = ()


def _leaf_texts(rule: object) -> list[str]:
    """The ``text`` of every fact and review leaf, in reading order."""
    if not isinstance(rule, dict):
        return []
    if "fact" in rule:
        return [rule["text"]] if isinstance(rule.get("text"), str) else []
    if "review" in rule:
        return [rule["review"]] if isinstance(rule["review"], str) else []
    if "not" in rule:
        return _leaf_texts(rule["not"])
    texts: list[str] = []
    for mode in ("all", "any", "of"):  # "of": the children of an "at_least" node
        for child in rule.get(mode, ()):
            texts.extend(_leaf_texts(child))
    return texts


def parse_criteria(trial_id: str, text: str) -> ParseResult:
    """Parse an eligibility text into the criteria file format with its statistics.

    Never raises on any string. Every criterion is ``verified: false``; its ``span`` gives
    ``[start, end]`` offsets into ``text`` as passed (escapes included) and its ``text`` the
    same slice with the registry's escapes turned into their characters.
    """
    work = working_text(text)
    split = split_criteria(work.text)
    cohorts = [
        {"id": c.id, "label": c.label, "text": work.text[c.start : c.end]} for c in split.cohorts
    ]
    groups = [
        {"id": g.id, "mode": g.mode, "text": work.text[g.start : g.end]} for g in split.groups
    ]
    criteria: list[dict[str, Any]] = []
    used_ids: set[str] = set()
    counts = {"computable": 0, "mixed": 0, "review": 0, "leaves": 0, "review_parts": 0}
    leaf_spans: list[LeafSpan] = []
    for sequence, raw in enumerate(split.criteria, start=1):
        criterion_text = work.text[raw.start : raw.end]
        # A cohort whose heading names a condition: its status definitions read as that
        # diagnosis's status.
        condition = raw.cohort if raw.cohort in CONDITIONS else None
        reading = read_criterion(
            criterion_text, raw.kind, section_known=raw.section_known, condition=condition
        )
        prefix = "inc" if raw.kind == INCLUSION else "exc"
        stem = f"{prefix}-{raw.cohort}" if raw.cohort else prefix
        identifier = f"{stem}-{raw.label or sequence}"
        while identifier in used_ids:
            identifier = f"{stem}-{raw.label or 'item'}-{sequence}"
            sequence += 1000
        used_ids.add(identifier)
        start, end = work.span(raw.start, raw.end)
        criteria.append(
            {
                "id": identifier,
                "kind": raw.kind,
                "cohort": raw.cohort,
                "group": raw.group,
                "text": criterion_text,
                "rule": reading.rule,
                "verified": False,
                "span": [start, end],
            }
        )
        if reading.applies_if is not None:
            criteria[-1]["applies_if"] = reading.applies_if
        cursor = 0
        for leaf_text in _leaf_texts(reading.rule):
            found = criterion_text.find(leaf_text, cursor)
            if found < 0:
                found = criterion_text.find(leaf_text)
            if found >= 0:
                cursor = found
                leaf_start = raw.start + found
                leaf_spans.append(
                    LeafSpan(
                        identifier, leaf_text, work.span(leaf_start, leaf_start + len(leaf_text))
                    )
                )
        counts["leaves"] += reading.computable_parts
        if reading.rule is None:
            counts["review"] += 1
        elif reading.review_parts:
            counts["mixed"] += 1
            counts["review_parts"] += reading.review_parts
        else:
            counts["computable"] += 1
    document = {
        "format": CRITERIA_FORMAT,
        "trial_id": trial_id,
        "source": "automatic",
        "cohorts": cohorts,
        "groups": groups,
        "criteria": criteria,
    }
    statistics = ParseStatistics(
        criteria=len(criteria),
        cohorts=len(cohorts),
        groups=len(groups),
        **counts,
    )
    return ParseResult(document, statistics, tuple(leaf_spans))


def parse_criteria_text(trial_id: str, text: str) -> dict[str, Any]:
    """The criteria file dict (``trialmatch-criteria/1``, ``source: automatic``) for ``text``."""
    return parse_criteria(trial_id, text).criteria


__all__ = ["LeafSpan", "ParseResult", "ParseStatistics", "parse_criteria", "parse_criteria_text"]
