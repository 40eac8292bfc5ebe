"""Condition and drug vocabularies: lookups, codes, synonyms and hierarchy."""

from __future__ import annotations

import pytest

from engine.facts import fact_spec
from engine.vocabulary import (
    CLASSES,
    CONDITIONS,
    DRUGS,
    class_closure,
    condition_ancestors,
    condition_covers,
    condition_label,
    drug_matches,
    find_condition,
    find_drug,
    normalise_term,
    treatment_label,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sle", "sle"),
        ("Systemic lupus erythematosus", "sle"),
        ("SLE", "sle"),
        ("系统性红斑狼疮", "sle"),
        ("M32.14", "lupus_nephritis"),
        ("m32.15", "lupus_nephritis"),
        ("M32.10", "sle"),
        ("M32.0", None),  # drug-induced lupus is not SLE
        ("55464009", "sle"),
        ("Sjögren's syndrome", "sjogren"),
        ("Sjogren", "sjogren"),
        ("Sjoegren syndrome", "sjogren"),
        ("dry syndrome", "sjogren"),
        ("Dryness Syndrome", "sjogren"),
        ("sicca syndrome", "sjogren"),
        ("干燥综合征", "sjogren"),
        ("M35.0A", "sjogren"),
        ("Wegener's granulomatosis", "gpa"),
        ("M31.31", "gpa"),
        ("Churg-Strauss syndrome", "egpa"),
        ("M30.1", "egpa"),
        ("M34.1", "lcssc"),
        ("CREST syndrome", "lcssc"),
        ("M34.81", "ssc"),
        ("M34.2", None),
        ("M33.03", "jdm"),
        ("M33.22", "pm"),
        ("M05.79", "ra"),
        ("M06.1", None),  # adult-onset Still's disease is not RA
        ("M08.3", "pjia"),
        ("M08.40", "oligo_jia"),
        ("antisynthetase syndrome", "asys"),
        ("抗合成酶综合征", "asys"),
        ("immune-mediated necrotizing myopathy", "imnm"),
        ("  ", None),
        ("psoriasis", None),
        ("999999", None),
    ],
)
def test_find_condition(text: str, expected: str | None) -> None:
    found = find_condition(text)
    assert (found.id if found else None) == expected


@pytest.mark.parametrize(
    ("required", "patient", "covered"),
    [
        ("sle", "lupus_nephritis", True),
        ("lupus_nephritis", "sle", False),
        ("inflammatory_myopathy", "dm", True),
        ("inflammatory_myopathy", "imnm", True),
        ("aav", "mpa", True),
        ("ssc", "dcssc", True),
        ("jia", "pjia", True),
        ("ra", "jia", False),
        ("sle", "sle", True),
        ("sle", "unknown_id", False),
    ],
)
def test_condition_covers(required: str, patient: str, covered: bool) -> None:
    assert condition_covers(required, patient) is covered


def test_hierarchy_is_consistent() -> None:
    for condition in CONDITIONS.values():
        assert condition.parent is None or condition.parent in CONDITIONS
    assert condition_ancestors("dcssc") == ("dcssc", "ssc")
    assert condition_label("gpa") == "Granulomatosis with polyangiitis"
    assert condition_label("nope") is None
    for cls in CLASSES.values():
        assert all(parent in CLASSES for parent in cls.parents)
    for drug in DRUGS.values():
        assert all(cls in CLASSES for cls in drug.classes)


@pytest.mark.parametrize(
    ("treatment", "drug", "matches"),
    [
        ("b_cell_targeted", "rituximab", True),
        ("biologic", "rituximab", True),
        ("anti_cd20", "belimumab", False),
        ("b_cell_targeted", "telitacicept", True),
        ("immunosuppressant", "mycophenolate", True),
        ("csdmard", "hydroxychloroquine", True),
        ("antimalarial", "hydroxychloroquine", True),
        ("vaccine", "mmr_vaccine", True),
        ("live_vaccine", "inactivated_vaccine", False),
        ("glucocorticoid", "dexamethasone", True),
        ("cyclophosphamide", "cyclophosphamide", True),
        ("jak_inhibitor", "baricitinib", True),
        ("tnf_inhibitor", "adalimumab", True),
        ("csf", "g_csf", True),
        ("transfusion", "red_cell_transfusion", True),
        ("car_t", "car_t", True),
        ("investigational", "investigational_product", True),
        ("glucocorticoid", "not_a_drug", False),
        ("immunosuppressant", "csdmard", True),
        ("csdmard", "immunosuppressant", False),
        ("azathioprine", "csdmard", False),
    ],
)
def test_drug_classes(treatment: str, drug: str, matches: bool) -> None:
    assert drug_matches(treatment, drug) is matches


def test_glucocorticoid_equivalence_factors() -> None:
    # prednisone 5 = prednisolone 5 = methylprednisolone 4 = hydrocortisone 20 = dexamethasone 0.75
    factors = {
        d: DRUGS[d].prednisone_factor
        for d in (
            "prednisone",
            "prednisolone",
            "methylprednisolone",
            "hydrocortisone",
            "dexamethasone",
        )
    }
    assert factors["prednisone"] == 1
    assert factors["prednisolone"] == 1
    assert 4 * factors["methylprednisolone"] == pytest.approx(5)
    assert 20 * factors["hydrocortisone"] == pytest.approx(5)
    assert 0.75 * factors["dexamethasone"] == pytest.approx(5)


def test_lookups_and_labels() -> None:
    found = find_drug("Rituxan")
    assert found is not None
    assert found.id == "rituximab"
    assert find_drug("nothing") is None
    assert treatment_label("live_vaccine") == "Live attenuated vaccine"
    assert treatment_label("rituximab") == "Rituximab"
    assert treatment_label("unknown") is None
    assert class_closure(("anti_cd20",)) == {"anti_cd20", "b_cell_targeted", "biologic"}
    assert class_closure(("anti_cd20", "b_cell_targeted")) == class_closure(("anti_cd20",))
    assert normalise_term("  Sjögren’s   Syndrome ") == "sjogren syndrome"
    spec = fact_spec("treatment.b_cell_targeted")
    assert spec is not None
    assert spec.label == "B-cell targeted therapy"
    assert fact_spec("treatment.unknown") is None
    assert fact_spec("nothing") is None


@pytest.mark.parametrize(
    ("typed", "drug_id"),
    [
        ("MMR vaccine", "mmr_vaccine"),
        ("measles mumps rubella vaccine", "mmr_vaccine"),
        ("varicella vaccine", "varicella_vaccine"),
        ("BCG vaccine", "bcg_vaccine"),
        ("Truxima", "rituximab"),
        ("Ruxience", "rituximab"),
    ],
)
def test_common_vaccine_names_and_rituximab_biosimilars_are_known(typed: str, drug_id: str) -> None:
    drug = find_drug(typed)
    assert drug is not None
    assert drug.id == drug_id
