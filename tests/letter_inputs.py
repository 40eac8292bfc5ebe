"""Letter test inputs built from real engine objects: profiles, criteria, trial records, reports.

Shared by tests/export and tests/models/test_letter.py (a plain module, not a test file).
"""

from __future__ import annotations

import copy
import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

from engine.evaluator import evaluate_trial
from engine.facts import build_facts
from engine.loader import load_criteria
from engine.profile import PatientProfile, profile_from_dict
from models.matching import MatchReport, TrialMatch
from models.operations import ContactView, SiteView, TrialDetail, TrialSummary
from models.settings import ClinicSettings

SCREENING_DATE = dt.date(2026, 11, 23)
GENERATED_AT = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)

PATIENT_NAME = "O'Brien & <Sons>"
BIRTH_DATE = "1978-04-02"
RECORD_NUMBER = "MRN-4471-Q"

BASE_PROFILE: dict[str, Any] = {
    "format": "trialmatch-patient/1",
    "patient": {
        "name": PATIENT_NAME,
        "record_number": RECORD_NUMBER,
        "birth_date": BIRTH_DATE,
        "sex": "female",
        "weight": {"value": 62, "unit": "kg", "date": "2026-11-01"},
    },
    "reproductive": {"pregnant": False, "lactating": False},
    "consent_to_contact": True,
    "diagnoses": [
        {
            "condition": "sle",
            "text": "Systemic lupus erythematosus",
            "icd10": "M32.14",
            "diagnosis_date": "2019-03-01",
            "classification": ["2019 EULAR/ACR"],
            "status": ["refractory"],
        }
    ],
    "scores": [{"instrument": "sledai_2k", "value": 12, "date": "2026-11-15"}],
    "labs": [
        {"analyte": "wbc", "value": 4.2, "unit": "10^9/L", "date": "2026-10-31"},
        {"analyte": "alt", "value": 32, "unit": "U/L", "date": "2026-11-18"},
        {"analyte": "ast", "value": 30, "unit": "U/L", "date": "2026-11-18", "uln": 35},
        {"analyte": "creatinine", "value": 71, "unit": "umol/L", "date": "2026-11-18"},
    ],
    "findings": [{"test": "serology.hbsag", "result": "negative", "date": "2026-10-01"}],
    "treatments_complete": True,
    "treatments": [
        {"drug": "prednisone", "start": "2019-03-01", "dose": 10, "dose_unit": "mg/d"},
        {
            "drug": "rituximab",
            "start": "2024-01-10",
            "end": "2024-01-24",
            "dose": 1000,
            "dose_unit": "mg",
        },
    ],
    "history": [{"item": "history.malignancy", "present": False}],
}

INJECTED_TEXTS = (
    "<b>bold?</b>",
    '<font color="[[[x]]]">red?</font>',
    '<img src="/etc/passwd"/>',
)

CLINIC = ClinicSettings(
    clinic_name="Riverside Rheumatology & <Lupus> Clinic",
    clinic_address="12 Harbour Road\nSpringfield",
    clinic_phone="+1 555 0100",
    clinic_latitude=31.23,
    clinic_longitude=121.47,
    physician_name="Dr Ada Lovelace",
    physician_credentials="MD",
    physician_phone="+1 555 0101",
    physician_email="ada.lovelace@riverside.example",
)


def make_profile(**changes: Any) -> PatientProfile:
    """The base profile with top-level keys (or ``patient`` fields via patient=...) replaced."""
    data = copy.deepcopy(BASE_PROFILE)
    patient_changes = changes.pop("patient", {})
    data["patient"].update(patient_changes)
    data.update(changes)
    return profile_from_dict(data, today=SCREENING_DATE)


def criteria_dict(trial_id: str, *, extra_review_texts: tuple[str, ...] = ()) -> dict[str, Any]:
    """A small criteria set: met, unknown, excluding-if-present and review criteria."""
    criteria: list[dict[str, Any]] = [
        {
            "id": "inc-1",
            "kind": "inclusion",
            "text": "1. Age ≥ 18 years",
            "rule": {"fact": "age_years", "op": ">=", "value": 18, "unit": "a"},
            "verified": True,
        },
        {
            "id": "inc-2",
            "kind": "inclusion",
            "text": "2. White blood cell count ≥3×10^9/L; creatinine ≤ 1.5 × ULN (µmol/L)",
            "rule": {"fact": "lab.wbc", "op": ">=", "value": 3, "unit": "10*9/L"},
            "verified": True,
        },
        {
            "id": "inc-3",
            "kind": "inclusion",
            "text": "3. ALT ≤ 2.5 × ULN",
            "rule": {"fact": "lab.alt", "op": "<=", "value": 2.5, "unit": "xULN"},
            "verified": True,
        },
        {
            "id": "inc-4",
            "kind": "inclusion",
            "text": "4. Absolute neutrophil count ≥1×10^9/L",
            "rule": {"fact": "lab.anc", "op": ">=", "value": 1, "unit": "10*9/L"},
            "verified": True,
        },
        {
            "id": "exc-1",
            "kind": "exclusion",
            "text": "1. Active tuberculosis",
            "rule": {"fact": "infection.active_tb", "op": "is_true"},
            "verified": True,
        },
        {
            "id": "exc-2",
            "kind": "exclusion",
            "text": "2. Other conditions the investigator deems unsuitable",
            "rule": None,
            "verified": True,
        },
    ]
    for index, text in enumerate(extra_review_texts, start=3):
        criteria.append(
            {
                "id": f"exc-{index}",
                "kind": "exclusion",
                "text": text,
                "rule": None,
                "verified": True,
            }
        )
    return {
        "format": "trialmatch-criteria/1",
        "trial_id": trial_id,
        "source": "curated",
        "cohorts": [],
        "groups": [],
        "criteria": criteria,
    }


def make_site(
    facility: str | None,
    city: str,
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    status: str | None = "RECRUITING",
    contacts: tuple[ContactView, ...] = (),
) -> SiteView:
    return SiteView(facility, city, None, None, "China", status, latitude, longitude, contacts)


def make_detail(
    trial_id: str,
    title: str,
    sites: tuple[SiteView, ...] = (),
    *,
    central_contacts: tuple[ContactView, ...] = (),
) -> TrialDetail:
    summary = TrialSummary(
        trial_id=trial_id,
        nct_id=trial_id if trial_id.startswith("NCT") else None,
        title=title,
        overall_status="RECRUITING",
        phases=("PHASE1",),
        conditions=("Systemic Lupus Erythematosus",),
        sponsor="Zhejiang University",
        minimum_age="18 Years",
        minimum_age_days=6570,
        maximum_age=None,
        maximum_age_days=None,
        sex="ALL",
        sites=sites,
        central_contacts=central_contacts,
        last_update="2025-04-24",
        record_version="2025-04-24",
    )
    return TrialDetail(
        summary=summary,
        official_title=None,
        acronym=None,
        org_study_id=None,
        brief_summary=None,
        detailed_description=None,
        study_type="INTERVENTIONAL",
        enrollment_count=None,
        enrollment_type=None,
        start_date=None,
        primary_completion_date=None,
        completion_date=None,
        first_posted=None,
        lead_sponsor_class=None,
        collaborators=(),
        keywords=(),
        arms=(),
        interventions=(),
        officials=(),
        eligibility_criteria=None,
        eligibility_criteria_source=None,
        healthy_volunteers=False,
        source_file="test.json",
        imported_at=dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC),
        trialmatch_source=None,
        source_json="{}",
    )


def make_match(
    profile: PatientProfile,
    detail: TrialDetail,
    criteria: dict[str, Any],
    *,
    verified: bool = True,
) -> TrialMatch:
    """A real evaluation of ``criteria`` for ``profile`` on the screening date."""
    evaluation = evaluate_trial(load_criteria(criteria), build_facts(profile, SCREENING_DATE))
    return TrialMatch(
        detail=detail,
        evaluation=evaluation,
        nearest_site=None,
        distance_km=None,
        criteria_source="curated" if verified else "automatic",
        criteria_origin="curated" if verified else "parsed",
        criteria_verified=verified,
        status_known=True,
    )


def make_report(profile: PatientProfile, matches: tuple[TrialMatch, ...]) -> MatchReport:
    return MatchReport(
        screening_date=SCREENING_DATE,
        profile=profile,
        trials=matches,
        hidden_closed=0,
        ask_next=(),
    )


HANGZHOU_SITE = make_site(
    "浙江大学医学院附属儿童医院 Children's Hospital",
    "Hangzhou",
    latitude=30.29365,
    longitude=120.16142,
    contacts=(
        ContactView("毛建华 Jianhua Mao, MD", "primary", "+86-571-86670076", "maojh@zju.example"),
        ContactView("Xue He", "backup", "+8615088688407", None),
    ),
)
TIANJIN_SITE = make_site(
    "Tianjin First Central Hospital",
    "Tianjin",
    latitude=39.14222,
    longitude=117.17667,
    contacts=(ContactView("Li Wei", None, "022-2362 6600 ext. 12", "liwei@tj.example"),),
)


def standard_report(**profile_changes: Any) -> MatchReport:
    """Two trials: one curated, one resting on unverified automatic rules."""
    profile = make_profile(**profile_changes)
    first = make_match(
        profile,
        make_detail(
            "NCT06691152", "CD19 UCAR T cells in refractory SLE", (TIANJIN_SITE, HANGZHOU_SITE)
        ),
        criteria_dict("NCT06691152", extra_review_texts=INJECTED_TEXTS),
    )
    second = make_match(
        profile,
        make_detail(
            "NCT06941129",
            "CD19/BCMA CAR-T in autoimmune disease",
            (TIANJIN_SITE,),
            central_contacts=(ContactView("Jing Pan", None, None, "jing.pan@example.org"),),
        ),
        criteria_dict("NCT06941129"),
        verified=False,
    )
    return make_report(profile, (first, second))


def pdf_text(path: Path, *, layout: bool = False) -> str:
    """The PDF's text by poppler's pdftotext; pages are separated by form feeds."""
    command = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def pdf_pages(path: Path) -> list[str]:
    pages = pdf_text(path).split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages
