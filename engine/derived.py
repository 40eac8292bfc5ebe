"""Derived values: age, creatinine clearance, eGFR, glucocorticoid dose, BILAG counts, ×ULN."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from engine.facts import FactValue
from engine.units import format_number
from engine.vocabulary import BILAG_DOMAINS, DRUGS

CREATININE_MG_DL_TO_UMOL_L = 88.4
ADULT_AGE = 18

CG_FORMULA = (
    "Cockcroft-Gault: CrCl = (140 − age) × weight kg / (72 × SCr mg/dL), × 0.85 if female; "
    "actual body weight; SCr µmol/L ÷ 88.4 = mg/dL"
)
CKD_EPI_FORMULA = (
    "CKD-EPI 2021 (race-free): 142 × min(SCr/κ, 1)^α × max(SCr/κ, 1)^−1.200 × 0.9938^age"
    " × 1.012 if female; κ 0.7 / 0.9, α −0.241 / −0.302 (female / male); SCr mg/dL"
)
SCHWARTZ_FORMULA = "Bedside Schwartz (under 18): eGFR = 0.413 × height cm / SCr mg/dL"
GC_FORMULA = (
    "Prednisone equivalent: prednisone 5 mg = prednisolone 5 = methylprednisolone 4 ="
    " hydrocortisone 20 = dexamethasone 0.75"
)


def age_on(birth: date, on: date) -> int:
    """Completed years of age on ``on``."""
    had_birthday = (on.month, on.day) >= (birth.month, birth.day)
    return on.year - birth.year - (0 if had_birthday else 1)


def age_in_months_on(birth: date, on: date) -> int:
    """Completed months of age on ``on``.

    As with years (a 29 February birthday is reached on 1 March), a month is completed on the
    same day of the month, or on the 1st of the month after when that day does not exist.
    """
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    return months - 1 if on.day < birth.day else months


def cockcroft_gault(age: float, weight_kg: float, creatinine_umol_l: float, female: bool) -> float:
    """Creatinine clearance in mL/min (not normalised to body surface)."""
    creatinine_mg_dl = creatinine_umol_l / CREATININE_MG_DL_TO_UMOL_L
    clearance = (140 - age) * weight_kg / (72 * creatinine_mg_dl)
    return clearance * 0.85 if female else clearance


def ckd_epi_2021(age: float, creatinine_umol_l: float, female: bool) -> float:
    """eGFR in mL/min/1.73 m² by the race-free CKD-EPI 2021 creatinine equation (adults)."""
    creatinine_mg_dl = creatinine_umol_l / CREATININE_MG_DL_TO_UMOL_L
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = creatinine_mg_dl / kappa
    egfr = float(142 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.200 * 0.9938**age)
    return egfr * 1.012 if female else egfr


def bedside_schwartz(height_cm: float, creatinine_umol_l: float) -> float:
    """eGFR in mL/min/1.73 m² by the bedside Schwartz equation (children and adolescents)."""
    return 0.413 * height_cm / (creatinine_umol_l / CREATININE_MG_DL_TO_UMOL_L)


def _input(label: str, value: FactValue) -> str:
    shown = value.entered or format_number(float(value.value))  # type: ignore[arg-type]
    return f"{label} {shown}" + (f" on {value.date}" if value.date else " (undated)")


def _dated_notes(inputs: Sequence[tuple[str, FactValue]]) -> tuple[str, ...]:
    dates = {value.date for _, value in inputs if value.date is not None}
    if len(dates) > 1:
        listed = ", ".join(f"{label} {value.date}" for label, value in inputs if value.date)
        return (f"inputs measured on different days: {listed}",)
    return ()


def _oldest(inputs: Sequence[FactValue]) -> date | None:
    # A derived value is as old as its oldest measured input, so age limits stay honest.
    dates = [value.date for value in inputs if value.date is not None]
    return min(dates) if dates else None


def derive_crcl(age: int, sex: str, weight: FactValue, creatinine: FactValue) -> FactValue:
    """Cockcroft-Gault creatinine clearance as a fact with its formula and inputs."""
    assert isinstance(weight.value, float)
    assert isinstance(creatinine.value, float)
    result = cockcroft_gault(age, weight.value, creatinine.value, sex == "female")
    inputs = (("weight", weight), ("creatinine", creatinine))
    return FactValue(
        name="derived.crcl",
        value=result,
        unit="mL/min",
        date=_oldest([weight, creatinine]),
        source="derived",
        formula=CG_FORMULA,
        inputs=(f"age {age} years", f"sex {sex}", *(_input(lbl, v) for lbl, v in inputs)),
        notes=_dated_notes(inputs),
    )


def derive_egfr(
    age: int, sex: str | None, creatinine: FactValue, height: FactValue | None
) -> FactValue | None:
    """eGFR: CKD-EPI 2021 from 18 years, bedside Schwartz below (never the adult formula).

    Returns None when an input the chosen formula needs is missing (sex for adults, height
    for children).
    """
    assert isinstance(creatinine.value, float)
    if age >= ADULT_AGE:
        if sex is None:
            return None
        result = ckd_epi_2021(age, creatinine.value, sex == "female")
        inputs: tuple[tuple[str, FactValue], ...] = (("creatinine", creatinine),)
        return FactValue(
            name="derived.egfr",
            value=result,
            unit="mL/min/{1.73_m2}",
            date=creatinine.date,
            source="derived",
            formula=CKD_EPI_FORMULA,
            inputs=(f"age {age} years", f"sex {sex}", _input("creatinine", creatinine)),
        )
    if height is None:
        return None
    assert isinstance(height.value, float)
    result = bedside_schwartz(height.value, creatinine.value)
    inputs = (("height", height), ("creatinine", creatinine))
    return FactValue(
        name="derived.egfr",
        value=result,
        unit="mL/min/{1.73_m2}",
        date=_oldest([height, creatinine]),
        source="derived",
        formula=SCHWARTZ_FORMULA,
        inputs=(f"age {age} years", *(_input(lbl, v) for lbl, v in inputs)),
        notes=_dated_notes(inputs),
    )


CurrentGlucocorticoid = tuple[str, float | None, str | None]  # drug id, dose, dose unit


def derive_gc_dose(
    current: Sequence[CurrentGlucocorticoid],
    treatments_complete: bool,
    weight: FactValue | None,
    screening: date,
) -> tuple[FactValue | None, FactValue | None, str | None]:
    """Prednisone-equivalent dose now, in mg/d and mg/kg/d, and a note when it cannot be known.

    ``current`` lists the glucocorticoids taken on the screening date. With none listed the
    dose is 0 only when the treatment list is marked complete; otherwise it is unknown.
    """
    if not current:
        if not treatments_complete:
            return None, None, "no current glucocorticoid recorded (treatment list not complete)"
        zero_inputs = ("no current glucocorticoid; treatment list marked complete",)
        mg_day = FactValue(
            "derived.gc_dose_mg_day",
            0.0,
            "mg/d",
            screening,
            None,
            "derived",
            GC_FORMULA,
            zero_inputs,
        )
        mg_kg = FactValue(
            "derived.gc_dose_mg_kg_day",
            0.0,
            "mg/kg/d",
            screening,
            None,
            "derived",
            GC_FORMULA,
            zero_inputs,
        )
        return mg_day, mg_kg, None
    total = 0.0
    inputs: list[str] = []
    weight_kg = weight.value if weight is not None and isinstance(weight.value, float) else None
    for drug_id, dose, dose_unit in current:
        drug = DRUGS[drug_id]
        factor = drug.prednisone_factor
        assert factor is not None  # only glucocorticoids are passed
        if dose is None or dose_unit not in ("mg/d", "mg/kg/d"):
            return None, None, f"{drug.label}: daily dose not recorded in mg/d or mg/kg/d"
        if dose_unit == "mg/kg/d":
            if weight_kg is None:
                return None, None, f"{drug.label}: dose in mg/kg/d needs the body weight"
            daily = dose * weight_kg
        else:
            daily = dose
        total += daily * factor
        inputs.append(
            f"{drug.label} {format_number(dose)} {dose_unit} = "
            f"{format_number(daily * factor)} mg/d prednisone equivalent"
        )
    mg_day = FactValue(
        "derived.gc_dose_mg_day",
        total,
        "mg/d",
        screening,
        None,
        "derived",
        GC_FORMULA,
        tuple(inputs),
    )
    if weight_kg is None or weight is None:
        return mg_day, None, None
    mg_kg = FactValue(
        "derived.gc_dose_mg_kg_day",
        total / weight_kg,
        "mg/kg/d",
        screening,
        None,
        "derived",
        f"{GC_FORMULA}; divided by the body weight",
        (*inputs, _input("weight", weight)),
    )
    return mg_day, mg_kg, None


def bilag_counts(
    domains: Sequence[tuple[str, str]], on: date | None, source: str
) -> tuple[FactValue, FactValue]:
    """Counts of BILAG-2004 domains graded A and B.

    With fewer than nine domains graded the counts are lower bounds (``lower_bound``): an
    ungraded domain could still be A or B.
    """
    graded = dict(domains)
    partial = len(graded) < len(BILAG_DOMAINS)
    shown = ", ".join(f"{domain} {grade}" for domain, grade in domains) or "no domains graded"
    notes = (f"{len(BILAG_DOMAINS) - len(graded)} of 9 domains not graded",) if partial else ()
    counts = []
    for grade in ("A", "B"):
        count = float(sum(1 for value in graded.values() if value == grade))
        counts.append(
            FactValue(
                name=f"score.bilag_{grade.lower()}_count",
                value=count,
                unit="{count}",
                date=on,
                source=source,
                formula=f"number of BILAG-2004 domains graded {grade}",
                inputs=(shown,),
                lower_bound=partial,
                notes=notes,
            )
        )
    return counts[0], counts[1]
