"""Treatment-history definitions: drug lists, listed choices, durations, and what stays review."""

from __future__ import annotations

from typing import Any

import pytest

from engine.parser.treatments import read_treatment_definition, treatment_id
from tests.engine.parser.reading import ever, lasting, rule_of
from tests.engine.parser.reading import strip_text as _strip_text


def review(text: str) -> dict[str, str]:
    return {"review": text}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("MMF", "mycophenolate"),
        ("mycophenolate mofetil", "mycophenolate"),
        ("antimalarials", "antimalarial"),
        ("corticosteroids", "glucocorticoid"),
        ("biological agents", "biologic"),
        ("immunosuppressive agents", "immunosuppressant"),
        ("Rituxan", "rituximab"),
        ("NSAIDs", None),
        ("mertiomaxolide", None),
        ("", None),
    ],
)
def test_treatment_names(name, expected):
    assert treatment_id(name) == expected


DRUGS_8 = [
    "antimalarial",
    "azathioprine",
    "mycophenolate",
    "methotrexate",
    "leflunomide",
    "tacrolimus",
    "cyclosporine",
    "biologic",
]


@pytest.mark.parametrize(
    ("body", "hint", "expected"),
    [
        (
            "the use of glucocorticoids and cyclophosphamide, and any one or more of the "
            "following immunomodulatory drugs: azathioprine, methotrexate, and biologics "
            "including belimumab and rituximab, etc.",
            None,
            {
                "all": [
                    ever("glucocorticoid"),
                    ever("cyclophosphamide"),
                    {"any": [ever("azathioprine"), ever("methotrexate"), ever("biologic")]},
                ]
            },
        ),
        (
            "use of corticosteroids, and at least one of the following agents: MMF, tacrolimus",
            {"months": 6},
            {
                "all": [
                    lasting("glucocorticoid", 6),
                    {"any": [ever("mycophenolate"), ever("tacrolimus")]},
                ]
            },
        ),
        (
            "Use of glucocorticoids (above 1 mg/Kg/d) and cyclophosphamide, and any of the "
            "following immunomodulatory drugs for more than 6 months: azathioprine, leflunomide",
            None,
            {
                "all": [
                    ever("glucocorticoid"),
                    ever("cyclophosphamide"),
                    review("above 1 mg/Kg/d"),
                    {"any": [lasting("azathioprine", 6), lasting("leflunomide", 6)]},
                ]
            },
        ),
        (
            "glucocorticoids or cyclophosphamide for more than 3 months, as well as any of "
            "the following medications: azathioprine, methotrexate",
            None,
            {
                "all": [
                    {"any": [lasting("glucocorticoid", 3), lasting("cyclophosphamide", 3)]},
                    {"any": [ever("azathioprine"), ever("methotrexate")]},
                ]
            },
        ),
    ],
)
def test_treatment_definitions(body, hint, expected):
    assert _strip_text(read_treatment_definition(body, hint)) == expected


@pytest.mark.parametrize(
    "body",
    [
        # an unknown drug in the list: the list cannot be read completely
        "glucocorticoids, and any of the following drugs: azathioprine, mertiomaxolide",
        # an unknown required drug
        "the use of NSAIDs, and any of the following drugs: azathioprine, methotrexate",
        # negations, exceptions and hedges
        "glucocorticoids, and any of the following drugs except: azathioprine, methotrexate",
        "no glucocorticoids, and any of the following drugs: azathioprine, methotrexate",
        "glucocorticoids, and any of the following drugs may be considered: azathioprine, MTX",
        "glucocorticoids, and no more than one of the following drugs: azathioprine, MTX",
        "glucocorticoids unless intolerant, and any of the following drugs: azathioprine, MTX",
        # "and" and "or" mixed among the required drugs: the grouping is not written
        "glucocorticoids and cyclophosphamide or rituximab, and any of the following drugs: "
        "azathioprine, methotrexate",
        # counted choices other than "one or more" are not read here
        "glucocorticoids, and at least two of the following drugs: azathioprine, methotrexate",
        # a duration that is not a lower bound
        "glucocorticoids, and any of the following drugs for less than 3 months: "
        "azathioprine, methotrexate",
        # examples after something that is not a class
        "glucocorticoids, and any of the following drugs: azathioprine, methotrexate "
        "including weekly injections",
        # only one listed item is not a choice
        "glucocorticoids, and any of the following drugs: azathioprine",
    ],
)
def test_treatment_definitions_left_unread(body):
    assert read_treatment_definition(body, None) is None


REFRACTORY = (
    "Definition of relapsed/refractory: Conventional treatment over 6 months remains "
    "ineffective, or disease recurrence after remission. Definition of conventional "
    "treatment: the use of glucocorticoids, and any one or more of the following "
    "immunomodulatory drugs: cyclophosphamide, azathioprine, and biologics including "
    "rituximab, etc."
)


def test_definition_is_required_only_in_the_alternative_that_names_the_regimen():
    assert rule_of(REFRACTORY) == {
        "any": [
            {
                "all": [
                    review(
                        "Definition of relapsed/refractory: Conventional treatment over 6 "
                        "months remains ineffective"
                    ),
                    {
                        "all": [
                            lasting("glucocorticoid", 6),
                            {
                                "any": [
                                    ever("cyclophosphamide"),
                                    ever("azathioprine"),
                                    ever("biologic"),
                                ]
                            },
                        ]
                    },
                ]
            },
            review("disease recurrence after remission"),
        ]
    }


def test_definition_beside_a_readable_history_keeps_both():
    rule = rule_of(
        "History of systemic sclerosis for at least 6 months prior to screening, and active "
        "disease 2 months after use of a conventional treatment regimen prior to screening. "
        "Definition of conventional therapy: Use of glucocorticoids and cyclophosphamide for "
        "more than 6 months, as well as any of the following immunomodulatory medications: "
        "antimalarials, azathioprine."
    )
    facts = [leaf for leaf in _leaves(rule) if "fact" in leaf]
    assert lasting("glucocorticoid", 6) in facts
    assert lasting("cyclophosphamide", 6) in facts
    assert ever("antimalarial") in facts
    # "2 months after use of ..." is not a treatment duration and is never read as one.
    assert all(leaf.get("window") != {"months": 2} for leaf in facts)
    assert any("review" in leaf for leaf in _leaves(rule))


def _leaves(node: Any) -> list[dict[str, Any]]:
    if "fact" in node or "review" in node:
        return [node]
    if "not" in node:
        return _leaves(node["not"])
    return [leaf for child in node.get("all", node.get("any", [])) for leaf in _leaves(child)]


@pytest.mark.parametrize(
    "item",
    [
        # a definition with nothing that refers to it is not a requirement of its own
        "Definition of conventional treatment: the use of glucocorticoids, and any of the "
        "following drugs: azathioprine, methotrexate.",
        # a definition that names no treatment the vocabulary knows stays review
        "Conventional treatment over 6 months remains ineffective. Standard therapy is "
        "defined as stable use of any of the following (alone or in combination): "
        "NSAIDs, mertiomaxolide.",
    ],
)
def test_definitions_without_reading_give_no_treatment_leaf(item):
    rule = rule_of(item)
    assert rule is None or all("fact" not in leaf for leaf in _leaves(rule))


def test_definitions_in_exclusions_are_not_read():
    assert rule_of(REFRACTORY, kind="exclusion") is None


def test_alternative_lead_in_keeps_the_other_alternative_for_review():
    rule = rule_of(
        "Meet the definition of refractory or progressive disease:\n"
        "   o Refractory disease definition: Ineffective after more than 6 months of "
        "conventional treatment, or disease recurrence after remission. Conventional "
        "treatment is defined as the use of glucocorticoids, and one or more of the following "
        "immunomodulatory drugs: antimalarials, azathioprine."
    )
    assert rule["any"][-1] == review("Meet the definition of refractory or progressive disease:")
    assert lasting("glucocorticoid", 6) in _leaves(rule)


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        ("Prior allogeneic HSCT.", "exclusion"),
        ("History of autologous stem cell transplantation.", "exclusion"),
        ("Prior allogeneic hematopoietic stem cell transplantation.", "exclusion"),
    ],
)
def test_qualified_transplants_are_left_for_review(item, kind):
    # treatment.hsct covers autologous and allogeneic transplants alike: reading the
    # qualified wording as treatment.hsct would exclude the other kind too.
    assert rule_of(item, kind) is None


def test_unqualified_transplant_is_still_read():
    assert rule_of("Prior HSCT.", "exclusion") == ever("hsct")


@pytest.mark.parametrize(
    ("item", "kind", "expected"),
    [
        (
            "Received rituximab within 6 months before screening.",
            "exclusion",
            {"fact": "treatment.rituximab", "op": "within", "window": {"months": 6}},
        ),
        (
            "Previous treatment with ocrelizumab, ofatumumab or rituximab.",
            "exclusion",
            {"any": [ever("ocrelizumab"), ever("ofatumumab"), ever("rituximab")]},
        ),
        (
            "No prior rituximab.",
            "inclusion",
            {"not": ever("rituximab")},
        ),
    ],
)
def test_named_drugs_are_treatment_events(item, kind, expected):
    assert rule_of(item, kind) == expected


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        ("Rituximab may be considered as rescue therapy.", "inclusion"),
        ("Any biologic except rituximab within 6 months.", "exclusion"),
        ("Intolerance to methotrexate.", "exclusion"),
        ("Treatment with natalizumab within 6 months before screening.", "exclusion"),
        ("Receiving no more than one dose of rituximab.", "inclusion"),
    ],
)
def test_drug_mentions_in_other_wording_are_not_read(item, kind):
    rule = rule_of(item, kind)
    assert rule is None or all("fact" not in leaf for leaf in _leaves(rule))
