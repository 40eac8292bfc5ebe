"""Splitting: headings, bullets and numbering, sub-items, cohorts, notes, spans and escapes."""

from __future__ import annotations

import pytest

from engine.parser import parse_criteria_text
from engine.parser._text import working_text


def _criteria(text: str) -> list[dict[str, object]]:
    return list(parse_criteria_text("T", text)["criteria"])


def test_seed_000_numbered_items_and_patients_with_cohorts(seed_texts):
    parsed = parse_criteria_text("NCT06503224", seed_texts["seed_000"][1])
    assert [c["id"] for c in parsed["cohorts"]] == ["ra", "sle", "sjogren", "ssc"]
    inclusion = [c for c in parsed["criteria"] if c["kind"] == "inclusion" and c["cohort"] is None]
    assert [c["id"] for c in inclusion] == ["inc-2", "inc-3", "inc-4", "inc-5", "inc-6"]
    exclusion = [c for c in parsed["criteria"] if c["kind"] == "exclusion"]
    assert len(exclusion) == 11
    assert all(c["cohort"] is None for c in exclusion)
    ra = [c for c in parsed["criteria"] if c["cohort"] == "ra"]
    assert [c["text"][:2] for c in ra] == ["1.", "2.", "3."]


def test_seed_001_common_and_disease_specific_cohorts_with_notes(seed_texts):
    parsed = parse_criteria_text("NCT06941129", seed_texts["seed_001"][1])
    assert [c["id"] for c in parsed["cohorts"]] == ["sle", "ssc", "inflammatory_myopathy", "aav"]
    assert len(parsed["groups"]) == 2
    grouped = [(c["cohort"], c["text"][:2]) for c in parsed["criteria"] if c["group"]]
    # "Meeting either criterion 4 or 5": SSc has both; the myopathy cohort only has a 4.
    assert grouped == [("ssc", "4."), ("ssc", "5."), ("inflammatory_myopathy", "4.")]
    item_3 = next(c for c in parsed["criteria"] if c["id"] == "inc-3")
    # Inline sub-items stay attached to their parent criterion.
    assert "A. Neutrophil count" in item_3["text"]
    assert "3) Renal function" in item_3["text"]
    assert not any(c["text"].startswith("Note") for c in parsed["criteria"])


def test_seed_002_unmarked_continuation_lines_belong_to_the_item(seed_texts):
    parsed = parse_criteria_text("NCT06691152", seed_texts["seed_002"][1])
    item_4 = next(c for c in parsed["criteria"] if c["id"] == "inc-4")
    assert item_4["text"].startswith("4. The functions of important organs")
    assert "Lung function" in item_4["text"]
    assert sum(1 for c in parsed["criteria"] if c["kind"] == "inclusion") == 7
    assert sum(1 for c in parsed["criteria"] if c["kind"] == "exclusion") == 13


def test_seed_003_bullets_with_o_sub_items_and_cohort_headings(seed_texts):
    parsed = parse_criteria_text("T", seed_texts["seed_003"][1])
    organ = next(c for c in parsed["criteria"] if c["text"].startswith("Adequate organ function"))
    assert "Coagulation function" in organ["text"]
    assert "Lung function" in organ["text"]
    # The unheaded SLE items before "Inclusion Criteria for SSc" are SLE's cohort, and the
    # empty "Exclusion Criteria for SLE" heading stays as one review item of that cohort.
    assert sorted(c["id"] for c in parsed["cohorts"]) == ["sle", "ssc"]
    inclusions = [c for c in parsed["criteria"] if c["kind"] == "inclusion"]
    assert [c["cohort"] for c in inclusions] == ["sle"] * 6 + ["ssc"] * 4
    exclusions = [c for c in parsed["criteria"] if c["kind"] == "exclusion"]
    assert [c["cohort"] for c in exclusions] == ["sle", "ssc", "ssc", "ssc"]
    assert exclusions[0]["text"] == "Exclusion Criteria for SLE"
    assert exclusions[0]["rule"] is None


def test_seed_004_nested_bullets_without_headings_are_inclusion(seed_texts):
    parsed = parse_criteria_text("T", seed_texts["seed_004"][1])
    assert {c["kind"] for c in parsed["criteria"]} == {"inclusion"}
    organs = next(c for c in parsed["criteria"] if "functions of important organs" in c["text"])
    assert "Lung function: SpO2≥92%" in organs["text"]
    assert organs["rule"] is not None


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("Inclusion Criteria:", "inclusion"),
        ("Key Inclusion Criteria", "inclusion"),
        ("INCLUSION CRITERIA", "inclusion"),
        ("Exclusion criteria", "exclusion"),
        ("Key Exclusion Criteria:", "exclusion"),
        ("Exclusion Criteria for SSc", "exclusion"),
    ],
)
def test_heading_variants(heading, kind):
    criteria = _criteria(f"{heading}\n\n* Age ≥ 18 years.\n")
    assert [(c["kind"], c["text"]) for c in criteria] == [(kind, "Age ≥ 18 years.")]


@pytest.mark.parametrize(
    ("inclusion_heading", "exclusion_heading"),
    [
        ("**Inclusion Criteria:**", "**Exclusion Criteria:**"),
        ("### Inclusion criteria", "### Exclusion criteria"),
        ("__Inclusion Criteria__", "__Exclusion Criteria__"),
    ],
)
def test_markdown_emphasised_headings_still_open_their_section(
    inclusion_heading, exclusion_heading
):
    # A bold exclusion heading used to be read as an inclusion item, and the "- " exclusion
    # below it as its continuation: a recent rituximab course never ruled the patient out.
    text = (
        f"{inclusion_heading}\n\n1. Platelets >= 100 x 10^9/L\n\n"
        f"{exclusion_heading}\n\n- Prior rituximab within 12 weeks\n"
    )
    criteria = _criteria(text)
    assert [(c["kind"], c["text"]) for c in criteria] == [
        ("inclusion", "1. Platelets >= 100 x 10^9/L"),
        ("exclusion", "Prior rituximab within 12 weeks"),
    ]
    assert criteria[1]["rule"]["fact"] == "treatment.rituximab"
    assert criteria[1]["rule"]["op"] == "within"


@pytest.mark.parametrize(
    "marker", ["* ", "- ", "• ", "‣ ", "⁃ ", "∙ ", "1. ", "1) ", "(1) ", "A. "]
)
def test_bullet_and_numbering_styles(marker):
    text = f"Inclusion Criteria:\n{marker}Age ≥ 18 years.\n{marker}ECOG 0-1.\n"
    criteria = _criteria(text)
    assert len(criteria) == 2
    assert criteria[0]["rule"]["fact"] == "age_years"
    assert criteria[1]["rule"]["fact"] == "score.ecog"


def test_indented_sub_items_stay_with_their_parent():
    text = (
        "Inclusion Criteria:\n\n* Adequate organ function:\n  * ANC ≥ 1.5 x 10^9/L\n"
        "  * Platelets ≥ 100 x 10^9/L\n* Age ≥ 18 years.\n"
    )
    criteria = _criteria(text)
    assert len(criteria) == 2
    assert [leaf["fact"] for leaf in criteria[0]["rule"]["all"]] == ["lab.anc", "lab.platelets"]


def test_cohort_heading_short_line_before_numbered_items():
    text = (
        "Inclusion Criteria:\n\n1. Age ≥ 18 years.\n\nRefractory/Relapsed SLE:\n\n"
        "1. SLEDAI-2K ≥ 8.\n"
    )
    parsed = parse_criteria_text("T", text)
    assert parsed["cohorts"] == [
        {"id": "sle", "label": "Refractory/Relapsed SLE", "text": "Refractory/Relapsed SLE:"}
    ]
    assert [c["cohort"] for c in parsed["criteria"]] == [None, "sle"]


def test_note_with_unknown_items_becomes_a_review_criterion_not_a_group():
    text = "Inclusion Criteria:\n\n1. Age ≥ 18 years.\n\nNote: criteria 7 or 8 are sufficient.\n"
    parsed = parse_criteria_text("T", text)
    assert parsed["groups"] == []
    assert parsed["criteria"][-1]["rule"] is None


def test_spans_point_into_the_escaped_input_and_text_is_unescaped():
    raw = "Inclusion Criteria:\n\n1. INR \\<1.5 times ULN; ANC ≥1×10\\^9/L.\n"
    criterion = _criteria(raw)[0]
    start, end = criterion["span"]
    assert raw[start:end] == "1. INR \\<1.5 times ULN; ANC ≥1×10\\^9/L."
    assert criterion["text"] == "1. INR <1.5 times ULN; ANC ≥1×10^9/L."
    assert criterion["rule"]["all"][0] == {
        "fact": "lab.inr",
        "op": "<",
        "value": 1.5,
        "unit": "xULN",
        "text": "INR <1.5 times ULN",
    }


def test_working_text_maps_offsets_back():
    work = working_text("a\\<b\\^c \\q")
    assert work.text == "a<b^c \\q"
    assert work.span(1, 2) == (1, 3)
    assert work.span(0, len(work.text)) == (0, 10)


def test_criteria_before_any_heading_in_a_text_with_exclusions_are_left_for_review():
    text = "Age ≥ 18 years.\nExclusion of patients with HIV.\n"
    criteria = _criteria(text)
    assert all(c["rule"] is None for c in criteria)


def test_every_criterion_is_automatic_and_unverified(seed_texts):
    for _, text in seed_texts.values():
        parsed = parse_criteria_text("T", text)
        assert parsed["source"] == "automatic"
        assert all(c["verified"] is False for c in parsed["criteria"])


def test_leaf_spans_locate_each_leaf_in_the_escaped_input():
    from engine.parser import parse_criteria

    raw = "Exclusion Criteria:\n\n1. INR \\>1.5 times ULN; positive for HIV antibody.\n"
    result = parse_criteria("T", raw)
    found = {leaf.text: raw[leaf.span[0] : leaf.span[1]] for leaf in result.leaf_spans}
    assert found == {
        "INR >1.5 times ULN": "INR \\>1.5 times ULN",
        "HIV antibody": "HIV antibody",
    }


def test_html_criteria_are_read_as_their_lists_with_entities_decoded():
    # The whole HTML text used to be one inclusion review item, the exclusions inside it.
    text = (
        "<p><b>Inclusion Criteria:</b></p><ul><li>Age &ge; 18 years</li>"
        "<li>Platelets &ge; 100 x 10<sup>9</sup>/L</li></ul>"
        '<p>Exclusion Criteria:</p><ul><li class="item">Pregnant &amp; lactating women</li>'
        "<li>ANC <1.0 x 10^9/L</li></ul>"
    )
    criteria = _criteria(text)
    assert [(c["kind"], c["text"]) for c in criteria] == [
        ("inclusion", "Age ≥ 18 years"),
        ("inclusion", "Platelets ≥ 100 x 10^9/L"),
        ("exclusion", "Pregnant & lactating women"),
        ("exclusion", "ANC <1.0 x 10^9/L"),
    ]
    assert criteria[1]["rule"]["unit"] == "10*9/L"
    assert criteria[3]["rule"]["op"] == "<"
    start, end = criteria[0]["span"]
    assert text[start:end] == "Age &ge; 18 years"


@pytest.mark.parametrize("line", ["Age <18 years or >65", "ANC <1.5 and p <0.05", "IgG <i.e. 5"])
def test_a_less_than_sign_is_never_taken_for_an_html_tag(line):
    (criterion,) = _criteria(f"Inclusion Criteria:\n\n* {line}\n")
    assert criterion["text"] == line


@pytest.mark.parametrize(
    "text",
    [
        "Inclusion criteria: Age >= 18 years. Exclusion criteria: Pregnancy.",
        "Inclusion criteria: Age >= 18 years; Exclusion criteria: Pregnancy",
    ],
)
def test_one_line_text_with_inline_headings_splits_into_its_sections(text):
    # The whole line used to be one inclusion review item, its exclusion hidden inside it.
    criteria = _criteria(text)
    assert [(c["kind"], c["rule"]["fact"]) for c in criteria] == [
        ("inclusion", "age_years"),
        ("exclusion", "pregnant"),
    ]
    start, end = criteria[1]["span"]
    assert text[start:end].startswith("Pregnancy")


def test_exclusion_criteria_named_inside_a_sentence_is_not_a_heading():
    text = "Inclusion Criteria:\n\n* Not meeting any exclusion criteria: see the protocol\n"
    (criterion,) = _criteria(text)
    assert criterion["kind"] == "inclusion"
    assert criterion["text"] == "Not meeting any exclusion criteria: see the protocol"


def test_numbers_written_against_their_item_still_number_it():
    text = (
        "INCLUSION CRITERIA\n1.Age >= 18 years\n2.Hemoglobin >= 9 g/dL\n"
        "EXCLUSION CRITERIA\n1.Pregnancy"
    )
    criteria = _criteria(text)
    assert [(c["kind"], c["rule"]["fact"]) for c in criteria] == [
        ("inclusion", "age_years"),
        ("inclusion", "lab.hemoglobin"),
        ("exclusion", "pregnant"),
    ]
    # A decimal is never a label: "1.5" stays the value.
    (criterion,) = _criteria("Inclusion Criteria:\n\n* ANC >= 1.5 x 10^9/L\n")
    assert criterion["rule"]["value"] == 1.5


def test_items_under_a_diagnosis_cohort_item_are_its_criteria_and_a_shallower_item_ends_it():
    text = (
        "* Age ≥5 years old.\n"
        "* Refractory paediatric rheumatic diseases:\n"
        "  * Diagnosed as juvenile dermatomyositis according to the criteria of Bohan and Peter, "
        "and meeting the following conditions:\n"
        "    * Positive for anti-synthetase antibody;\n"
        "    * CMAS less than 48 points.\n"
        "  * Meet the classification criteria for primary Sjogren's syndrome as defined by the "
        "2016 ACR/EULAR classification criteria, and meeting the following conditions:\n"
        "    * Positive for anti-SSA antibody;\n"
        "* Positive expression of CD19 in peripheral blood B cells.\n"
    )
    criteria = _criteria(text)
    assert [(c["cohort"], c["text"][:24]) for c in criteria] == [
        (None, "Age ≥5 years old."),
        (None, "Refractory paediatric rh"),
        ("jdm", "Diagnosed as juvenile de"),
        ("jdm", "Positive for anti-synthe"),
        ("jdm", "CMAS less than 48 points"),
        ("sjogren", "Meet the classification "),
        ("sjogren", "Positive for anti-SSA an"),
        (None, "Positive expression of C"),
    ]


def test_unheaded_criteria_of_another_disease_before_a_cohort_heading_are_that_disease_cohort():
    text = (
        "Inclusion Criteria:\n* Diagnosis of SLE according to the 2019 EULAR/ACR criteria.\n"
        "* SLEDAI-2K ≥ 6.\nInclusion Criteria for systemic sclerosis:\n"
        "* Diagnosis of SSc according to the 2013 ACR/EULAR criteria.\n* mRSS ≥ 15.\n"
    )
    parsed = parse_criteria_text("T", text)
    assert [c["cohort"] for c in parsed["criteria"]] == ["sle", "sle", "ssc", "ssc"]
    assert {c["id"] for c in parsed["cohorts"]} == {"sle", "ssc"}


@pytest.mark.parametrize(
    "first",
    [
        # A disease that includes the headed one: the leading items are common to both.
        "Diagnosis of SLE according to the 2019 EULAR/ACR criteria.",
        # No diagnosis requirement first: common criteria, as written.
        "Age ≥ 18 years.",
    ],
)
def test_leading_criteria_stay_common_unless_they_open_with_an_unrelated_diagnosis(first):
    text = (
        f"Inclusion Criteria:\n* {first}\n* ANC ≥ 1.5 × 10^9/L.\n"
        "Inclusion Criteria for lupus nephritis:\n* UPCR ≥ 1 g/g.\n"
    )
    parsed = parse_criteria_text("T", text)
    assert [c["cohort"] for c in parsed["criteria"]] == [None, None, "lupus_nephritis"]


def test_an_empty_cohort_section_is_one_review_item_not_an_empty_list():
    text = (
        "Inclusion Criteria:\n* Age ≥ 18 years.\nExclusion Criteria for SLE\n"
        "Exclusion Criteria for SSc\n1. Pregnancy.\n"
    )
    parsed = parse_criteria_text("T", text)
    exclusions = [c for c in parsed["criteria"] if c["kind"] == "exclusion"]
    assert [(c["cohort"], c["text"], c["rule"] is None) for c in exclusions] == [
        ("sle", "Exclusion Criteria for SLE", True),
        ("ssc", "1. Pregnancy.", False),
    ]
