"""Helpers the parser tests share: one criterion's text read into its rule, texts left out."""

from __future__ import annotations

from typing import Any

from engine import load_criteria
from engine.parser import parse_criteria_text


def strip_text(node: Any) -> Any:
    """``node`` without its verbatim ``text`` keys (what the reading is, not what it quotes)."""
    if isinstance(node, dict):
        return {k: strip_text(v) for k, v in node.items() if k != "text"}
    if isinstance(node, list):
        return [strip_text(item) for item in node]
    return node


def criterion_of(item: str, kind: str = "inclusion") -> dict[str, Any]:
    """The criterion the parser makes of ``item`` alone in its section (the loader accepts it)."""
    heading = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    document = parse_criteria_text("T", f"{heading}\n\n1. {item}\n")
    load_criteria(document)
    criteria = document["criteria"]
    assert len(criteria) == 1, criteria
    criterion: dict[str, Any] = criteria[0]
    return criterion


def rule_of(item: str, kind: str = "inclusion") -> Any:
    """The rule the parser gives ``item`` as the one criterion of its section (it must load)."""
    return strip_text(criterion_of(item, kind)["rule"])


def ever(treatment: str) -> dict[str, Any]:
    """A treatment ever given, as the parser writes it (texts left out)."""
    return {"fact": f"treatment.{treatment}", "op": "ever"}


def lasting(treatment: str, months: int) -> dict[str, Any]:
    """A treatment given for at least ``months``, as the parser writes it."""
    return {
        "fact": f"treatment.{treatment}",
        "op": "duration_at_least",
        "window": {"months": months},
    }
