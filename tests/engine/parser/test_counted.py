"""Counted choices ("at least two of the following five ...") read into an at_least node."""

from __future__ import annotations

from typing import Any

import pytest

from engine import load_criteria
from engine.parser import parse_criteria_text
from engine.parser.counted import find_counted, read_counted
from engine.parser.measure import leaves

MYOSITIS = (
    "Muscle involvement with Manual Muscle Testing-8 (MMT-8) score less than 142 and at least "
    "two abnormalities found among the following five core measurements (Physician Global "
    "Assessment (PhGA), Patient Global Assessment (PtGA), or extramuscular disease activity "
    "score ≥ 2; Health Assessment Questionnaire (HAQ) total score ≥ 0.25; muscle enzyme levels "
    "≥ 1.5×ULN);"
)
JDM_CORE = (
    "at least two of the following five core measurement indicators should have abnormal "
    "results: Physician Global Assessment(PhGA) ≥2cm, Patient Global Assessment(PtGA) ≥2cm, "
    "Disease Activity Score(DAS) ≥2 points, Childhood Health Assessment Questionnaire(C-HAQ) "
    "≥0.25 points, muscle enzyme level > 1.5×upper limit of normal"
)
ENZYMES = ["lab.ck", "lab.aldolase", "lab.ldh"]


def facts_of(rule: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [(leaf["fact"], leaf["op"], leaf.get("value")) for leaf, _ in leaves(rule)]


def test_myositis_core_set_with_its_shared_threshold() -> None:
    counted = read_counted(MYOSITIS, "inclusion")
    assert counted is not None
    assert counted.lead == (
        "Muscle involvement with Manual Muscle Testing-8 (MMT-8) score less than 142"
    )
    rule = counted.rule
    assert rule["at_least"] == 2
    assert rule["text"] == (
        "at least two abnormalities found among the following five core measurements"
    )
    assert [child.get("fact") for child in rule["of"]] == [
        "score.phga",
        "score.ptga",
        "score.extramuscular",
        "score.haq",
        None,
    ]
    # "PhGA, PtGA, or extramuscular ... ≥ 2": the threshold written once applies to all three.
    assert [child.get("value") for child in rule["of"][:4]] == [2, 2, 2, 0.25]
    assert rule["of"][0]["text"] == "Physician Global Assessment (PhGA)"
    enzymes = rule["of"][4]
    assert [(leaf["fact"], leaf["op"], leaf["unit"]) for leaf in enzymes["any"]] == [
        (fact, ">=", "xULN") for fact in ENZYMES
    ]
    assert enzymes["text"] == "muscle enzyme levels ≥ 1.5×ULN"


def test_an_unreadable_item_leaves_the_whole_choice_unread() -> None:
    # The JDM Disease Activity Score has no fact: counting over the other four would guess.
    assert read_counted(JDM_CORE, "inclusion") is None
    four = JDM_CORE.replace("five", "four").replace("Disease Activity Score(DAS) ≥2 points, ", "")
    counted = read_counted(four, "inclusion")
    assert counted is not None
    assert facts_of(counted.rule) == [
        ("score.phga", ">=", 2),
        ("score.ptga", ">=", 2),
        ("score.chaq", ">=", 0.25),
        *((fact, ">", 1.5) for fact in ENZYMES),
    ]


def test_the_stated_total_must_match_the_items_found() -> None:
    text = "at least two of the following four: ALT > 3×ULN; AST > 3×ULN; LVEF < 40%"
    assert read_counted(text, "exclusion") is None
    assert read_counted(text.replace("four", "three"), "exclusion") is not None


@pytest.mark.parametrize(
    ("text", "count", "facts"),
    [
        (
            "at least 2 of: ALT > 3×ULN; AST > 3×ULN; total bilirubin > 2×ULN",
            2,
            ["lab.alt", "lab.ast", "lab.bilirubin_total"],
        ),
        (
            "Two or more of the following: LVEF < 40%, eGFR < 30 mL/min/1.73m2, age ≥ 75 years",
            2,
            ["lab.lvef", "derived.egfr", "age_years"],
        ),
        (
            "any two of anti-dsDNA positive, ANA positive and anti-Sm positive",
            2,
            ["antibody.anti_dsdna", "antibody.ana", "antibody.anti_sm"],
        ),
        (
            "≥2 of the following: platelets < 1,000/µL, hemoglobin < 8 g/dL",
            2,
            ["lab.platelets", "lab.hemoglobin"],
        ),
        (
            "at least 3 of the following:\n* ANC ≥ 1.0 × 10^9/L\n* platelets ≥ 75 × 10^9/L\n"
            "* hemoglobin ≥ 8 g/dL",
            3,
            ["lab.anc", "lab.platelets", "lab.hemoglobin"],
        ),
    ],
)
def test_spellings_of_a_counted_choice(text: str, count: int, facts: list[str]) -> None:
    counted = read_counted(text, "inclusion")
    assert counted is not None
    assert counted.lead == ""
    assert counted.rule["at_least"] == count
    assert [fact for fact, _, _ in facts_of(counted.rule)] == facts


@pytest.mark.parametrize(
    "text",
    [
        "at least 6 months of glucocorticoids and cyclophosphamide",
        "at least 2 immunosuppressants, and the duration of adequate hormone therapy",
        "relapsed after at least one prior line of therapy",
        "SLEDAI-2K ≥ 6 and anti-dsDNA positive",
    ],
)
def test_durations_and_plain_thresholds_are_not_choices(text: str) -> None:
    assert find_counted(text) is None


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("PhGA ≥ 20 mm", ("score.phga", ">=", 2)),
        ("PtGA ≥ 3 cm", ("score.ptga", ">=", 3)),
        ("Patient Global Assessment ≥ 2.5", ("score.ptga", ">=", 2.5)),
        ("HAQ-DI ≥ 0.5", ("score.haq", ">=", 0.5)),
        ("C-HAQ ≥ 0.25 points", ("score.chaq", ">=", 0.25)),
    ],
)
def test_core_measure_scales_and_units(item: str, expected: tuple[str, str, float]) -> None:
    counted = read_counted(f"at least 2 of: {item}; CK ≥ 2×ULN", "inclusion")
    assert counted is not None
    assert facts_of(counted.rule)[0] == expected


@pytest.mark.parametrize(
    "item",
    [
        "PhGA ≥ 20",  # a bare 20 is another scale than the 0-10 fact holds
        "HAQ ≥ 2 cm",  # a disability index is never in cm
        "muscle enzymes ≥ 500 U/L",  # one absolute value cannot fit CK, aldolase and LDH
        "Disease Activity Score (DAS) ≥ 2",
    ],
)
def test_core_measures_that_are_not_read(item: str) -> None:
    assert read_counted(f"at least 2 of: {item}; CK ≥ 2×ULN; LDH ≥ 2×ULN", "inclusion") is None


def test_criteria_with_counted_choices_load_and_keep_their_lead() -> None:
    text = (
        "Inclusion Criteria:\n\n1. Age ≥ 18 years.\n2. " + MYOSITIS + "\n"
        "3. Two or more of the following: current smoking, diabetes mellitus, hypertension.\n\n"
        "Exclusion Criteria:\n\n1. Presence of at least two of the following cardiac risk "
        "factors: history of myocardial infarction, history of arrhythmia, LVEF < 50%.\n"
    )
    parsed = parse_criteria_text("T", text)
    load_criteria(parsed)
    rules = {c["id"]: c["rule"] for c in parsed["criteria"]}
    # The words before the choice are read as any clause, beside it: "Muscle involvement with
    # Manual Muscle Testing-8 (MMT-8) score less than 142" is the MMT-8 threshold.
    lead, counted = rules["inc-2"]["all"]
    assert (lead["fact"], lead["op"], lead["value"]) == ("score.mmt8", "<", 142)
    assert counted["at_least"] == 2
    assert len(counted["of"]) == 5
    # Smoking, diabetes and hypertension have no facts: the choice is not read at all.
    assert rules["inc-3"] is None
    # "Presence of" is only a lead-in; in an exclusion the node says what excludes.
    assert rules["exc-1"]["at_least"] == 2
    assert [fact for fact, _, _ in facts_of(rules["exc-1"])] == [
        "history.myocardial_infarction",
        "history.arrhythmia",
        "lab.lvef",
    ]


def test_measure_counts_each_leaf_under_the_node_once() -> None:
    counted = read_counted(MYOSITIS, "inclusion")
    assert counted is not None
    assert len(list(leaves(counted.rule))) == 7
    assert len(list(leaves({"not": counted.rule}))) == 7
    assert all(negated for _, negated in leaves({"not": counted.rule}))
