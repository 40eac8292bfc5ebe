"""Intolerance of or non-response to a regimen: the drug history read, the response reviewed."""

from __future__ import annotations

from typing import Any

import pytest

from engine.parser.intolerance import read_intolerant_history
from engine.parser.regimens import read_regimen
from tests.engine.parser.reading import rule_of


def _history(text: str) -> dict[str, Any] | None:
    return read_regimen(text, "inclusion")


GC_6 = {"fact": "treatment.glucocorticoid", "op": "duration_at_least", "window": {"months": 6}}
IS_2 = {"fact": "treatment.immunosuppressant", "op": "count_at_least", "value": 2}

JDM = (
    "Patients who are intolerant or unresponsive to glucocorticoids and at least 2 "
    "immunosuppressants, and the duration of adequate hormone therapy should be at least 6 months"
)
SJOGREN = (
    "For those who are intolerant or have an insufficient response to glucocorticoid (prednisone "
    "1-2 mg/kg/d or an equivalent dose of other hormones) and at least two immunosuppressants, "
    "the duration of hormone treatment should be at least 6 months"
)


@pytest.mark.parametrize("text", [JDM, SJOGREN])
def test_regimen_required_and_response_reviewed(text: str) -> None:
    assert rule_of(text + ".") == {"all": [GC_6, IS_2, {"review": text}]}


def test_never_satisfied_on_the_drug_history_alone() -> None:
    rule = read_intolerant_history(JDM, _history)
    assert rule is not None
    # The review part sits in the top-level "all": at most REVIEW, never TRUE.
    assert {"review": JDM} in rule["all"]


@pytest.mark.parametrize(
    "text",
    [
        # "hormone" names the glucocorticoid only when the sentence lists one.
        "Patients who are intolerant or unresponsive to methotrexate and leflunomide, and the "
        "duration of hormone therapy should be at least 6 months",
        # Intolerance alone, no stated duration.
        "Patients who are intolerant to glucocorticoids and at least 2 immunosuppressants",
        # Negated drug list.
        "Patients who are intolerant or unresponsive to glucocorticoids but not to "
        "immunosuppressants, and the duration of hormone therapy should be at least 6 months",
        # An upper bound is not a duration requirement.
        "Patients who are intolerant or unresponsive to glucocorticoids and at least 2 "
        "immunosuppressants, and the duration of hormone therapy should be less than 6 months",
    ],
)
def test_other_wordings_are_not_read(text: str) -> None:
    assert read_intolerant_history(text, _history) is None


def test_not_read_in_an_exclusion() -> None:
    assert rule_of(JDM + ".", kind="exclusion") is None
