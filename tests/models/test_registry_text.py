"""Markdown unescaping, age limits and local trial ids (engine helpers the importer uses)."""

from __future__ import annotations

import hashlib

import pytest

from engine.identity import local_trial_id, record_trial_id
from engine.registry_text import AgeFormatError, parse_age_days, unescape_registry_text


@pytest.mark.parametrize(
    ("escaped", "expected"),
    [
        (r"≥3×10\^9/L", "≥3×10^9/L"),
        (r"\<18 years \> 75", "<18 years > 75"),
        (
            r"\*a\* \_b\_ \~c\~ \[d\] \(e\) \#f \+g \-h \.i \!j",
            "*a* _b_ ~c~ [d] (e) #f +g -h .i !j",
        ),
        ("two backslashes \\\\ make one", "two backslashes \\ make one"),
        (r"C:\path\n stays", r"C:\path\n stays"),
        ("Patient’s（full-width）& <raw> ≥", "Patient’s（full-width）& <raw> ≥"),
    ],
)
def test_unescape_registry_text(escaped: str, expected: str) -> None:
    assert unescape_registry_text(escaped) == expected


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("18 Years", 6574),
        ("1 Year", 365),
        ("6 Months", 182),
        ("4 Weeks", 28),
        ("30 Days", 30),
        ("65 years", 23741),
        (None, None),
        ("N/A", None),
        ("", None),
    ],
)
def test_parse_age_days(text: str | None, days: int | None) -> None:
    assert parse_age_days(text) == days


@pytest.mark.parametrize("text", ["eighteen", "18", "18 Decades", "Years 18"])
def test_parse_age_days_rejects_what_it_cannot_read(text: str) -> None:
    with pytest.raises(AgeFormatError):
        parse_age_days(text)


def test_local_trial_id_is_stable_and_normalised() -> None:
    first = local_trial_id("LOC-7", "A Local Study", "Local Hospital")
    assert first.startswith("LOCAL-")
    assert len(first) == len("LOCAL-") + 10
    assert local_trial_id(" loc-7 ", "A  local\nSTUDY", "LOCAL HOSPITAL") == first
    assert local_trial_id("LOC-8", "A Local Study", "Local Hospital") != first


def test_local_trial_id_matches_the_documented_formula() -> None:
    expected = hashlib.sha256(b"loc-7|a local study|local hospital").hexdigest()[:10]
    assert local_trial_id("LOC-7", "A Local Study", "Local Hospital") == "LOCAL-" + expected


def test_records_without_id_title_or_sponsor_get_distinct_ids_from_their_content() -> None:
    bare_a = {"descriptionModule": {"briefSummary": "Study A"}, "eligibilityModule": {}}
    bare_b = {"descriptionModule": {"briefSummary": "Study B"}, "eligibilityModule": {}}
    assert record_trial_id(bare_a) != record_trial_id(bare_b)
    assert record_trial_id(bare_a) == record_trial_id(bare_a)
    assert record_trial_id(bare_a).startswith("LOCAL-")


def test_record_trial_id_prefers_the_nct_id() -> None:
    protocol = {"identificationModule": {"nctId": " NCT01234567 ", "briefTitle": "T"}}
    assert record_trial_id(protocol) == "NCT01234567"
