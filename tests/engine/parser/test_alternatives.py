"""Criteria stating their structure: numbered sub-conditions, "one of", named-drug counts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine import build_facts, evaluate_trial, load_criteria, profile_from_dict
from engine.outcomes import CriterionStatus
from engine.parser import parse_criteria_text
from engine.parser.alternatives import read_named_count, read_numbered_structure, read_one_of
from engine.parser.criterion import read_criterion
from tests.engine.parser.reading import strip_text as _strip_text

SCREENING = date(2026, 11, 23)


def parsed(item: str, kind: str = "inclusion") -> dict[str, Any]:
    heading = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    criteria = parse_criteria_text("T", f"{heading}\n\n1. {item}\n")["criteria"]
    assert len(criteria) == 1, criteria
    return criteria[0]


def rule_of(item: str, kind: str = "inclusion") -> Any:
    return _strip_text(parsed(item, kind)["rule"])


def lab(fact: str, op: str, value: float, unit: str) -> dict[str, Any]:
    return {"fact": fact, "op": op, "value": value, "unit": unit}


def flag(fact: str) -> dict[str, Any]:
    return {"fact": fact, "op": "is_true"}


def ever(drug: str) -> dict[str, Any]:
    return {"fact": f"treatment.{drug}", "op": "ever"}


def review_reader(text: str) -> None:
    return None  # every item unreadable: the structure must still come out, all review


# ---------------------------------------------------------------------------------------------
# Numbered sub-conditions with a stated combination
# ---------------------------------------------------------------------------------------------


def test_meet_one_and_any_one_of_the_others():
    rule = rule_of(
        "Meet (1) and any one of (2)-(4): (1) Age ≥ 18 years; (2) positive MPO-ANCA; "
        "(3) positive PR3-ANCA; (4) C-reactive protein ≥ 10 mg/L."
    )
    assert rule == {
        "all": [
            lab("age_years", ">=", 18, "a"),
            {
                "any": [
                    flag("antibody.mpo_anca"),
                    flag("antibody.pr3_anca"),
                    lab("lab.crp", ">=", 10, "mg/L"),
                ]
            },
        ]
    }


def test_unreadable_items_are_review_parts_inside_the_structure():
    rule = rule_of(
        "The classification criteria of RJDM must meet (1) and any one of (2)-(4): "
        "(1) Age ≥ 18 years; (2) The disease progresses rapidly; (3) Calcification of "
        "subcutaneous tissues; (4) Repeated rashes or skin ulcers;"
    )
    assert rule == {
        "all": [
            lab("age_years", ">=", 18, "a"),
            {
                "any": [
                    {"review": "The disease progresses rapidly"},
                    {"review": "Calcification of subcutaneous tissues"},
                    {"review": "Repeated rashes or skin ulcers"},
                ]
            },
        ]
    }


def test_criteria_one_and_two_and_either_three_or_four():
    rule = rule_of(
        "Meet criteria 1 and 2, and either 3 or 4: (1) Age ≥ 18 years; (2) platelets ≥ 100 × "
        "10^9/L; (3) positive MPO-ANCA; (4) positive PR3-ANCA."
    )
    assert rule == {
        "all": [
            lab("age_years", ">=", 18, "a"),
            lab("lab.platelets", ">=", 100, "10*9/L"),
            {"any": [flag("antibody.mpo_anca"), flag("antibody.pr3_anca")]},
        ]
    }


def test_letters_and_at_least_two_of():
    rule = read_numbered_structure(
        "Must fulfil A and at least two of B–D: A) x; B) y; C) z; D) w", review_reader
    )
    assert rule is not None
    assert rule["all"][0] == {"review": "x"}
    assert rule["all"][1]["at_least"] == 2
    assert rule["all"][1]["of"] == [{"review": "y"}, {"review": "z"}, {"review": "w"}]


@pytest.mark.parametrize(
    "text",
    [
        # a label missing: (3) is named by the lead but not found
        "Meet (1) and any one of (2)-(4): (1) Age ≥ 18 years; (2) ESR > 20 mm/h; "
        "(4) C-reactive protein > 5 mg/L.",
        # an item more than the lead names
        "Meet (1) and any one of (2)-(3): (1) Age ≥ 18 years; (2) positive MPO-ANCA; "
        "(3) positive PR3-ANCA; (4) C-reactive protein > 5 mg/L.",
        # a negated lead
        "Patients who do not meet (1) and any one of (2)-(3): (1) Age ≥ 18 years; "
        "(2) positive MPO-ANCA; (3) positive PR3-ANCA.",
        # more required than options exist
        "Meet (1) and at least three of (2)-(3): (1) Age ≥ 18 years; (2) positive MPO-ANCA; "
        "(3) positive PR3-ANCA.",
    ],
)
def test_structures_not_matching_their_items_stay_whole_review(text: str):
    assert parsed(text)["rule"] is None


def test_a_further_line_after_the_items_is_not_part_of_the_last_item():
    text = (
        "Meet (1) and any one of (2)-(3): (1) Age ≥ 18 years; (2) positive MPO-ANCA; "
        "(3) cryoglobulinemia;\n    * Positive for anti-SSA antibody;"
    )
    assert read_numbered_structure(text, review_reader) is None


def test_structure_inside_a_bulleted_criterion_stays_review():
    # One criterion's text (however the splitter cuts a trial's text): the structure is a
    # sub-item after a lead line, with another sub-item after it.
    text = (
        "Diagnosed with Sjogren's syndrome, and meeting the following conditions:\n"
        "    * Meet (1) and any one of (2)-(3): (1) Age ≥ 18 years; (2) positive MPO-ANCA; "
        "(3) cryoglobulinemia;\n    * Positive for anti-SSA antibody."
    )
    assert read_criterion(text, "inclusion", section_known=True).rule is None


# ---------------------------------------------------------------------------------------------
# "One of the following" and "either"
# ---------------------------------------------------------------------------------------------


def test_one_of_the_following_conditions():
    rule = rule_of(
        "Fulfillment of one of the following conditions: ESR is elevated; C-reactive protein "
        "> 10 mg/L; positive MPO-ANCA."
    )
    assert rule == {
        "any": [
            {"review": "ESR is elevated"},
            lab("lab.crp", ">", 10, "mg/L"),
            flag("antibody.mpo_anca"),
        ]
    }


def test_one_of_the_following_in_an_exclusion_excludes_on_any():
    rule = rule_of(
        "One of the following: ALT > 3 × ULN; AST > 3 × ULN; total bilirubin > 2 × ULN.",
        kind="exclusion",
    )
    assert rule == {
        "any": [
            lab("lab.alt", ">", 3, "xULN"),
            lab("lab.ast", ">", 3, "xULN"),
            lab("lab.bilirubin_total", ">", 2, "xULN"),
        ]
    }


def test_either_or():
    assert rule_of("Either DAS28-CRP > 3.2 or CDAI > 10.") == {
        "any": [
            {"fact": "score.das28_crp", "op": ">", "value": 3.2, "unit": "{score}"},
            {"fact": "score.cdai", "op": ">", "value": 10, "unit": "{score}"},
        ]
    }


def test_either_with_two_ors_stays_review():
    assert read_one_of("Either A or B or C", review_reader) is None


def test_last_item_opened_by_and_holds_only_when_both_readings_agree():
    rule = read_one_of(
        "One of the following conditions: first; second; and third",
        lambda text: {"fact": "serology.hiv", "op": "is_true", "text": text},
    )
    assert rule is not None
    assert rule["at_least"] == 2
    first_two, third, note = rule["of"]
    assert first_two["any"][0]["text"] == "first"
    assert third["text"] == "third"
    assert "review" in note


def test_definition_after_the_list_belongs_to_the_item_naming_it():
    seen: list[str] = []

    def reader(text: str) -> None:
        seen.append(text)

    rule = read_one_of(
        "One of the following conditions: CDAI > 10 after a standard treatment regimen; "
        "ESR > 20. Standard treatment regimen is defined as the stable use of methotrexate.",
        reader,
    )
    assert rule == {
        "any": [
            {
                "review": "CDAI > 10 after a standard treatment regimen. Standard treatment "
                "regimen is defined as the stable use of methotrexate"
            },
            {"review": "ESR > 20"},
        ]
    }
    assert seen == ["ESR > 20"]  # the definition is never read as an alternative


def test_a_sentence_after_the_list_that_defines_nothing_stays_review():
    assert (
        read_one_of("One of the following: A; B. Patients must also have C.", review_reader) is None
    )


def test_definition_of_a_term_no_item_names_stays_review():
    assert (
        read_one_of(
            "One of the following: A; B. Conventional therapy is defined as methotrexate.",
            review_reader,
        )
        is None
    )


# ---------------------------------------------------------------------------------------------
# Counts over named drugs
# ---------------------------------------------------------------------------------------------


def test_named_drug_count_with_a_required_drug():
    rule = rule_of(
        "Received hydroxychloroquine and at least 2 of the following treatments (methotrexate, "
        "leflunomide, and tofacitinib)."
    )
    assert rule == {
        "all": [
            ever("hydroxychloroquine"),
            {
                "at_least": 2,
                "of": [ever("methotrexate"), ever("leflunomide"), ever("tofacitinib")],
            },
        ]
    }


def test_unknown_name_is_a_review_member():
    rule = read_named_count(
        "at least 2 of the following biologics: adalimumab, Infliximabb, golimumab",
        review_reader,
    )
    assert _strip_text(rule) == {
        "at_least": 2,
        "of": [ever("adalimumab"), {"review": "Infliximabb"}, ever("golimumab")],
    }


@pytest.mark.parametrize(
    "text",
    [
        # an item that is not a bare name
        "at least 2 of the following treatments (methotrexate, other immunosuppressants)",
        # not a drug list
        "at least 2 of the following criteria (methotrexate, leflunomide)",
        # fewer than two known names
        "at least 2 of the following drugs (methotrexate, Foozumab, Barnib)",
        # the same drug twice
        "at least 2 of the following drugs (MMF, mycophenolate mofetil, leflunomide)",
    ],
)
def test_named_counts_not_read(text: str):
    assert read_named_count(text, review_reader) is None


# ---------------------------------------------------------------------------------------------
# The structures evaluated
# ---------------------------------------------------------------------------------------------


def _verdict(criterion: dict[str, Any], profile: dict[str, Any]) -> CriterionStatus:
    data = {
        "format": "trialmatch-criteria/1",
        "trial_id": "NCT01",
        "source": "automatic",
        "criteria": [{k: v for k, v in criterion.items() if k != "span"}],
    }
    facts = build_facts(profile_from_dict(profile), SCREENING)
    return evaluate_trial(load_criteria(data), facts).criteria[0].status


def _patient(treatments: list[str], **labs: float) -> dict[str, Any]:
    return {
        "format": "trialmatch-patient/1",
        "patient": {"birth_date": "1980-01-01", "sex": "female"},
        "treatments_complete": True,
        "treatments": [
            {"drug": drug, "start": "2024-01-01", "end": "2024-06-01"} for drug in treatments
        ],
        "labs": [
            {"analyte": name, "value": value, "unit": "mg/L", "date": "2026-11-20"}
            for name, value in labs.items()
        ],
    }


def test_named_count_with_an_unknown_name_is_review_never_violated_by_one_known_drug():
    criterion = parsed(
        "Received hydroxychloroquine and at least 2 of the following treatments "
        "(methotrexate, leflunomide, Foozumab)."
    )
    both = _patient(["hydroxychloroquine", "methotrexate", "leflunomide"])
    one = _patient(["hydroxychloroquine", "methotrexate"])
    none = _patient(["hydroxychloroquine"])
    no_hcq = _patient(["methotrexate", "leflunomide"])
    assert _verdict(criterion, both) is CriterionStatus.SATISFIED
    # Foozumab may be the second drug: the study team decides.
    assert _verdict(criterion, one) is CriterionStatus.REVIEW
    assert _verdict(criterion, none) is CriterionStatus.VIOLATED
    assert _verdict(criterion, no_hcq) is CriterionStatus.VIOLATED


def test_numbered_structure_with_review_items_is_never_falsely_decided():
    criterion = parsed(
        "Meet (1) and any one of (2)-(3): (1) C-reactive protein ≥ 10 mg/L; "
        "(2) prior treatment with rituximab; (3) Repeated rashes or skin ulcers."
    )
    assert _verdict(criterion, _patient(["rituximab"], crp=12)) is CriterionStatus.SATISFIED
    # Item (2) false, item (3) for the team: review, not violated.
    assert _verdict(criterion, _patient([], crp=12)) is CriterionStatus.REVIEW
    # Item (1) false: violated whatever the team finds for (3).
    assert _verdict(criterion, _patient(["rituximab"], crp=3)) is CriterionStatus.VIOLATED


def test_a_requirement_before_meet_is_kept_beside_the_structure():
    rule = rule_of(
        "Age ≥ 18 years and meet (1) and any one of (2)-(3): (1) positive MPO-ANCA; "
        "(2) C-reactive protein ≥ 10 mg/L; (3) Repeated rashes."
    )
    assert rule == {
        "all": [
            lab("age_years", ">=", 18, "a"),
            flag("antibody.mpo_anca"),
            {"any": [lab("lab.crp", ">=", 10, "mg/L"), {"review": "Repeated rashes"}]},
        ]
    }


def test_an_unread_requirement_before_meet_is_a_review_part():
    rule = read_numbered_structure(
        "Refractory disease and meet (1) and any one of (2)-(3): (1) x; (2) y; (3) z",
        review_reader,
    )
    assert rule is not None
    assert rule["all"][0] == {"review": "Refractory disease"}


def test_a_long_unread_lead_leaves_the_criterion_as_it_was():
    text = (
        "Patients enrolled in the extension phase of the parent study who completed week 52 "
        "visits must meet (1) and any one of (2)-(3): (1) x; (2) y; (3) z"
    )
    assert read_numbered_structure(text, review_reader) is None


def test_either_with_a_comma_list_stays_review():
    assert read_one_of("Either A, B or C", review_reader) is None
