"""Viral infections named with their defining test in an exclusion."""

from __future__ import annotations

from typing import Any

import pytest

from engine import load_criteria
from engine.parser import parse_criteria_text
from tests.engine.parser.reading import strip_text as _strip_text


def rule_of(item: str, kind: str = "exclusion") -> Any:
    heading = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    document = parse_criteria_text("T", f"{heading}\n\n1. {item}\n")
    load_criteria(document)
    (criterion,) = document["criteria"]
    return _strip_text(criterion["rule"])


HBSAG = {"fact": "serology.hbsag", "op": "is_true"}
HBV_DNA_ABOVE_ULN = {"fact": "lab.hbv_dna", "op": ">", "value": 1, "unit": "xULN"}
HCV_RNA = {"fact": "serology.hcv_rna", "op": "is_true"}


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("Active hepatitis B (HBsAg positive).", HBSAG),
        (
            "Active hepatitis B (HBsAg positive) or HBV DNA above the upper limit of normal.",
            {"any": [HBSAG, HBV_DNA_ABOVE_ULN]},
        ),
        (
            "Active hepatitis B (HBsAg positive with HBV DNA above the upper limit of normal) "
            "or hepatitis C (HCV RNA positive).",
            {"any": [{"all": [HBSAG, HBV_DNA_ABOVE_ULN]}, HCV_RNA]},
        ),
        ("Known HIV infection.", {"fact": "serology.hiv", "op": "is_true"}),
    ],
)
def test_an_infection_defined_by_its_test_is_the_test(item, expected):
    assert rule_of(item) == expected


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        # the bracket names another virus's test
        ("Active hepatitis B (HCV RNA positive).", "exclusion"),
        # the bracket is not a test result
        ("Active hepatitis B (requiring antiviral treatment).", "exclusion"),
        # the bracket has a part the reader does not understand
        ("Active hepatitis B (HBsAg positive or suspected).", "exclusion"),
        # an inclusion is not read this way
        ("Known HIV infection.", "inclusion"),
        # qualifiers that change what is meant
        ("Known HIV infection with a CD4 count below 200.", "exclusion"),
    ],
)
def test_other_infection_wording_stays_for_review(item, kind):
    rule = rule_of(item, kind)
    facts = str(rule)
    assert rule is None or ("serology" not in facts and "lab.hbv" not in facts)
