"""What to ask next: missing facts ranked by how many open trial verdicts they could settle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.facts import DIAGNOSIS, HISTORY, INFECTION, LABS, PATIENT, fact_spec
from engine.outcomes import Assessed, Verdict

GROUP_ORDER: tuple[str, ...] = (PATIENT, DIAGNOSIS, LABS, INFECTION, HISTORY)


@dataclass(frozen=True, slots=True)
class AskItem:
    """A fact worth asking for.

    Attributes:
        fact: the fact name; label: what a physician reads; group: the form section to jump to.
        trial_count: how many trials not ruled out have an unknown criterion depending on it.
        trial_ids: those trials.
    """

    fact: str
    label: str
    group: str
    trial_count: int
    trial_ids: tuple[str, ...]


# Every age fact is answered by the birth date: one question, asked as "Age".
_ASKED_AS = {"age_months": "age_years", "age_days": "age_years"}


def _label_and_group(fact: str) -> tuple[str, str]:
    spec = fact_spec(fact)
    if spec is None:
        return fact, HISTORY
    return spec.label, spec.group


def ask_next(evaluations: Sequence[Assessed]) -> tuple[AskItem, ...]:
    """Missing facts of the trials not ruled out, most trials first, then in form order."""
    trials_by_fact: dict[str, list[str]] = {}
    # Trials share their missing facts (shared rules, copies of a record): asked-as once each.
    asked: dict[tuple[str, ...], tuple[str, ...]] = {}
    for evaluation in evaluations:
        if evaluation.verdict is Verdict.NOT_ELIGIBLE:
            continue
        # missing_facts already holds only the facts behind unknown criteria of open cohorts.
        missing = evaluation.missing_facts
        facts = asked.get(missing)
        if facts is None:
            facts = asked[missing] = tuple(dict.fromkeys(_ASKED_AS.get(f, f) for f in missing))
        for fact in facts:
            trials_by_fact.setdefault(fact, []).append(evaluation.trial_id)
    items = []
    for fact, trial_ids in trials_by_fact.items():
        label, group = _label_and_group(fact)
        items.append(AskItem(fact, label, group, len(trial_ids), tuple(trial_ids)))
    order = {group: index for index, group in enumerate(GROUP_ORDER)}
    items.sort(key=lambda item: (-item.trial_count, order.get(item.group, len(order)), item.label))
    return tuple(items)
