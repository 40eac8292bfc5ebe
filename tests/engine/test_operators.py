"""Operator tables: every operator with its true, false, missing and too-old rows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine.criteria import Leaf, Window
from engine.facts import Facts, FactValue
from engine.loader import load_criteria
from engine.operators import OPERATORS, apply_operator
from engine.outcomes import Truth
from engine.profile import Diagnosis, HistoryItem, LupusNephritisBiopsy, Treatment

SCREENING = date(2026, 11, 23)
RECENT = date(2026, 11, 18)
OLD = date(2026, 6, 1)  # more than 90 days before screening


def facts(*values: FactValue, **extra: Any) -> Facts:
    return Facts(screening_date=SCREENING, values={v.name: v for v in values}, **extra)


def number(
    name: str, value: float, unit: str, day: date | None = RECENT, **extra: Any
) -> FactValue:
    return FactValue(name, value, unit, day, **extra)


def leaf(rule: dict[str, Any]) -> Leaf:
    data = {
        "format": "trialmatch-criteria/1",
        "trial_id": "T",
        "source": "curated",
        "criteria": [{"id": "c", "kind": "inclusion", "text": "t", "rule": rule}],
    }
    node = load_criteria(data).criteria[0].rule
    assert isinstance(node, Leaf)
    return node


ANC = {"fact": "lab.anc", "value": 1, "unit": "10*9/L"}


@pytest.mark.parametrize(
    ("op", "value", "patient", "day", "expected"),
    [
        (">=", 1, 1.5, RECENT, Truth.TRUE),
        (">=", 1, 1.0, RECENT, Truth.TRUE),
        (">=", 1, 0.8, RECENT, Truth.FALSE),
        (">=", 1, None, None, Truth.UNKNOWN),
        (">=", 1, 1.5, OLD, Truth.UNKNOWN),
        (">=", 1, 1.5, None, Truth.UNKNOWN),
        (">", 1, 1.0, RECENT, Truth.FALSE),
        (">", 1, 1.1, RECENT, Truth.TRUE),
        (">", 1, None, None, Truth.UNKNOWN),
        (">", 1, 1.1, OLD, Truth.UNKNOWN),
        ("<=", 1, 1.0, RECENT, Truth.TRUE),
        ("<=", 1, 1.2, RECENT, Truth.FALSE),
        ("<=", 1, None, None, Truth.UNKNOWN),
        ("<=", 1, 0.5, OLD, Truth.UNKNOWN),
        ("<", 1, 1.0, RECENT, Truth.FALSE),
        ("<", 1, 0.9, RECENT, Truth.TRUE),
        ("<", 1, None, None, Truth.UNKNOWN),
        ("<", 1, 0.9, OLD, Truth.UNKNOWN),
        ("==", 1, 1.0, RECENT, Truth.TRUE),
        ("==", 1, 2.0, RECENT, Truth.FALSE),
        ("==", 1, None, None, Truth.UNKNOWN),
        ("==", 1, 1.0, OLD, Truth.UNKNOWN),
        ("between", [1, 2], 1.5, RECENT, Truth.TRUE),
        ("between", [1, 2], 2.0, RECENT, Truth.TRUE),
        ("between", [1, 2], 2.5, RECENT, Truth.FALSE),
        ("between", [1, 2], None, None, Truth.UNKNOWN),
        ("between", [1, 2], 1.5, OLD, Truth.UNKNOWN),
    ],
)
def test_number_operators(
    op: str, value: Any, patient: float | None, day: date | None, expected: Truth
) -> None:
    rule = {**ANC, "op": op, "value": value}
    values = () if patient is None else (number("lab.anc", patient, "10*9/L", day),)
    assert apply_operator(leaf(rule), facts(*values)).truth is expected


def test_number_reasons_name_value_date_and_threshold() -> None:
    evidence = apply_operator(leaf({**ANC, "op": ">="}), facts(number("lab.anc", 0.8, "10*9/L")))
    assert evidence.reason == (
        "Absolute neutrophil count 0.8 ×10⁹/L on 2026-11-18 is below the threshold ≥ 1 ×10⁹/L"
    )
    assert evidence.threshold == "≥ 1 ×10⁹/L"
    assert evidence.value_date == RECENT


def test_missing_and_too_old_reasons_and_missing_facts() -> None:
    missing = apply_operator(
        leaf({"fact": "lab.alt", "op": "<=", "value": 40, "unit": "U/L"}), facts()
    )
    assert missing.reason == "No ALT result on or within 90 days before 2026-11-23"
    assert missing.missing_facts == ("lab.alt",)
    old = apply_operator(
        leaf({"fact": "lab.alt", "op": "<=", "value": 40, "unit": "U/L"}),
        facts(number("lab.alt", 20, "U/L", OLD)),
    )
    assert "older than 90 days" in old.reason
    assert old.missing_facts == ("lab.alt",)
    undated = apply_operator(
        leaf({"fact": "lab.alt", "op": "<=", "value": 40, "unit": "U/L"}),
        facts(number("lab.alt", 20, "U/L", None)),
    )
    assert "has no date" in undated.reason


def test_rule_max_age_overrides_the_fact_default() -> None:
    rule = {**ANC, "op": ">=", "max_age_days": 365}
    assert (
        apply_operator(leaf(rule), facts(number("lab.anc", 1.5, "10*9/L", OLD))).truth is Truth.TRUE
    )


def test_facts_without_a_max_age_are_never_too_old() -> None:
    rule = {"fact": "derived.gc_dose_mg_day", "op": "<=", "value": 10, "unit": "mg/d"}
    value = number("derived.gc_dose_mg_day", 5, "mg/d", date(2000, 1, 1))
    assert apply_operator(leaf(rule), facts(value)).truth is Truth.TRUE


def test_derived_values_too_old_ask_for_their_inputs() -> None:
    rule = {"fact": "derived.crcl", "op": ">=", "value": 60, "unit": "mL/min"}
    evidence = apply_operator(leaf(rule), facts(number("derived.crcl", 90, "mL/min", OLD)))
    assert evidence.truth is Truth.UNKNOWN
    assert evidence.missing_facts == ("lab.creatinine", "weight_kg")


def test_missing_derived_value_asks_for_the_missing_inputs() -> None:
    rule = {"fact": "derived.crcl", "op": ">=", "value": 60, "unit": "mL/min"}
    evidence = apply_operator(
        leaf(rule), facts(missing_inputs={"derived.crcl": ("lab.creatinine",)})
    )
    assert evidence.missing_facts == ("lab.creatinine",)


ALT_ULN = {"fact": "lab.alt", "op": "<=", "value": 3, "unit": "xULN"}


@pytest.mark.parametrize(
    ("patient", "uln", "assumed", "expected"),
    [
        (100.0, 40.0, True, Truth.TRUE),
        (130.0, 40.0, True, Truth.FALSE),
        (130.0, 50.0, False, Truth.TRUE),
        (130.0, None, False, Truth.UNKNOWN),
    ],
)
def test_uln_multiples(patient: float, uln: float | None, assumed: bool, expected: Truth) -> None:
    value = number("lab.alt", patient, "U/L", uln=uln, uln_assumed=assumed)
    evidence = apply_operator(leaf(ALT_ULN), facts(value))
    assert evidence.truth is expected
    if uln is not None:
        assert evidence.uln == uln
        assert evidence.uln_assumed is assumed
        assert ("assumed default" in evidence.reason) is assumed


@pytest.mark.parametrize(
    ("op", "threshold", "count", "expected"),
    [
        (">=", 1, 1, Truth.TRUE),
        (">=", 2, 1, Truth.UNKNOWN),
        ("<=", 0, 1, Truth.FALSE),
        ("<=", 2, 1, Truth.UNKNOWN),
        ("==", 1, 1, Truth.UNKNOWN),
        ("between", [0, 0], 1, Truth.FALSE),
    ],
)
def test_lower_bound_counts_only_decide_what_more_data_cannot_undo(
    op: str, threshold: Any, count: float, expected: Truth
) -> None:
    rule = {"fact": "score.bilag_a_count", "op": op, "value": threshold}
    value = number("score.bilag_a_count", count, "{count}", lower_bound=True, notes=("7 of 9",))
    assert apply_operator(leaf(rule), facts(value)).truth is expected


@pytest.mark.parametrize(
    ("op", "patient", "day", "expected"),
    [
        ("is_true", True, RECENT, Truth.TRUE),
        ("is_true", False, RECENT, Truth.FALSE),
        ("is_false", False, RECENT, Truth.TRUE),
        ("is_false", True, RECENT, Truth.FALSE),
        ("is_true", None, None, Truth.UNKNOWN),
        ("is_false", None, None, Truth.UNKNOWN),
        ("is_true", True, date(2024, 1, 1), Truth.UNKNOWN),
        ("is_false", False, date(2024, 1, 1), Truth.UNKNOWN),
    ],
)
def test_boolean_operators(
    op: str, patient: bool | None, day: date | None, expected: Truth
) -> None:
    values = () if patient is None else (FactValue("serology.hbsag", patient, "", day),)
    evidence = apply_operator(leaf({"fact": "serology.hbsag", "op": op}), facts(*values))
    assert evidence.truth is expected


@pytest.mark.parametrize(
    ("patient", "expected"),
    [("female", Truth.TRUE), ("male", Truth.FALSE), (None, Truth.UNKNOWN)],
)
def test_enum_in(patient: str | None, expected: Truth) -> None:
    values = () if patient is None else (FactValue("sex", patient),)
    evidence = apply_operator(
        leaf({"fact": "sex", "op": "in", "value": ["female"]}), facts(*values)
    )
    assert evidence.truth is expected


@pytest.mark.parametrize(
    ("classes", "day", "expected"),
    [
        (("IV",), RECENT, Truth.TRUE),
        (("III", "V"), RECENT, Truth.TRUE),
        (("V",), RECENT, Truth.FALSE),
        (None, None, Truth.UNKNOWN),
        (("IV",), date(2001, 1, 1), Truth.TRUE),  # a biopsy class does not expire
    ],
)
def test_set_any_of(classes: tuple[str, ...] | None, day: date | None, expected: Truth) -> None:
    values = () if classes is None else (FactValue("lupus_nephritis_class", classes, "", day),)
    rule = {"fact": "lupus_nephritis_class", "op": "any_of", "value": ["III", "IV"]}
    assert apply_operator(leaf(rule), facts(*values)).truth is expected


def listed(treatments: tuple[Treatment, ...]) -> tuple[tuple[str, Treatment], ...]:
    return tuple((f"treatments[{i}]", t) for i, t in enumerate(treatments))


def rx(drug: str, start: date | None, end: date | None) -> Treatment:
    return Treatment(drug, start, end)


WITHIN_4_WEEKS = {"fact": "treatment.b_cell_targeted", "op": "within", "window": {"weeks": 4}}


@pytest.mark.parametrize(
    ("treatments", "complete", "expected"),
    [
        ((rx("rituximab", date(2026, 11, 1), None),), True, Truth.TRUE),  # ongoing
        ((rx("belimumab", date(2026, 1, 1), date(2026, 11, 1)),), False, Truth.TRUE),
        ((rx("rituximab", date(2026, 1, 1), date(2026, 10, 26)),), True, Truth.TRUE),  # first day
        ((rx("rituximab", date(2026, 1, 1), date(2026, 10, 25)),), True, Truth.FALSE),
        ((rx("rituximab", date(2026, 1, 1), date(2026, 10, 25)),), False, Truth.UNKNOWN),
        ((), True, Truth.FALSE),
        ((), False, Truth.UNKNOWN),
        ((rx("rituximab", None, None),), True, Truth.UNKNOWN),
        ((rx("rituximab", None, date(2026, 11, 20)),), True, Truth.TRUE),
        ((rx("rituximab", date(2026, 12, 1), None),), True, Truth.FALSE),  # planned, not given
        ((rx("methotrexate", date(2026, 11, 1), None),), True, Truth.FALSE),  # another class
    ],
)
def test_treatment_within(
    treatments: tuple[Treatment, ...], complete: bool, expected: Truth
) -> None:
    state = facts(treatments=listed(treatments), treatments_complete=complete)
    assert apply_operator(leaf(WITHIN_4_WEEKS), state).truth is expected


def test_a_course_after_the_screening_date_is_not_described_as_before_the_window() -> None:
    # It used to read "Last B-cell targeted therapy: rituximab (2026-12-01 ...), before
    # 2026-10-26", a date it is not before.
    course = (rx("rituximab", date(2026, 12, 1), date(2026, 12, 2)),)
    state = facts(treatments=listed(course), treatments_complete=True)
    evidence = apply_operator(leaf(WITHIN_4_WEEKS), state)
    assert evidence.truth is Truth.FALSE
    assert "before 2026-10-26" not in evidence.reason
    assert evidence.reason.endswith("after the screening date 2026-11-23, not counted")
    earlier = (rx("rituximab", date(2026, 1, 1), date(2026, 1, 2)), *course)
    state = facts(treatments=listed(earlier), treatments_complete=True)
    reason = apply_operator(leaf(WITHIN_4_WEEKS), state).reason
    assert reason.startswith("Last ")
    assert "2026-01-01" in reason.split(";")[0]
    assert "2026-12-01" not in reason.split(";")[0]


@pytest.mark.parametrize(
    ("treatments", "complete", "expected"),
    [
        ((rx("car_t", date(2025, 1, 1), date(2025, 1, 1)),), False, Truth.TRUE),
        ((rx("car_t", None, None),), False, Truth.TRUE),  # undated still happened
        ((), True, Truth.FALSE),
        ((), False, Truth.UNKNOWN),
    ],
)
def test_treatment_ever(treatments: tuple[Treatment, ...], complete: bool, expected: Truth) -> None:
    state = facts(treatments=listed(treatments), treatments_complete=complete)
    evidence = apply_operator(leaf({"fact": "treatment.car_t", "op": "ever"}), state)
    assert evidence.truth is expected
    assert evidence.missing_facts == (("treatment.car_t",) if expected is Truth.UNKNOWN else ())


@pytest.mark.parametrize(
    ("treatments", "complete", "expected"),
    [
        ((rx("azathioprine", None, None), rx("mycophenolate", None, None)), False, Truth.TRUE),
        ((rx("azathioprine", None, None), rx("azathioprine", None, None)), True, Truth.FALSE),
        ((rx("azathioprine", None, None),), False, Truth.UNKNOWN),
        ((rx("azathioprine", None, None), rx("csdmard", None, None)), True, Truth.UNKNOWN),
        ((rx("csdmard", None, None), rx("calcineurin_inhibitor", None, None)), True, Truth.UNKNOWN),
    ],
)
def test_treatment_count_at_least(
    treatments: tuple[Treatment, ...], complete: bool, expected: Truth
) -> None:
    rule = {"fact": "treatment.immunosuppressant", "op": "count_at_least", "value": 2}
    state = facts(treatments=listed(treatments), treatments_complete=complete)
    assert apply_operator(leaf(rule), state).truth is expected


DURATION_3_MONTHS = {
    "fact": "treatment.glucocorticoid",
    "op": "duration_at_least",
    "window": {"months": 3},
}


@pytest.mark.parametrize(
    ("treatments", "complete", "expected"),
    [
        ((rx("prednisone", date(2026, 8, 23), None),), True, Truth.TRUE),
        ((rx("prednisone", date(2026, 8, 24), None),), True, Truth.FALSE),
        ((rx("prednisone", date(2026, 8, 24), None),), False, Truth.UNKNOWN),
        ((rx("methylprednisolone", date(2020, 1, 1), date(2020, 6, 1)),), True, Truth.TRUE),
        ((rx("prednisone", None, None),), True, Truth.UNKNOWN),
        ((), True, Truth.FALSE),
        ((), False, Truth.UNKNOWN),
    ],
)
def test_treatment_duration_at_least(
    treatments: tuple[Treatment, ...], complete: bool, expected: Truth
) -> None:
    state = facts(treatments=listed(treatments), treatments_complete=complete)
    assert apply_operator(leaf(DURATION_3_MONTHS), state).truth is expected


@pytest.mark.parametrize(
    ("rule", "item", "expected"),
    [
        ({"op": "ever"}, HistoryItem("history.malignancy", True), Truth.TRUE),
        ({"op": "ever"}, HistoryItem("history.malignancy", False), Truth.FALSE),
        ({"op": "ever"}, HistoryItem("history.malignancy", None), Truth.UNKNOWN),
        ({"op": "ever"}, None, Truth.UNKNOWN),
        (
            {"op": "within", "window": {"years": 5}},
            HistoryItem("history.malignancy", True, date(2023, 1, 1)),
            Truth.TRUE,
        ),
        (
            {"op": "within", "window": {"years": 5}},
            HistoryItem("history.malignancy", True, date(2015, 1, 1)),
            Truth.FALSE,
        ),
        (
            {"op": "within", "window": {"years": 5}},
            HistoryItem("history.malignancy", True, None),
            Truth.UNKNOWN,
        ),
        (
            {"op": "within", "window": {"years": 5}},
            HistoryItem("history.malignancy", False),
            Truth.FALSE,
        ),
        (
            {"op": "duration_at_least", "window": {"months": 6}},
            HistoryItem("history.malignancy", True, date(2020, 1, 1)),
            Truth.TRUE,
        ),
        (
            {"op": "duration_at_least", "window": {"months": 6}},
            HistoryItem("history.malignancy", True, date(2026, 10, 1)),
            Truth.FALSE,
        ),
        (
            {"op": "count_at_least", "value": 2},
            HistoryItem("history.malignancy", True, date(2020, 1, 1)),
            Truth.UNKNOWN,
        ),
    ],
)
def test_history_events(rule: dict[str, Any], item: HistoryItem | None, expected: Truth) -> None:
    history = {} if item is None else {item.item: item}
    evidence = apply_operator(leaf({"fact": "history.malignancy", **rule}), facts(history=history))
    assert evidence.truth is expected


def dx(condition: str, **extra: Any) -> Diagnosis:
    return Diagnosis(condition, **extra)


@pytest.mark.parametrize(
    ("rule", "diagnoses", "expected"),
    [
        ({"value": "sle"}, (dx("sle"),), Truth.TRUE),
        ({"value": "sle"}, (dx("lupus_nephritis"),), Truth.TRUE),
        ({"value": "lupus_nephritis"}, (dx("sle"),), Truth.UNKNOWN),
        (
            {"value": "lupus_nephritis"},
            (dx("sle", lupus_nephritis=LupusNephritisBiopsy(("IV",))),),
            Truth.TRUE,
        ),
        ({"value": "ra"}, (dx("sle"),), Truth.FALSE),
        ({"value": "ra"}, (), Truth.UNKNOWN),
        ({"value": ["ra", "sjogren"]}, (dx("sjogren"),), Truth.TRUE),
        ({"value": "inflammatory_myopathy"}, (dx("jdm"),), Truth.TRUE),
        ({"value": "dm"}, (dx("inflammatory_myopathy"),), Truth.UNKNOWN),
        ({"value": "aav"}, (dx("egpa"),), Truth.TRUE),
        (
            {"value": "sle", "min_duration": {"months": 6}},
            (dx("sle", diagnosis_date=date(2026, 5, 23)),),
            Truth.TRUE,
        ),
        (
            {"value": "sle", "min_duration": {"months": 6}},
            (dx("sle", diagnosis_date=date(2026, 5, 24)),),
            Truth.FALSE,
        ),
        ({"value": "sle", "min_duration": {"months": 6}}, (dx("sle"),), Truth.UNKNOWN),
        (
            {"value": "sle", "classification": ["2019 EULAR/ACR"]},
            (dx("sle", classification=("2019 EULAR/ACR",)),),
            Truth.TRUE,
        ),
        (
            {"value": "sle", "classification": ["2019 EULAR/ACR"]},
            (dx("sle", classification=("1997 ACR",)),),
            Truth.UNKNOWN,
        ),
        (
            {"value": "sle", "status": ["refractory"]},
            (dx("sle", status=("refractory",)),),
            Truth.TRUE,
        ),
        ({"value": "sle", "status": ["refractory"]}, (dx("sle"),), Truth.UNKNOWN),
        ({"value": "ssc", "subtype": ["diffuse"]}, (dx("ssc", subtype="diffuse"),), Truth.TRUE),
        ({"value": "ssc", "subtype": ["diffuse"]}, (dx("ssc", subtype="limited"),), Truth.FALSE),
        ({"value": "ssc", "subtype": ["diffuse"]}, (dx("ssc"),), Truth.UNKNOWN),
        # One matching diagnosis is enough, whatever the others say.
        (
            {"value": "ssc", "subtype": ["diffuse"]},
            (dx("ssc", subtype="limited"), dx("ssc", subtype="diffuse")),
            Truth.TRUE,
        ),
    ],
)
def test_condition_has(
    rule: dict[str, Any], diagnoses: tuple[Diagnosis, ...], expected: Truth
) -> None:
    evidence = apply_operator(
        leaf({"fact": "diagnosis", "op": "has", **rule}), facts(diagnoses=diagnoses)
    )
    assert evidence.truth is expected
    assert bool(evidence.missing_facts) is (expected is Truth.UNKNOWN)


def test_every_operator_has_a_function() -> None:
    assert set(OPERATORS) == {
        ">=",
        ">",
        "<=",
        "<",
        "==",
        "between",
        "is_true",
        "is_false",
        "in",
        "any_of",
        "ever",
        "within",
        "duration_at_least",
        "count_at_least",
        "has",
    }


def test_window_start_clamps_to_month_end() -> None:
    assert Window(1, "months").start(date(2026, 3, 31)) == date(2026, 2, 28)
    assert Window(2, "years").start(date(2024, 2, 29)) == date(2022, 2, 28)
    assert Window(3, "days").start(date(2026, 1, 2)) == date(2025, 12, 30)
    assert Window(1, "weeks").describe() == "1 week"


@pytest.mark.parametrize(
    ("rule", "complete", "expected"),
    [
        ({"fact": "treatment.rituximab", "op": "ever"}, True, Truth.FALSE),
        ({"fact": "treatment.rituximab", "op": "ever"}, False, Truth.UNKNOWN),
        ({"fact": "treatment.anti_cd20", "op": "count_at_least", "value": 1}, True, Truth.FALSE),
        (
            {"fact": "treatment.rituximab", "op": "duration_at_least", "window": {"days": 1}},
            True,
            Truth.FALSE,
        ),
    ],
)
def test_a_course_after_the_screening_date_is_not_counted_by_any_treatment_operator(
    rule: dict[str, object], complete: bool, expected: Truth
) -> None:
    # "within" already left such a course out; "ever", counts and durations counted it, so a
    # planned course could satisfy "prior rituximab" while a window said it had not happened.
    planned = (rx("rituximab", date(2026, 12, 1), date(2027, 3, 1)),)
    state = facts(treatments=listed(planned), treatments_complete=complete)
    evidence = apply_operator(leaf(rule), state)
    assert evidence.truth is expected
    assert evidence.reason.endswith("after the screening date 2026-11-23, not counted")
    given = (rx("rituximab", date(2026, 1, 1), date(2026, 3, 1)), *planned)
    state = facts(treatments=listed(given), treatments_complete=complete)
    evidence = apply_operator(leaf(rule), state)
    assert evidence.truth is Truth.TRUE
    assert "2026-12-01" not in str(evidence.patient_value)
    assert evidence.reason.endswith("not counted")
