"""OPERATORS: one small pure function per rule operator, each returning the leaf's Evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, cast

from engine.criteria import Leaf, Window
from engine.facts import FactKind, Facts, FactSpec, FactValue, fact_spec
from engine.loader import XULN
from engine.outcomes import Evidence, Truth, all_of
from engine.profile import Diagnosis, Treatment
from engine.units import format_number, format_quantity
from engine.vocabulary import (
    CONDITIONS,
    DRUGS,
    condition_ancestors,
    condition_covers,
    treatment_label,
)

Operator = Callable[[Leaf, Facts], Evidence]

# Derived values go stale with the entries they were computed from.
_REFRESH: dict[str, tuple[str, ...]] = {
    "derived.crcl": ("lab.creatinine", "weight_kg"),
    "derived.egfr": ("lab.creatinine",),
}
_SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}


def _spec(leaf: Leaf) -> FactSpec:
    spec = fact_spec(leaf.fact)
    assert spec is not None  # the loader only builds leaves for known facts
    return spec


def _evidence(leaf: Leaf, truth: Truth, reason: str, **extra: Any) -> Evidence:
    spec = _spec(leaf)
    return Evidence(
        fact=leaf.fact,
        label=spec.label,
        truth=truth,
        reason=reason,
        node_id=leaf.id,
        text=leaf.text,
        **extra,
    )


def _shown(value: FactValue) -> str:
    if isinstance(value.value, bool):
        return "positive / yes" if value.value else "negative / no"
    if isinstance(value.value, int | float):
        return format_quantity(value.value, value.unit)
    if isinstance(value.value, tuple):
        return ", ".join(value.value)
    return value.value


def _value_extra(value: FactValue) -> dict[str, Any]:
    return {
        "patient_value": _shown(value),
        "value_date": value.date,
        "entered": value.entered,
        "source": value.source,
        "formula": value.formula,
        "inputs": value.inputs,
        "notes": value.notes,
    }


def _on(day: date | None) -> str:
    return f" on {day}" if day is not None else " (undated)"


def _fresh(leaf: Leaf, facts: Facts) -> tuple[FactValue | None, Evidence | None]:
    """The fact's value when present and recent enough; otherwise the UNKNOWN evidence."""
    spec = _spec(leaf)
    value = facts.get(leaf.fact)
    max_age = leaf.max_age_days if leaf.max_age_days is not None else spec.max_age_days
    screening = facts.screening_date
    if value is None:
        window = f" on or within {max_age} days before {screening}" if max_age is not None else ""
        return None, _evidence(
            leaf,
            Truth.UNKNOWN,
            f"No {spec.label} result{window}",
            missing_facts=facts.missing_for(leaf.fact),
        )
    if max_age is None:
        return value, None
    refresh = _REFRESH.get(leaf.fact, (leaf.fact,))
    if value.date is None:
        return None, _evidence(
            leaf,
            Truth.UNKNOWN,
            f"{spec.label} {_shown(value)} has no date; it must be from the {max_age} days "
            f"before {screening}",
            missing_facts=refresh,
            **_value_extra(value),
        )
    if value.date < screening - timedelta(days=max_age):
        return None, _evidence(
            leaf,
            Truth.UNKNOWN,
            f"{spec.label} {_shown(value)} on {value.date} is older than {max_age} days before "
            f"{screening}",
            missing_facts=refresh,
            **_value_extra(value),
        )
    return value, None


# ---------------------------------------------------------------------------------------------
# NUMBER
# ---------------------------------------------------------------------------------------------


def _compare(op: str, value: float, threshold: float | tuple[float, float]) -> bool:
    if isinstance(threshold, tuple):
        return threshold[0] <= value <= threshold[1]
    match op:
        case ">=":
            return value >= threshold
        case ">":
            return value > threshold
        case "<=":
            return value <= threshold
        case "<":
            return value < threshold
        case _:
            return value == threshold


def _threshold_text(leaf: Leaf) -> str:
    if leaf.op == "between":
        return f"between {leaf.rule_value}"
    return f"{_SYMBOLS[leaf.op]} {leaf.rule_value}"


def _number(leaf: Leaf, facts: Facts) -> Evidence:
    spec = _spec(leaf)
    value, unknown = _fresh(leaf, facts)
    if value is None:
        assert unknown is not None
        return unknown
    raw = value.value
    assert isinstance(raw, int | float)
    assert not isinstance(raw, bool)
    threshold = cast(float | tuple[float, float], leaf.value)
    compared = float(raw)
    extra = _value_extra(value)
    described = f"{spec.label} {_shown(value)}"
    if leaf.unit == XULN:
        if value.uln is None:
            return _evidence(
                leaf,
                Truth.UNKNOWN,
                f"{described}{_on(value.date)}: no ULN from the lab and no default to assume",
                threshold=_threshold_text(leaf),
                missing_facts=(leaf.fact,),
                **extra,
            )
        compared = compared / value.uln
        assumed = ", assumed default" if value.uln_assumed else ", from the lab"
        described += (
            f" ({format_number(compared)} × ULN {format_quantity(value.uln, value.unit)}{assumed})"
        )
        extra["uln"] = value.uln
        extra["uln_assumed"] = value.uln_assumed
    holds = _compare(leaf.op, compared, threshold)
    shown_threshold = _threshold_text(leaf)
    if holds:
        truth = Truth.TRUE
        verb = "meets"
    elif leaf.op == "between":
        truth, verb = Truth.FALSE, "is outside"
    elif leaf.op in (">=", ">"):
        truth, verb = Truth.FALSE, "is below"
    elif leaf.op in ("<=", "<"):
        truth, verb = Truth.FALSE, "is above"
    else:
        truth, verb = Truth.FALSE, "differs from"
    if value.lower_bound:
        # The count may be higher than recorded: only results that more data cannot undo stand.
        upward_safe = (truth is Truth.TRUE and leaf.op in (">=", ">")) or (
            truth is Truth.FALSE
            and leaf.op in ("<=", "<", "==", "between")
            and compared > (threshold[1] if isinstance(threshold, tuple) else threshold)
        )
        if not upward_safe:
            return _evidence(
                leaf,
                Truth.UNKNOWN,
                f"{described}{_on(value.date)} is a lower bound ({'; '.join(value.notes)}); "
                f"cannot tell whether it {shown_threshold}",
                threshold=shown_threshold,
                missing_facts=(leaf.fact,),
                **extra,
            )
    reason = f"{described}{_on(value.date)} {verb} the threshold {shown_threshold}"
    return _evidence(leaf, truth, reason, threshold=shown_threshold, **extra)


# ---------------------------------------------------------------------------------------------
# BOOLEAN, ENUM, SET
# ---------------------------------------------------------------------------------------------


def _boolean(leaf: Leaf, facts: Facts) -> Evidence:
    spec = _spec(leaf)
    value, unknown = _fresh(leaf, facts)
    if value is None:
        assert unknown is not None
        return unknown
    wanted = leaf.op == "is_true"
    truth = Truth.TRUE if value.value is wanted else Truth.FALSE
    answer = "yes" if value.value else "no"
    shown = value.entered or answer
    return _evidence(
        leaf,
        truth,
        f"{spec.label}: {shown}{_on(value.date)}",
        threshold="yes" if wanted else "no",
        **_value_extra(value),
    )


def _enum_in(leaf: Leaf, facts: Facts) -> Evidence:
    spec = _spec(leaf)
    value = facts.get(leaf.fact)
    allowed = leaf.value
    assert isinstance(allowed, tuple)
    if value is None:
        return _evidence(
            leaf,
            Truth.UNKNOWN,
            f"{spec.label} not recorded",
            threshold=", ".join(map(str, allowed)),
            missing_facts=(leaf.fact,),
        )
    truth = Truth.TRUE if value.value in allowed else Truth.FALSE
    verb = "is one of" if truth is Truth.TRUE else "is not one of"
    return _evidence(
        leaf,
        truth,
        f"{spec.label} {_shown(value)} {verb} {leaf.rule_value}",
        threshold=leaf.rule_value,
        **_value_extra(value),
    )


def _set_any_of(leaf: Leaf, facts: Facts) -> Evidence:
    spec = _spec(leaf)
    value, unknown = _fresh(leaf, facts)
    if value is None:
        assert unknown is not None
        return unknown
    allowed = leaf.value
    assert isinstance(allowed, tuple)
    assert isinstance(value.value, tuple)
    shared = [item for item in value.value if item in allowed]
    truth = Truth.TRUE if shared else Truth.FALSE
    verb = "includes one of" if shared else "includes none of"
    return _evidence(
        leaf,
        truth,
        f"{spec.label} {_shown(value)}{_on(value.date)} {verb} {leaf.rule_value}",
        threshold=leaf.rule_value,
        **_value_extra(value),
    )


# ---------------------------------------------------------------------------------------------
# EVENT: treatments (closed-world when the list is complete) and history items
# ---------------------------------------------------------------------------------------------


def _period(treatment: Treatment) -> str:
    start = str(treatment.start) if treatment.start else "start unknown"
    end = str(treatment.end) if treatment.end else "ongoing"
    return f"{start} to {end}"


def _describe(source: str, treatment: Treatment) -> str:
    label = treatment_label(treatment.drug) or treatment.drug
    return f"{label} ({source}, {_period(treatment)})"


def _treatment_event(leaf: Leaf, facts: Facts) -> Evidence:
    spec = _spec(leaf)
    treatment_id = leaf.fact.removeprefix("treatment.")
    events = facts.treatment_events(treatment_id)
    screening = facts.screening_date
    closed = facts.treatments_complete
    none_recorded = f"No {spec.label} recorded" + (
        " (treatment list marked complete)"
        if closed
        else "; the treatment list is not marked complete"
    )
    if leaf.op != "within":
        # A course that starts after the screening date has not happened by the date the
        # criteria are judged on ("within" says so in its own reason): not counted, but named.
        later = tuple((i, t) for i, t in events if t.start is not None and t.start > screening)
        if later:
            events = tuple(e for e in events if e not in later)
            not_counted = (
                f"{'; '.join(_describe(i, t) for i, t in later)}: after the screening date "
                f"{screening}, not counted"
            )
            evidence = _treatment_event_before(leaf, facts, events, none_recorded)
            return replace(evidence, reason=f"{evidence.reason}; {not_counted}")
    return _treatment_event_before(leaf, facts, events, none_recorded)


def _treatment_event_before(
    leaf: Leaf,
    facts: Facts,
    events: tuple[tuple[str, Treatment], ...],
    none_recorded: str,
) -> Evidence:
    """A treatment leaf over ``events`` (courses after the screening date already removed)."""
    spec = _spec(leaf)
    screening = facts.screening_date
    closed = facts.treatments_complete
    listed = "; ".join(_describe(i, t) for i, t in events)
    missing = (leaf.fact,)
    if leaf.op == "count_at_least":
        assert isinstance(leaf.value, float)
        # Only named drugs are counted: "an immunosuppressant" may be one already listed.
        drugs = sorted({t.drug for _, t in events if t.drug in DRUGS})
        unnamed = sorted({t.drug for _, t in events if t.drug not in DRUGS})
        needed = int(leaf.value)
        shown = ", ".join(treatment_label(d) or d for d in drugs) or "none"
        reason = f"{len(drugs)} distinct {spec.label} recorded ({shown}); needed {needed}"
        if len(drugs) >= needed:
            return _evidence(leaf, Truth.TRUE, reason, patient_value=shown, threshold=f"≥ {needed}")
        decided = closed and not unnamed
        truth = Truth.FALSE if decided else Truth.UNKNOWN
        if unnamed:
            suffix = f"; also tried without the drug named: {', '.join(unnamed)}"
        else:
            suffix = "" if closed else "; the treatment list is not marked complete"
        return _evidence(
            leaf,
            truth,
            reason + suffix,
            patient_value=shown,
            threshold=f"≥ {needed}",
            missing_facts=() if decided else missing,
        )
    if leaf.op == "ever":
        if events:
            return _evidence(leaf, Truth.TRUE, f"Received {listed}", patient_value=listed)
        truth = Truth.FALSE if closed else Truth.UNKNOWN
        return _evidence(leaf, truth, none_recorded, missing_facts=() if closed else missing)
    window = leaf.window
    assert window is not None
    if leaf.op == "within":
        return _within(leaf, events, window, screening, closed, none_recorded)
    return _duration(leaf, events, window, screening, closed, none_recorded)


def _within(
    leaf: Leaf,
    events: tuple[tuple[str, Treatment], ...],
    window: Window,
    screening: date,
    closed: bool,
    none_recorded: str,
) -> Evidence:
    start = window.start(screening)
    threshold = f"within {window.describe()} before {screening} (since {start})"
    undated: list[str] = []
    after_screening: list[str] = []
    for source, treatment in events:
        if treatment.start is not None and treatment.start > screening:
            after_screening.append(_describe(source, treatment))
            continue
        last_day = treatment.end
        if last_day is None and treatment.start is None:
            undated.append(_describe(source, treatment))
            continue
        if last_day is None or last_day >= start:
            shown = _describe(source, treatment)
            return _evidence(
                leaf,
                Truth.TRUE,
                f"{shown} falls {threshold}",
                patient_value=shown,
                threshold=threshold,
            )
    if undated:
        return _evidence(
            leaf,
            Truth.UNKNOWN,
            f"{'; '.join(undated)}: dates needed to tell whether it falls {threshold}",
            threshold=threshold,
            missing_facts=(leaf.fact,),
        )
    if not closed:
        return _evidence(
            leaf,
            Truth.UNKNOWN,
            f"{none_recorded} {threshold}",
            threshold=threshold,
            missing_facts=(leaf.fact,),
        )
    label = _spec(leaf).label
    earlier = "; ".join(
        _describe(i, t) for i, t in events if t.start is None or t.start <= screening
    )
    parts = [f"Last {label}: {earlier}, before {start}"] if earlier else []
    if after_screening:
        # Given after the screening date: outside the window, and said so rather than
        # reported as "before" it.
        parts.append(
            f"{'; '.join(after_screening)}: after the screening date {screening}, not counted"
        )
    reason = "; ".join(parts) if parts else none_recorded
    return _evidence(leaf, Truth.FALSE, reason, threshold=threshold)


def _duration(
    leaf: Leaf,
    events: tuple[tuple[str, Treatment], ...],
    window: Window,
    screening: date,
    closed: bool,
    none_recorded: str,
) -> Evidence:
    threshold = f"for at least {window.describe()}"
    unknown: list[str] = []
    for source, treatment in events:
        if treatment.start is None:
            unknown.append(_describe(source, treatment))
            continue
        last_day = min(treatment.end or screening, screening)
        # The exposure lasted at least the window when it started before the window's start
        # counted back from its last day.
        if treatment.start <= window.start(last_day):
            shown = _describe(source, treatment)
            return _evidence(
                leaf,
                Truth.TRUE,
                f"{shown} lasted {threshold}",
                patient_value=shown,
                threshold=threshold,
            )
    if unknown:
        return _evidence(
            leaf,
            Truth.UNKNOWN,
            f"{'; '.join(unknown)}: start date needed",
            threshold=threshold,
            missing_facts=(leaf.fact,),
        )
    shorter = "; ".join(_describe(i, t) for i, t in events)
    if not closed:
        reason = (
            f"Recorded courses are shorter ({shorter}); the treatment list is not marked complete"
            if shorter
            else none_recorded
        )
        return _evidence(
            leaf, Truth.UNKNOWN, reason, threshold=threshold, missing_facts=(leaf.fact,)
        )
    reason = f"No course lasted {threshold}: {shorter}" if shorter else none_recorded
    return _evidence(leaf, Truth.FALSE, reason, threshold=threshold)


def _history_event(leaf: Leaf, facts: Facts) -> Evidence:
    spec = _spec(leaf)
    item = facts.history_item(leaf.fact)
    screening = facts.screening_date
    if item is None or item.present is None:
        return _evidence(
            leaf, Truth.UNKNOWN, f"{spec.label}: not asked", missing_facts=(leaf.fact,)
        )
    shown = "yes" + (f" ({item.date})" if item.date else "") if item.present else "no"
    extra: dict[str, Any] = {"patient_value": shown, "value_date": item.date, "entered": item.text}
    if not item.present:
        return _evidence(leaf, Truth.FALSE, f"{spec.label}: no", **extra)
    if leaf.op == "ever":
        return _evidence(leaf, Truth.TRUE, f"{spec.label}: {shown}", **extra)
    window = leaf.window
    if leaf.op == "count_at_least" or window is None:
        return _evidence(
            leaf,
            Truth.UNKNOWN,
            f"{spec.label}: {shown}; a count cannot be read from a history answer",
            **extra,
        )
    if item.date is None:
        return _evidence(
            leaf,
            Truth.UNKNOWN,
            f"{spec.label}: yes, date needed",
            missing_facts=(leaf.fact,),
            **extra,
        )
    start = window.start(screening)
    if leaf.op == "within":
        truth = Truth.TRUE if start <= item.date <= screening else Truth.FALSE
        relation = "within" if truth is Truth.TRUE else "not within"
        return _evidence(
            leaf,
            truth,
            f"{spec.label} {item.date} is {relation} {window.describe()} before {screening}",
            **extra,
        )
    truth = Truth.TRUE if item.date <= start else Truth.FALSE
    relation = "at least" if truth is Truth.TRUE else "less than"
    return _evidence(
        leaf,
        truth,
        f"{spec.label} since {item.date}: {relation} {window.describe()} before {screening}",
        **extra,
    )


def _event(leaf: Leaf, facts: Facts) -> Evidence:
    if leaf.fact.startswith("treatment."):
        return _treatment_event(leaf, facts)
    return _history_event(leaf, facts)


# ---------------------------------------------------------------------------------------------
# CONDITION
# ---------------------------------------------------------------------------------------------


def _patient_conditions(diagnosis: Diagnosis) -> tuple[str, ...]:
    # A diagnosis with renal biopsy findings is lupus nephritis even when recorded as SLE.
    if diagnosis.lupus_nephritis is not None and diagnosis.lupus_nephritis.classes:
        return (diagnosis.condition, "lupus_nephritis")
    return (diagnosis.condition,)


def _options(leaf: Leaf, diagnosis: Diagnosis, screening: date) -> tuple[Truth, list[str]]:
    truths: list[Truth] = []
    notes: list[str] = []
    if leaf.classification:
        met = [c for c in diagnosis.classification if c in leaf.classification]
        truths.append(Truth.TRUE if met else Truth.UNKNOWN)
        notes.append(
            f"classification {', '.join(met)}"
            if met
            else f"classification {' or '.join(leaf.classification)} not recorded"
        )
    if leaf.status:
        met = [s for s in diagnosis.status if s in leaf.status]
        truths.append(Truth.TRUE if met else Truth.UNKNOWN)
        notes.append(
            f"status {', '.join(met)}" if met else f"status {' or '.join(leaf.status)} not recorded"
        )
    if leaf.subtype:
        if diagnosis.subtype is None:
            truths.append(Truth.UNKNOWN)
            notes.append("subtype not recorded")
        else:
            ok = diagnosis.subtype in leaf.subtype
            truths.append(Truth.TRUE if ok else Truth.FALSE)
            notes.append(
                f"subtype {diagnosis.subtype}"
                + ("" if ok else f" is not {' or '.join(leaf.subtype)}")
            )
    if leaf.min_duration is not None:
        latest_start = leaf.min_duration.start(screening)
        if diagnosis.diagnosis_date is None:
            truths.append(Truth.UNKNOWN)
            notes.append("diagnosis date not recorded")
        else:
            ok = diagnosis.diagnosis_date <= latest_start
            truths.append(Truth.TRUE if ok else Truth.FALSE)
            notes.append(
                f"diagnosed {diagnosis.diagnosis_date}, "
                + ("at least" if ok else "less than")
                + f" {leaf.min_duration.describe()} before {screening}"
            )
    return all_of(truths), notes


def _condition_has(leaf: Leaf, facts: Facts) -> Evidence:
    required = cast(tuple[str, ...], leaf.value)
    wanted = " or ".join(CONDITIONS[r].label for r in required)
    if not facts.diagnoses:
        return _evidence(
            leaf,
            Truth.UNKNOWN,
            "No diagnosis recorded",
            threshold=wanted,
            missing_facts=("diagnosis",),
        )
    outcomes: list[tuple[Truth, str]] = []
    for index, diagnosis in enumerate(facts.diagnoses):
        held = _patient_conditions(diagnosis)
        label = CONDITIONS[diagnosis.condition].label
        if any(condition_covers(r, c) for r in required for c in held):
            truth, notes = _options(leaf, diagnosis, facts.screening_date)
            detail = f" ({'; '.join(notes)})" if notes else ""
            outcomes.append((truth, f"{label} (diagnoses[{index}]){detail}"))
        elif any(
            r_parent == c for r in required for c in held for r_parent in condition_ancestors(r)[1:]
        ):
            outcomes.append(
                (
                    Truth.UNKNOWN,
                    f"{label} (diagnoses[{index}]) recorded without the subtype: is it {wanted}?",
                )
            )
    shown = "; ".join(CONDITIONS[d.condition].label for d in facts.diagnoses)
    if not outcomes:
        return _evidence(
            leaf,
            Truth.FALSE,
            f"Diagnoses ({shown}) do not include {wanted}",
            patient_value=shown,
            threshold=wanted,
        )
    # The most favourable diagnosis decides: one that matches beats one that may match.
    priority = {Truth.TRUE: 0, Truth.UNKNOWN: 1, Truth.FALSE: 2}
    truth, text = min(outcomes, key=lambda outcome: priority[outcome[0]])
    missing = ("diagnosis",) if truth is Truth.UNKNOWN else ()
    return _evidence(
        leaf,
        truth,
        f"Diagnosis: {text}",
        patient_value=shown,
        threshold=wanted,
        missing_facts=missing,
    )


OPERATORS: dict[str, Operator] = {
    ">=": _number,
    ">": _number,
    "<=": _number,
    "<": _number,
    "==": _number,
    "between": _number,
    "is_true": _boolean,
    "is_false": _boolean,
    "in": _enum_in,
    "any_of": _set_any_of,
    "ever": _event,
    "within": _event,
    "duration_at_least": _event,
    "count_at_least": _event,
    "has": _condition_has,
}

FACT_KIND_OF_OPERATOR: dict[str, FactKind] = {
    **dict.fromkeys((">=", ">", "<=", "<", "==", "between"), FactKind.NUMBER),
    "is_true": FactKind.BOOLEAN,
    "is_false": FactKind.BOOLEAN,
    "in": FactKind.ENUM,
    "any_of": FactKind.SET,
    **dict.fromkeys(("ever", "within", "duration_at_least", "count_at_least"), FactKind.EVENT),
    "has": FactKind.CONDITION,
}


def apply_operator(leaf: Leaf, facts: Facts) -> Evidence:
    """Runs the leaf's operator."""
    return OPERATORS[leaf.op](leaf, facts)
