"""Stored rule atoms read back as criteria: a fast path equal to reading them with load_criteria.

An atom (``engine.compiled.atom_body``) is the canonical JSON of a criterion's kind, rule and
applies_if, without ids and wording. ``document_atom`` reads it the way it always was: wrapped
in a one-criterion criteria file and read by ``engine.loader.load_criteria``, then its rule
nodes shared with the atoms read before. ``load_atom`` gives the same criterion (==, and the
same shared node objects) without the per-file work: it walks the atom's rule nodes itself,
reads each distinct leaf once with the loader's own leaf reader (``engine.loader.load_leaf``:
every check and unit conversion of a leaf stays the loader's), and builds each distinct branch
node once. Anything it does not recognise as a well-formed node it knows (a node id or
wording, a node kind added to the loader later, any malformed part) goes to ``document_atom``,
so an atom the loader rejects raises the loader's CriteriaError, with the loader's trial,
criterion and path, and a new node kind still loads, only without the fast path. What the
fast path does check itself, the shape of the branch nodes (``all``/``any`` a non-empty list,
``at_least`` N of at least two, ``not``, ``review`` text), is the loader's rule written again:
a change of it in ``engine.loader`` is to be made here too. tests/engine/test_atom_loader.py
holds the two equal on every atom the tests know and on random, mostly malformed, atoms.

The tables below are module-wide caches of immutable objects (Leaf, ReviewLeaf, AllOf, ...,
and frozensets), so sharing them between atoms, sets and threads changes no result (two
threads may at worst build two equal nodes, decided apart); all are emptied together when one
reaches its bound, which costs only the sharing.
"""

from __future__ import annotations

import json
import marshal
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from engine.criteria import (
    AllOf,
    AnyOf,
    AtLeast,
    Criterion,
    CriterionKind,
    Leaf,
    Node,
    Not,
    ReviewLeaf,
)
from engine.errors import CriteriaError
from engine.incremental import fact_token
from engine.loader import CRITERIA_FORMAT, load_criteria, load_leaf

# One object per distinct rule node of the atoms loaded so far: atoms share their equal parts
# ("ALT and AST ≤ 3 × ULN" inside many organ-function rules), which a match then decides once
# per patient (``engine.compiled.evaluate_atom``). A leaf is its own key; a branch node's key
# names its already shared children by identity, so it is hashed without hashing their
# subtrees again. An entry's node holds its children, so the ids in its key stay theirs while
# the entry lives; emptying the table drops those keys with it.
_SHARED_NODES: dict[object, Node] = {}
# Leaves the fast path has read, by their JSON (``_fast_node``), as the shared Leaf.
_FAST_LEAVES: dict[bytes, Leaf] = {}
# The fact tokens each branch node reads (``atom_reads``), by node identity; the entry keeps
# the node, so no other node can take its id while the entry lives.
_NODE_READS: dict[int, tuple[Node, frozenset[str]]] = {}
# What a leaf on a fact reads, by fact name; each distinct set of reads, as one object (no
# more of them than entries of _NODE_READS).
_FACT_READS: dict[str, frozenset[str]] = {}
_READ_SETS: dict[frozenset[str], frozenset[str]] = {}
_NO_READS: frozenset[str] = frozenset()
# The bound of each table. The "registry" bench set of 100,000 trials stores about 16,000
# distinct atoms: some 20,000 shared nodes, 2,300 distinct leaves.
_KEPT = 200_000


def _empty_tables() -> None:
    # All at once, when any of them is full: then no table holds nodes the others have lost.
    for table in (_SHARED_NODES, _FAST_LEAVES, _NODE_READS, _FACT_READS, _READ_SETS):
        table.clear()


def share_node(node: Node) -> Node:
    """``node`` with every part replaced by the equal node loaded before, when there is one."""
    match node:
        case AllOf(children=children) | AnyOf(children=children) | AtLeast(children=children):
            shared = tuple(share_node(child) for child in children)
            count = node.count if isinstance(node, AtLeast) else 0
            key: object = (type(node), count, tuple(map(id, shared)), node.id, node.text)
            return _branch(key, replace, node, children=shared)
        case Not(child=child):
            shared_child = share_node(child)
            key = (Not, 0, (id(shared_child),), node.id, node.text)
            return _branch(key, replace, node, child=shared_child)
    return _branch(node, _itself, node)


def _itself(node: Node) -> Node:
    return node


def atom_document(body: str) -> dict[str, Any]:
    """The atom as a one-criterion criteria file (id "atom", no wording), for ``load_criteria``."""
    atom = json.loads(body)
    entry = {"id": "atom", "text": "atom", "kind": atom["kind"], "rule": atom["rule"]}
    if atom.get("applies_if") is not None:
        entry["applies_if"] = atom["applies_if"]
    return {
        "format": CRITERIA_FORMAT,
        "trial_id": "atom",
        "source": "automatic",
        "criteria": [entry],
    }


def document_atom(body: str) -> Criterion:
    """The criterion an atom stands for (id "atom", no wording), read by ``load_criteria`` as
    a one-criterion criteria file; its rule nodes shared (``share_node``).

    Raises CriteriaError when the atom does not load (the loader changed since it was stored).
    """
    document = atom_document(body)
    criterion = load_criteria(document).criteria[0]
    return replace(
        criterion,
        rule=None if criterion.rule is None else share_node(criterion.rule),
        applies_if=None if criterion.applies_if is None else share_node(criterion.applies_if),
    )


class _SlowPathError(Exception):
    """A part the fast path leaves to ``document_atom`` (malformed, or not a plain node)."""


_KINDS = {kind.value: kind for kind in CriterionKind}
# What json.loads runs, without its skipping of surrounding whitespace: a stored atom has
# none, and any other text goes to document_atom.
_DECODER = json.JSONDecoder()


def _read_leaf(data: dict[str, Any], key: bytes) -> Leaf:
    try:
        leaf = load_leaf(data)
    except CriteriaError:
        raise _SlowPathError from None
    shared = share_node(leaf)
    assert isinstance(shared, Leaf)
    if len(_FAST_LEAVES) >= _KEPT:
        _empty_tables()
    _FAST_LEAVES[key] = shared
    return shared


def _branch(shape: object, make: Callable[..., Node], *arguments: Any, **keywords: Any) -> Node:
    """The shared node of ``shape`` (a branch's kind, count, children's identities and
    wording; a leaf itself), made by ``make(*arguments, **keywords)`` the first time."""
    found = _SHARED_NODES.get(shape)
    if found is None:
        if len(_SHARED_NODES) >= _KEPT:
            _empty_tables()
        found = _SHARED_NODES[shape] = make(*arguments, **keywords)
    return found


def _fast_node(data: object) -> Node:
    """The shared node of a rule node as ``engine.loader`` reads it, for the node kinds and
    checks written here; raises _SlowPathError for anything else."""
    if type(data) is not dict:
        raise _SlowPathError
    if "fact" in data:
        # Keyed by the leaf's marshal form (format 2: no back-references): equal bytes are an
        # equal JSON value, with 1, 1.0 and True apart (they compare equal in Python but do
        # not load alike) and the keys in their order; built in C, cheaper than a tuple of it.
        # A dict with "fact" and a branch's key too is no leaf: the loader rejects it.
        key = marshal.dumps(data, 2)
        leaf = _FAST_LEAVES.get(key)
        return _read_leaf(data, key) if leaf is None else leaf
    if len(data) == 1:
        ((name, value),) = data.items()
        if name == "all" or name == "any":
            if type(value) is not list or not value:
                raise _SlowPathError
            children = tuple([_fast_node(item) for item in value])
            make = AllOf if name == "all" else AnyOf
            return _branch((make, 0, tuple(map(id, children)), None, None), make, children)
        if name == "not":
            child = _fast_node(value)
            return _branch((Not, 0, (id(child),), None, None), Not, child)
        if name == "review":
            if type(value) is not str or not value.strip():
                raise _SlowPathError
            return share_node(ReviewLeaf(value))
    if len(data) == 2 and "at_least" in data and "of" in data:
        count = data["at_least"]
        items = data["of"]
        if (
            type(count) is not int
            or type(items) is not list
            or len(items) < 2
            or not 1 <= count <= len(items)
        ):
            raise _SlowPathError
        children = tuple([_fast_node(item) for item in items])
        return _branch(
            (AtLeast, count, tuple(map(id, children)), None, None), AtLeast, count, children
        )
    raise _SlowPathError


def load_atom(body: str) -> Criterion:
    """``document_atom(body)``, the same criterion with the same shared nodes, read faster.

    Raises what ``document_atom`` raises (CriteriaError when the atom does not load).
    """
    try:
        atom, end = _DECODER.raw_decode(body)
    except ValueError:
        end = -1  # json.loads (document_atom) raises its own error
    if end == len(body) and type(atom) is dict and "kind" in atom and "rule" in atom:
        kind_text = atom["kind"]
        kind = _KINDS.get(kind_text) if type(kind_text) is str else None
        if kind is not None:
            rule_data = atom["rule"]
            applies_data = atom.get("applies_if")
            try:
                rule = None if rule_data is None else _fast_node(rule_data)
                applies_if = None if applies_data is None else _fast_node(applies_data)
            except _SlowPathError:
                pass
            else:
                return Criterion("atom", kind, "atom", rule, None, None, applies_if)
    return document_atom(body)


def _fact_reads(fact: str) -> frozenset[str]:
    if len(_FACT_READS) >= _KEPT:
        _empty_tables()
    reads = _FACT_READS[fact] = frozenset((fact_token(fact),))
    return reads


def _node_reads(node: Node) -> frozenset[str]:
    if isinstance(node, Leaf):
        return _FACT_READS.get(node.fact) or _fact_reads(node.fact)
    if isinstance(node, ReviewLeaf):
        return _NO_READS
    known = _NODE_READS.get(id(node))
    if known is not None and known[0] is node:
        return known[1]
    if isinstance(node, Not):
        reads = _node_reads(node.child)
    else:
        assert isinstance(node, AllOf | AnyOf | AtLeast)
        union = _NO_READS.union(
            *[
                (_FACT_READS.get(child.fact) or _fact_reads(child.fact))
                if type(child) is Leaf
                else _node_reads(child)
                for child in node.children
            ]
        )
        # Most branch nodes read one of a few sets of facts: one object each.
        reads = _READ_SETS.setdefault(union, union)
    if len(_NODE_READS) >= _KEPT:
        _empty_tables()
    _NODE_READS[id(node)] = (node, reads)
    return reads


def atom_reads(criterion: Criterion) -> frozenset[str]:
    """``engine.incremental.criterion_reads(criterion)``, remembered per rule node: atoms share
    their nodes, so most of a new atom's reads are known already."""
    rule, applies_if = criterion.rule, criterion.applies_if
    reads = _NO_READS if rule is None else _node_reads(rule)
    if applies_if is not None:
        reads = reads | _node_reads(applies_if)
    return reads
