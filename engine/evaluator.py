"""Evaluates a trial's criteria for a patient: Kleene logic, groups, cohorts and the verdict."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

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
    TrialCriteria,
)
from engine.facts import Facts
from engine.operators import decide_leaf, explain
from engine.outcomes import (
    CohortResult,
    Counts,
    CriterionResult,
    CriterionStatus,
    Evidence,
    NodeResult,
    TrialEvaluation,
    Truth,
    Verdict,
    all_of,
    any_of,
    at_least,
    negate,
)

_VERDICT_RANK = {
    Verdict.MEETS_CHECKABLE_CRITERIA: 0,
    Verdict.POTENTIALLY_ELIGIBLE: 1,
    Verdict.NOT_ELIGIBLE: 2,
}


# A node's truth and, when it is UNKNOWN, the facts that would settle it (else empty).
Decided = tuple[Truth, tuple[str, ...]]
_KINDS: dict[type[Node], str] = {AllOf: "all", AnyOf: "any", AtLeast: "at_least", Not: "not"}
# Decisions made for one Facts, by id of the node (kept with its decision).
NodeMemo = dict[int, tuple[Node, Decided]]


def _combined(node: AllOf | AnyOf | AtLeast | Not, truths: list[Truth]) -> Truth:
    """A branch node's truth from its children's, in order (Kleene, REVIEW a kind of unknown)."""
    match node:
        case AllOf():
            return all_of(truths)
        case AnyOf():
            return any_of(truths)
        case AtLeast(count=count):
            return at_least(count, truths)
        case _:
            return negate(truths[0])


def _children(node: AllOf | AnyOf | AtLeast | Not) -> tuple[Node, ...]:
    return (node.child,) if isinstance(node, Not) else node.children


def _unknown_facts(truth: Truth, children: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """Facts behind an UNKNOWN branch node: its children's, in order, each once (a child that is
    not UNKNOWN has none, so only the children that keep it unknown count)."""
    if truth is not Truth.UNKNOWN:
        return ()
    found: list[str] = []
    for facts in children:
        for fact in facts:
            if fact not in found:
                found.append(fact)
    return tuple(found)


def evaluate_node(node: Node, facts: Facts) -> NodeResult:
    """The node's truth with every child's result (Kleene logic, REVIEW a kind of unknown)."""
    match node:
        case Leaf():
            evidence = explain(node, decide_leaf(node, facts))
            return NodeResult("leaf", evidence.truth, (), evidence, node.id, node.text)
        case ReviewLeaf():
            evidence = Evidence(
                fact="",
                label="Study team review",
                truth=Truth.REVIEW,
                reason=f"For the study team to judge: {node.review}",
                node_id=node.id,
                text=node.text,
            )
            return NodeResult("review", Truth.REVIEW, (), evidence, node.id, node.text)
    results = tuple(evaluate_node(child, facts) for child in _children(node))
    truth = _combined(node, [r.truth for r in results])
    count = node.count if isinstance(node, AtLeast) else 0
    return NodeResult(_KINDS[type(node)], truth, results, None, node.id, node.text, count)


def decide_node(node: Node, facts: Facts, memo: NodeMemo | None = None) -> Decided:
    """``evaluate_node``'s truth and the facts behind it when UNKNOWN, without results or text.

    ``memo`` holds the decisions already made for these ``facts``, by node identity: atoms
    that share a node object (``engine.compiled`` shares equal nodes) decide it once.
    """
    if memo is not None:
        known = memo.get(id(node))
        # The node is kept with its decision, so no other node can have its id meanwhile.
        if known is not None and known[0] is node:
            return known[1]
    match node:
        case Leaf():
            decision = decide_leaf(node, facts)
            truth = decision.truth
            decided = truth, decision.missing_facts if truth is Truth.UNKNOWN else ()
        case ReviewLeaf():
            decided = Truth.REVIEW, ()
        case _:
            parts = [decide_node(child, facts, memo) for child in _children(node)]
            truth = _combined(node, [child_truth for child_truth, _ in parts])
            decided = truth, _unknown_facts(truth, (missing for _, missing in parts))
    if memo is not None:
        memo[id(node)] = (node, decided)
    return decided


def _evidence(result: NodeResult) -> tuple[Evidence, ...]:
    if result.evidence is not None:
        return (result.evidence,)
    return tuple(e for child in result.children for e in _evidence(child))


def _missing(result: NodeResult) -> tuple[str, ...]:
    """Facts behind an UNKNOWN node, following only the children that keep it unknown."""
    if result.evidence is not None:
        return result.evidence.missing_facts if result.truth is Truth.UNKNOWN else ()
    return _unknown_facts(result.truth, (_missing(child) for child in result.children))


def _status(kind: CriterionKind, truth: Truth) -> CriterionStatus:
    if truth is Truth.UNKNOWN:
        return CriterionStatus.UNKNOWN
    if truth is Truth.REVIEW:
        return CriterionStatus.REVIEW
    holds = truth is Truth.TRUE
    if kind is CriterionKind.EXCLUSION:
        holds = not holds
    return CriterionStatus.SATISFIED if holds else CriterionStatus.VIOLATED


def _reason(result: NodeResult) -> str:
    """Why the node has its truth: the deciding child, or every child that had to agree."""
    if result.evidence is not None:
        return result.evidence.reason
    if result.kind == "not":
        return _reason(result.children[0])
    if result.kind == "at_least":
        return _counted_reason(result)
    agreeing = [child for child in result.children if child.truth is result.truth]
    decided_by_one = (result.kind == "all" and result.truth is Truth.FALSE) or (
        result.kind == "any" and result.truth is Truth.TRUE
    )
    if decided_by_one:
        agreeing = agreeing[:1]
    # Siblings often give the same reason (one diagnosis list checked twice); say it once.
    return "; ".join(dict.fromkeys(_reason(child) for child in agreeing))


_TALLY_WORDS = (
    (Truth.TRUE, "met"),
    (Truth.FALSE, "not met"),
    (Truth.UNKNOWN, "not known"),
    (Truth.REVIEW, "for the study team"),
)


def _counted_reason(result: NodeResult) -> str:
    """The tally ("2 of the following 5 are needed: 1 met, 2 not known"), then the reasons of
    the children that decide it: the met ones when it holds, the failing ones when it fails,
    else the open ones."""
    truths = [child.truth for child in result.children]
    tally = ", ".join(
        f"{truths.count(truth)} {words}" for truth, words in _TALLY_WORDS if truth in truths
    )
    needed = "is" if result.count == 1 else "are"
    summary = f"{result.count} of the following {len(truths)} {needed} needed: {tally}"
    deciding = [child for child in result.children if child.truth is result.truth]
    reasons = "; ".join(dict.fromkeys(_reason(child) for child in deciding))
    return f"{summary}. {reasons}" if reasons else summary


def _criterion_outcome(
    kind: CriterionKind, rule: Decided | None, applies: Decided | None
) -> tuple[CriterionStatus, tuple[str, ...]]:
    """A criterion's status and the facts behind it when unknown, from its rule's and its
    ``applies_if``'s decisions (None: the criterion has none)."""
    if applies is not None and applies[0] is Truth.FALSE:
        return CriterionStatus.NOT_APPLICABLE, ()
    if rule is None:
        return CriterionStatus.REVIEW, ()
    status = _status(kind, rule[0])
    missing = rule[1]
    if applies is not None and applies[0] is not Truth.TRUE and status is CriterionStatus.VIOLATED:
        # It would rule the patient out only if it applies, and that is not known yet.
        status = CriterionStatus.REVIEW if applies[0] is Truth.REVIEW else CriterionStatus.UNKNOWN
        missing = applies[1]
    return status, missing if status is CriterionStatus.UNKNOWN else ()


def decide_criterion(
    criterion: Criterion, facts: Facts, memo: NodeMemo | None = None
) -> tuple[CriterionStatus, tuple[str, ...]]:
    """``evaluate_criterion``'s status and missing facts, without evidence or reasons
    (``memo``: as for ``decide_node``)."""
    applies_if, rule = criterion.applies_if, criterion.rule
    applies = None if applies_if is None else decide_node(applies_if, facts, memo)
    decided = None if rule is None else decide_node(rule, facts, memo)
    return _criterion_outcome(criterion.kind, decided, applies)


def _decided(result: NodeResult | None) -> Decided | None:
    return None if result is None else (result.truth, _missing(result))


def evaluate_criterion(criterion: Criterion, facts: Facts) -> CriterionResult:
    """One criterion's status with its evidence (effective_status = status until grouped)."""
    applies = None if criterion.applies_if is None else evaluate_node(criterion.applies_if, facts)

    def result(
        status: CriterionStatus,
        reason: str,
        evidence: tuple[Evidence, ...] = (),
        tree: NodeResult | None = None,
        missing: tuple[str, ...] = (),
    ) -> CriterionResult:
        return CriterionResult(
            criterion_id=criterion.id,
            kind=criterion.kind.value,
            text=criterion.text,
            status=status,
            effective_status=status,
            reason=reason,
            cohort=criterion.cohort,
            group=criterion.group,
            evidence=evidence,
            tree=tree,
            applies=applies,
            missing_facts=missing,
            verified=criterion.verified,
            reading=criterion.reading,
        )

    tree = None if criterion.rule is None else evaluate_node(criterion.rule, facts)
    status, missing = _criterion_outcome(criterion.kind, _decided(tree), _decided(applies))
    if status is CriterionStatus.NOT_APPLICABLE:
        assert applies is not None
        reason = f"Does not apply: {_reason(applies)}"
        return result(status, reason, _evidence(applies))
    if tree is None:
        return result(status, "Left to the study team (no computable rule)")
    reason = _reason(tree)
    if applies is not None and status is not _status(criterion.kind, tree.truth):
        # Not knowing whether it applies is what keeps the violation open: say so.
        reason = f"{reason}, if it applies: {_reason(applies)}"
    evidence = _evidence(tree) + (_evidence(applies) if applies is not None else ())
    return result(status, reason, evidence, tree, missing)


def _combine_group(statuses: Sequence[CriterionStatus]) -> CriterionStatus:
    """Mode "any": satisfied when any member is; violated only when every member is."""
    for candidate in (
        CriterionStatus.SATISFIED,
        CriterionStatus.UNKNOWN,
        CriterionStatus.REVIEW,
        CriterionStatus.VIOLATED,
    ):
        if candidate in statuses:
            return candidate
    return CriterionStatus.NOT_APPLICABLE


def _in_scope(result: CriterionResult, cohort: str | None) -> bool:
    return result.cohort is None or result.cohort == cohort


def _scope(
    results: Sequence[CriterionResult], cohort: str | None
) -> tuple[list[CriterionResult], list[tuple[str, CriterionStatus, tuple[str, ...]]]]:
    """Criteria in the scope with group-resolved effective status, and the verdict units."""
    scoped = [r for r in results if _in_scope(r, cohort)]
    group_status: dict[str, CriterionStatus] = {}
    for result in scoped:
        if result.group is not None and result.group not in group_status:
            members = [r.status for r in scoped if r.group == result.group]
            group_status[result.group] = _combine_group(members)
    resolved: list[CriterionResult] = []
    units: list[tuple[str, CriterionStatus, tuple[str, ...]]] = []
    for result in scoped:
        if result.group is None:
            resolved.append(result)
            units.append((result.criterion_id, result.status, (result.criterion_id,)))
            continue
        effective = group_status[result.group]
        resolved.append(_with_effective(result, effective))
        if all(unit[0] != result.group for unit in units):
            ids = tuple(r.criterion_id for r in scoped if r.group == result.group)
            units.append((result.group, effective, ids))
    return resolved, units


def _with_effective(result: CriterionResult, effective: CriterionStatus) -> CriterionResult:
    # Copying is the costly part of combining; a result that already says it is reused.
    if result.effective_status is effective:
        return result
    return replace(result, effective_status=effective)


def _counts(results: Sequence[CriterionResult]) -> Counts:
    tally = dict.fromkeys(CriterionStatus, 0)
    for result in results:
        tally[result.effective_status] += 1
    return Counts(
        satisfied=tally[CriterionStatus.SATISFIED],
        unknown=tally[CriterionStatus.UNKNOWN],
        violated=tally[CriterionStatus.VIOLATED],
        review=tally[CriterionStatus.REVIEW],
        not_applicable=tally[CriterionStatus.NOT_APPLICABLE],
    )


def _verdict(units: Sequence[tuple[str, CriterionStatus, tuple[str, ...]]]) -> Verdict:
    statuses = [status for _, status, _ in units]
    if CriterionStatus.VIOLATED in statuses:
        return Verdict.NOT_ELIGIBLE
    if CriterionStatus.UNKNOWN in statuses:
        return Verdict.POTENTIALLY_ELIGIBLE
    return Verdict.MEETS_CHECKABLE_CRITERIA


def evaluate_trial(criteria: TrialCriteria, facts: Facts) -> TrialEvaluation:
    """Evaluates every criterion, then the verdict through each cohort; the best cohort wins.

    A trial without cohorts has one scope, the common criteria. A near miss is a trial ruled
    out by exactly one criterion (or one "any" group) in its best cohort.
    """
    results = tuple(evaluate_criterion(criterion, facts) for criterion in criteria.criteria)
    return combine_results(criteria, results, facts)


def evaluation_notes(criteria: TrialCriteria, facts: Facts) -> tuple[str, ...]:
    """The notes a trial's evaluation carries: the facts' notes, and the automatic-rules one."""
    notes = list(facts.notes)
    if criteria.source == "automatic":
        notes.append(
            "Criteria were read automatically from the registry text and are not "
            "verified by a person"
        )
    return tuple(notes)


def combine_results(
    criteria: TrialCriteria, results: Sequence[CriterionResult], facts: Facts
) -> TrialEvaluation:
    """The trial's verdict from its criteria's results, one per criterion in order.

    ``results`` may come from an earlier combination (their effective status is recomputed:
    only the status is read), which is how an incremental re-match reuses unchanged criteria.
    A criterion outside any group has its status as effective status in every combination.
    """
    results = tuple(results)
    if not criteria.cohorts and all(r.group is None for r in results):
        return _combine_flat(criteria, results, facts)
    return _combine_scoped(criteria, results, facts)


def _combine_flat(
    criteria: TrialCriteria, results: tuple[CriterionResult, ...], facts: Facts
) -> TrialEvaluation:
    """``_combine_scoped`` for a trial without cohorts or groups, in one pass (the parser's
    sets are all like this): every criterion is its own verdict unit in the one scope."""
    final = tuple(
        r if r.effective_status is r.status else replace(r, effective_status=r.status)
        for r in results
    )
    counts = _counts(final)
    violated = tuple(r.criterion_id for r in final if r.status is CriterionStatus.VIOLATED)
    unknown_results = [r for r in final if r.status is CriterionStatus.UNKNOWN]
    verdict = _verdict([(r.criterion_id, r.status, ()) for r in final])
    missing: list[str] = []
    for result in unknown_results:
        missing.extend(f for f in result.missing_facts if f not in missing)
    cohort = CohortResult(
        cohort_id=None,
        label="All criteria",
        verdict=verdict,
        counts=counts,
        violated_ids=violated,
        unknown_ids=tuple(r.criterion_id for r in unknown_results),
    )
    return TrialEvaluation(
        trial_id=criteria.trial_id,
        source=criteria.source,
        screening_date=facts.screening_date,
        verdict=verdict,
        near_miss=verdict is Verdict.NOT_ELIGIBLE and len(violated) == 1,
        best_cohort=None,
        criteria=final,
        cohorts=(cohort,),
        counts=counts,
        missing_facts=tuple(missing),
        notes=evaluation_notes(criteria, facts),
    )


def _combine_scoped(
    criteria: TrialCriteria, results: tuple[CriterionResult, ...], facts: Facts
) -> TrialEvaluation:
    """Groups resolved per cohort scope, a verdict per cohort, the best cohort wins."""
    cohort_ids: list[str | None] = [c.id for c in criteria.cohorts] or [None]
    cohort_results: list[CohortResult] = []
    scopes: dict[str | None, tuple[list[CriterionResult], int]] = {}
    for cohort_id in cohort_ids:
        resolved, units = _scope(results, cohort_id)
        verdict = _verdict(units)
        violated = [unit for unit in units if unit[1] is CriterionStatus.VIOLATED]
        unknown = [unit for unit in units if unit[1] is CriterionStatus.UNKNOWN]
        cohort = criteria.cohort(cohort_id) if cohort_id is not None else None
        cohort_results.append(
            CohortResult(
                cohort_id=cohort_id,
                label=cohort.label if cohort is not None else "All criteria",
                verdict=verdict,
                counts=_counts(resolved),
                violated_ids=tuple(i for unit in violated for i in unit[2]),
                unknown_ids=tuple(i for unit in unknown for i in unit[2]),
            )
        )
        scopes[cohort_id] = (resolved, len(violated))
    best = min(
        range(len(cohort_results)),
        key=lambda i: (
            _VERDICT_RANK[cohort_results[i].verdict],
            scopes[cohort_results[i].cohort_id][1],
            cohort_results[i].counts.unknown,
            cohort_results[i].counts.review,
            i,
        ),
    )
    best_result = cohort_results[best]
    best_resolved, best_violated_units = scopes[best_result.cohort_id]
    effective = {r.criterion_id: r.effective_status for r in best_resolved}
    # Outside the best cohort a criterion keeps its own status (an earlier combination may
    # have given it a group's status for another cohort).
    final = tuple(_with_effective(r, effective.get(r.criterion_id, r.status)) for r in results)
    open_scopes = [c.cohort_id for c in cohort_results if c.verdict is not Verdict.NOT_ELIGIBLE]
    missing: list[str] = []
    for cohort_id in open_scopes or [best_result.cohort_id]:
        for result in scopes[cohort_id][0]:
            if result.effective_status is CriterionStatus.UNKNOWN:
                missing.extend(f for f in result.missing_facts if f not in missing)
    return TrialEvaluation(
        trial_id=criteria.trial_id,
        source=criteria.source,
        screening_date=facts.screening_date,
        verdict=best_result.verdict,
        near_miss=best_result.verdict is Verdict.NOT_ELIGIBLE and best_violated_units == 1,
        best_cohort=best_result.cohort_id,
        criteria=final,
        cohorts=tuple(cohort_results),
        counts=best_result.counts,
        missing_facts=tuple(missing),
        notes=evaluation_notes(criteria, facts),
    )
