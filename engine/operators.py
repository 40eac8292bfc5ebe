"""OPERATORS: one small pure function per rule operator, each deciding a leaf (and its Evidence)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
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

# A leaf's explanation: its one-line reason and Evidence's other fields (value, threshold ...).
Why = tuple[str, dict[str, Any]]


# Not frozen: a frozen dataclass costs about three times as much to build, and a first match
# decides tens of thousands of leaves. Nothing changes a Decision once made.
@dataclass(slots=True)
class Decision:
    """A leaf's truth and the facts that would settle it, with its explanation on demand.

    ``why`` builds the text only when called: a match needs the truth and missing facts of
    thousands of leaves and reads none of their wording (``explain`` turns a decision into the
    leaf's Evidence). ``missing_facts`` is what the leaf's Evidence carries, for any truth.
    """

    truth: Truth
    why: Callable[[], Why]
    missing_facts: tuple[str, ...] = ()


Operator = Callable[[Leaf, Facts], Decision]

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


def _why(reason: str, **extra: Any) -> Why:
    return reason, extra


def explain(leaf: Leaf, decision: Decision) -> Evidence:
    """The leaf's Evidence for ``decision`` (which ``decide_leaf`` gave for it)."""
    reason, extra = decision.why()
    return Evidence(
        fact=leaf.fact,
        label=_spec(leaf).label,
        truth=decision.truth,
        reason=reason,
        missing_facts=decision.missing_facts,
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


def _fresh(leaf: Leaf, facts: Facts) -> tuple[FactValue | None, Decision | None]:
    """The fact's value when present and recent enough; otherwise the UNKNOWN decision."""
    spec = _spec(leaf)
    value = facts.get(leaf.fact)
    max_age = leaf.max_age_days if leaf.max_age_days is not None else spec.max_age_days
    screening = facts.screening_date
    if value is None:

        def absent() -> Why:
            window = (
                f" on or within {max_age} days before {screening}" if max_age is not None else ""
            )
            return _why(f"No {spec.label} result{window}")

        return None, Decision(Truth.UNKNOWN, absent, facts.missing_for(leaf.fact))
    if max_age is None:
        return value, None
    if value.date is None:
        return None, Decision(
            Truth.UNKNOWN,
            lambda: _why(
                f"{spec.label} {_shown(value)} has no date; it must be from the {max_age} days "
                f"before {screening}",
                **_value_extra(value),
            ),
            _REFRESH.get(leaf.fact, (leaf.fact,)),
        )
    # Days between two dates, rather than a date minus timedelta(days=...): building the
    # timedelta costs more than the rest of the test.
    if (screening - value.date).days > max_age:
        return None, Decision(
            Truth.UNKNOWN,
            lambda: _why(
                f"{spec.label} {_shown(value)} on {value.date} is older than {max_age} days "
                f"before {screening}",
                **_value_extra(value),
            ),
            _REFRESH.get(leaf.fact, (leaf.fact,)),
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


def _verb(op: str, holds: bool) -> str:
    if holds:
        return "meets"
    if op == "between":
        return "is outside"
    if op in (">=", ">"):
        return "is below"
    if op in ("<=", "<"):
        return "is above"
    return "differs from"


def _number_shown(leaf: Leaf, value: FactValue, compared: float) -> tuple[str, dict[str, Any]]:
    """The value as a reason names it ("ALT 70 U/L (2 × ULN 35 U/L, from the lab)") and the
    Evidence fields that show it; ``compared`` is the value as compared (× ULN for xULN)."""
    extra = _value_extra(value)
    described = f"{_spec(leaf).label} {_shown(value)}"
    if leaf.unit == XULN and value.uln is not None:
        assumed = ", assumed default" if value.uln_assumed else ", from the lab"
        described += (
            f" ({format_number(compared)} × ULN {format_quantity(value.uln, value.unit)}{assumed})"
        )
        extra["uln"] = value.uln
        extra["uln_assumed"] = value.uln_assumed
    return described, extra


def _number(leaf: Leaf, facts: Facts) -> Decision:
    value, unknown = _fresh(leaf, facts)
    if value is None:
        assert unknown is not None
        return unknown
    raw = value.value
    assert isinstance(raw, int | float)
    assert not isinstance(raw, bool)
    threshold = cast(float | tuple[float, float], leaf.value)
    compared = float(raw)
    if leaf.unit == XULN:
        if value.uln is None:

            def no_uln() -> Why:
                described, extra = _number_shown(leaf, value, compared)
                return _why(
                    f"{described}{_on(value.date)}: no ULN from the lab and no default to assume",
                    threshold=_threshold_text(leaf),
                    **extra,
                )

            return Decision(Truth.UNKNOWN, no_uln, (leaf.fact,))
        compared = compared / value.uln
    holds = _compare(leaf.op, compared, threshold)
    truth = Truth.TRUE if holds else Truth.FALSE
    if value.lower_bound:
        # The count may be higher than recorded: only results that more data cannot undo stand.
        upward_safe = (truth is Truth.TRUE and leaf.op in (">=", ">")) or (
            truth is Truth.FALSE
            and leaf.op in ("<=", "<", "==", "between")
            and compared > (threshold[1] if isinstance(threshold, tuple) else threshold)
        )
        if not upward_safe:

            def lower_bound() -> Why:
                described, extra = _number_shown(leaf, value, compared)
                shown_threshold = _threshold_text(leaf)
                return _why(
                    f"{described}{_on(value.date)} is a lower bound ({'; '.join(value.notes)}); "
                    f"cannot tell whether it {shown_threshold}",
                    threshold=shown_threshold,
                    **extra,
                )

            return Decision(Truth.UNKNOWN, lower_bound, (leaf.fact,))

    def compared_why() -> Why:
        described, extra = _number_shown(leaf, value, compared)
        shown_threshold = _threshold_text(leaf)
        return _why(
            f"{described}{_on(value.date)} {_verb(leaf.op, holds)} the threshold {shown_threshold}",
            threshold=shown_threshold,
            **extra,
        )

    return Decision(truth, compared_why)


# ---------------------------------------------------------------------------------------------
# BOOLEAN, ENUM, SET
# ---------------------------------------------------------------------------------------------


def _boolean(leaf: Leaf, facts: Facts) -> Decision:
    value, unknown = _fresh(leaf, facts)
    if value is None:
        assert unknown is not None
        return unknown
    wanted = leaf.op == "is_true"
    truth = Truth.TRUE if value.value is wanted else Truth.FALSE

    def why() -> Why:
        answer = "yes" if value.value else "no"
        shown = value.entered or answer
        return _why(
            f"{_spec(leaf).label}: {shown}{_on(value.date)}",
            threshold="yes" if wanted else "no",
            **_value_extra(value),
        )

    return Decision(truth, why)


def _enum_in(leaf: Leaf, facts: Facts) -> Decision:
    value = facts.get(leaf.fact)
    allowed = leaf.value
    assert isinstance(allowed, tuple)
    if value is None:
        return Decision(
            Truth.UNKNOWN,
            lambda: _why(
                f"{_spec(leaf).label} not recorded", threshold=", ".join(map(str, allowed))
            ),
            (leaf.fact,),
        )
    truth = Truth.TRUE if value.value in allowed else Truth.FALSE

    def why() -> Why:
        verb = "is one of" if truth is Truth.TRUE else "is not one of"
        return _why(
            f"{_spec(leaf).label} {_shown(value)} {verb} {leaf.rule_value}",
            threshold=leaf.rule_value,
            **_value_extra(value),
        )

    return Decision(truth, why)


def _set_any_of(leaf: Leaf, facts: Facts) -> Decision:
    value, unknown = _fresh(leaf, facts)
    if value is None:
        assert unknown is not None
        return unknown
    allowed = leaf.value
    assert isinstance(allowed, tuple)
    assert isinstance(value.value, tuple)
    shared = any(item in allowed for item in value.value)
    truth = Truth.TRUE if shared else Truth.FALSE

    def why() -> Why:
        verb = "includes one of" if shared else "includes none of"
        return _why(
            f"{_spec(leaf).label} {_shown(value)}{_on(value.date)} {verb} {leaf.rule_value}",
            threshold=leaf.rule_value,
            **_value_extra(value),
        )

    return Decision(truth, why)


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


def _described(events: Sequence[tuple[str, Treatment]]) -> str:
    return "; ".join(_describe(source, treatment) for source, treatment in events)


def _course_why(
    event: tuple[str, Treatment], verb: str, threshold: Callable[[], str]
) -> Callable[[], Why]:
    """The explanation of the course that decides a leaf: "<course> falls within ..."."""

    def why() -> Why:
        shown = _describe(*event)
        return _why(f"{shown} {verb} {threshold()}", patient_value=shown, threshold=threshold())

    return why


def _treatment_event(leaf: Leaf, facts: Facts) -> Decision:
    treatment_id = leaf.fact.removeprefix("treatment.")
    events = facts.treatment_events(treatment_id)
    screening = facts.screening_date

    def none_recorded() -> str:
        return f"No {_spec(leaf).label} recorded" + (
            " (treatment list marked complete)"
            if facts.treatments_complete
            else "; the treatment list is not marked complete"
        )

    if leaf.op != "within":
        # A course that starts after the screening date has not happened by the date the
        # criteria are judged on ("within" says so in its own reason): not counted, but named.
        later = tuple((i, t) for i, t in events if t.start is not None and t.start > screening)
        if later:
            events = tuple(e for e in events if e not in later)
            before = _treatment_event_before(leaf, facts, events, none_recorded)

            def why() -> Why:
                reason, extra = before.why()
                not_counted = (
                    f"{_described(later)}: after the screening date {screening}, not counted"
                )
                return f"{reason}; {not_counted}", extra

            return Decision(before.truth, why, before.missing_facts)
    return _treatment_event_before(leaf, facts, events, none_recorded)


def _treatment_event_before(
    leaf: Leaf,
    facts: Facts,
    events: tuple[tuple[str, Treatment], ...],
    none_recorded: Callable[[], str],
) -> Decision:
    """A treatment leaf over ``events`` (courses after the screening date already removed)."""
    screening = facts.screening_date
    closed = facts.treatments_complete
    missing = (leaf.fact,)
    if leaf.op == "count_at_least":
        assert isinstance(leaf.value, float)
        # Only named drugs are counted: "an immunosuppressant" may be one already listed.
        drugs = sorted({t.drug for _, t in events if t.drug in DRUGS})
        unnamed = sorted({t.drug for _, t in events if t.drug not in DRUGS})
        needed = int(leaf.value)
        counted = len(drugs) >= needed

        def counted_why() -> Why:
            shown = ", ".join(treatment_label(d) or d for d in drugs) or "none"
            reason = (
                f"{len(drugs)} distinct {_spec(leaf).label} recorded ({shown}); needed {needed}"
            )
            if counted:
                suffix = ""
            elif unnamed:
                suffix = f"; also tried without the drug named: {', '.join(unnamed)}"
            else:
                suffix = "" if closed else "; the treatment list is not marked complete"
            return _why(reason + suffix, patient_value=shown, threshold=f"≥ {needed}")

        if counted:
            return Decision(Truth.TRUE, counted_why)
        decided = closed and not unnamed
        return Decision(
            Truth.FALSE if decided else Truth.UNKNOWN, counted_why, () if decided else missing
        )
    if leaf.op == "ever":
        if events:
            return Decision(
                Truth.TRUE,
                lambda: _why(f"Received {_described(events)}", patient_value=_described(events)),
            )
        return Decision(
            Truth.FALSE if closed else Truth.UNKNOWN,
            lambda: _why(none_recorded()),
            () if closed else missing,
        )
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
    none_recorded: Callable[[], str],
) -> Decision:
    start = window.start(screening)

    def threshold() -> str:
        return f"within {window.describe()} before {screening} (since {start})"

    undated: list[tuple[str, Treatment]] = []
    after_screening: list[tuple[str, Treatment]] = []
    for event in events:
        treatment = event[1]
        if treatment.start is not None and treatment.start > screening:
            after_screening.append(event)
            continue
        last_day = treatment.end
        if last_day is None and treatment.start is None:
            undated.append(event)
            continue
        if last_day is None or last_day >= start:
            return Decision(Truth.TRUE, _course_why(event, "falls", threshold))
    if undated:
        return Decision(
            Truth.UNKNOWN,
            lambda: _why(
                f"{_described(undated)}: dates needed to tell whether it falls {threshold()}",
                threshold=threshold(),
            ),
            (leaf.fact,),
        )
    if not closed:
        return Decision(
            Truth.UNKNOWN,
            lambda: _why(f"{none_recorded()} {threshold()}", threshold=threshold()),
            (leaf.fact,),
        )

    def before_window() -> Why:
        label = _spec(leaf).label
        earlier = _described([e for e in events if e[1].start is None or e[1].start <= screening])
        parts = [f"Last {label}: {earlier}, before {start}"] if earlier else []
        if after_screening:
            # Given after the screening date: outside the window, and said so rather than
            # reported as "before" it.
            parts.append(
                f"{_described(after_screening)}: after the screening date {screening}, not counted"
            )
        reason = "; ".join(parts) if parts else none_recorded()
        return _why(reason, threshold=threshold())

    return Decision(Truth.FALSE, before_window)


def _duration(
    leaf: Leaf,
    events: tuple[tuple[str, Treatment], ...],
    window: Window,
    screening: date,
    closed: bool,
    none_recorded: Callable[[], str],
) -> Decision:

    def threshold() -> str:
        return f"for at least {window.describe()}"

    unknown: list[tuple[str, Treatment]] = []
    for event in events:
        treatment = event[1]
        if treatment.start is None:
            unknown.append(event)
            continue
        last_day = min(treatment.end or screening, screening)
        # The exposure lasted at least the window when it started before the window's start
        # counted back from its last day.
        if treatment.start <= window.start(last_day):
            return Decision(Truth.TRUE, _course_why(event, "lasted", threshold))
    if unknown:
        return Decision(
            Truth.UNKNOWN,
            lambda: _why(f"{_described(unknown)}: start date needed", threshold=threshold()),
            (leaf.fact,),
        )

    def shorter_why() -> Why:
        shorter = _described(events)
        if not closed:
            reason = (
                f"Recorded courses are shorter ({shorter}); the treatment list is not marked "
                "complete"
                if shorter
                else none_recorded()
            )
        else:
            reason = f"No course lasted {threshold()}: {shorter}" if shorter else none_recorded()
        return _why(reason, threshold=threshold())

    if not closed:
        return Decision(Truth.UNKNOWN, shorter_why, (leaf.fact,))
    return Decision(Truth.FALSE, shorter_why)


def _history_event(leaf: Leaf, facts: Facts) -> Decision:
    item = facts.history_item(leaf.fact)
    screening = facts.screening_date
    if item is None or item.present is None:
        return Decision(
            Truth.UNKNOWN, lambda: _why(f"{_spec(leaf).label}: not asked"), (leaf.fact,)
        )
    present = item.present

    def answered(reason: Callable[[str, str], str]) -> Callable[[], Why]:
        """The explanation with the answer as shown: ``reason(label, shown)``."""

        def why() -> Why:
            shown = "yes" + (f" ({item.date})" if item.date else "") if present else "no"
            return _why(
                reason(_spec(leaf).label, shown),
                patient_value=shown,
                value_date=item.date,
                entered=item.text,
            )

        return why

    if not present:
        return Decision(Truth.FALSE, answered(lambda label, _: f"{label}: no"))
    if leaf.op == "ever":
        return Decision(Truth.TRUE, answered(lambda label, shown: f"{label}: {shown}"))
    window = leaf.window
    if leaf.op == "count_at_least" or window is None:
        return Decision(
            Truth.UNKNOWN,
            answered(
                lambda label, shown: (
                    f"{label}: {shown}; a count cannot be read from a history answer"
                )
            ),
        )
    day = item.date
    if day is None:
        return Decision(
            Truth.UNKNOWN, answered(lambda label, _: f"{label}: yes, date needed"), (leaf.fact,)
        )
    start = window.start(screening)
    if leaf.op == "within":
        inside = start <= day <= screening
        relation = "within" if inside else "not within"
        return Decision(
            Truth.TRUE if inside else Truth.FALSE,
            answered(
                lambda label, _: (
                    f"{label} {day} is {relation} {window.describe()} before {screening}"
                )
            ),
        )
    lasted = day <= start
    relation = "at least" if lasted else "less than"
    return Decision(
        Truth.TRUE if lasted else Truth.FALSE,
        answered(
            lambda label, _: (
                f"{label} since {day}: {relation} {window.describe()} before {screening}"
            )
        ),
    )


def _event(leaf: Leaf, facts: Facts) -> Decision:
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


def _held_note(name: str, held: list[str], wanted: tuple[str, ...]) -> Callable[[], str]:
    return lambda: (
        f"{name} {', '.join(held)}" if held else f"{name} {' or '.join(wanted)} not recorded"
    )


def _options(
    leaf: Leaf, diagnosis: Diagnosis, screening: date
) -> tuple[Truth, list[Callable[[], str]]]:
    """How the diagnosis meets the leaf's options (all must hold), and a note for each."""
    truths: list[Truth] = []
    notes: list[Callable[[], str]] = []
    if leaf.classification:
        classes = [c for c in diagnosis.classification if c in leaf.classification]
        truths.append(Truth.TRUE if classes else Truth.UNKNOWN)
        notes.append(_held_note("classification", classes, leaf.classification))
    if leaf.status:
        statuses = [s for s in diagnosis.status if s in leaf.status]
        truths.append(Truth.TRUE if statuses else Truth.UNKNOWN)
        notes.append(_held_note("status", statuses, leaf.status))
    if leaf.subtype:
        subtype = diagnosis.subtype
        if subtype is None:
            truths.append(Truth.UNKNOWN)
            notes.append(lambda: "subtype not recorded")
        else:
            is_one = subtype in leaf.subtype
            truths.append(Truth.TRUE if is_one else Truth.FALSE)
            notes.append(
                lambda: (
                    f"subtype {subtype}"
                    + ("" if is_one else f" is not {' or '.join(leaf.subtype)}")
                )
            )
    duration = leaf.min_duration
    if duration is not None:
        latest_start = duration.start(screening)
        diagnosed = diagnosis.diagnosis_date
        if diagnosed is None:
            truths.append(Truth.UNKNOWN)
            notes.append(lambda: "diagnosis date not recorded")
        else:
            long_enough = diagnosed <= latest_start
            truths.append(Truth.TRUE if long_enough else Truth.FALSE)
            notes.append(
                lambda: (
                    f"diagnosed {diagnosed}, "
                    + ("at least" if long_enough else "less than")
                    + f" {duration.describe()} before {screening}"
                )
            )
    return all_of(truths), notes


def _condition_has(leaf: Leaf, facts: Facts) -> Decision:
    required = cast(tuple[str, ...], leaf.value)

    def wanted() -> str:
        return " or ".join(CONDITIONS[r].label for r in required)

    if not facts.diagnoses:
        return Decision(
            Truth.UNKNOWN,
            lambda: _why("No diagnosis recorded", threshold=wanted()),
            ("diagnosis",),
        )
    # Per matching diagnosis: its truth, its index and the notes of its options (None: recorded
    # only as a broader condition, without the subtype the leaf needs).
    outcomes: list[tuple[Truth, int, list[Callable[[], str]] | None]] = []
    for index, diagnosis in enumerate(facts.diagnoses):
        held = _patient_conditions(diagnosis)
        if any(condition_covers(r, c) for r in required for c in held):
            truth, notes = _options(leaf, diagnosis, facts.screening_date)
            outcomes.append((truth, index, notes))
        elif any(
            r_parent == c for r in required for c in held for r_parent in condition_ancestors(r)[1:]
        ):
            outcomes.append((Truth.UNKNOWN, index, None))

    def shown() -> str:
        return "; ".join(CONDITIONS[d.condition].label for d in facts.diagnoses)

    if not outcomes:
        return Decision(
            Truth.FALSE,
            lambda: _why(
                f"Diagnoses ({shown()}) do not include {wanted()}",
                patient_value=shown(),
                threshold=wanted(),
            ),
        )
    # The most favourable diagnosis decides: one that matches beats one that may match.
    priority = {Truth.TRUE: 0, Truth.UNKNOWN: 1, Truth.FALSE: 2}
    truth, index, options = min(outcomes, key=lambda outcome: priority[outcome[0]])

    def why() -> Why:
        label = CONDITIONS[facts.diagnoses[index].condition].label
        if options is None:
            text = f"{label} (diagnoses[{index}]) recorded without the subtype: is it {wanted()}?"
        else:
            detail = f" ({'; '.join(note() for note in options)})" if options else ""
            text = f"{label} (diagnoses[{index}]){detail}"
        return _why(f"Diagnosis: {text}", patient_value=shown(), threshold=wanted())

    return Decision(truth, why, ("diagnosis",) if truth is Truth.UNKNOWN else ())


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


def decide_leaf(leaf: Leaf, facts: Facts) -> Decision:
    """Runs the leaf's operator: its truth and missing facts, the explanation left unbuilt."""
    return OPERATORS[leaf.op](leaf, facts)


def apply_operator(leaf: Leaf, facts: Facts) -> Evidence:
    """Runs the leaf's operator and explains its outcome."""
    return explain(leaf, decide_leaf(leaf, facts))
