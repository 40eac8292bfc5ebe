"""The quiet path (evaluate_atom, decide_criterion) gives evaluate_criterion's status and missing
facts for every atom the bundled, parsed and generated sets hold, without building any text."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import generate_study
from engine import Settings, build_facts, load_criteria, profile_from_dict
from engine.compiled import atom_body, atom_criterion, evaluate_atom
from engine.criteria import AllOf, AnyOf, AtLeast, Criterion, Leaf, Node, Not, ReviewLeaf, leaves
from engine.evaluator import decide_criterion, evaluate_criterion
from engine.facts import FACTS, FactKind, Facts, FactValue, fact_spec
from engine.loader import XULN
from engine.operators import Decision, decide_leaf
from engine.outcomes import CriterionStatus
from engine.parser import parse_criteria
from engine.profile import Diagnosis, HistoryItem, LupusNephritisBiopsy, Treatment
from engine.vocabulary import CLASSES, CONDITIONS, DRUGS

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
SCREENING = date.fromisoformat(
    json.loads((GOLDEN / "expected.json").read_text("utf-8"))["screening_date"]
)
PATIENTS = sorted(path.stem for path in GOLDEN.glob("*.json") if path.stem != "expected")
# Studies of each bench style: the registry style alone gives about 1,500 distinct atoms.
GENERATED = 200


def _criteria_text(path: Path) -> str:
    protocol = json.loads(path.read_text("utf-8"))["protocolSection"]
    text: str = protocol.get("eligibilityModule", {}).get("eligibilityCriteria", "")
    return text


def _leaf(fact: str, op: str, **extra: Any) -> dict[str, Any]:
    return {"fact": fact, "op": op, **extra}


# What neither the curated nor the parsed sets happen to hold: every operator with every option.
WRITTEN: dict[str, Any] = {
    "format": "trialmatch-criteria/1",
    "trial_id": "WRITTEN",
    "source": "curated",
    "criteria": [
        {"id": f"w-{index}", "kind": kind, "text": "written", "rule": rule, **extra}
        for index, (kind, rule, extra) in enumerate(
            [
                ("inclusion", _leaf("score.ecog", "==", value=1), {}),
                ("exclusion", _leaf("lab.alt", "between", value=[1, 3], unit="xULN"), {}),
                ("inclusion", _leaf("lab.anc", ">", value=1500, unit="/uL", max_age_days=14), {}),
                ("inclusion", _leaf("score.bilag_a_count", "<", value=2), {}),
                ("inclusion", _leaf("sex", "in", value=["female"]), {}),
                ("inclusion", _leaf("lupus_nephritis_class", "any_of", value=["III", "IV"]), {}),
                ("exclusion", _leaf("serology.hbsag", "is_true", max_age_days=30), {}),
                ("inclusion", _leaf("pregnant", "is_false"), {}),
                ("exclusion", _leaf("history.malignancy", "within", window={"years": 5}), {}),
                (
                    "inclusion",
                    _leaf("history.malignancy", "duration_at_least", window={"days": 9}),
                    {},
                ),
                ("exclusion", _leaf("history.cardiac_disease", "count_at_least", value=2), {}),
                ("exclusion", _leaf("treatment.rituximab", "within", window={"weeks": 26}), {}),
                (
                    "inclusion",
                    _leaf("treatment.glucocorticoid", "duration_at_least", window={"months": 3}),
                    {},
                ),
                ("inclusion", _leaf("treatment.immunosuppressant", "count_at_least", value=2), {}),
                ("exclusion", _leaf("treatment.car_t", "ever"), {}),
                (
                    "inclusion",
                    _leaf(
                        "diagnosis",
                        "has",
                        value=["sle", "lupus_nephritis"],
                        classification=["2019 EULAR/ACR", "SLICC 2012"],
                        status=["refractory", "relapsed"],
                        min_duration={"months": 6},
                    ),
                    {},
                ),
                ("inclusion", _leaf("diagnosis", "has", value="ra", subtype=["seropositive"]), {}),
                (
                    "exclusion",
                    {
                        "not": {
                            "at_least": 2,
                            "of": [
                                _leaf("lab.anc", ">=", value=1, unit="10*9/L"),
                                {"review": "clinically significant"},
                                _leaf("lab.platelets", ">=", value=100, unit="10*9/L"),
                            ],
                        }
                    },
                    {
                        "applies_if": {
                            "any": [
                                _leaf("childbearing_potential", "is_true"),
                                {"review": "investigator judges"},
                            ]
                        }
                    },
                ),
                ("inclusion", None, {"applies_if": _leaf("sex", "in", value=["male"])}),
            ]
        )
    ],
}


@functools.cache
def _sets() -> dict[str, dict[str, Any]]:
    """Every criteria set the tests read: curated, the parser's reading of the seeds and the
    corpus (with the corpus's hand-written expectations), and the bench generator's both
    styles as the parser reads them."""
    found: dict[str, dict[str, Any]] = {"written": WRITTEN}
    for path in sorted((ROOT / "resources" / "criteria").glob("*.json")):
        found[f"curated {path.stem}"] = json.loads(path.read_text("utf-8"))
    for path in sorted((ROOT / "resources" / "trials").glob("*.json")):
        found[f"parsed {path.stem}"] = parse_criteria(path.stem, _criteria_text(path)).criteria
    for path in sorted((ROOT / "tests" / "parser_corpus").glob("*.txt")):
        found[f"corpus {path.stem}"] = parse_criteria(path.stem, path.read_text("utf-8")).criteria
        expected = path.with_suffix(".expected.json")
        found[f"expected {path.stem}"] = json.loads(expected.read_text("utf-8"))
    for diversity in ("default", "registry"):
        for index in range(GENERATED):
            study, _ = generate_study(index, 2026, diversity)
            text = study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
            found[f"{diversity} {index}"] = parse_criteria(f"T{index}", text).criteria
    return found


@functools.cache
def _criteria() -> tuple[Criterion, ...]:
    """The curated sets' own criteria (ids, cohorts, groups, wording) and one criterion per
    distinct atom of all sets, read back from its stored form as the matcher reads it."""
    own: list[Criterion] = []
    bodies: set[str] = set()
    for data in _sets().values():
        criteria = load_criteria(data).criteria
        if data.get("source") == "curated":
            own.extend(criteria)
        bodies.update(atom_body(entry) for entry in data["criteria"])
    return (*own, *(atom_criterion(body) for body in sorted(bodies)))


def _expected(criterion: Criterion, facts: Facts) -> tuple[CriterionStatus, tuple[str, ...]]:
    result = evaluate_criterion(criterion, facts)
    return result.status, result.missing_facts


def _assert_all_equal(facts: Facts) -> set[CriterionStatus]:
    statuses: set[CriterionStatus] = set()
    for criterion in _criteria():
        expected = _expected(criterion, facts)
        assert evaluate_atom(criterion, facts) == expected, criterion
        statuses.add(expected[0])
    return statuses


def _nodes(node: Node | None) -> Iterator[Node]:
    if node is None:
        return
    yield node
    match node:
        case AllOf(children=children) | AnyOf(children=children) | AtLeast(children=children):
            for child in children:
                yield from _nodes(child)
        case Not(child=child):
            yield from _nodes(child)


def test_the_atoms_hold_every_node_kind_and_operator() -> None:
    """What the equivalence below covers: every node kind, every operator, ×ULN leaves, review
    parts and criteria, applicability conditions, cohorts and groups, both criterion kinds."""
    criteria = _criteria()
    nodes = [n for c in criteria for rule in (c.rule, c.applies_if) for n in _nodes(rule)]
    assert {type(n) for n in nodes} == {AllOf, AnyOf, AtLeast, Not, Leaf, ReviewLeaf}
    operators = {n.op for n in nodes if isinstance(n, Leaf)}
    assert operators == {
        *(">=", ">", "<=", "<", "==", "between", "is_true", "is_false", "in", "any_of"),
        *("ever", "within", "duration_at_least", "count_at_least", "has"),
    }
    assert any(isinstance(n, Leaf) and n.unit == XULN for n in nodes)
    assert any(isinstance(n, Leaf) and n.fact.startswith("history.") for n in nodes)
    assert any(c.rule is None for c in criteria)
    assert any(c.applies_if is not None for c in criteria)
    assert any(c.cohort is not None for c in criteria)
    assert any(c.group is not None for c in criteria)
    assert {c.kind.value for c in criteria} == {"inclusion", "exclusion"}
    # The registry style is what makes the atoms many.
    assert len(criteria) > 1500


def _golden_facts(name: str, screening: date) -> Facts:
    data = json.loads((GOLDEN / f"{name}.json").read_text("utf-8"))
    return build_facts(profile_from_dict(data, today=SCREENING), screening, Settings())


@pytest.mark.parametrize("patient", PATIENTS)
def test_golden_patients_get_evaluate_criterions_status_and_missing_facts(patient: str) -> None:
    statuses = _assert_all_equal(_golden_facts(patient, SCREENING))
    # Not a trivial agreement: the atoms come out every way.
    assert statuses >= {
        CriterionStatus.SATISFIED,
        CriterionStatus.VIOLATED,
        CriterionStatus.UNKNOWN,
        CriterionStatus.REVIEW,
    }


@pytest.mark.parametrize("patient", ["adult_refractory_sle", "child_sle", "ra"])
@pytest.mark.parametrize("days", [-400, 200])
def test_other_screening_dates_agree_too(patient: str, days: int) -> None:
    """Later: the entries grow too old; earlier: entries after the screening date are set aside
    and courses start after it."""
    _assert_all_equal(_golden_facts(patient, SCREENING + timedelta(days=days)))


# ---------------------------------------------------------------------------------------------
# Random facts, built directly so every combination the profile form would refuse occurs too


def _read_leaves() -> list[Leaf]:
    return [
        leaf
        for criterion in _criteria()
        for rule in (criterion.rule, criterion.applies_if)
        if rule is not None
        for leaf in leaves(rule)
        if isinstance(leaf, Leaf)
    ]


@functools.cache
def _thresholds() -> dict[str, tuple[float, ...]]:
    """Per NUMBER fact, the thresholds the atoms compare it with (×ULN ones as multiples)."""
    found: dict[str, set[float]] = {}
    for leaf in _read_leaves():
        if isinstance(leaf.value, float):
            found.setdefault(leaf.fact, set()).add(leaf.value)
        elif isinstance(leaf.value, tuple) and leaf.op == "between":
            found.setdefault(leaf.fact, set()).update(float(v) for v in leaf.value)
    return {fact: tuple(sorted(values)) for fact, values in found.items()}


@functools.cache
def _options() -> dict[str, tuple[str, ...]]:
    """Condition options and treatment ids the atoms name, to draw diagnoses and courses from."""
    read = _read_leaves()
    treatments = {leaf.fact.removeprefix("treatment.") for leaf in read}
    return {
        "classification": tuple(sorted({c for leaf in read for c in leaf.classification})),
        "status": tuple(sorted({s for leaf in read for s in leaf.status})),
        "subtype": tuple(sorted({s for leaf in read for s in leaf.subtype})),
        "drug": tuple(sorted((treatments & (set(DRUGS) | set(CLASSES))) | {"unlisted_drug"})),
        "history": tuple(sorted(f for f in FACTS if f.startswith("history."))),
    }


NUMBERS = sorted(name for name, spec in FACTS.items() if spec.kind is FactKind.NUMBER)
BOOLEANS = sorted(name for name, spec in FACTS.items() if spec.kind is FactKind.BOOLEAN)
# Fresh, at the limits of the 30, 90, 180 and 365-day windows, stale, after screening, undated.
AGES = (0, 5, 30, 31, 89, 90, 91, 180, 181, 365, 366, 1000, -3, -30)
DATES: tuple[date | None, ...] = (None, *(SCREENING - timedelta(days=d) for d in AGES))
FACTORS = (0.0, 0.5, 0.99, 1.0, 1.01, 1.5, 2.0, 3.0, 10.0)


@st.composite
def _number(draw: st.DrawFn, name: str) -> FactValue:
    spec = fact_spec(name)
    assert spec is not None
    uln = draw(st.none() | st.sampled_from((1.0, 35.0, 40.0, 120.0)))
    base = draw(st.sampled_from(_thresholds().get(name, (1.0, 50.0))))
    if uln is not None and draw(st.booleans()):
        base *= uln  # near a ×ULN threshold
    value = draw(st.sampled_from(FACTORS).map(lambda f: base * f) | st.floats(0, 2000))
    lower_bound = draw(st.booleans()) if name.startswith("score.") else False
    return FactValue(
        name,
        value,
        spec.unit,
        draw(st.sampled_from(DATES)),
        entered=draw(st.none() | st.just(f"{value} {spec.unit}")),
        source="labs[0]",
        uln=uln,
        uln_assumed=uln is not None and draw(st.booleans()),
        lower_bound=lower_bound,
        notes=("renal domain not graded",) if lower_bound else (),
    )


@st.composite
def _diagnosis(draw: st.DrawFn) -> Diagnosis:
    options = _options()
    biopsy = draw(st.none() | st.builds(LupusNephritisBiopsy, classes=st.just(("IV",))))
    return Diagnosis(
        condition=draw(st.sampled_from(sorted(CONDITIONS))),
        diagnosis_date=draw(st.sampled_from(DATES)),
        classification=tuple(draw(st.sets(st.sampled_from(options["classification"]))))[:2],
        subtype=draw(st.none() | st.sampled_from((*options["subtype"], "other"))),
        status=tuple(draw(st.sets(st.sampled_from(options["status"]), max_size=2))),
        lupus_nephritis=biopsy,
    )


@st.composite
def _treatment(draw: st.DrawFn) -> Treatment:
    start = draw(st.sampled_from(DATES))
    end = draw(st.sampled_from(DATES))
    if start is not None and end is not None and end < start:
        start, end = end, start
    return Treatment(draw(st.sampled_from(_options()["drug"])), start, end)


@st.composite
def _facts(draw: st.DrawFn) -> Facts:
    values: dict[str, FactValue] = {}
    for name in draw(st.lists(st.sampled_from(NUMBERS), unique=True, max_size=25)):
        values[name] = draw(_number(name))
    for name in draw(st.lists(st.sampled_from(BOOLEANS), unique=True, max_size=25)):
        truth = draw(st.booleans())
        entered = draw(st.none() | st.just("positive" if truth else "negative"))
        values[name] = FactValue(name, truth, "", draw(st.sampled_from(DATES)), entered)
    if draw(st.booleans()):
        values["sex"] = FactValue("sex", draw(st.sampled_from(("female", "male"))))
    if draw(st.booleans()):
        classes = draw(st.sets(st.sampled_from(("II", "III", "IV", "V")), max_size=2))
        values["lupus_nephritis_class"] = FactValue("lupus_nephritis_class", tuple(classes))
    # A derived value that is missing names the entries it needs.
    missing_inputs = {
        name: inputs
        for name, inputs in (
            ("derived.crcl", ("lab.creatinine", "weight_kg")),
            ("derived.egfr", ("lab.creatinine",)),
        )
        if name not in values and draw(st.booleans())
    }
    history = {
        item: HistoryItem(item, draw(st.none() | st.booleans()), draw(st.sampled_from(DATES)))
        for item in draw(st.lists(st.sampled_from(_options()["history"]), max_size=6))
    }
    treatments = draw(st.lists(_treatment(), max_size=8))
    return Facts(
        screening_date=SCREENING,
        values=values,
        diagnoses=tuple(draw(st.lists(_diagnosis(), max_size=3))),
        treatments=tuple((f"treatments[{i}]", t) for i, t in enumerate(treatments)),
        treatments_complete=draw(st.booleans()),
        history=history,
        missing_inputs=missing_inputs,
    )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(facts=_facts())
def test_random_facts_get_evaluate_criterions_status_and_missing_facts(facts: Facts) -> None:
    _assert_all_equal(facts)


# ---------------------------------------------------------------------------------------------
# No text on the quiet path


def _refuse(name: str) -> Callable[..., Any]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the quiet path called {name}")

    return refused


def test_the_quiet_path_builds_no_evidence_reason_or_number_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What makes it fast: no Evidence, node or criterion result, reason or formatted value."""
    everyone = [_golden_facts(patient, SCREENING) for patient in PATIENTS]
    expected = [[_expected(c, facts) for c in _criteria()] for facts in everyone]
    for module, names in (
        (
            "engine.operators",
            ("Evidence", "explain", "_shown", "_value_extra", "_describe", "_number_shown"),
        ),
        ("engine.operators", ("format_number", "format_quantity", "treatment_label")),
        ("engine.evaluator", ("Evidence", "NodeResult", "CriterionResult", "_reason")),
    ):
        for name in names:
            monkeypatch.setattr(f"{module}.{name}", _refuse(name))
    for facts, wanted in zip(everyone, expected, strict=True):
        assert [decide_criterion(c, facts) for c in _criteria()] == wanted


# ---------------------------------------------------------------------------------------------
# Shared nodes, decided once per patient


def _body(rule: dict[str, Any], kind: str = "inclusion") -> str:
    return atom_body({"kind": kind, "rule": rule})


ALT = _leaf("lab.alt", "<=", value=3, unit="xULN")
AST = _leaf("lab.ast", "<=", value=3, unit="xULN")


def test_atoms_share_their_equal_nodes_and_decide_them_once_per_facts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    liver = {"all": [ALT, AST]}
    anc = _leaf("lab.anc", ">=", value=1.5, unit="10*9/L")
    platelets = _leaf("lab.platelets", ">=", value=100, unit="10*9/L")
    first = atom_criterion(_body({"all": [anc, liver]}))
    second = atom_criterion(_body({"any": [liver, platelets]}))
    third = atom_criterion(_body({"not": ALT}, "exclusion"))
    assert isinstance(first.rule, AllOf)
    assert isinstance(second.rule, AnyOf)
    assert isinstance(third.rule, Not)
    shared = first.rule.children[1]
    assert isinstance(shared, AllOf)
    assert shared is second.rule.children[0]
    assert third.rule.child is shared.children[0]
    decided: list[str] = []

    def counting(leaf: Leaf, facts: Facts) -> Decision:
        decided.append(leaf.fact)
        return decide_leaf(leaf, facts)

    atoms = (first, second, third)
    patient = _golden_facts("adult_refractory_sle", SCREENING)
    low = _golden_facts("low_anc_sle", SCREENING)
    expected = [_expected(atom, facts) for facts in (patient, low) for atom in atoms]
    monkeypatch.setattr("engine.evaluator.decide_leaf", counting)
    assert [evaluate_atom(atom, patient) for atom in atoms] == expected[:3]
    assert decided == ["lab.anc", "lab.alt", "lab.ast", "lab.platelets"]
    # Other facts (a new object is a new patient) decide the nodes anew.
    decided.clear()
    assert [evaluate_atom(atom, low) for atom in atoms] == expected[3:]
    assert decided == ["lab.anc", "lab.alt", "lab.ast", "lab.platelets"]
    # The two patients differ on these atoms: the second is not answered from the first's.
    assert expected[:3] != expected[3:]
