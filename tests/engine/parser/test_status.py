"""Refractory / relapsed / progressive definitions read as the cohort diagnosis's status."""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine import load_criteria
from engine.evaluator import evaluate_trial
from engine.parser import parse_criteria_text
from engine.parser.status import read_status_definition, status_lead, undefined_statuses
from tests.engine.parser.reading import ever, lasting
from tests.engine.parser.reading import strip_text as _strip_text


def _parse(body: str) -> dict[str, Any]:
    text = f"Inclusion Criteria:\n\n1. Age ≥ 18 years.\n\n{body}"
    return parse_criteria_text("T", text)


def cohort_rule(item: str, heading: str = "Refractory/Relapsed SLE:", kind: str = "") -> Any:
    """The rule of the one criterion under ``heading`` (a cohort naming a condition)."""
    section = "\nExclusion Criteria:\n\n" if kind == "exclusion" else ""
    document = _parse(f"{heading}\n\n{section}1. {item}\n")
    criteria = [c for c in document["criteria"] if c["cohort"] is not None]
    assert len(criteria) == 1, document["criteria"]
    load_criteria(document)  # what the parser writes is a valid criteria file
    return _strip_text(criteria[0]["rule"])


def common_rule(item: str) -> Any:
    """The rule of the criterion ``item`` outside any cohort."""
    document = parse_criteria_text("T", f"Inclusion Criteria:\n\n1. {item}\n")
    assert len(document["criteria"]) == 1, document["criteria"]
    return _strip_text(document["criteria"][0]["rule"])


def status(condition: str, *statuses: str) -> dict[str, Any]:
    return {"fact": "diagnosis", "op": "has", "value": [condition], "status": list(statuses)}


def statuses_in(rule: Any) -> list[list[str]]:
    """Every status list of a diagnosis leaf in ``rule``."""
    if isinstance(rule, dict):
        found = [rule["status"]] if rule.get("fact") == "diagnosis" and "status" in rule else []
        return found + [s for value in rule.values() for s in statuses_in(value)]
    if isinstance(rule, list):
        return [s for item in rule for s in statuses_in(item)]
    return []


DEFINITION = (
    "Definition of relapsed/refractory: Conventional treatment over 6 months remains "
    "ineffective, or disease recurrence after remission. Definition of conventional treatment: "
    "the use of glucocorticoids, and any one or more of the following immunomodulatory drugs: "
    "azathioprine, methotrexate, and biologics including rituximab, etc."
)


def test_definition_in_a_cohort_reads_the_statuses_beside_the_regimen() -> None:
    assert cohort_rule(DEFINITION) == {
        "any": [
            {
                "all": [
                    status("sle", "refractory"),
                    {
                        "all": [
                            lasting("glucocorticoid", 6),
                            {"any": [ever("azathioprine"), ever("methotrexate"), ever("biologic")]},
                        ]
                    },
                ]
            },
            status("sle", "relapsed"),
        ]
    }


def test_the_same_definition_outside_a_cohort_stays_as_before() -> None:
    rule = common_rule(DEFINITION)
    assert statuses_in(rule) == []
    # The regimen is still required beside the refractory wording, which stays for review.
    assert rule["any"][1] == {"review": "disease recurrence after remission"}
    assert rule["any"][0]["all"][0] == {
        "review": "Definition of relapsed/refractory: Conventional treatment over 6 months "
        "remains ineffective"
    }


def test_a_cohort_that_is_not_a_condition_stays_as_before() -> None:
    rule = cohort_rule(DEFINITION, heading="Part A cohort:")
    assert statuses_in(rule) == []


def test_without_the_regimen_definition_the_named_treatment_stays_for_review() -> None:
    rule = cohort_rule(
        "Definition of refractory/relapsed: Conventional treatment over 6 months remains "
        "ineffective, or disease recurrence after remission."
    )
    assert rule == {
        "any": [
            {
                "all": [
                    status("sle", "refractory"),
                    {"review": "Conventional treatment over 6 months remains ineffective"},
                ]
            },
            status("sle", "relapsed"),
        ]
    }


def test_other_leads_and_wordings_with_a_treatment_history() -> None:
    rule = cohort_rule(
        "Definition of refractory/progressive: failure to respond to glucocorticoids for at "
        "least 3 months, or disease progression despite treatment with at least one "
        "immunosuppressant.",
        heading="Idiopathic Inflammatory Myopathy Cohort:",
    )
    condition = "inflammatory_myopathy"
    assert rule == {
        "any": [
            {"all": [status(condition, "refractory"), lasting("glucocorticoid", 3)]},
            {"all": [status(condition, "progressive"), ever("immunosuppressant")]},
        ]
    }


def test_unread_words_beside_a_status_stay_a_review_part() -> None:
    rule = cohort_rule(
        "Refractory disease is defined as an inadequate response to conventional treatment, "
        "or a renal flare after remission, or disease recurrence after remission.",
        heading="Lupus Nephritis Cohort:",
    )
    assert rule == {
        "any": [
            {
                "all": [
                    status("lupus_nephritis", "refractory"),
                    {"review": "an inadequate response to conventional treatment"},
                ]
            },
            {
                "all": [
                    status("lupus_nephritis", "relapsed"),
                    {"review": "a renal flare after remission"},
                ]
            },
            status("lupus_nephritis", "relapsed"),
        ]
    }


def test_named_but_undefined_status_goes_to_the_team() -> None:
    item = (
        "Meet the definition of refractory or progressive disease:\n\n"
        "  o Refractory disease definition: Ineffective after more than 6 months of "
        "conventional treatment, or disease recurrence after remission."
    )
    rule = cohort_rule(item, heading="Systemic sclerosis cohort:")
    lead = "Meet the definition of refractory or progressive disease:"
    assert rule["any"][-1] == {"all": [status("ssc", "progressive"), {"review": lead}]}
    assert statuses_in(rule) == [["refractory"], ["relapsed"], ["progressive"]]


@pytest.mark.parametrize(
    "item",
    [
        # No defining lead: the words alone never give a status.
        "Refractory to at least two immunosuppressants.",
        "History of relapse within the past 12 months.",
        "Either relapsing disease after at least 6 months of remission or refractory disease.",
        # Negated or timed status wording stays for review.
        "Definition of progressive: no progression of skin thickening within 6 months.",
        "Definition of relapsed: relapse within 6 months of rituximab.",
        # A measured definition: every alternative carries what only the team can judge.
        "Definition of progressive: Rapid skin progression (mRSS increase > 25%); or progression "
        "of lung disease (FVC decrease by 10%).",
        # "inadequate response or intolerance to glucocorticoids": a bare "or" fragment.
        "Definition of refractory: inadequate response or intolerance to glucocorticoids.",
    ],
)
def test_no_status_without_a_clear_definition(item: str) -> None:
    assert statuses_in(cohort_rule(item)) == []


def test_no_status_in_an_exclusion() -> None:
    text = (
        "Inclusion Criteria:\n\n1. Age ≥ 18 years.\n\nExclusion Criteria for SLE:\n\n"
        "1. Definition of relapsed: disease recurrence after remission, or inadequate response "
        "to glucocorticoids.\n"
    )
    criteria = parse_criteria_text("T", text)["criteria"]
    excluded = [c for c in criteria if c["kind"] == "exclusion"]
    assert [c["cohort"] for c in excluded] == ["sle"]
    assert statuses_in(excluded[0]["rule"]) == []


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        ("Definition of relapsed/refractory: x", ("relapsed", "refractory")),
        ("o Refractory disease definition: x", ("refractory",)),
        (
            "Meet the definition of refractory or progressive disease:",
            ("refractory", "progressive"),
        ),
        ("Relapsed or refractory disease, defined as: x", ("relapsed", "refractory")),
        ("Refractory disease is defined as x", ("refractory",)),
        ("Definition of progressive: x", ("progressive",)),
        ("Definition of conventional treatment: x", None),
        ("Patients with refractory disease: x", None),
        ("Disease recurrence after remission, as defined by the protocol", None),
    ],
)
def test_status_lead(lead: str, expected: tuple[str, ...] | None) -> None:
    found = status_lead(lead)
    assert (found[0] if found else None) == expected


def test_read_status_definition_needs_the_lead() -> None:
    def no_history(_: str) -> None:
        return None

    assert read_status_definition("disease recurrence after remission", "sle", no_history) is None
    rule = read_status_definition(
        "Definition of relapsed: disease recurrence after remission, or flare after remission",
        "sle",
        no_history,
    )
    # The same status worded twice is one alternative each; both are the status alone.
    assert _strip_text(rule) == {"any": [status("sle", "relapsed"), status("sle", "relapsed")]}


def test_undefined_statuses_only_for_a_lead_alone() -> None:
    defined = {"all": [status("ssc", "refractory")]}
    lead = "Meet the definition of refractory or progressive disease:"
    assert _strip_text(undefined_statuses(lead, defined, "ssc")) == {
        "all": [status("ssc", "progressive"), {"review": lead}]
    }
    # Nothing below defines any named status: the lead stays a review alternative.
    assert undefined_statuses(lead, {"all": [ever("rituximab")]}, "ssc") is None
    assert undefined_statuses("Definition of refractory: x", defined, "ssc") is None
    assert re.search("progressive", lead)


def _criterion_status(
    facts_from: Any, diagnosis: dict[str, Any], treatments: list[dict[str, Any]]
) -> str:
    """How the parsed DEFINITION criterion of the SLE cohort evaluates for one patient."""
    document = _parse(f"Refractory/Relapsed SLE:\n\n1. {DEFINITION}\n")
    profile = {
        "format": "trialmatch-patient/1",
        "patient": {"birth_date": "1990-04-02", "sex": "female"},
        "diagnoses": [diagnosis],
        "treatments_complete": True,
        "treatments": treatments,
    }
    evaluation = evaluate_trial(load_criteria(document), facts_from(profile))
    (result,) = [r for r in evaluation.criteria if r.criterion_id.startswith("inc-sle-")]
    return str(result.status.value)


PREDNISONE = {"drug": "prednisone", "start": "2024-01-01", "end": None}
AZATHIOPRINE = {"drug": "azathioprine", "start": "2024-03-01", "end": None}


def test_the_recorded_status_decides(facts_from: Any) -> None:
    relapsed = {"condition": "sle", "status": ["relapsed"]}
    assert _criterion_status(facts_from, relapsed, []) == "satisfied"
    refractory = {"condition": "sle", "status": ["refractory"]}
    assert _criterion_status(facts_from, refractory, [PREDNISONE, AZATHIOPRINE]) == "satisfied"
    # Refractory without the defined regimen: relapsed is not recorded either, so unknown.
    assert _criterion_status(facts_from, refractory, [PREDNISONE]) == "unknown"
    # No status recorded: the physician is asked, never "met".
    assert _criterion_status(facts_from, {"condition": "sle"}, [PREDNISONE]) == "unknown"
    # Another diagnosis only: the SLE statuses cannot hold.
    assert _criterion_status(facts_from, {"condition": "ra", "status": ["relapsed"]}, []) == (
        "violated"
    )


def test_an_alternative_without_status_wording_keeps_the_regimen_beside_its_review() -> None:
    rule = cohort_rule(
        "Refractory disease definition: SLEDAI-2K ≥ 8 despite standard therapy, or flare after "
        "remission. Standard therapy is defined as the use of glucocorticoids, and any one or "
        "more of the following drugs: azathioprine, methotrexate."
    )
    assert rule["any"][1] == status("sle", "relapsed")
    first = rule["any"][0]["all"]
    assert first[0] == {"review": "SLEDAI-2K ≥ 8 despite standard therapy"}
    assert statuses_in(first) == []
    assert first[1]["all"][0] == ever("glucocorticoid")
    assert first[1]["all"][1] == {"any": [ever("azathioprine"), ever("methotrexate")]}
