"""Fuzzing every input door: study JSON, criteria text, patient profiles; only documented errors."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import CriteriaError, ProfileError
from engine.loader import load_criteria
from engine.parser import parse_criteria_text
from engine.profile import profile_from_dict
from models.importer import ImportUnit, StudyFormatError, parse_document, parse_study
from models.operations import OpenedDatabase, import_files

Fingerprint = Callable[[sa.Engine], tuple[dict[str, int], str]]
GOLDEN_PROFILE = Path(__file__).resolve().parents[1] / "golden" / "adult_refractory_sle.json"
TODAY = date(2026, 11, 23)

FUZZ = settings(max_examples=150, deadline=None)
FUZZ_WITH_DATABASE = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)

VALID_STUDY: dict[str, Any] = {
    "protocolSection": {
        "identificationModule": {"nctId": "NCT00000042", "briefTitle": "A fuzzed study"},
        "statusModule": {"overallStatus": "RECRUITING"},
        "eligibilityModule": {
            "eligibilityCriteria": "Inclusion Criteria:\n\n* Age 18 years or older",
            "minimumAge": "18 Years",
            "maximumAge": "75 Years",
            "sex": "ALL",
        },
        "designModule": {"phases": ["PHASE2"], "enrollmentInfo": {"count": 40}},
        "contactsLocationsModule": {
            "locations": [{"facility": "Site", "geoPoint": {"lat": 1.5, "lon": 2.5}}]
        },
    }
}


def _paths(value: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path inside nested dicts (lists are left whole)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    return found


STUDY_PATHS = _paths(VALID_STUDY)


@st.composite
def mutated_studies(draw: st.DrawFn) -> dict[str, Any]:
    """The valid study with one to three fields replaced by arbitrary JSON values."""
    study = copy.deepcopy(VALID_STUDY)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(STUDY_PATHS))
        parent: Any = study
        for key in path[:-1]:
            if not isinstance(parent, dict):
                break
            parent = parent.get(key)
        if isinstance(parent, dict):
            parent[path[-1]] = draw(json_values)
    return study


@FUZZ
@given(json_values | mutated_studies())
def test_parse_study_raises_only_study_format_errors(value: object) -> None:
    try:
        parsed = parse_study(value)
    except StudyFormatError as error:
        failure = error
    else:
        assert parsed.trial_id
        return
    assert failure.path  # the message names the field


@FUZZ
@given(st.binary(max_size=200) | json_values.map(lambda value: json.dumps(value).encode()))
def test_parse_document_never_raises(content: bytes) -> None:
    document = parse_document(ImportUnit("fuzz.json", content))
    assert document.studies or document.failures
    for failure in document.failures:
        assert failure.file == "fuzz.json"
        assert failure.reason


@FUZZ_WITH_DATABASE
@given(st.lists(mutated_studies(), min_size=1, max_size=3))
def test_a_failing_import_writes_nothing(
    empty_database: OpenedDatabase,
    tmp_path: Path,
    database_fingerprint: Fingerprint,
    studies: list[dict[str, Any]],
) -> None:
    before = database_fingerprint(empty_database.engine)
    document = tmp_path / "fuzz.json"
    document.write_text(json.dumps({"studies": studies}), encoding="utf-8")
    report = import_files(empty_database.session_factory, [document], back_up=False)
    if report.failed:
        assert not report.added
        assert not report.updated
        assert database_fingerprint(empty_database.engine) == before
    else:
        assert len(report.added) + len(report.updated) == len(studies)


criteria_texts = st.text(max_size=400) | st.lists(
    st.sampled_from(
        [
            "Inclusion Criteria:",
            "Exclusion Criteria:",
            "* Age 18 to 75 years",
            "* eGFR < 30 mL/min/1.73m2",
            "* Pregnant or breastfeeding",
            "* Hemoglobin >= 9 g/dL, ANC >= 1.5 x 10^9/L",
            "* SLEDAI-2K ≥ 6 at screening",
            "* not",
            "* or",
            "- except",
            "  1. History of (active) tuberculosis",
            ">=",
            "(",
            "",
        ]
    ),
    max_size=12,
).map("\n".join)


@FUZZ
@given(criteria_texts)
def test_criteria_parser_output_is_always_a_loadable_criteria_file(text: str) -> None:
    criteria = parse_criteria_text("NCT00000042", text)
    assert criteria["format"] == "trialmatch-criteria/1"
    if not criteria["criteria"]:
        # Text with no criterion in it gives an empty file, which the loader rightly refuses
        # (the trial then has no usable criteria set, and matching says so).
        return
    try:
        load_criteria(criteria)
    except CriteriaError as error:
        raise AssertionError(
            f"the parser wrote a criteria file its loader refuses: {error}"
        ) from error


GOLDEN: dict[str, Any] = json.loads(GOLDEN_PROFILE.read_text(encoding="utf-8"))
PROFILE_PATHS = _paths(GOLDEN)


@st.composite
def mutated_profiles(draw: st.DrawFn) -> dict[str, Any]:
    profile: dict[str, Any] = copy.deepcopy(GOLDEN)
    path = draw(st.sampled_from(PROFILE_PATHS))
    parent: Any = profile
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = draw(json_values)
    return profile


@FUZZ
@given(json_values | mutated_profiles())
def test_profile_loader_raises_only_profile_errors(data: object) -> None:
    try:
        profile_from_dict(data, today=TODAY)
    except ProfileError as error:
        failure = error
    else:
        return
    assert failure.path is not None
    assert str(failure)
