"""Criteria file dict → TrialCriteria, validated against the fact vocabulary (CriteriaError)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeGuard, cast

from engine.criteria import (
    WINDOW_UNITS,
    AllOf,
    AnyOf,
    AtLeast,
    Cohort,
    Criterion,
    CriterionKind,
    Group,
    Leaf,
    LeafValue,
    Node,
    Not,
    ReviewLeaf,
    TrialCriteria,
    Window,
)
from engine.errors import CriteriaError
from engine.facts import FactKind, fact_spec
from engine.units import UnitError, display_unit, format_number, resolve_unit, to_canonical
from engine.vocabulary import CONDITIONS

CRITERIA_FORMAT = "trialmatch-criteria/1"
XULN = "xULN"
CONDITION_STATUSES: tuple[str, ...] = ("refractory", "relapsed", "progressive")

OPS_BY_KIND: dict[FactKind, tuple[str, ...]] = {
    FactKind.NUMBER: (">=", ">", "<=", "<", "==", "between"),
    FactKind.BOOLEAN: ("is_true", "is_false"),
    FactKind.ENUM: ("in",),
    FactKind.SET: ("any_of",),
    FactKind.EVENT: ("ever", "within", "duration_at_least", "count_at_least"),
    FactKind.CONDITION: ("has",),
}

_NODE_META = {"id", "text"}
_LEAF_KEYS = {
    "fact",
    "op",
    "value",
    "unit",
    "window",
    "max_age_days",
    "classification",
    "status",
    "subtype",
    "min_duration",
    *_NODE_META,
}
_CRITERION_KEYS = {
    "id",
    "kind",
    "cohort",
    "group",
    "text",
    "rule",
    "applies_if",
    "reading",
    "verified",
    "span",
}
# Leaf keys that only one fact kind takes, in the order they are checked.
_KIND_ONLY_KEYS: tuple[tuple[str, FactKind], ...] = (
    ("window", FactKind.EVENT),
    ("classification", FactKind.CONDITION),
    ("status", FactKind.CONDITION),
    ("subtype", FactKind.CONDITION),
    ("min_duration", FactKind.CONDITION),
    ("unit", FactKind.NUMBER),
)
_TOP_KEYS = {"format", "trial_id", "source", "cohorts", "groups", "criteria", "title", "notes"}


class _Context:
    """Where in the file we are, so every error names trial, criterion and JSON path."""

    def __init__(self, trial_id: str) -> None:
        self.trial_id = trial_id
        self.criterion_id: str | None = None

    def fail(self, path: str, problem: str) -> CriteriaError:
        return CriteriaError(self.trial_id, self.criterion_id, path, problem)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _optional_str(ctx: _Context, data: Mapping[str, Any], key: str, path: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ctx.fail(f"{path}.{key}", f"must be a string, not {type(value).__name__}")
    return value


def _str_list(ctx: _Context, value: object, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ctx.fail(path, "must be a string or a list of strings")
    return tuple(value)


def _window(ctx: _Context, value: object, path: str) -> Window:
    if not isinstance(value, dict) or len(value) != 1:
        raise ctx.fail(path, 'must be one of {"days"|"weeks"|"months"|"years": n}')
    ((unit, amount),) = value.items()
    if unit not in WINDOW_UNITS:
        raise ctx.fail(path, f"unknown window key {unit!r} (use days, weeks, months or years)")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise ctx.fail(f"{path}.{unit}", "must be a non-negative whole number")
    return Window(amount, unit)


def _check_keys(ctx: _Context, data: Mapping[str, Any], allowed: set[str], path: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ctx.fail(path, f"unknown key(s) {', '.join(map(repr, unknown))}")


def _number_leaf(
    ctx: _Context,
    data: Mapping[str, Any],
    path: str,
    fact: str,
    op: str,
    has_uln: bool,
    canonical: str,
) -> tuple[LeafValue, str, str]:
    raw = data.get("value")
    if op == "between":
        if not (isinstance(raw, list) and len(raw) == 2 and all(_is_number(v) for v in raw)):
            raise ctx.fail(f"{path}.value", "between needs [low, high] numbers")
        if raw[0] > raw[1]:
            raise ctx.fail(f"{path}.value", "between needs low ≤ high")
        numbers = [float(v) for v in raw]
    elif _is_number(raw):
        numbers = [float(raw)]
    else:
        raise ctx.fail(f"{path}.value", f"{op} needs a number, got {raw!r}")
    unit_text = data.get("unit")
    if unit_text is not None and not isinstance(unit_text, str):
        raise ctx.fail(f"{path}.unit", "must be a string")
    if unit_text == XULN:
        if not has_uln:
            raise ctx.fail(f"{path}.unit", f"{fact} cannot be compared as multiples of the ULN")
        converted, unit = numbers, XULN
        shown_unit = "× ULN"
    else:
        if unit_text is None:
            if not canonical.startswith("{"):
                raise ctx.fail(f"{path}.unit", f"a unit is required for {fact}")
            unit_text = canonical
        try:
            converted = [to_canonical(fact, number, unit_text) for number in numbers]
        except UnitError as error:
            raise ctx.fail(f"{path}.unit", str(error)) from None
        unit = canonical
        code = resolve_unit(fact, unit_text)
        shown_unit = display_unit(code) if code is not None else unit_text
    shown = " to ".join(format_number(number) for number in numbers)
    rule_value = f"{shown} {shown_unit}".strip()
    value: LeafValue = (converted[0], converted[1]) if op == "between" else converted[0]
    return value, unit, rule_value


def _leaf(ctx: _Context, data: Mapping[str, Any], path: str) -> Leaf:
    _check_keys(ctx, data, _LEAF_KEYS, path)
    fact = data.get("fact")
    if not isinstance(fact, str):
        raise ctx.fail(f"{path}.fact", "must be a fact name")
    spec = fact_spec(fact)
    if spec is None:
        raise ctx.fail(f"{path}.fact", f"unknown fact {fact!r}")
    op = data.get("op")
    allowed_ops = OPS_BY_KIND[spec.kind]
    if op not in allowed_ops:
        raise ctx.fail(
            f"{path}.op", f"operator {op!r} does not apply to {fact} (use {', '.join(allowed_ops)})"
        )
    assert isinstance(op, str)
    max_age = data.get("max_age_days")
    if max_age is not None and (
        not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0
    ):
        raise ctx.fail(f"{path}.max_age_days", "must be a non-negative whole number")
    if max_age is not None and spec.kind not in (FactKind.NUMBER, FactKind.BOOLEAN):
        raise ctx.fail(f"{path}.max_age_days", f"does not apply to {spec.kind.value} facts")
    for key, owner in _KIND_ONLY_KEYS:
        if key in data and spec.kind is not owner:
            raise ctx.fail(f"{path}.{key}", f"does not apply to {fact} ({spec.kind.value})")
    value: LeafValue = None
    unit = ""
    rule_value = ""
    window: Window | None = None
    classification: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    subtype: tuple[str, ...] = ()
    min_duration: Window | None = None
    match spec.kind:
        case FactKind.NUMBER:
            value, unit, rule_value = _number_leaf(
                ctx, data, path, fact, op, spec.has_uln, spec.unit
            )
        case FactKind.BOOLEAN:
            if "value" in data:
                raise ctx.fail(f"{path}.value", f"{op} takes no value")
        case FactKind.ENUM | FactKind.SET:
            values = _str_list(ctx, data.get("value"), f"{path}.value")
            bad = [item for item in values if item not in spec.allowed]
            if bad or not values:
                raise ctx.fail(
                    f"{path}.value",
                    f"{bad or 'empty list'} not among the allowed values {list(spec.allowed)}",
                )
            value = values
            rule_value = ", ".join(values)
        case FactKind.EVENT:
            if op in ("within", "duration_at_least"):
                if "window" not in data:
                    raise ctx.fail(f"{path}.window", f"{op} needs a window")
                window = _window(ctx, data["window"], f"{path}.window")
                rule_value = window.describe()
            elif "window" in data:
                raise ctx.fail(f"{path}.window", f"{op} takes no window")
            if op == "count_at_least":
                count = data.get("value")
                if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                    raise ctx.fail(f"{path}.value", "count_at_least needs a whole number ≥ 1")
                value = float(count)
                rule_value = str(count)
            elif "value" in data:
                raise ctx.fail(f"{path}.value", f"{op} takes no value")
        case _:  # FactKind.CONDITION
            ids = _str_list(ctx, data.get("value"), f"{path}.value")
            unknown = [item for item in ids if item not in CONDITIONS]
            if unknown or not ids:
                raise ctx.fail(f"{path}.value", f"unknown condition id(s) {unknown or '[]'}")
            value = ids
            rule_value = ", ".join(ids)
            if "classification" in data:
                classification = _str_list(ctx, data["classification"], f"{path}.classification")
            if "status" in data:
                status = _str_list(ctx, data["status"], f"{path}.status")
                bad = [item for item in status if item not in CONDITION_STATUSES]
                if bad:
                    raise ctx.fail(
                        f"{path}.status",
                        f"unknown status {bad} (use {', '.join(CONDITION_STATUSES)})",
                    )
            if "subtype" in data:
                subtype = _str_list(ctx, data["subtype"], f"{path}.subtype")
            if "min_duration" in data:
                min_duration = _window(ctx, data["min_duration"], f"{path}.min_duration")
    return Leaf(
        fact=fact,
        op=op,
        value=value,
        unit=unit,
        rule_value=rule_value,
        window=window,
        max_age_days=max_age,
        classification=classification,
        status=status,
        subtype=subtype,
        min_duration=min_duration,
        id=_optional_str(ctx, data, "id", path),
        text=_optional_str(ctx, data, "text", path),
    )


def load_leaf(data: Mapping[str, Any]) -> Leaf:
    """One leaf node (``{"fact": ...}``) read and checked exactly as ``load_criteria`` reads it.

    For ``engine.atom_loader``, which reports a bad atom through ``load_criteria`` itself: the
    CriteriaError raised here names no trial, criterion or path.
    """
    return _leaf(_Context("?"), data, "$")


def _frozen(value: object) -> object:
    """A hashable form of a JSON value that keeps 1, 1.0 and True apart (the loader does)."""
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("[]", *(_frozen(item) for item in value))
    return (type(value), value)


# Leaves already loaded, by their frozen JSON: the same leaves recur across criteria and sets
# ("ANC ≥ 1.5 ×10⁹/L" in most organ-function criteria), and reading one (unit conversion,
# checks) costs more than looking it up. A Leaf is immutable, so one can be shared. Only
# leaves that loaded are kept: a bad one fails, with its own path, every time.
_LOADED_LEAVES: dict[object, Leaf] = {}
_LOADED_LEAVES_KEPT = 50_000


def _shared_leaf(ctx: _Context, data: Mapping[str, Any], path: str) -> Leaf:
    try:
        key = _frozen(data)
        leaf = _LOADED_LEAVES.get(key)
    except TypeError:  # not JSON-shaped (unhashable): _leaf names the problem
        return _leaf(ctx, data, path)
    if leaf is None:
        leaf = _leaf(ctx, data, path)
        if len(_LOADED_LEAVES) >= _LOADED_LEAVES_KEPT:
            _LOADED_LEAVES.clear()
        _LOADED_LEAVES[key] = leaf
    return leaf


def _node(ctx: _Context, data: object, path: str) -> Node:
    if not isinstance(data, dict):
        raise ctx.fail(path, "a rule node must be an object")
    node_id = _optional_str(ctx, data, "id", path)
    text = _optional_str(ctx, data, "text", path)
    for combinator in ("all", "any"):
        if combinator in data:
            _check_keys(ctx, data, {combinator, *_NODE_META}, path)
            items = data[combinator]
            if not isinstance(items, list) or not items:
                raise ctx.fail(f"{path}.{combinator}", "must be a non-empty list of rule nodes")
            children = tuple(
                _node(ctx, item, f"{path}.{combinator}[{index}]")
                for index, item in enumerate(items)
            )
            if combinator == "all":
                return AllOf(children, node_id, text)
            return AnyOf(children, node_id, text)
    if "at_least" in data:
        return _at_least(ctx, data, path, node_id, text)
    if "not" in data:
        _check_keys(ctx, data, {"not", *_NODE_META}, path)
        return Not(_node(ctx, data["not"], f"{path}.not"), node_id, text)
    if "review" in data:
        _check_keys(ctx, data, {"review", *_NODE_META}, path)
        review = data["review"]
        if not isinstance(review, str) or not review.strip():
            raise ctx.fail(f"{path}.review", "must be the text the study team judges")
        return ReviewLeaf(review, node_id, text)
    if "fact" in data:
        return _shared_leaf(ctx, data, path)
    raise ctx.fail(
        path, 'a rule node needs one of "all", "any", "at_least", "not", "review" or "fact"'
    )


def _at_least(
    ctx: _Context, data: Mapping[str, Any], path: str, node_id: str | None, text: str | None
) -> AtLeast:
    """``{"at_least": N, "of": [...]}``: N a whole number from 1 to the number of children."""
    _check_keys(ctx, data, {"at_least", "of", *_NODE_META}, path)
    count = data["at_least"]
    if not isinstance(count, int) or isinstance(count, bool):
        raise ctx.fail(f"{path}.at_least", f"must be a whole number, not {count!r}")
    items = data.get("of")
    # One child would make "at least 1 of 1" a plain leaf in disguise; write the leaf.
    if not isinstance(items, list) or len(items) < 2:
        raise ctx.fail(f"{path}.of", "must be a list of at least 2 rule nodes")
    if not 1 <= count <= len(items):
        raise ctx.fail(f"{path}.at_least", f"must be from 1 to {len(items)} (the number in of)")
    children = tuple(_node(ctx, item, f"{path}.of[{index}]") for index, item in enumerate(items))
    return AtLeast(count, children, node_id, text)


def _entries(ctx: _Context, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ctx.fail(key, "must be a list of objects")
    return cast(list[Mapping[str, Any]], items)


def _required_str(ctx: _Context, data: Mapping[str, Any], key: str, path: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ctx.fail(f"{path}.{key}", "must be a non-empty string")
    return value


def _cohorts_and_groups(
    ctx: _Context, data: Mapping[str, Any]
) -> tuple[tuple[Cohort, ...], tuple[Group, ...]]:
    cohorts: list[Cohort] = []
    for index, entry in enumerate(_entries(ctx, data, "cohorts")):
        path = f"cohorts[{index}]"
        _check_keys(ctx, entry, {"id", "label", "text"}, path)
        cohort_id = _required_str(ctx, entry, "id", path)
        if any(c.id == cohort_id for c in cohorts):
            raise ctx.fail(f"{path}.id", f"duplicate cohort id {cohort_id!r}")
        label = _optional_str(ctx, entry, "label", path) or cohort_id
        cohorts.append(Cohort(cohort_id, label, _optional_str(ctx, entry, "text", path) or ""))
    groups: list[Group] = []
    for index, entry in enumerate(_entries(ctx, data, "groups")):
        path = f"groups[{index}]"
        _check_keys(ctx, entry, {"id", "mode", "text"}, path)
        group_id = _required_str(ctx, entry, "id", path)
        if any(g.id == group_id for g in groups):
            raise ctx.fail(f"{path}.id", f"duplicate group id {group_id!r}")
        if entry.get("mode", "any") != "any":
            raise ctx.fail(f"{path}.mode", 'the only group mode is "any"')
        groups.append(Group(group_id, "any", _optional_str(ctx, entry, "text", path) or ""))
    return tuple(cohorts), tuple(groups)


def _criterion(
    ctx: _Context, entry: Mapping[str, Any], path: str, cohorts: set[str], groups: set[str]
) -> Criterion:
    _check_keys(ctx, entry, _CRITERION_KEYS, path)
    kind_text = entry.get("kind")
    if kind_text not in ("inclusion", "exclusion"):
        raise ctx.fail(f"{path}.kind", f'must be "inclusion" or "exclusion", not {kind_text!r}')
    text = _required_str(ctx, entry, "text", path)
    cohort = _optional_str(ctx, entry, "cohort", path)
    if cohort is not None and cohort not in cohorts:
        raise ctx.fail(f"{path}.cohort", f"unknown cohort {cohort!r}")
    group = _optional_str(ctx, entry, "group", path)
    if group is not None and group not in groups:
        raise ctx.fail(f"{path}.group", f"unknown group {group!r}")
    rule_data = entry.get("rule")
    rule = None if rule_data is None else _node(ctx, rule_data, f"{path}.rule")
    applies_data = entry.get("applies_if")
    applies_if = None if applies_data is None else _node(ctx, applies_data, f"{path}.applies_if")
    verified = entry.get("verified", False)
    if not isinstance(verified, bool):
        raise ctx.fail(f"{path}.verified", "must be true or false")
    span_data = entry.get("span")
    span: tuple[int, int] | None = None
    if span_data is not None:
        if not (
            isinstance(span_data, list)
            and len(span_data) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in span_data)
            and 0 <= span_data[0] <= span_data[1]
        ):
            raise ctx.fail(f"{path}.span", "must be [start, end] offsets with start ≤ end")
        span = (span_data[0], span_data[1])
    return Criterion(
        id=ctx.criterion_id or "",
        kind=CriterionKind(kind_text),
        text=text,
        rule=rule,
        cohort=cohort,
        group=group,
        applies_if=applies_if,
        reading=_optional_str(ctx, entry, "reading", path),
        verified=verified,
        span=span,
    )


def load_criteria(data: object) -> TrialCriteria:
    """Parses and validates a criteria file dict; raises CriteriaError naming where it is wrong.

    Rule values are converted to canonical units here, once.
    """
    if not isinstance(data, Mapping):
        raise CriteriaError("?", None, "$", "a criteria file must be a JSON object")
    raw_trial_id = data.get("trial_id")
    ctx = _Context(raw_trial_id if isinstance(raw_trial_id, str) and raw_trial_id else "?")
    if ctx.trial_id == "?":
        raise ctx.fail("trial_id", "must be a non-empty string")
    _check_keys(ctx, data, _TOP_KEYS, "$")
    if data.get("format") != CRITERIA_FORMAT:
        raise ctx.fail("format", f"must be {CRITERIA_FORMAT!r}, not {data.get('format')!r}")
    source = data.get("source")
    if source not in ("curated", "automatic"):
        raise ctx.fail("source", f'must be "curated" or "automatic", not {source!r}')
    cohorts, groups = _cohorts_and_groups(ctx, data)
    cohort_ids = {c.id for c in cohorts}
    group_ids = {g.id for g in groups}
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for index, entry in enumerate(_entries(ctx, data, "criteria")):
        path = f"criteria[{index}]"
        ctx.criterion_id = None
        criterion_id = _required_str(ctx, entry, "id", path)
        if criterion_id in seen:
            raise ctx.fail(f"{path}.id", f"duplicate criterion id {criterion_id!r}")
        seen.add(criterion_id)
        ctx.criterion_id = criterion_id
        criteria.append(_criterion(ctx, entry, path, cohort_ids, group_ids))
    ctx.criterion_id = None
    if not criteria:
        raise ctx.fail("criteria", "a criteria file needs at least one criterion")
    trial_source = cast(Literal["curated", "automatic"], source)
    return TrialCriteria(ctx.trial_id, trial_source, tuple(criteria), cohorts, groups)
