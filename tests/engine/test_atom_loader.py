"""The fast atom loader gives what load_criteria reads of an atom, nodes shared, errors alike."""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import atom_loader, loader
from engine.atom_loader import atom_reads, document_atom, load_atom
from engine.compiled import compile_criteria_data
from engine.criteria import AllOf, AnyOf, AtLeast, Criterion, Node, Not
from engine.errors import CriteriaError
from engine.evaluator import evaluate_criterion
from engine.incremental import criterion_reads
from engine.loader import CRITERIA_FORMAT, load_criteria, load_leaf
from tests.engine.test_decide import SCREENING, _golden_facts, _nodes, _sets


def _by_document(body: str) -> Criterion:
    """The reference: the atom as a one-criterion criteria file read by ``load_criteria``
    (nothing shared), exactly as atoms were read before the fast path."""
    atom = json.loads(body)
    entry = {"id": "atom", "text": "atom", "kind": atom["kind"], "rule": atom["rule"]}
    if atom.get("applies_if") is not None:
        entry["applies_if"] = atom["applies_if"]
    document = {
        "format": CRITERIA_FORMAT,
        "trial_id": "atom",
        "source": "automatic",
        "criteria": [entry],
    }
    return load_criteria(document).criteria[0]


def _error(body: str, load: Any) -> tuple[str, str | None, str, str]:
    with pytest.raises(CriteriaError) as caught:
        load(body)
    error = caught.value
    return error.trial_id, error.criterion_id, error.path, error.problem


@pytest.fixture
def empty_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing loaded yet, as in a new process (the tables are put back afterwards)."""
    for name in ("_SHARED_NODES", "_FAST_LEAVES", "_NODE_READS", "_FACT_READS", "_READ_SETS"):
        monkeypatch.setattr(atom_loader, name, {})
    monkeypatch.setattr(loader, "_LOADED_LEAVES", {})


@functools.cache
def _bodies() -> tuple[str, ...]:
    """Every distinct atom of test_decide's sets (written, curated, the parser's reading of the
    seeds and corpus, the corpus expectations, both bench styles), curated ones compiled."""
    found: set[str] = set()
    for data in _sets().values():
        found.update(compile_criteria_data(data).atoms)
    return tuple(sorted(found))


def test_every_known_atom_loads_as_the_document_loader_reads_it(empty_tables: None) -> None:
    bodies = _bodies()
    assert len(bodies) > 1500
    fast = [load_atom(body) for body in bodies]
    for body, criterion in zip(bodies, fast, strict=True):
        assert criterion == _by_document(body), body
        # The same objects as the document path shares, whichever comes first.
        shared = document_atom(body)
        assert criterion.rule is shared.rule
        assert criterion.applies_if is shared.applies_if
        assert atom_reads(criterion) == criterion_reads(criterion), body
    # Not a trivial equality: the atoms hold rules of every node kind, applicability
    # conditions and review criteria, and equal nodes are one object.
    kinds = {type(n) for c in fast for rule in (c.rule, c.applies_if) for n in _nodes(rule)}
    assert kinds >= {AllOf, AnyOf, AtLeast, Not}
    assert any(c.applies_if is not None for c in fast)
    assert any(c.rule is None for c in fast)
    nodes = [n for c in fast for rule in (c.rule, c.applies_if) for n in _nodes(rule)]
    first: dict[Node, Node] = {}
    assert all(first.setdefault(n, n) is n for n in nodes)
    assert len(first) < 0.6 * len(nodes)


def test_atoms_read_first_by_the_document_loader_are_shared_with_the_fast_path(
    empty_tables: None,
) -> None:
    bodies = _bodies()[::7]
    shared = [document_atom(body) for body in bodies]
    for body, criterion in zip(bodies, shared, strict=True):
        fast = load_atom(body)
        assert fast == criterion
        assert fast.rule is criterion.rule
        assert fast.applies_if is criterion.applies_if


@pytest.mark.parametrize("patient", ["adult_refractory_sle", "ra"])
def test_fast_atoms_evaluate_as_the_document_loaders(patient: str) -> None:
    facts = _golden_facts(patient, SCREENING)
    for body in _bodies()[::3]:
        assert evaluate_criterion(load_atom(body), facts) == evaluate_criterion(
            _by_document(body), facts
        )


def test_full_tables_are_emptied_and_loading_goes_on_alike(
    empty_tables: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(atom_loader, "_KEPT", 40)
    tables = ("_SHARED_NODES", "_FAST_LEAVES", "_NODE_READS", "_FACT_READS", "_READ_SETS")
    emptied = 0
    before = 0
    for body in _bodies()[::5]:
        criterion = load_atom(body)
        assert criterion == _by_document(body), body
        assert atom_reads(criterion) == criterion_reads(criterion), body
        sizes = [len(getattr(atom_loader, name)) for name in tables]
        assert max(sizes) <= 40
        emptied += sum(sizes) < before
        before = sum(sizes)
    assert emptied > 3


# ---------------------------------------------------------------------------------------------
# Atoms the loader rejects


ANC = {"fact": "lab.anc", "op": ">=", "unit": "10*9/L", "value": 1.5}
COUNT = {"fact": "treatment.immunosuppressant", "op": "count_at_least", "value": 2}
RECENT = {"fact": "treatment.rituximab", "op": "within", "window": {"weeks": 26}}
FRESH = {"fact": "serology.hbsag", "op": "is_true", "max_age_days": 30}
BETWEEN = {"fact": "lab.alt", "op": "between", "unit": "xULN", "value": [1, 3]}
HAS = {"fact": "diagnosis", "op": "has", "value": ["sle"], "min_duration": {"months": 6}}


def _atom(rule: Any, kind: Any = "inclusion", applies_if: Any = None) -> str:
    return json.dumps({"applies_if": applies_if, "kind": kind, "rule": rule}, sort_keys=True)


def _with(leaf: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**leaf, **changes}


def _without(leaf: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in leaf.items() if k != key}


MALFORMED: dict[str, str] = {
    "kind": _atom(ANC, kind="criterion"),
    "kind not a string": _atom(ANC, kind=["inclusion"]),
    "rule not an object": _atom([ANC]),
    "unknown node": _atom({"every": [ANC]}),
    "unknown leaf key": _atom(_with(ANC, threshold=2)),
    "operator": _atom(_with(ANC, op="≥")),
    "operator of another kind": _atom(_with(RECENT, op=">=")),
    "value type": _atom(_with(ANC, value="1.5")),
    "value true": _atom(_with(ANC, value=True)),
    "count as a float": _atom(_with(COUNT, value=2.0)),
    "count true": _atom(_with(COUNT, value=True)),
    "max age as a float": _atom(_with(FRESH, max_age_days=30.0)),
    "between true": _atom(_with(BETWEEN, value=[1, True])),
    "between reversed": _atom(_with(BETWEEN, value=[3, 1])),
    "unknown fact": _atom(_with(ANC, fact="lab.neutrophils")),
    "unknown drug": _atom(_with(RECENT, fact="treatment.nothing")),
    "unit": _atom(_with(ANC, unit="furlongs")),
    "no unit": _atom(_without(ANC, "unit")),
    "xULN not for the fact": _atom(_with(ANC, unit="xULN")),
    "window": _atom(_with(RECENT, window={"fortnights": 2})),
    "window amount": _atom(_with(RECENT, window={"weeks": 2.0})),
    "no window": _atom(_without(RECENT, "window")),
    "condition": _atom(_with(HAS, value=["lupus"])),
    "min duration": _atom(_with(HAS, min_duration={"months": -1})),
    "empty all": _atom({"all": []}),
    "all not a list": _atom({"any": ANC}),
    "deep in all": _atom({"all": [ANC, {"any": [RECENT, _with(COUNT, value=0)]}]}),
    "deep in not": _atom({"not": {"not": _with(FRESH, max_age_days=-1)}}),
    "not of a list": _atom({"not": [ANC]}),
    "extra key next to all": _atom({"all": [ANC], "any": [ANC]}),
    "leaf key in a branch": _atom({"all": [ANC], "fact": "lab.anc"}),
    "branch key in a leaf": _atom(_with(ANC, review="why")),
    "at least too many": _atom({"at_least": 3, "of": [ANC, RECENT]}),
    "at least of one": _atom({"at_least": 1, "of": [ANC]}),
    "at least true": _atom({"at_least": True, "of": [ANC, RECENT]}),
    "at least a float": _atom({"at_least": 1.0, "of": [ANC, RECENT]}),
    "at least without of": _atom({"at_least": 1}),
    "bad child of at least": _atom({"at_least": 1, "of": [ANC, _with(RECENT, op="ever")]}),
    "empty review": _atom({"review": " "}),
    "review not text": _atom({"review": 3}),
    "node id not text": _atom({"all": [ANC], "id": 3}),
    "leaf text not text": _atom(_with(ANC, text=["anc"])),
    "applies_if": _atom(ANC, applies_if={"fact": "sex", "op": "in", "value": ["other"]}),
    "applies_if not an object": _atom(ANC, applies_if="female"),
    "kind before rule": _atom(_with(ANC, op="≥"), kind="exclusion "),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_atoms_raise_the_document_loaders_error(name: str) -> None:
    body = MALFORMED[name]
    expected = _error(body, _by_document)
    assert expected[:2] == ("atom", "atom")
    # Read again: the second time its valid leaves come from the fast path's table.
    assert _error(body, load_atom) == expected
    assert _error(body, load_atom) == expected


def test_a_leaf_read_before_does_not_vouch_for_one_that_differs_in_a_type(
    empty_tables: None,
) -> None:
    """1, 1.0 and True are equal in Python: the table must keep them apart."""
    for valid, wrong in (
        (COUNT, _with(COUNT, value=2.0)),
        (COUNT, _with(COUNT, value=True)),
        (_with(COUNT, value=1), _with(COUNT, value=True)),
        (FRESH, _with(FRESH, max_age_days=30.0)),
        (RECENT, _with(RECENT, window={"weeks": 26.0})),
        (BETWEEN, _with(BETWEEN, value=[True, 3])),
    ):
        assert load_atom(_atom(valid)) == _by_document(_atom(valid))
        assert _error(_atom(wrong), load_atom) == _error(_atom(wrong), _by_document)


def test_atoms_with_node_ids_or_wording_load_too() -> None:
    """Stored atoms have none (atom_body strips them); the document loader keeps them."""
    for rule in (
        {"all": [_with(ANC, id="anc", text="ANC ≥ 1.5"), RECENT], "id": "a", "text": "both"},
        {"not": RECENT, "text": "no rituximab"},
        {"at_least": 1, "of": [ANC, FRESH], "id": "x"},
        {"review": "judged", "id": "r"},
    ):
        body = _atom(rule)
        assert load_atom(body) == _by_document(body)


def test_what_the_document_path_raises_besides_criteria_errors_is_raised_alike() -> None:
    for body in ('{"rule": null}', "[]", "{", '{"kind": "inclusion", "rule": null} []'):
        with pytest.raises((KeyError, TypeError, ValueError)) as expected:
            _by_document(body)
        with pytest.raises(type(expected.value)):
            load_atom(body)


# ---------------------------------------------------------------------------------------------
# Random atoms: known leaves, changed at random, in random rule trees


@functools.cache
def _known_leaves() -> tuple[dict[str, Any], ...]:
    found: dict[str, dict[str, Any]] = {}

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            if "fact" in value:
                found[json.dumps(value, sort_keys=True)] = value
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    for body in _bodies():
        visit(json.loads(body))
    return tuple(found[key] for key in sorted(found))


KEYS = (
    *("fact", "op", "value", "unit", "window", "max_age_days", "classification"),
    *("status", "subtype", "min_duration", "id", "text", "not", "bogus"),
)
VALUES = st.sampled_from(
    [
        *(0, 1, 2, 1.0, 2.5, -1, True, False, None, "", "x", "sle", "female", "is_true"),
        *(">=", "within", "has", "10*9/L", "xULN", "g/dL", "lab.anc", "treatment.rituximab"),
        *([1, 3], [3, 1], [1.0, True], ["sle"], ["refractory"], [], {"weeks": 2}),
        *({"months": 1.0}, {"days": 3, "weeks": 1}, {"years": -2}),
    ]
)


@st.composite
def _leaf(draw: st.DrawFn) -> dict[str, Any]:
    leaf = copy.deepcopy(draw(st.sampled_from(_known_leaves())))
    # Mostly as stored, else one or two keys changed, added or removed.
    for _ in range(draw(st.sampled_from((0, 0, 0, 0, 1, 1, 2)))):
        key = draw(st.sampled_from(KEYS))
        if draw(st.booleans()) and key in leaf:
            del leaf[key]
        else:
            leaf[key] = draw(VALUES)
    return leaf


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    some = st.lists(children, min_size=1, max_size=4) | st.just([])
    return st.one_of(
        st.builds(lambda items: {"all": items}, some),
        st.builds(lambda items: {"any": items}, some),
        st.builds(lambda child: {"not": child}, children),
        st.builds(
            lambda count, items: {"at_least": count, "of": items},
            st.sampled_from([1, 1, 2, 2, 3, 0, True, 1.0]),
            some,
        ),
        st.builds(
            lambda node, key, value: {**node, key: value} if isinstance(node, dict) else node,
            children,
            st.sampled_from(["id", "text", "all", "review"]),
            VALUES,
        ),
    )


NODES = st.recursive(
    st.one_of(_leaf(), _leaf(), st.sampled_from([{"review": "judged"}, {"review": ""}, [], "x"])),
    _extend,
    max_leaves=8,
)


@st.composite
def _known_leaf(draw: st.DrawFn) -> dict[str, Any]:
    return draw(st.sampled_from(_known_leaves()))


def _valid(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    some = st.lists(children, min_size=1, max_size=4)
    return st.one_of(
        st.builds(lambda items: {"all": items}, some),
        st.builds(lambda items: {"any": items}, some),
        st.builds(lambda child: {"not": child}, children),
        st.lists(children, min_size=2, max_size=4).flatmap(
            lambda items: st.integers(1, len(items)).map(
                lambda count: {"at_least": count, "of": items}
            )
        ),
    )


# Rule trees of known leaves that load (most of the random ones above do not).
VALID_NODES = st.recursive(_known_leaf() | st.just({"review": "judged"}), _valid, max_leaves=8)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    rule=st.none() | VALID_NODES | NODES,
    applies_if=st.none() | st.none() | VALID_NODES | NODES,
    kind=st.sampled_from(["inclusion", "exclusion", "inclusion", "exclusion", "other"]),
)
def test_random_atoms_load_or_fail_as_the_document_loader_does(
    rule: Any, applies_if: Any, kind: str
) -> None:
    body = json.dumps({"kind": kind, "rule": rule, "applies_if": applies_if})
    try:
        expected = _by_document(body)
    except CriteriaError as error:
        failure = (error.trial_id, error.criterion_id, error.path, error.problem)
        assert _error(body, load_atom) == failure
    else:
        loaded = load_atom(body)
        assert loaded == expected
        assert atom_reads(loaded) == criterion_reads(loaded)


def test_stored_atoms_take_the_fast_path(
    empty_tables: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What makes it fast: no stored atom goes through the document loader, and a leaf is
    read (units converted, checked) once however many atoms hold it."""
    read: list[str] = []

    def counting(data: dict[str, Any]) -> Any:
        read.append(data["fact"])
        return load_leaf(data)

    monkeypatch.setattr(atom_loader, "document_atom", _refuse)
    monkeypatch.setattr(atom_loader, "load_criteria", _refuse)
    monkeypatch.setattr(atom_loader, "load_leaf", counting)
    bodies = _bodies()
    for body in bodies:
        load_atom(body)
    assert len(read) == len(_known_leaves())
    assert sum(body.count('"fact":') for body in bodies) > 2 * len(read)


def _refuse(*arguments: object) -> Any:
    raise AssertionError("the fast path read an atom through the document loader")
