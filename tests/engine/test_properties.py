"""Property tests: valid profiles never crash the engine, and more data never undoes a decision."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.criteria import TrialCriteria
from engine.evaluator import evaluate_trial
from engine.facts import build_facts
from engine.loader import load_criteria
from engine.outcomes import CriterionStatus, TrialEvaluation
from engine.profile import profile_from_dict

TODAY = date(2026, 11, 23)
RESOURCES = Path(__file__).parents[2] / "resources" / "criteria"
CURATED: list[TrialCriteria] = [
    load_criteria(json.loads(path.read_text(encoding="utf-8")))
    for path in sorted(RESOURCES.glob("*.json"))
]
PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# (analyte, unit, low, high): values inside the plausible range for the unit.
LABS: list[tuple[str, str, float, float]] = [
    ("wbc", "10^9/L", 0.5, 30),
    ("anc", "/µL", 100, 20000),
    ("lymphocytes", "10^9/L", 0.1, 10),
    ("hemoglobin", "g/dL", 4, 19),
    ("platelets", "K/uL", 5, 900),
    ("alt", "U/L", 3, 900),
    ("ast", "U/L", 3, 900),
    ("bilirubin_total", "mg/dL", 0.1, 20),
    ("creatinine", "µmol/L", 20, 900),
    ("inr", "", 0.8, 5),
    ("pt", "s", 9, 50),
    ("aptt", "s", 18, 100),
    ("upcr", "mg/mmol", 5, 1500),
    ("urine_protein_24h", "g/d", 0, 15),
    ("ck", "U/L", 10, 20000),
    ("lvef", "%", 20, 75),
    ("spo2", "%", 85, 100),
    ("fvc_percent", "%", 30, 140),
    ("dlco_percent", "%", 20, 140),
    ("crp", "mg/L", 0, 300),
    ("c3", "g/L", 0.1, 2),
    ("cd19_b_cells", "/uL", 0, 1000),
    ("esr", "mm/h", 1, 120),
]
FINDINGS = [
    "serology.hbsag",
    "serology.hbcab",
    "serology.hcv_ab",
    "serology.hiv",
    "serology.syphilis",
    "infection.active_tb",
    "infection.latent_tb",
    "infection.uncontrolled",
    "antibody.ana",
    "antibody.anti_dsdna",
    "disease.ild",
    "marker.cd19_positive",
    "marker.ecg_abnormal",
]
HISTORY = [
    "history.malignancy",
    "history.heart_failure",
    "history.cns_disease",
    "history.esrd",
    "history.gvhd",
    "history.psychiatric",
]
CONDITIONS = [
    "sle",
    "lupus_nephritis",
    "ssc",
    "dcssc",
    "dm",
    "pm",
    "jdm",
    "asys",
    "imnm",
    "gpa",
    "mpa",
    "egpa",
    "ra",
    "pjia",
    "sjogren",
    "inflammatory_myopathy",
]
DRUGS = [
    "prednisone",
    "methylprednisolone",
    "cyclophosphamide",
    "mycophenolate",
    "rituximab",
    "belimumab",
    "hydroxychloroquine",
    "tacrolimus",
    "g_csf",
    "mmr_vaccine",
    "car_t",
    "investigational_product",
    "red_cell_transfusion",
    "baricitinib",
]

days = st.integers(min_value=0, max_value=3 * 365).map(
    lambda n: (TODAY - timedelta(days=n)).isoformat()
)
maybe_day = st.one_of(st.none(), days)


@st.composite
def lab_entries(draw: st.DrawFn) -> dict[str, Any]:
    analyte, unit, low, high = draw(st.sampled_from(LABS))
    value = round(draw(st.floats(min_value=low, max_value=high)), 2)
    return {"analyte": analyte, "value": value, "unit": unit, "date": draw(maybe_day), "uln": None}


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Any]:
    birth = date(1950, 1, 1) + timedelta(days=draw(st.integers(0, 365 * 70)))
    treatments = []
    for drug in draw(st.lists(st.sampled_from(DRUGS), max_size=5)):
        start = draw(maybe_day)
        end = None if start is None or draw(st.booleans()) else start
        daily = drug in ("prednisone", "methylprednisolone") and draw(st.booleans())
        treatments.append(
            {
                "drug": drug,
                "start": start,
                "end": end,
                "dose": 10 if daily else None,
                "dose_unit": "mg/d" if daily else None,
            }
        )
    return {
        "format": "trialmatch-patient/1",
        "patient": {
            "birth_date": birth.isoformat(),
            "sex": draw(st.sampled_from(["female", "male", None])),
            "weight": draw(
                st.one_of(
                    st.none(),
                    st.builds(
                        lambda w, d: {"value": w, "unit": "kg", "date": d},
                        st.integers(20, 140),
                        maybe_day,
                    ),
                )
            ),
            "height": draw(
                st.one_of(
                    st.none(),
                    st.builds(
                        lambda h: {"value": h, "unit": "cm", "date": None}, st.integers(110, 200)
                    ),
                )
            ),
        },
        "reproductive": {
            "pregnant": draw(st.sampled_from([None, False, True])),
            "childbearing_potential": draw(st.sampled_from([None, False, True])),
        },
        "consent_to_contact": draw(st.sampled_from([None, True])),
        "diagnoses": [
            {
                "condition": c,
                "diagnosis_date": draw(maybe_day),
                "status": draw(
                    st.lists(
                        st.sampled_from(["refractory", "relapsed", "progressive"]),
                        max_size=2,
                        unique=True,
                    )
                ),
            }
            for c in draw(st.lists(st.sampled_from(CONDITIONS), max_size=2, unique=True))
        ],
        "scores": [
            {"instrument": "sledai_2k", "value": draw(st.integers(0, 40)), "date": draw(days)}
        ]
        if draw(st.booleans())
        else [],
        "labs": draw(st.lists(lab_entries(), max_size=8)),
        "findings": [
            {
                "test": t,
                "result": draw(st.sampled_from(["positive", "negative"])),
                "date": draw(maybe_day),
            }
            for t in draw(st.lists(st.sampled_from(FINDINGS), max_size=5, unique=True))
        ],
        "treatments_complete": draw(st.booleans()),
        "treatments": treatments,
        "history": [
            {
                "item": h,
                "present": draw(st.sampled_from([True, False, None])),
                "date": draw(maybe_day),
            }
            for h in draw(st.lists(st.sampled_from(HISTORY), max_size=4, unique=True))
        ],
    }


def evaluate_all(data: dict[str, Any]) -> list[TrialEvaluation]:
    facts = build_facts(profile_from_dict(data, today=TODAY), TODAY)
    return [evaluate_trial(criteria, facts) for criteria in CURATED]


DECIDED = (CriterionStatus.SATISFIED, CriterionStatus.VIOLATED)


@PROPERTY_SETTINGS
@given(profiles())
def test_valid_profiles_never_raise(data: dict[str, Any]) -> None:
    for evaluation in evaluate_all(data):
        counts = evaluation.counts
        assert counts.violated >= 0
        for result in evaluation.criteria:
            assert result.reason or result.status is CriterionStatus.SATISFIED


@PROPERTY_SETTINGS
@given(profiles(), st.data())
def test_adding_a_missing_fact_never_undoes_a_decision(
    data: dict[str, Any], extra: st.DataObject
) -> None:
    before = evaluate_all(data)
    present_labs = {lab["analyte"] for lab in data["labs"]}
    present_findings = {f["test"] for f in data["findings"]}
    present_history = {h["item"] for h in data["history"]}
    choices: list[tuple[str, Any]] = []
    choices += [("labs", lab) for lab in LABS if lab[0] not in present_labs]
    choices += [("findings", f) for f in FINDINGS if f not in present_findings]
    choices += [("history", h) for h in HISTORY if h not in present_history]
    section, item = extra.draw(st.sampled_from(choices))
    if section == "labs":
        analyte, unit, low, high = item
        value = round(extra.draw(st.floats(min_value=low, max_value=high)), 2)
        data["labs"].append(
            {
                "analyte": analyte,
                "value": value,
                "unit": unit,
                "date": extra.draw(days),
                "uln": None,
            }
        )
    elif section == "findings":
        data["findings"].append(
            {
                "test": item,
                "date": extra.draw(days),
                "result": extra.draw(st.sampled_from(["positive", "negative"])),
            }
        )
    else:
        data["history"].append(
            {"item": item, "present": extra.draw(st.booleans()), "date": extra.draw(days)}
        )
    after = evaluate_all(data)
    for old, new in zip(before, after, strict=True):
        for old_result, new_result in zip(old.criteria, new.criteria, strict=True):
            if old_result.status in DECIDED:
                assert new_result.status in DECIDED, (old.trial_id, old_result.criterion_id)


GOOD_DIRECTION = {
    # (op, kind) -> +1 when raising the value moves away from violation, -1 when lowering does
    (">=", "inclusion"): 1,
    (">", "inclusion"): 1,
    ("<=", "inclusion"): -1,
    ("<", "inclusion"): -1,
    (">=", "exclusion"): -1,
    (">", "exclusion"): -1,
    ("<=", "exclusion"): 1,
    ("<", "exclusion"): 1,
}


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(GOOD_DIRECTION)),
    st.floats(min_value=0.5, max_value=50),
    st.floats(min_value=0.5, max_value=50),
    st.floats(min_value=0, max_value=50),
    st.booleans(),
)
def test_moving_a_lab_in_the_good_direction_keeps_a_satisfied_criterion(
    op_kind: tuple[str, str], threshold: float, value: float, step: float, as_uln: bool
) -> None:
    op, kind = op_kind
    rule = {"fact": "lab.alt", "op": op, "value": threshold, "unit": "xULN" if as_uln else "U/L"}
    criteria = load_criteria(
        {
            "format": "trialmatch-criteria/1",
            "trial_id": "T",
            "source": "curated",
            "criteria": [{"id": "c", "kind": kind, "text": "ALT", "rule": rule}],
        }
    )

    def status(alt: float) -> CriterionStatus:
        data = {
            "format": "trialmatch-patient/1",
            "patient": {"sex": "female"},
            "labs": [
                {"analyte": "alt", "value": alt, "unit": "U/L", "date": "2026-11-20", "uln": 40}
            ],
        }
        facts = build_facts(profile_from_dict(data, today=TODAY), TODAY)
        return evaluate_trial(criteria, facts).criteria[0].status

    start = value * 40 if as_uln else value
    moved = max(0.0, start + GOOD_DIRECTION[op_kind] * step * (40 if as_uln else 1))
    if status(start) is CriterionStatus.SATISFIED:
        assert status(moved) is CriterionStatus.SATISFIED
