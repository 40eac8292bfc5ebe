"""The typed criterion tree a criteria file is parsed into (frozen dataclasses, parsed once)."""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date
from typing import Literal

WindowUnit = Literal["days", "weeks", "months", "years"]
WINDOW_UNITS: tuple[WindowUnit, ...] = ("days", "weeks", "months", "years")


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True, slots=True)
class Window:
    """A time span such as "4 weeks" or "6 months" counted back from the screening date."""

    amount: int
    unit: WindowUnit

    def start(self, reference: date) -> date:
        """The first day of the window ending at ``reference`` (calendar months and years)."""
        # Day numbers, not ``reference - timedelta(...)``: a match computes thousands of these
        # and building the timedelta is most of the cost.
        if self.unit == "days":
            return date.fromordinal(reference.toordinal() - self.amount)
        if self.unit == "weeks":
            return date.fromordinal(reference.toordinal() - 7 * self.amount)
        months = self.amount if self.unit == "months" else 12 * self.amount
        return add_months(reference, -months)

    def describe(self) -> str:
        unit = self.unit[:-1] if self.amount == 1 else self.unit
        return f"{self.amount} {unit}"


class CriterionKind(enum.Enum):
    """Inclusion criteria must hold; exclusion rules describe what excludes."""

    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"


LeafValue = float | tuple[float, float] | tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Leaf:
    """A test of one fact.

    Attributes:
        fact: the fact name (engine/facts.py).
        op: the operator name (engine/operators.py).
        value: the threshold in the canonical unit (a number, a (low, high) pair for
            ``between``), the allowed values for ``in``/``any_of``/``has``, the count for
            ``count_at_least``, or None.
        unit: the canonical unit of ``value``, "xULN" when compared as multiples of the upper
            limit of normal, "" when unitless.
        rule_value: the threshold as the rule wrote it ("1 ×10⁹/L"), for explanations.
        window: the time span of ``within`` / ``duration_at_least``.
        max_age_days: how old a value may be; None uses the fact's default.
        classification, status, subtype, min_duration: the CONDITION options.
    """

    fact: str
    op: str
    value: LeafValue = None
    unit: str = ""
    rule_value: str = ""
    window: Window | None = None
    max_age_days: int | None = None
    classification: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    subtype: tuple[str, ...] = ()
    min_duration: Window | None = None
    id: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewLeaf:
    """A part of a rule only the study team can judge; evaluates to REVIEW."""

    review: str
    id: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class AllOf:
    """True when every child is true (Kleene conjunction)."""

    children: tuple[Node, ...]
    id: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class AnyOf:
    """True when some child is true (Kleene disjunction)."""

    children: tuple[Node, ...]
    id: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class AtLeast:
    """True when at least ``count`` children are true ("at least two of the following five").

    Kleene counting: FALSE once too few children can still be true, UNKNOWN or REVIEW while the
    open children could still reach ``count``. ``AtLeast(1, cs)`` is ``AnyOf(cs)`` and
    ``AtLeast(len(cs), cs)`` is ``AllOf(cs)``.
    """

    count: int
    children: tuple[Node, ...]
    id: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Not:
    """Swaps true and false; unknown and review stay as they are."""

    child: Node
    id: str | None = None
    text: str | None = None


Node = AllOf | AnyOf | AtLeast | Not | Leaf | ReviewLeaf


@dataclass(frozen=True, slots=True)
class Criterion:
    """One numbered criterion of a trial.

    ``rule`` None makes it a review criterion (left to the study team). ``applies_if`` false
    makes it not applicable.
    """

    id: str
    kind: CriterionKind
    text: str
    rule: Node | None
    cohort: str | None = None
    group: str | None = None
    applies_if: Node | None = None
    reading: str | None = None
    verified: bool = False
    span: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Cohort:
    """A disease cohort; the patient qualifies through common criteria plus one cohort."""

    id: str
    label: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class Group:
    """Criteria satisfied together when any member is satisfied (mode "any")."""

    id: str
    mode: Literal["any"]
    text: str = ""


@dataclass(frozen=True, slots=True)
class TrialCriteria:
    """The parsed criteria file of one trial."""

    trial_id: str
    source: Literal["curated", "automatic"]
    criteria: tuple[Criterion, ...]
    cohorts: tuple[Cohort, ...] = ()
    groups: tuple[Group, ...] = ()

    def cohort(self, cohort_id: str) -> Cohort | None:
        return next((c for c in self.cohorts if c.id == cohort_id), None)

    def group(self, group_id: str) -> Group | None:
        return next((g for g in self.groups if g.id == group_id), None)


def leaves(node: Node) -> tuple[Leaf | ReviewLeaf, ...]:
    """Every leaf under ``node``, left to right."""
    match node:
        case AllOf(children=children) | AnyOf(children=children) | AtLeast(children=children):
            return tuple(leaf for child in children for leaf in leaves(child))
        case Not(child=child):
            return leaves(child)
        case _:
            return (node,)
