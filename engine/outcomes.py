"""Evaluation results: truth values, criterion results with evidence, and trial verdicts."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Protocol


class Truth(enum.Enum):
    """Three-valued (Kleene) truth, with REVIEW as a labelled kind of unknown."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"
    REVIEW = "review"


def all_of(values: list[Truth] | tuple[Truth, ...]) -> Truth:
    """FALSE if any FALSE, else UNKNOWN if any UNKNOWN, else REVIEW if any REVIEW, else TRUE."""
    for candidate in (Truth.FALSE, Truth.UNKNOWN, Truth.REVIEW):
        if candidate in values:
            return candidate
    return Truth.TRUE


def any_of(values: list[Truth] | tuple[Truth, ...]) -> Truth:
    """TRUE if any TRUE, else UNKNOWN if any UNKNOWN, else REVIEW if any REVIEW, else FALSE."""
    for candidate in (Truth.TRUE, Truth.UNKNOWN, Truth.REVIEW):
        if candidate in values:
            return candidate
    return Truth.FALSE


def at_least(count: int, values: list[Truth] | tuple[Truth, ...]) -> Truth:
    """TRUE if at least ``count`` are TRUE; FALSE if the TRUE ones and the open ones
    (UNKNOWN, REVIEW) together fall short; otherwise UNKNOWN if any UNKNOWN, else REVIEW.

    Open follows ``any_of``/``all_of``: an UNKNOWN child (data that could be entered) wins over
    a REVIEW one, so ``at_least(1, v) == any_of(v)`` and ``at_least(len(v), v) == all_of(v)``.
    """
    true = values.count(Truth.TRUE)
    if true >= count:
        return Truth.TRUE
    if true + values.count(Truth.UNKNOWN) + values.count(Truth.REVIEW) < count:
        return Truth.FALSE
    return Truth.UNKNOWN if Truth.UNKNOWN in values else Truth.REVIEW


def negate(value: Truth) -> Truth:
    """Swaps TRUE and FALSE; UNKNOWN and REVIEW stay."""
    if value is Truth.TRUE:
        return Truth.FALSE
    if value is Truth.FALSE:
        return Truth.TRUE
    return value


class CriterionStatus(enum.Enum):
    """What a criterion means for the patient."""

    SATISFIED = "satisfied"
    VIOLATED = "violated"
    UNKNOWN = "unknown"
    REVIEW = "review"
    NOT_APPLICABLE = "not_applicable"


class Verdict(enum.Enum):
    """A trial's verdict. Never the bare word "eligible"."""

    NOT_ELIGIBLE = "not_eligible"
    POTENTIALLY_ELIGIBLE = "potentially_eligible"
    MEETS_CHECKABLE_CRITERIA = "meets_checkable_criteria"


VERDICT_LABELS: dict[Verdict, str] = {
    Verdict.NOT_ELIGIBLE: "Not eligible",
    Verdict.POTENTIALLY_ELIGIBLE: "Potentially eligible (information missing)",
    Verdict.MEETS_CHECKABLE_CRITERIA: (
        "Meets all checkable criteria (study team to confirm the rest)"
    ),
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why one leaf of a rule came out the way it did.

    Attributes:
        fact: the fact name; label: its physician-facing label.
        truth: the leaf's outcome.
        reason: one plain line ("ANC 0.8 ×10⁹/L on 2026-11-18 is below the required ≥ 1 ×10⁹/L").
        patient_value: the patient's value as displayed with its canonical unit, or None.
        value_date: the date of that value (None when undated or missing).
        entered: what was entered ("800 /µL"), when it differs from the displayed value.
        source: where the value came from ("labs[2]", "derived from creatinine and weight").
        threshold: the rule's threshold as displayed ("≥ 1 ×10⁹/L", "≤ 2.5 × ULN").
        uln: the ULN used for a ×ULN comparison (canonical unit), and whether it was assumed.
        formula: for derived values, the formula text; inputs: its inputs with dates.
        missing_facts: the facts that would settle an unknown leaf (for "what to ask next").
        node_id, text: the rule node's id and its source wording.
    """

    fact: str
    label: str
    truth: Truth
    reason: str
    patient_value: str | None = None
    value_date: date | None = None
    entered: str | None = None
    source: str | None = None
    threshold: str | None = None
    uln: float | None = None
    uln_assumed: bool = False
    formula: str | None = None
    inputs: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    missing_facts: tuple[str, ...] = ()
    node_id: str | None = None
    text: str | None = None


NodeKind = str  # "all", "any", "at_least", "not", "leaf", "review"


@dataclass(frozen=True, slots=True)
class NodeResult:
    """The outcome of one node of a rule tree, with its children's outcomes."""

    kind: NodeKind
    truth: Truth
    children: tuple[NodeResult, ...] = ()
    evidence: Evidence | None = None
    id: str | None = None
    text: str | None = None
    count: int = 0  # how many children an "at_least" node needs; 0 for the other kinds


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """The outcome of one criterion.

    Attributes:
        status: the criterion's own status (an exclusion whose rule is true is VIOLATED).
        effective_status: the status that counts for the verdict: for members of an "any"
            group, the group's combined status.
        reason: one line summarising the status.
        evidence: the evidence of every leaf, left to right.
        tree: the rule's evaluated tree (None for review criteria).
        applies: the evaluated ``applies_if`` rule, when the criterion has one.
        missing_facts: the facts behind an unknown status (empty otherwise).
    """

    criterion_id: str
    kind: str
    text: str
    status: CriterionStatus
    effective_status: CriterionStatus
    reason: str
    cohort: str | None = None
    group: str | None = None
    evidence: tuple[Evidence, ...] = ()
    tree: NodeResult | None = None
    applies: NodeResult | None = None
    missing_facts: tuple[str, ...] = ()
    verified: bool = False
    reading: str | None = None


@dataclass(frozen=True, slots=True)
class Counts:
    """How many criteria are in each effective status."""

    satisfied: int = 0
    unknown: int = 0
    violated: int = 0
    review: int = 0
    not_applicable: int = 0


@dataclass(frozen=True, slots=True)
class CohortResult:
    """The verdict through one cohort (cohort_id None: the trial has no cohorts)."""

    cohort_id: str | None
    label: str
    verdict: Verdict
    counts: Counts
    violated_ids: tuple[str, ...]
    unknown_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TrialEvaluation:
    """The whole evaluation of one trial for one patient.

    Attributes:
        verdict: the best cohort's verdict.
        near_miss: ruled out by exactly one criterion (or group) in the best cohort.
        best_cohort: the cohort the verdict comes from (None without cohorts).
        counts: effective statuses over the common criteria and the best cohort's criteria.
        missing_facts: the facts behind the unknown criteria counted in ``counts``.
    """

    trial_id: str
    source: str
    screening_date: date
    verdict: Verdict
    near_miss: bool
    best_cohort: str | None
    criteria: tuple[CriterionResult, ...]
    cohorts: tuple[CohortResult, ...]
    counts: Counts
    missing_facts: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def result(self, criterion_id: str) -> CriterionResult | None:
        return next((r for r in self.criteria if r.criterion_id == criterion_id), None)


class Assessed(Protocol):
    """What ranking and "ask next" read of a trial's evaluation: a TrialEvaluation, or the
    slim engine.compiled.TrialOutcome a match computes before anyone opens the trial."""

    @property
    def trial_id(self) -> str: ...

    @property
    def verdict(self) -> Verdict: ...

    @property
    def near_miss(self) -> bool: ...

    @property
    def counts(self) -> Counts: ...

    @property
    def missing_facts(self) -> tuple[str, ...]: ...
