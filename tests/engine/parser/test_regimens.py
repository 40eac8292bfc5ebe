"""Stand-alone treatment histories and the current glucocorticoid dose (parser/regimens.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine import build_facts, evaluate_trial, load_criteria, profile_from_dict
from engine.parser.regimens import read_gc_dose, read_regimen
from engine.vocabulary import find_drug
from tests.engine.parser.reading import rule_of
from tests.engine.parser.reading import strip_text as _strip_text


def ever(treatment: str) -> dict[str, Any]:
    return {"fact": f"treatment.{treatment}", "op": "ever"}


def lasting(treatment: str, **window: int) -> dict[str, Any]:
    return {"fact": f"treatment.{treatment}", "op": "duration_at_least", "window": window}


def within(treatment: str, **window: int) -> dict[str, Any]:
    return {"fact": f"treatment.{treatment}", "op": "within", "window": window}


def count(treatment: str, value: int) -> dict[str, Any]:
    return {"fact": f"treatment.{treatment}", "op": "count_at_least", "value": value}


def dose(op: str, value: float, unit: str = "mg/d") -> dict[str, Any]:
    fact = "derived.gc_dose_mg_kg_day" if unit == "mg/kg/d" else "derived.gc_dose_mg_day"
    return {"fact": fact, "op": op, "value": value, "unit": unit}


def leaves(node: Any) -> list[dict[str, Any]]:
    if node is None:
        return []
    if "fact" in node or "review" in node:
        return [node]
    if "not" in node:
        return leaves(node["not"])
    return [leaf for child in node.get("all", node.get("any", [])) for leaf in leaves(child)]


def facts_of(node: Any) -> list[dict[str, Any]]:
    return [leaf for leaf in leaves(node) if "fact" in leaf]


# ---------------------------------------------------------------------------------------------
# Durations, counts, windows
# ---------------------------------------------------------------------------------------------


def test_required_drug_with_duration_and_a_listed_choice():
    assert rule_of(
        "Have received glucocorticoids for at least 3 months, and at least one of the following "
        "non-steroidal immunosuppressive therapies: azathioprine, mycophenolate mofetil, or "
        "tacrolimus."
    ) == {
        "all": [
            lasting("glucocorticoid", months=3),
            {"any": [ever("azathioprine"), ever("mycophenolate"), ever("tacrolimus")]},
        ]
    }


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("Previous treatment with at least 2 immunosuppressants.", count("immunosuppressant", 2)),
        ("Have received at least two biologic agents.", count("biologic", 2)),
        ("Treatment with any JAK inhibitor (tofacitinib, baricitinib) at any time.", None),
        ("Received at least 12 weeks of methotrexate.", lasting("methotrexate", weeks=12)),
        ("≥3M of glucocorticoids prior to screening.", lasting("glucocorticoid", months=3)),
        (
            "Have received traditional DMARDs for more than 6 months.",
            lasting("csdmard", months=6),
        ),
        ("Received rituxan within 6 months prior to screening.", within("rituximab", months=6)),
        (
            "After at least 6 months of traditional DMARDs treatment.",
            lasting("csdmard", months=6),
        ),
        ("Prior exposure to anti-TNF agents.", ever("tnf_inhibitor")),
    ],
)
def test_single_histories(item, expected):
    rule = rule_of(item)
    if expected is None:
        # A class with its own examples in brackets is the class.
        assert rule == ever("jak_inhibitor")
    else:
        assert rule == expected


def test_inadequate_response_keeps_the_response_for_review():
    rule = rule_of("Inadequate response to at least one TNF inhibitor after at least 12 weeks.")
    assert rule == {
        "all": [
            lasting("tnf_inhibitor", weeks=12),
            {"review": "Inadequate response to at least one TNF inhibitor after at least 12 weeks"},
        ]
    }


def test_stable_dose_wording_is_for_review_beside_the_duration():
    assert rule_of("On a stable dose of hydroxychloroquine for ≥ 12 weeks.") == {
        "all": [
            lasting("hydroxychloroquine", weeks=12),
            {"review": "a stable dose of hydroxychloroquine"},
        ]
    }


def test_other_members_of_a_class_after_named_ones():
    assert rule_of(
        "Treatment with belimumab, rituximab, or other biologics within 6 months.",
        kind="exclusion",
    ) == {
        "any": [
            within("belimumab", months=6),
            within("rituximab", months=6),
            within("biologic", months=6),
        ]
    }


def test_response_to_a_treatment_with_lead_words():
    rule = rule_of("Inadequate response to prior therapy with at least 2 csDMARDs.")
    assert facts_of(rule) == [count("csdmard", 2)]


def test_counted_class_in_an_exclusion():
    rule = rule_of("Inadequate response to 2 or more TNF inhibitors.", kind="exclusion")
    assert facts_of(rule) == [count("tnf_inhibitor", 2)]
    assert "all" in rule
    assert any("review" in leaf for leaf in leaves(rule))


def test_a_time_after_a_combination_applies_to_all_of_it_and_the_tail_is_review():
    rule = rule_of(
        "Before screening, the participant must have received treatment with glucocorticoids "
        "combined with immunosuppressive agents (including cyclophosphamide, tacrolimus) and/or "
        "biological agents for ≥ 3 months, with a stable dose for ≥ 2 weeks."
    )
    assert rule == {
        "all": [
            lasting("glucocorticoid", months=3),
            {
                "any": [
                    lasting("immunosuppressant", months=3),
                    lasting("biologic", months=3),
                ]
            },
            {"review": "with a stable dose for ≥ 2 weeks"},
        ]
    }


def test_window_shared_by_a_list_in_an_exclusion():
    assert rule_of(
        "Treatment with cyclosporine, tacrolimus or tofacitinib within 14 days prior to screening.",
        kind="exclusion",
    ) == {
        "any": [
            within("cyclosporine", days=14),
            within("tacrolimus", days=14),
            within("tofacitinib", days=14),
        ]
    }


def test_half_life_washout_reads_the_history_and_leaves_the_window_for_review():
    rule = rule_of(
        "Subjects who have received immunosuppressive agents or biologics within 5 half-lives "
        "prior to enrollment.",
        kind="exclusion",
    )
    assert facts_of(rule) == [ever("immunosuppressant"), ever("biologic")]
    assert rule["all"][0] == {"any": [ever("immunosuppressant"), ever("biologic")]}
    assert "review" in rule["all"][1]


def test_route_narrows_the_history_and_is_for_review():
    rule = rule_of(
        "Intra-articular or parenteral glucocorticoids within 4 weeks prior to screening.",
        kind="exclusion",
    )
    assert rule == {
        "all": [
            within("glucocorticoid", weeks=4),
            {"review": "route: Intra-articular or parenteral"},
        ]
    }


def test_vaccines_stay_with_their_own_reader():
    assert rule_of("Received any vaccine within 4 weeks.", kind="exclusion") == within(
        "vaccine", weeks=4
    )


def test_past_regimen_dose_is_a_review_part_never_the_current_dose():
    rule = rule_of(
        "Still active despite ≥3M of high dose glucocorticoids (prednisone ≥1 mg/kg/d), "
        "hydroxychloroquine and at least 2 of the following treatments (cyclophosphamide, MMF, "
        "azathioprine, Beliumab)."
    )
    facts = facts_of(rule)
    assert lasting("glucocorticoid", months=3) in facts
    assert ever("hydroxychloroquine") in facts
    assert all(not leaf["fact"].startswith("derived.") for leaf in facts)
    # A count over a list of named drugs is not what count_at_least on a class says.
    assert all(leaf["op"] != "count_at_least" for leaf in facts)
    reviews = [leaf["review"] for leaf in leaves(rule) if "review" in leaf]
    assert any("1 mg/kg/d" in text for text in reviews)
    # The named list is counted (engine/parser/alternatives.py); the unknown name stays review.
    assert rule["all"][1] == {
        "at_least": 2,
        "of": [
            ever("cyclophosphamide"),
            ever("mycophenolate"),
            ever("azathioprine"),
            {"review": "Beliumab"},
        ],
    }


def test_stable_csdmards_as_follows_is_one_of_the_listed_histories():
    rule = rule_of(
        "Stable treatment with 1 or 2 csDMARD(s) prior to enrollment as follows: at least 12 "
        "weeks of methotrexate; at least 4 weeks of stable hydroxychloroquine doses of ≤400 "
        "mg/d; at least 4 weeks of stable oral salicylazosulfapyridine 1 to 3 g/d."
    )
    choice, lead = rule["all"]
    assert [facts_of(item) for item in choice["any"]] == [
        [lasting("methotrexate", weeks=12)],
        [lasting("hydroxychloroquine", weeks=4)],
        [lasting("sulfasalazine", weeks=4)],
    ]
    assert lead == {
        "review": "Stable treatment with 1 or 2 csDMARD(s) prior to enrollment as follows"
    }


def test_as_follows_with_an_unreadable_item_reads_none_of_the_items():
    rule = rule_of(
        "Stable treatment with 1 or 2 csDMARD(s) as follows: at least 12 weeks of methotrexate; "
        "at least 4 weeks of iguratimodine."
    )
    # The items are alternatives: reading them one by one would require all of them.
    assert facts_of(rule) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "Intolerant or unresponsive to glucocorticoids and at least 2 immunosuppressants",
            "inclusion",
        ),
        ("No prior treatment with rituximab", "inclusion"),
        ("Received rituximab and cyclophosphamide", "exclusion"),
        ("Treatment with methotrexate or leflunomide monotherapy", "inclusion"),
        ("Treatment with methotrexate except for injections", "inclusion"),
        ("Received glucocorticoids unless tapered", "inclusion"),
        ("Received tetracycline for at least 3 months", "inclusion"),
        ("Received Beliumab for at least 3 months", "inclusion"),
        ("Stable disease for at least 3 months", "inclusion"),
        ("Treatment with any other biologic within 4 weeks", "exclusion"),
        # Vaccines, CSF, transfusions, cell therapies are read as their classes by rules.py;
        # here "vaccine" would be the inactivated-vaccine entry only.
        ("Received any vaccine within 4 weeks", "exclusion"),
        ("Received G-CSF within 2 weeks", "exclusion"),
        ("Blood transfusion within 7 days", "exclusion"),
    ],
)
def test_histories_left_unread(text, kind):
    assert read_regimen(text, kind) is None


def test_misspelt_names_are_not_vocabulary():
    assert find_drug("Beliumab") is None
    assert find_drug("salicylazosulfapyridine") is not None
    assert find_drug("salazosulfapyridine") is not None


# ---------------------------------------------------------------------------------------------
# The current glucocorticoid dose
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Prednisone (or equivalent) ≥ 7.5 mg/day", dose(">=", 7.5)),
        ("prednisone (or equivalent drug) ≥ 7.5 mg/day", dose(">=", 7.5)),
        ("≤ 10 mg/day prednisone equivalent", dose("<=", 10)),
        ("Prednisone (or equivalent) dose of no more than 20 mg/day at screening", dose("<=", 20)),
        ("Glucocorticoid dose ≤ 0.5 mg/kg/day", dose("<=", 0.5, "mg/kg/d")),
        (
            "Prednisone (or equivalent) dose ≤ 10 mg/day, stable for at least 4 weeks",
            {"all": [dose("<=", 10), {"review": "stable for at least 4 weeks"}]},
        ),
        (
            "inability to taper hormones (prednisone) to less than 7.5 mg/day",
            {
                "all": [
                    dose(">=", 7.5),
                    {"review": "inability to taper hormones (prednisone) to less than 7.5 mg/day"},
                ]
            },
        ),
        (
            # Receiving some now (> 0) and at most the limit: off steroids does not qualify.
            "Receiving oral prednisone at a dose of ≤ 20 mg/day",
            {"all": [dose(">", 0), dose("<=", 20)]},
        ),
    ],
)
def test_current_glucocorticoid_dose(text, expected):
    assert _strip_text(read_gc_dose(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        # a past course, not the current dose
        "Prednisone > 20 mg/day for more than 2 weeks within the past 3 months",
        "high dose glucocorticoids (prednisone ≥1 mg/kg/d)",
        # a bare dose names no glucocorticoid
        "≤ 10 mg/day",
        # conditions on the dose are not structured
        "If treated with corticosteroids alone, prednisone ≥ 7.5 mg/day",
        "Prednisone ≤ 10 mg/day, or stopped",
        # receiving "at most" nothing: 0 is not a dose being received
        "Receiving prednisone at a dose of ≥ 0 mg/day",
    ],
)
def test_glucocorticoid_doses_left_unread(text):
    assert read_gc_dose(text) is None


def test_receiving_above_a_threshold_needs_no_separate_taking_part():
    assert _strip_text(read_gc_dose("Receiving prednisone at a dose of > 20 mg/day")) == dose(
        ">", 20
    )


def test_gc_dose_in_a_parsed_criterion():
    assert rule_of("Prednisone (or equivalent) ≤ 10 mg/day.") == dose("<=", 10)


# ---------------------------------------------------------------------------------------------
# Standard-treatment definitions with names the vocabulary does not know
# ---------------------------------------------------------------------------------------------

STANDARD = (
    "A history of SLE for at least 6 months prior to screening, with the disease remaining "
    "active 2 months after the use of a standard treatment regimen prior to screening. Standard "
    "treatment regimen is defined as stable use of any of the following (alone or in "
    "combination): corticosteroids, antimalarials, nonsteroidal anti-inflammatory drugs "
    "(NSAIDs), and other immunosuppressive or biologic agents, including azathioprine, "
    "mertiomaxolide, belimumab, and tetracycline."
)


def test_known_alternatives_are_read_and_unknown_names_stay_a_review_alternative():
    rule = rule_of(STANDARD)
    regimen = rule["all"][1]
    assert regimen["any"][:4] == [
        ever("glucocorticoid"),
        ever("antimalarial"),
        ever("immunosuppressant"),
        ever("biologic"),
    ]
    unknown = regimen["any"][4]["review"]
    for name in ("NSAIDs", "mertiomaxolide", "tetracycline"):
        assert name in unknown
    # "2 months after the use" is not a duration.
    assert all("window" not in leaf for leaf in facts_of(rule))


def _status(rule: Any, treatments: list[dict[str, Any]]) -> str:
    criteria = load_criteria(
        {
            "format": "trialmatch-criteria/1",
            "trial_id": "T",
            "source": "automatic",
            "criteria": [{"id": "inc-1", "kind": "inclusion", "text": "t", "rule": rule}],
        }
    )
    profile = profile_from_dict(
        {
            "format": "trialmatch-patient/1",
            "patient": {"birth_date": "1980-01-01", "sex": "female"},
            "treatments_complete": True,
            "treatments": treatments,
        }
    )
    facts = build_facts(profile, date(2026, 11, 20))
    return str(evaluate_trial(criteria, facts).criteria[0].status.value)


def test_unknown_alternative_never_rules_a_patient_out():
    regimen = rule_of(STANDARD)["all"][1]
    # Nothing known was taken (perhaps only NSAIDs): the team decides, never "violated".
    assert _status(regimen, []) == "review"
    taken = [{"drug": "hydroxychloroquine", "start": "2020-01-01", "end": None}]
    assert _status(regimen, taken) == "satisfied"


def test_definition_written_as_a_plain_history_gets_the_regimen_duration():
    rule = rule_of(
        "Conventional treatment over 6 months remains ineffective. Conventional therapy is "
        "defined as the use of glucocorticoids and at least 2 immunosuppressants."
    )
    assert rule == {
        "all": [
            {"review": "Conventional treatment over 6 months remains ineffective"},
            {"all": [lasting("glucocorticoid", months=6), count("immunosuppressant", 2)]},
        ]
    }


def test_definition_as_history_keeps_an_unknown_required_name_for_review():
    rule = rule_of(
        "Conventional treatment remains ineffective. Conventional therapy is defined as the use "
        "of glucocorticoids and mertiomaxolide."
    )
    # Both are required: glucocorticoids are read, the unknown one is for the team.
    assert rule["all"][1] == {"all": [ever("glucocorticoid"), {"review": "mertiomaxolide"}]}


def test_definition_as_history_with_unknown_alternatives_stays_review():
    rule = rule_of(
        "Conventional treatment remains ineffective. Conventional therapy is defined as the use "
        "of glucocorticoids or mertiomaxolide."
    )
    assert facts_of(rule) == []


def test_a_dose_with_its_stability_condition_without_a_comma_is_the_dose_and_a_review_part():
    # Found by the hold-out text: the whole sentence was read as a prednisone history only.
    assert rule_of(
        "Prednisone ≤ 10 mg/day (or equivalent) at a stable dose for at least 4 weeks."
    ) == {
        "all": [
            {"fact": "derived.gc_dose_mg_day", "op": "<=", "value": 10, "unit": "mg/d"},
            {"review": "at a stable dose for at least 4 weeks"},
        ]
    }
    # A comparison in the tail is not a stability condition: not read as one.
    assert read_gc_dose("Prednisone ≤ 10 mg/day for at least 4 weeks or ≤ 5 mg/day") is None


def test_a_named_glucocorticoid_or_equivalent_is_the_class_not_that_drug():
    # "Prednisone (or equivalent)": a patient on methylprednisolone must not be ruled out.
    assert rule_of("Prednisone (or equivalent) for at least 3 months.") == {
        "fact": "treatment.glucocorticoid",
        "op": "duration_at_least",
        "window": {"months": 3},
    }
    assert rule_of("Prednisone for at least 3 months.") == {
        "fact": "treatment.prednisone",
        "op": "duration_at_least",
        "window": {"months": 3},
    }
