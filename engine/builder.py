"""Builds the Facts of a patient profile on a screening date (engine.facts.build_facts)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TypeVar

from engine.derived import (
    CurrentGlucocorticoid,
    age_in_months_on,
    age_on,
    bilag_counts,
    derive_crcl,
    derive_egfr,
    derive_gc_dose,
)
from engine.facts import Facts, FactValue
from engine.profile import Diagnosis, HistoryItem, Measure, PatientProfile, Treatment
from engine.units import (
    Settings,
    default_uln,
    display_unit,
    fact_units,
    format_number,
    to_canonical,
)
from engine.vocabulary import INSTRUMENTS, drug_matches

_Dated = TypeVar("_Dated")


def _latest(
    items: Iterable[tuple[int, _Dated, date | None]], screening: date, notes: list[str], what: str
) -> tuple[int, _Dated] | None:
    """The latest item on or before ``screening``; dated items beat undated ones."""
    best: tuple[int, _Dated, date | None] | None = None
    for index, item, day in items:
        if day is not None and day > screening:
            notes.append(f"{what} of {day} is after the screening date {screening} and was ignored")
            continue
        if best is None:
            best = (index, item, day)
            continue
        best_day = best[2]
        if day is not None and (best_day is None or day >= best_day):
            best = (index, item, day)
    return None if best is None else (best[0], best[1])


def _entered(value: float, unit: str) -> str:
    code_display = display_unit(unit) if unit.startswith("{") else unit
    return f"{format_number(value)} {code_display}".strip()


def _measure_fact(name: str, measure: Measure, source: str) -> FactValue:
    table = fact_units(name)
    assert table is not None
    return FactValue(
        name=name,
        value=to_canonical(name, measure.value, measure.unit),
        unit=table.canonical,
        date=measure.date,
        entered=_entered(measure.value, measure.unit),
        source=source,
    )


def _labs(
    profile: PatientProfile, screening: date, settings: Settings, notes: list[str]
) -> dict[str, FactValue]:
    values: dict[str, FactValue] = {}
    facts = sorted({lab.fact for lab in profile.labs})
    for fact in facts:
        candidates = [(i, lab, lab.date) for i, lab in enumerate(profile.labs) if lab.fact == fact]
        chosen = _latest(candidates, screening, notes, f"{fact} result")
        if chosen is None:
            continue
        index, lab = chosen
        table = fact_units(fact)
        assert table is not None
        uln: float | None = None
        assumed = False
        if lab.uln is not None:
            uln = to_canonical(fact, lab.uln, lab.unit)
        else:
            uln = default_uln(fact, profile.patient.sex, settings)
            assumed = uln is not None
        values[fact] = FactValue(
            name=fact,
            value=to_canonical(fact, lab.value, lab.unit),
            unit=table.canonical,
            date=lab.date,
            entered=_entered(lab.value, lab.unit),
            source=f"labs[{index}]",
            uln=uln,
            uln_assumed=assumed,
        )
    return values


def _scores(profile: PatientProfile, screening: date, notes: list[str]) -> dict[str, FactValue]:
    values: dict[str, FactValue] = {}
    for instrument_id in sorted({score.instrument for score in profile.scores}):
        candidates = [
            (i, s, s.date) for i, s in enumerate(profile.scores) if s.instrument == instrument_id
        ]
        chosen = _latest(candidates, screening, notes, f"{instrument_id} score")
        if chosen is None:
            continue
        index, score = chosen
        fact = INSTRUMENTS[instrument_id].fact
        if fact is None:
            a_count, b_count = bilag_counts(score.domains, score.date, f"scores[{index}]")
            values[a_count.name] = a_count
            values[b_count.name] = b_count
            continue
        assert score.value is not None
        values[fact] = FactValue(
            fact,
            float(score.value),
            "{score}",
            score.date,
            format_number(score.value),
            f"scores[{index}]",
        )
    return values


def _diagnosis_facts(profile: PatientProfile, screening: date) -> dict[str, FactValue]:
    values: dict[str, FactValue] = {}
    biopsies = [
        (i, d.lupus_nephritis, d.lupus_nephritis.biopsy_date)
        for i, d in enumerate(profile.diagnoses)
        if d.lupus_nephritis is not None
    ]
    chosen = _latest(biopsies, screening, [], "biopsy")
    if chosen is None:
        return values
    index, biopsy = chosen
    source = f"diagnoses[{index}].lupus_nephritis"
    if biopsy.classes:
        values["lupus_nephritis_class"] = FactValue(
            "lupus_nephritis_class",
            biopsy.classes,
            "",
            biopsy.biopsy_date,
            "class " + "+".join(biopsy.classes),
            source,
        )
    for fact, index_value in (
        ("score.nih_activity_index", biopsy.activity_index),
        ("score.nih_chronicity_index", biopsy.chronicity_index),
    ):
        if index_value is not None:
            values[fact] = FactValue(
                fact,
                float(index_value),
                "{score}",
                biopsy.biopsy_date,
                format_number(index_value),
                source,
            )
    return values


def _findings(profile: PatientProfile, screening: date, notes: list[str]) -> dict[str, FactValue]:
    values: dict[str, FactValue] = {}
    for test in sorted({finding.test for finding in profile.findings}):
        candidates = [(i, f, f.date) for i, f in enumerate(profile.findings) if f.test == test]
        chosen = _latest(candidates, screening, notes, f"{test} result")
        if chosen is None:
            continue
        index, finding = chosen
        present = finding.present
        if present is None:
            notes.append(f"{test}: latest result is {finding.result!r}, counted as unknown")
            continue
        entered = finding.result + (
            f" (titre 1:{format_number(finding.titer)})" if finding.titer is not None else ""
        )
        values[test] = FactValue(test, present, "", finding.date, entered, f"findings[{index}]")
    return values


def _patient_facts(
    profile: PatientProfile, screening: date, notes: list[str]
) -> dict[str, FactValue]:
    values: dict[str, FactValue] = {}
    patient = profile.patient
    if patient.birth_date is not None:
        age = age_on(patient.birth_date, screening)
        values["age_years"] = FactValue(
            "age_years",
            float(age),
            "a",
            screening,
            f"born {patient.birth_date}",
            "patient.birth_date",
            inputs=(f"birth date {patient.birth_date}", f"screening date {screening}"),
        )
        for name, amount, unit in (
            ("age_months", age_in_months_on(patient.birth_date, screening), "mo"),
            ("age_days", (screening - patient.birth_date).days, "d"),
        ):
            values[name] = FactValue(
                name,
                float(amount),
                unit,
                screening,
                f"born {patient.birth_date}",
                "patient.birth_date",
                inputs=(f"birth date {patient.birth_date}", f"screening date {screening}"),
            )
    if patient.sex is not None:
        values["sex"] = FactValue("sex", patient.sex, "", None, patient.sex, "patient.sex")
    for name, measure, source in (
        ("weight_kg", patient.weight, "patient.weight"),
        ("height_cm", patient.height, "patient.height"),
    ):
        if measure is None:
            continue
        if measure.date is not None and measure.date > screening:
            notes.append(
                f"{source} of {measure.date} is after the screening date {screening} "
                "and was ignored"
            )
            continue
        values[name] = _measure_fact(name, measure, source)
    reproductive = profile.reproductive
    flags = (
        ("pregnant", reproductive.pregnant),
        ("lactating", reproductive.lactating),
        ("childbearing_potential", reproductive.childbearing_potential),
        ("contraception_agreed", reproductive.contraception_agreed),
    )
    for name, flag in flags:
        if flag is not None:
            values[name] = FactValue(
                name, flag, "", None, "yes" if flag else "no", f"reproductive.{name}"
            )
    test = reproductive.pregnancy_test
    if test is not None:
        values["pregnancy_test_positive"] = FactValue(
            "pregnancy_test_positive",
            test.result == "positive",
            "",
            test.date,
            test.result,
            "reproductive.pregnancy_test",
        )
    if profile.consent_to_contact is not None:
        values["consent_to_contact"] = FactValue(
            "consent_to_contact",
            profile.consent_to_contact,
            "",
            None,
            "yes" if profile.consent_to_contact else "no",
            "consent_to_contact",
        )
    return values


def _current_glucocorticoids(
    treatments: Sequence[Treatment], screening: date
) -> list[CurrentGlucocorticoid]:
    current: list[CurrentGlucocorticoid] = []
    for treatment in treatments:
        if not drug_matches("glucocorticoid", treatment.drug):
            continue
        started = treatment.start is None or treatment.start <= screening
        running = treatment.end is None or treatment.end >= screening
        if started and running:
            current.append((treatment.drug, treatment.dose, treatment.dose_unit))
    return current


def _derived(
    profile: PatientProfile,
    values: dict[str, FactValue],
    screening: date,
    missing: dict[str, tuple[str, ...]],
    notes: list[str],
) -> None:
    age_value = values.get("age_years")
    age = int(age_value.value) if age_value is not None else None  # type: ignore[arg-type]
    sex = profile.patient.sex
    creatinine = values.get("lab.creatinine")
    weight = values.get("weight_kg")
    height = values.get("height_cm")
    crcl_needs = [
        name
        for name, value in (
            ("lab.creatinine", creatinine),
            ("weight_kg", weight),
            ("age_years", age_value),
            ("sex", values.get("sex")),
        )
        if value is None
    ]
    if crcl_needs:
        missing["derived.crcl"] = tuple(crcl_needs)
    else:
        assert age is not None
        assert sex is not None
        assert weight
        assert creatinine
        values["derived.crcl"] = derive_crcl(age, sex, weight, creatinine)
    egfr = None
    if creatinine is not None and age is not None:
        egfr = derive_egfr(age, sex, creatinine, height)
    if egfr is not None:
        values["derived.egfr"] = egfr
    else:
        child = age is not None and age < 18
        needed = [
            name
            for name, value in (
                ("lab.creatinine", creatinine),
                ("age_years", age_value),
                ("height_cm" if child else "sex", height if child else values.get("sex")),
            )
            if value is None
        ]
        missing["derived.egfr"] = tuple(needed)
    current = _current_glucocorticoids(profile.treatments, screening)
    mg_day, mg_kg, note = derive_gc_dose(current, profile.treatments_complete, weight, screening)
    if note is not None:
        notes.append(f"glucocorticoid dose unknown: {note}")
    if mg_day is not None:
        values[mg_day.name] = mg_day
    else:
        missing["derived.gc_dose_mg_day"] = ("treatment.glucocorticoid",)
    if mg_kg is not None:
        values[mg_kg.name] = mg_kg
    else:
        missing["derived.gc_dose_mg_kg_day"] = (
            ("treatment.glucocorticoid",) if mg_day is None else ("weight_kg",)
        )


def _treatment_sources(profile: PatientProfile) -> tuple[tuple[str, Treatment], ...]:
    """The listed treatments, then what a diagnosis says was tried (undated) when not listed."""
    sources = [(f"treatments[{i}]", t) for i, t in enumerate(profile.treatments)]
    listed = {t.drug for t in profile.treatments}
    for d_index, diagnosis in enumerate(profile.diagnoses):
        for t_index, tried in enumerate(diagnosis.treatments_tried):
            if tried not in listed:
                listed.add(tried)
                source = f"diagnoses[{d_index}].treatments_tried[{t_index}]"
                sources.append((source, Treatment(tried)))
    return tuple(sources)


def build(profile: PatientProfile, screening_date: date | None, settings: Settings | None) -> Facts:
    """See engine.facts.build_facts."""
    screening = screening_date or profile.screening_date or date.today()
    settings = settings or Settings()
    notes: list[str] = []
    values: dict[str, FactValue] = {}
    values.update(_patient_facts(profile, screening, notes))
    values.update(_labs(profile, screening, settings, notes))
    values.update(_scores(profile, screening, notes))
    values.update(_diagnosis_facts(profile, screening))
    values.update(_findings(profile, screening, notes))
    missing: dict[str, tuple[str, ...]] = {}
    _derived(profile, values, screening, missing, notes)
    history: dict[str, HistoryItem] = {}
    for item in profile.history:
        history[item.item] = item
    diagnoses: tuple[Diagnosis, ...] = profile.diagnoses
    return Facts(
        screening_date=screening,
        values=values,
        diagnoses=diagnoses,
        treatments=_treatment_sources(profile),
        treatments_complete=profile.treatments_complete,
        history=history,
        missing_inputs=missing,
        notes=tuple(notes),
    )
