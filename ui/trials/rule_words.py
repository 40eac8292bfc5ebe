"""A criteria rule (the JSON tree) in plain words, for a person checking the parser's reading."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.facts import fact_spec
from engine.vocabulary import condition_label

_COMPARISONS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}


def _window(window: object) -> str:
    if isinstance(window, Mapping) and len(window) == 1:
        ((unit, amount),) = window.items()
        unit_text = str(unit)
        if amount == 1:
            unit_text = unit_text.removesuffix("s")
        return f"{amount} {unit_text}"
    return str(window)


def _values(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def _unit(leaf: Mapping[str, Any]) -> str:
    unit = leaf.get("unit")
    if not unit:
        return ""
    return " × ULN" if unit == "xULN" else f" {unit}"


def _leaf_words(leaf: Mapping[str, Any]) -> str:
    fact = str(leaf.get("fact"))
    spec = fact_spec(fact)
    label = spec.label if spec is not None else f"{fact} (not in the vocabulary)"
    op = leaf.get("op")
    value = leaf.get("value")
    words: str
    if op in _COMPARISONS:
        words = f"{label} {_COMPARISONS[str(op)]} {value}{_unit(leaf)}"
    elif op == "between" and isinstance(value, list | tuple) and len(value) == 2:
        words = f"{label} between {value[0]} and {value[1]}{_unit(leaf)}"
    elif op == "is_true":
        words = f"{label}: yes / positive"
    elif op == "is_false":
        words = f"{label}: no / negative"
    elif op == "in":
        words = f"{label} is one of: {_values(value)}"
    elif op == "any_of":
        words = f"{label} includes any of: {_values(value)}"
    elif op == "ever":
        words = f"{label}: ever"
    elif op == "within":
        words = f"{label} within the last {_window(leaf.get('window'))}"
    elif op == "duration_at_least":
        words = f"{label} for at least {_window(leaf.get('window'))}"
    elif op == "count_at_least":
        words = f"{label}: at least {value} different drugs"
    elif op == "has":
        ids = value if isinstance(value, list | tuple) else [value]
        names = [condition_label(str(item)) or str(item) for item in ids]
        words = "Diagnosis of " + " or ".join(names)
        if leaf.get("classification"):
            words += f" (classified by {_values(leaf['classification'])})"
        if leaf.get("status"):
            words += f", {' or '.join(str(s) for s in leaf['status'])}"
        if leaf.get("subtype"):
            words += f", subtype {_values(leaf['subtype'])}"
        if leaf.get("min_duration"):
            words += f", diagnosed at least {_window(leaf['min_duration'])} ago"
    else:
        words = f"{label} {op} {value}"
    if leaf.get("max_age_days"):
        words += f" (value at most {leaf['max_age_days']} days old)"
    return words


def rule_in_words(rule: object, depth: int = 0) -> str:
    """One line per node, indented by depth; ``None`` reads as a review criterion."""
    pad = "    " * depth
    if rule is None:
        return f"{pad}No rule: the study team judges this criterion."
    if not isinstance(rule, Mapping):
        return f"{pad}(not a rule: {rule!r})"
    if "all" in rule or "any" in rule:
        key = "all" if "all" in rule else "any"
        heading = "All of:" if key == "all" else "Any one of:"
        children = rule[key] if isinstance(rule[key], list) else []
        lines = [f"{pad}{heading}"] + [rule_in_words(child, depth + 1) for child in children]
        return "\n".join(lines)
    if "at_least" in rule:
        listed = rule.get("of")
        children = listed if isinstance(listed, list) else []
        count = rule["at_least"]
        heading = f"At least {count} of these {len(children)}:"
        lines = [f"{pad}{heading}"] + [rule_in_words(child, depth + 1) for child in children]
        return "\n".join(lines)
    if "not" in rule:
        return f"{pad}Not:\n" + rule_in_words(rule["not"], depth + 1)
    if "review" in rule:
        return f"{pad}Study team to judge: {rule['review']}"
    return pad + _leaf_words(rule)
