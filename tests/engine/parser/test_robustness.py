"""The parser never raises, always returns a loadable file, and stays linear on large input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import load_criteria
from engine.parser import parse_criteria

FRAGMENTS = [
    "Inclusion Criteria:",
    "Key Exclusion Criteria",
    "Exclusion Criteria for SSc",
    "Patients with SLE must also meet the following criteria:",
    "Refractory/Relapsed SLE:",
    "Note: Meeting either criterion 4 or 5 is sufficient.",
    "* ",
    "  * ",
    "  o ",
    "1. ",
    "(2) ",
    "A. ",
    "‣ ",
    "Age ≥ 18 years",
    "ANC ≥ 1,500/mm3",
    "neutrophil count ≥1×10\\^9/L",
    "ALT ≤ 3×ULN (excluding elevation due to myositis)",
    "TBIL≤1.5×ULN (or ≤ 3.0×ULN for subjects with Gilbert syndrome)",
    "INR \\<1.5 times ULN",
    "eGFR≥30mL/min/1.73m2",
    "positive for HBsAg or HBcAb with HBV DNA \\>ULN",
    "No history of malignancy within five years",
    "not receiving colony-stimulating factor within 2 weeks",
    "pregnant or breastfeeding",
    "SLEDAI-2K ≥ 8",
    "ECOG 0-1",
    "Diagnosis of SLE according to the 2019 EULAR/ACR classification criteria",
    "; ",
    ", or ",
    " (",
    ")",
    "\n",
    "\n\n",
    "1",
    "≥",
    "×10",
]


def _check(text: str) -> None:
    result = parse_criteria("FUZZ", text)
    if result.criteria["criteria"]:
        load_criteria(result.criteria)  # raises CriteriaError if the file is not valid
    else:
        # Nothing but headings and white space: no criterion, nothing to load.
        assert result.statistics.criteria == 0
    for criterion in result.criteria["criteria"]:
        start, end = criterion["span"]
        assert 0 <= start <= end <= len(text)
        assert criterion["verified"] is False
    stats = result.statistics
    assert stats.criteria == stats.computable + stats.mixed + stats.review


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text):
    _check(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
def test_structured_fragments_never_raise_and_always_load(text):
    _check(text)


def test_large_generated_text_completes(seed_texts):
    texts = [text for _, text in seed_texts.values()]
    big = "\n".join(texts)
    while len(big) < 100_000:
        big += "\n" + "\n".join(texts)
    result = parse_criteria("BIG", big)
    assert result.statistics.criteria > 300
    load_criteria(result.criteria)


def test_pathological_inputs_complete():
    for text in (
        "(" * 50_000,
        "1" * 50_000,
        "1." * 25_000,
        "≥" * 50_000,
        "Inclusion Criteria:\n" + "* " * 25_000,
        "ALT " * 12_000,
        "a" * 50_000,
        "\\" * 50_000,
        "x10^" * 12_000,
        "Patients with " * 8_000,
        "Inclusion Criteria:\n* " + "following conditions: SLE " * 4_000,
        "a, " * 30_000,
    ):
        _check(text)
