"""Fixtures for the engine tests: a complete profile dict, facts and one-criterion trials."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from engine.criteria import TrialCriteria
from engine.evaluator import evaluate_trial
from engine.facts import Facts, build_facts
from engine.loader import load_criteria
from engine.outcomes import TrialEvaluation
from engine.profile import profile_from_dict
from engine.units import Settings

TODAY = date(2026, 11, 23)

PROFILE: dict[str, Any] = {
    "format": "trialmatch-patient/1",
    "patient": {
        "name": "Jane Doe",
        "record_number": "MRN-1",
        "birth_date": "1990-04-02",
        "sex": "female",
        "weight": {"value": 62, "unit": "kg", "date": "2026-11-01"},
        "height": {"value": 168, "unit": "cm", "date": None},
    },
    "reproductive": {
        "pregnant": False,
        "pregnancy_test": {"result": "negative", "date": "2026-11-20"},
        "lactating": False,
        "childbearing_potential": True,
        "contraception_agreed": True,
    },
    "consent_to_contact": True,
    "diagnoses": [
        {
            "condition": "sle",
            "text": "Systemic lupus erythematosus",
            "icd10": "M32.14",
            "diagnosis_date": "2019-03-01",
            "classification": ["2019 EULAR/ACR"],
            "subtype": None,
            "status": ["refractory"],
            "treatments_tried": ["cyclophosphamide", "mycophenolate"],
            "lupus_nephritis": {
                "classes": ["IV"],
                "biopsy_date": "2026-08-01",
                "activity_index": 8,
                "chronicity_index": 2,
            },
        }
    ],
    "scores": [
        {"instrument": "sledai_2k", "value": 12, "date": "2026-11-15"},
        {
            "instrument": "bilag_2004",
            "domains": {"renal": "A", "mucocutaneous": "B"},
            "date": "2026-11-15",
        },
    ],
    "labs": [
        {"analyte": "hemoglobin", "value": 10.2, "unit": "g/dL", "date": "2026-11-18", "uln": None},
        {"analyte": "anc", "value": 1500, "unit": "/µL", "date": "2026-11-18", "uln": None},
        {"analyte": "alt", "value": 30, "unit": "U/L", "date": "2026-11-18", "uln": 35},
        {"analyte": "creatinine", "value": 0.8, "unit": "mg/dL", "date": "2026-11-18", "uln": None},
    ],
    "findings": [
        {"test": "serology.hbsag", "result": "negative", "date": "2026-10-01", "titer": None},
        {"test": "antibody.ana", "result": "positive", "date": "2019-03-01", "titer": 640},
    ],
    "treatments_complete": True,
    "treatments": [
        {"drug": "prednisone", "start": "2019-03-01", "end": None, "dose": 10, "dose_unit": "mg/d"},
        {
            "drug": "rituximab",
            "start": "2024-01-10",
            "end": "2024-01-24",
            "dose": 1000,
            "dose_unit": "mg",
        },
    ],
    "history": [
        {"item": "history.malignancy", "present": False, "date": None, "text": None},
        {"item": "history.esrd", "present": False, "date": None, "text": None},
    ],
    "screening_date": None,
}


@pytest.fixture
def profile_dict() -> dict[str, Any]:
    """A complete, valid profile dict (a fresh deep copy per test)."""
    return copy.deepcopy(PROFILE)


@pytest.fixture
def facts_from() -> Callable[..., Facts]:
    """Builds Facts from a profile dict on 2026-11-23 (or the given screening date)."""

    def build(
        data: dict[str, Any], screening: date = TODAY, settings: Settings | None = None
    ) -> Facts:
        return build_facts(profile_from_dict(data, today=TODAY), screening, settings)

    return build


def criteria_dict(
    rule: dict[str, Any] | None, kind: str = "inclusion", **extra: Any
) -> dict[str, Any]:
    criterion = {"id": "c-1", "kind": kind, "cohort": None, "text": "criterion", "rule": rule}
    criterion.update(extra)
    return {
        "format": "trialmatch-criteria/1",
        "trial_id": "NCT00000001",
        "source": "curated",
        "criteria": [criterion],
    }


@pytest.fixture
def one_criterion() -> Callable[..., TrialCriteria]:
    """Loads a trial with one criterion: one_criterion(rule, kind="inclusion", **fields)."""

    def make(rule: dict[str, Any] | None, kind: str = "inclusion", **extra: Any) -> TrialCriteria:
        return load_criteria(criteria_dict(rule, kind, **extra))

    return make


@pytest.fixture
def evaluate(one_criterion: Callable[..., TrialCriteria]) -> Callable[..., TrialEvaluation]:
    """Evaluates one rule for some facts: evaluate(rule, facts, kind="inclusion", **fields)."""

    def run(
        rule: dict[str, Any] | None, facts: Facts, kind: str = "inclusion", **extra: Any
    ) -> TrialEvaluation:
        return evaluate_trial(one_criterion(rule, kind, **extra), facts)

    return run
