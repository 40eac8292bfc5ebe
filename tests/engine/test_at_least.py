"""The "at least N of these" rule node: counting logic, loading, evaluation and explanation."""

from __future__ import annotations

from datetime import date
from itertools import combinations
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.criteria import AtLeast, Leaf, ReviewLeaf, leaves
from engine.errors import CriteriaError
from engine.evaluator import evaluate_trial
from engine.incremental import criterion_reads
from engine.loader import load_criteria
from engine.outcomes import CriterionStatus, Truth, all_of, any_of, at_least
from tests.engine.serology_flags import flags

SCREENING = date(2026, 11, 23)
T, F, U, R = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN, Truth.REVIEW
truth_lists = st.lists(st.sampled_from(list(Truth)), min_size=2, max_size=7)


def trial(rule: Any, kind: str = "inclusion") -> dict[str, Any]:
    return {
        "format": "trialmatch-criteria/1",
        "trial_id": "NCT01",
        "source": "curated",
        "criteria": [{"id": "inc-1", "kind": kind, "text": "criterion", "rule": rule}],
    }


def flag(name: str) -> dict[str, Any]:
    return {"fact": f"serology.{name}", "op": "is_true", "text": name}


TWO_OF_FOUR = {"at_least": 2, "of": [flag("hiv"), flag("hbsag"), flag("hcv_ab"), flag("syphilis")]}


@pytest.mark.parametrize(
    ("count", "values", "expected"),
    [
        (2, [T, T, F, F], T),
        (2, [T, F, F, F], F),
        (2, [T, U, F, F], U),
        (2, [T, R, F, F], R),
        (2, [U, R, F, F], U),
        (2, [F, F, F, U], F),  # one open child cannot make two
        (3, [T, T, U, R], U),
        (3, [T, R, R, F], R),
        (2, [U, U, U, T], U),
        (2, [R, R, F, F], R),
    ],
)
def test_counting_table(count: int, values: list[Truth], expected: Truth) -> None:
    assert at_least(count, values) is expected


@given(truth_lists)
def test_at_least_one_is_any(values: list[Truth]) -> None:
    assert at_least(1, values) is any_of(values)


@given(truth_lists)
def test_at_least_all_is_all(values: list[Truth]) -> None:
    assert at_least(len(values), values) is all_of(values)


@given(truth_lists, st.data())
def test_at_least_equals_any_over_every_combination(
    values: list[Truth], data: st.DataObject
) -> None:
    # The curated files used to spell "2 of 5" as an "any" over every pair; the node must
    # give the same truth, so no golden verdict moves when a file is rewritten with it.
    count = data.draw(st.integers(1, len(values)))
    expanded = any_of([all_of(list(combo)) for combo in combinations(values, count)])
    assert at_least(count, values) is expanded


@given(truth_lists, st.data())
def test_settling_an_open_child_never_undoes_a_decision(
    values: list[Truth], data: st.DataObject
) -> None:
    count = data.draw(st.integers(1, len(values)))
    before = at_least(count, values)
    open_positions = [i for i, value in enumerate(values) if value in (U, R)]
    if not open_positions:
        return
    position = data.draw(st.sampled_from(open_positions))
    settled = [*values]
    settled[position] = data.draw(st.sampled_from([T, F]))
    after = at_least(count, settled)
    if before in (T, F):
        assert after is before


# A child of each truth for the facts ``KNOWN``: HIV positive, HCV negative, HBsAg not entered.
CHILD_OF_TRUTH: dict[Truth, dict[str, Any]] = {
    T: flag("hiv"),
    F: flag("hcv_ab"),
    U: flag("hbsag"),
    R: {"review": "for the team"},
}
KNOWN = flags(hiv=True, hcv_ab=False)


@given(truth_lists, st.data())
def test_the_loaded_node_evaluates_like_any_and_all_at_the_ends(
    values: list[Truth], data: st.DataObject
) -> None:
    count = data.draw(st.sampled_from([1, len(values)]))
    children = [CHILD_OF_TRUTH[value] for value in values]
    counted = evaluate_trial(load_criteria(trial({"at_least": count, "of": children})), KNOWN)
    combinator = "any" if count == 1 else "all"
    plain = evaluate_trial(load_criteria(trial({combinator: children})), KNOWN)
    tree = counted.criteria[0].tree
    assert tree is not None
    assert [child.truth for child in tree.children] == values
    assert tree.truth is plain.criteria[0].tree.truth  # type: ignore[union-attr]
    assert counted.criteria[0].status is plain.criteria[0].status
    assert counted.criteria[0].missing_facts == plain.criteria[0].missing_facts


def test_loader_builds_the_node_with_its_children() -> None:
    loaded = load_criteria(trial({**TWO_OF_FOUR, "id": "core", "text": "two of four"}))
    rule = loaded.criteria[0].rule
    assert isinstance(rule, AtLeast)
    assert (rule.count, rule.id, rule.text) == (2, "core", "two of four")
    assert [leaf.fact for leaf in leaves(rule) if isinstance(leaf, Leaf)] == [
        "serology.hiv",
        "serology.hbsag",
        "serology.hcv_ab",
        "serology.syphilis",
    ]


@pytest.mark.parametrize(
    ("rule", "path", "problem"),
    [
        ({"at_least": 2.0, "of": [flag("hiv"), flag("hbsag")]}, "rule.at_least", "whole number"),
        ({"at_least": True, "of": [flag("hiv"), flag("hbsag")]}, "rule.at_least", "whole number"),
        ({"at_least": "2", "of": [flag("hiv"), flag("hbsag")]}, "rule.at_least", "whole number"),
        ({"at_least": 0, "of": [flag("hiv"), flag("hbsag")]}, "rule.at_least", "from 1 to 2"),
        ({"at_least": 3, "of": [flag("hiv"), flag("hbsag")]}, "rule.at_least", "from 1 to 2"),
        ({"at_least": 1, "of": [flag("hiv")]}, "rule.of", "at least 2 rule nodes"),
        ({"at_least": 1}, "rule.of", "at least 2 rule nodes"),
        ({"at_least": 1, "of": flag("hiv")}, "rule.of", "at least 2 rule nodes"),
        (
            {"at_least": 1, "of": [flag("hiv"), {"fact": "lab.neutrophils", "op": ">="}]},
            "rule.of[1].fact",
            "unknown fact 'lab.neutrophils'",
        ),
        (
            {"at_least": 1, "of": [flag("hiv"), flag("hbsag")], "any": []},
            "rule",
            "unknown key(s)",
        ),
    ],
)
def test_loader_errors_name_the_path(rule: dict[str, Any], path: str, problem: str) -> None:
    with pytest.raises(CriteriaError) as caught:
        load_criteria(trial(rule))
    assert caught.value.path == f"criteria[0].{path}"
    assert caught.value.criterion_id == "inc-1"
    assert problem in str(caught.value)


def test_explanation_counts_the_children() -> None:
    facts = flags(hiv=True, hcv_ab=False)  # hbsag and syphilis not entered
    result = evaluate_trial(load_criteria(trial(TWO_OF_FOUR)), facts).criteria[0]
    assert result.status is CriterionStatus.UNKNOWN
    assert result.reason.startswith(
        "2 of the following 4 are needed: 1 met, 1 not met, 2 not known. "
    )
    assert result.missing_facts == ("serology.hbsag", "serology.syphilis")
    assert [e.fact for e in result.evidence] == [
        "serology.hiv",
        "serology.hbsag",
        "serology.hcv_ab",
        "serology.syphilis",
    ]


def test_met_and_failed_explanations() -> None:
    met = evaluate_trial(load_criteria(trial(TWO_OF_FOUR)), flags(hiv=True, hbsag=True))
    assert met.criteria[0].status is CriterionStatus.SATISFIED
    assert met.criteria[0].reason.startswith("2 of the following 4 are needed: 2 met, 2 not known")
    failed = evaluate_trial(
        load_criteria(trial(TWO_OF_FOUR)),
        flags(hiv=True, hbsag=False, hcv_ab=False, syphilis=False),
    ).criteria[0]
    assert failed.status is CriterionStatus.VIOLATED
    assert failed.reason.startswith("2 of the following 4 are needed: 1 met, 3 not met. ")
    assert failed.missing_facts == ()


def test_review_child_leaves_it_for_the_team() -> None:
    rule = {"at_least": 2, "of": [flag("hiv"), {"review": "DAS ≥ 2"}, flag("hbsag")]}
    result = evaluate_trial(load_criteria(trial(rule)), flags(hiv=True, hbsag=False)).criteria[0]
    assert result.status is CriterionStatus.REVIEW
    assert "1 met, 1 not met, 1 for the study team" in result.reason


def test_exclusion_with_enough_met_children_is_violated() -> None:
    evaluation = evaluate_trial(
        load_criteria(trial(TWO_OF_FOUR, kind="exclusion")), flags(hcv_ab=True, syphilis=True)
    )
    assert evaluation.criteria[0].status is CriterionStatus.VIOLATED


def test_incremental_reads_see_the_leaves_under_the_node() -> None:
    rule = {"all": [flag("hiv"), {"at_least": 1, "of": [flag("hbsag"), {"review": "x"}]}]}
    criterion = load_criteria(trial(rule)).criteria[0]
    assert criterion_reads(criterion) == frozenset({"serology.hiv", "serology.hbsag"})
    node = criterion.rule
    assert node is not None
    assert any(isinstance(leaf, ReviewLeaf) for leaf in leaves(node))
