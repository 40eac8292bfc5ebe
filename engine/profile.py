"""The typed patient profile (trialmatch-patient/1): validation from a dict and back, exactly."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeGuard, cast

from engine.errors import ProfileError
from engine.facts import FACTS, FactKind
from engine.units import UnitError, check_plausibility
from engine.vocabulary import (
    BILAG_DOMAINS,
    BILAG_GRADES,
    CONDITIONS,
    DRUGS,
    INSTRUMENTS,
    find_condition,
    find_drug,
    treatment_label,
)

PROFILE_FORMAT = "trialmatch-patient/1"
Sex = Literal["female", "male"]
LN_CLASSES: tuple[str, ...] = ("I", "II", "III", "IV", "V", "VI")
DIAGNOSIS_STATUSES: tuple[str, ...] = ("refractory", "relapsed", "progressive")
DOSE_UNITS: tuple[str, ...] = (
    "mg/d",
    "mg",
    "g",
    "g/d",
    "mg/kg/d",
    "mg/kg",
    "mg/m2",
    "g/m2",
    "mg/wk",
    "IU",
    "mL",
    "units",
    "cells/kg",
    "dose",
)
POSITIVE_RESULTS = ("positive", "present", "yes", "detected", "reactive")
NEGATIVE_RESULTS = ("negative", "absent", "no", "not detected", "non-reactive")
UNDETERMINED_RESULTS = ("indeterminate", "equivocal", "unknown")
FINDING_PREFIXES = ("serology.", "infection.", "antibody.", "marker.", "disease.")

# ---------------------------------------------------------------------------------------------
# Dataclasses
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    """A measured quantity as entered (value and unit), with the date it was measured."""

    value: float
    unit: str
    date: date | None = None


@dataclass(frozen=True, slots=True)
class PatientInfo:
    """Identity and anthropometry."""

    name: str | None = None
    record_number: str | None = None
    birth_date: date | None = None
    sex: Sex | None = None
    weight: Measure | None = None
    height: Measure | None = None


@dataclass(frozen=True, slots=True)
class PregnancyTest:
    """The latest pregnancy test."""

    result: Literal["positive", "negative"]
    date: date | None = None


@dataclass(frozen=True, slots=True)
class Reproductive:
    """Pregnancy, lactation, childbearing potential and contraception (None: not asked)."""

    pregnant: bool | None = None
    pregnancy_test: PregnancyTest | None = None
    lactating: bool | None = None
    childbearing_potential: bool | None = None
    contraception_agreed: bool | None = None


@dataclass(frozen=True, slots=True)
class LupusNephritisBiopsy:
    """Renal biopsy findings: ISN/RPS classes and NIH activity / chronicity indices."""

    classes: tuple[str, ...] = ()
    biopsy_date: date | None = None
    activity_index: float | None = None
    chronicity_index: float | None = None


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """One diagnosis.

    Attributes:
        condition: a condition id of engine/vocabulary.py.
        classification: the classification criteria sets the patient meets ("2019 EULAR/ACR").
        status: refractory / relapsed / progressive, as judged by the physician.
        treatments_tried: drug or class ids tried for this disease (for refractory definitions).
    """

    condition: str
    text: str | None = None
    icd10: str | None = None
    diagnosis_date: date | None = None
    classification: tuple[str, ...] = ()
    subtype: str | None = None
    status: tuple[str, ...] = ()
    treatments_tried: tuple[str, ...] = ()
    lupus_nephritis: LupusNephritisBiopsy | None = None


@dataclass(frozen=True, slots=True)
class Score:
    """A disease-activity or performance score; BILAG-2004 carries per-domain grades instead."""

    instrument: str
    value: float | None = None
    domains: tuple[tuple[str, str], ...] = ()
    date: date | None = None


@dataclass(frozen=True, slots=True)
class Lab:
    """A lab result as entered; ``uln`` is the lab's upper limit of normal in the same unit."""

    analyte: str
    value: float
    unit: str
    date: date | None = None
    uln: float | None = None

    @property
    def fact(self) -> str:
        return analyte_fact(self.analyte)


@dataclass(frozen=True, slots=True)
class Finding:
    """A yes/no finding (serology, infection, antibody, marker, disease feature)."""

    test: str
    result: str
    date: date | None = None
    titer: float | None = None

    @property
    def present(self) -> bool | None:
        return result_truth(self.result)


@dataclass(frozen=True, slots=True)
class Treatment:
    """A treatment, procedure or vaccination with its dates (end None: ongoing) and dose."""

    drug: str
    start: date | None = None
    end: date | None = None
    dose: float | None = None
    dose_unit: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """A history question the physician answered (present None: not known)."""

    item: str
    present: bool | None
    date: date | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class PatientProfile:
    """Everything the engine knows about one patient, as entered."""

    patient: PatientInfo
    reproductive: Reproductive = Reproductive()
    consent_to_contact: bool | None = None
    diagnoses: tuple[Diagnosis, ...] = ()
    scores: tuple[Score, ...] = ()
    labs: tuple[Lab, ...] = ()
    findings: tuple[Finding, ...] = ()
    treatments_complete: bool = False
    treatments: tuple[Treatment, ...] = ()
    history: tuple[HistoryItem, ...] = ()
    screening_date: date | None = None


def analyte_fact(analyte: str) -> str:
    """The lab fact of a profile analyte name ("hemoglobin" → "lab.hemoglobin")."""
    return analyte if analyte.startswith("lab.") else f"lab.{analyte}"


def result_truth(result: str) -> bool | None:
    """positive/present/yes → True, negative/absent/no → False, indeterminate → None."""
    folded = result.strip().casefold()
    if folded in POSITIVE_RESULTS:
        return True
    if folded in NEGATIVE_RESULTS:
        return False
    return None


def lower_label(label: str) -> str:
    """A fact label for use inside a sentence ("Haemoglobin" → "haemoglobin", "ALT" stays)."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


# ---------------------------------------------------------------------------------------------
# Reading a dict
# ---------------------------------------------------------------------------------------------


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _Reader:
    """Reads typed fields out of a dict, raising ProfileError that names the field path."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.birth_date: date | None = None

    def obj(self, value: object, path: str, allowed: set[str]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise ProfileError(path, f"must be an object, not {type(value).__name__}")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ProfileError(f"{path}.{unknown[0]}" if path else unknown[0], "unknown field")
        return cast(Mapping[str, Any], value)

    def items(self, data: Mapping[str, Any], key: str, path: str) -> list[Any]:
        value = data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            raise ProfileError(self.join(path, key), "must be a list")
        return value

    @staticmethod
    def join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def text(self, data: Mapping[str, Any], key: str, path: str) -> str | None:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ProfileError(self.join(path, key), f"must be text, not {type(value).__name__}")
        return value

    def required_text(self, data: Mapping[str, Any], key: str, path: str) -> str:
        value = self.text(data, key, path)
        if value is None or not value.strip():
            raise ProfileError(self.join(path, key), "is required")
        return value

    def flag(self, data: Mapping[str, Any], key: str, path: str) -> bool | None:
        value = data.get(key)
        if value is not None and not isinstance(value, bool):
            raise ProfileError(self.join(path, key), "must be true, false or null")
        return value

    def number(self, data: Mapping[str, Any], key: str, path: str) -> float | None:
        value = data.get(key)
        if value is None:
            return None
        if not _is_number(value):
            raise ProfileError(self.join(path, key), f"must be a number, not {value!r}")
        return value

    def day(
        self, data: Mapping[str, Any], key: str, path: str, *, future_ok: bool = False
    ) -> date | None:
        value = data.get(key)
        if value is None:
            return None
        where = self.join(path, key)
        if not isinstance(value, str):
            raise ProfileError(where, "must be a date YYYY-MM-DD")
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise ProfileError(where, f"{value!r} is not a date YYYY-MM-DD") from None
        if len(value) != 10:
            raise ProfileError(where, f"{value!r} is not a date YYYY-MM-DD")
        if not future_ok and parsed > self.today:
            raise ProfileError(where, f"{value} is in the future")
        if self.birth_date is not None and parsed < self.birth_date:
            raise ProfileError(where, f"{value} is before the birth date {self.birth_date}")
        return parsed

    def strings(self, data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ProfileError(self.join(path, key), "must be a list of text values")
        return tuple(value)

    def measure(self, data: Mapping[str, Any], key: str, path: str, fact: str) -> Measure | None:
        raw = data.get(key)
        if raw is None:
            return None
        where = self.join(path, key)
        entry = self.obj(raw, where, {"value", "unit", "date"})
        value = self.number(entry, "value", where)
        if value is None:
            raise ProfileError(f"{where}.value", "is required")
        unit = self.required_text(entry, "unit", where)
        self.plausible(fact, value, unit, where)
        return Measure(value, unit, self.day(entry, "date", where))

    @staticmethod
    def plausible(fact: str, value: float, unit: str, where: str) -> None:
        try:
            check = check_plausibility(fact, value, unit, lower_label(FACTS[fact].label))
        except UnitError as error:
            raise ProfileError(f"{where}.unit", str(error)) from None
        if check.level == "reject":
            raise ProfileError(f"{where}.value", check.message)


def _patient(reader: _Reader, raw: object) -> PatientInfo:
    keys = {"name", "record_number", "birth_date", "sex", "weight", "height"}
    data = reader.obj(raw if raw is not None else {}, "patient", keys)
    birth = reader.day(data, "birth_date", "patient")
    reader.birth_date = birth
    sex = data.get("sex")
    if sex not in (None, "female", "male"):
        raise ProfileError("patient.sex", f'must be "female", "male" or null, not {sex!r}')
    return PatientInfo(
        name=reader.text(data, "name", "patient"),
        record_number=reader.text(data, "record_number", "patient"),
        birth_date=birth,
        sex=cast(Sex | None, sex),
        weight=reader.measure(data, "weight", "patient", "weight_kg"),
        height=reader.measure(data, "height", "patient", "height_cm"),
    )


def _reproductive(reader: _Reader, raw: object) -> Reproductive:
    path = "reproductive"
    keys = {
        "pregnant",
        "pregnancy_test",
        "lactating",
        "childbearing_potential",
        "contraception_agreed",
    }
    data = reader.obj(raw if raw is not None else {}, path, keys)
    test: PregnancyTest | None = None
    if data.get("pregnancy_test") is not None:
        where = f"{path}.pregnancy_test"
        entry = reader.obj(data["pregnancy_test"], where, {"result", "date"})
        result = entry.get("result")
        if result not in ("positive", "negative"):
            raise ProfileError(
                f"{where}.result", f'must be "positive" or "negative", not {result!r}'
            )
        test = PregnancyTest(
            cast(Literal["positive", "negative"], result), reader.day(entry, "date", where)
        )
    return Reproductive(
        pregnant=reader.flag(data, "pregnant", path),
        pregnancy_test=test,
        lactating=reader.flag(data, "lactating", path),
        childbearing_potential=reader.flag(data, "childbearing_potential", path),
        contraception_agreed=reader.flag(data, "contraception_agreed", path),
    )


def _condition_id(reader: _Reader, data: Mapping[str, Any], path: str) -> str:
    condition = reader.text(data, "condition", path)
    if condition is not None and condition in CONDITIONS:
        return condition
    hint = ""
    for candidate in (condition, data.get("icd10"), data.get("text")):
        if isinstance(candidate, str):
            found = find_condition(candidate)
            if found is not None:
                hint = f"; did you mean {found.id!r} ({found.label})?"
                break
    if condition is None:
        raise ProfileError(f"{path}.condition", f"is required{hint}")
    raise ProfileError(f"{path}.condition", f"unknown condition {condition!r}{hint}")


def _lupus_nephritis(reader: _Reader, raw: object, path: str) -> LupusNephritisBiopsy | None:
    if raw is None:
        return None
    keys = {"classes", "biopsy_date", "activity_index", "chronicity_index"}
    data = reader.obj(raw, path, keys)
    classes = reader.strings(data, "classes", path)
    bad = [item for item in classes if item not in LN_CLASSES]
    if bad:
        raise ProfileError(f"{path}.classes", f"unknown ISN/RPS class(es) {bad} (use I–VI)")
    activity = reader.number(data, "activity_index", path)
    if activity is not None and not 0 <= activity <= 24:
        raise ProfileError(f"{path}.activity_index", "must be between 0 and 24")
    chronicity = reader.number(data, "chronicity_index", path)
    if chronicity is not None and not 0 <= chronicity <= 12:
        raise ProfileError(f"{path}.chronicity_index", "must be between 0 and 12")
    return LupusNephritisBiopsy(
        classes, reader.day(data, "biopsy_date", path), activity, chronicity
    )


def _treatment_ids(
    reader: _Reader, data: Mapping[str, Any], key: str, path: str
) -> tuple[str, ...]:
    ids = reader.strings(data, key, path)
    for index, item in enumerate(ids):
        if treatment_label(item) is None:
            found = find_drug(item)
            hint = f"; did you mean {found.id!r}?" if found is not None else ""
            raise ProfileError(f"{path}.{key}[{index}]", f"unknown drug or class {item!r}{hint}")
    return ids


def _diagnosis(reader: _Reader, raw: object, path: str) -> Diagnosis:
    keys = {
        "condition",
        "text",
        "icd10",
        "diagnosis_date",
        "classification",
        "subtype",
        "status",
        "treatments_tried",
        "lupus_nephritis",
    }
    data = reader.obj(raw, path, keys)
    condition = _condition_id(reader, data, path)
    status = reader.strings(data, "status", path)
    bad = [item for item in status if item not in DIAGNOSIS_STATUSES]
    if bad:
        raise ProfileError(
            f"{path}.status", f"unknown status {bad} (use {', '.join(DIAGNOSIS_STATUSES)})"
        )
    return Diagnosis(
        condition=condition,
        text=reader.text(data, "text", path),
        icd10=reader.text(data, "icd10", path),
        diagnosis_date=reader.day(data, "diagnosis_date", path),
        classification=reader.strings(data, "classification", path),
        subtype=reader.text(data, "subtype", path),
        status=status,
        treatments_tried=_treatment_ids(reader, data, "treatments_tried", path),
        lupus_nephritis=_lupus_nephritis(
            reader, data.get("lupus_nephritis"), f"{path}.lupus_nephritis"
        ),
    )


def _score(reader: _Reader, raw: object, path: str) -> Score:
    data = reader.obj(raw, path, {"instrument", "value", "domains", "date"})
    name = reader.required_text(data, "instrument", path)
    instrument = INSTRUMENTS.get(name)
    if instrument is None:
        raise ProfileError(
            f"{path}.instrument", f"unknown instrument {name!r} (known: {', '.join(INSTRUMENTS)})"
        )
    day = reader.day(data, "date", path)
    if instrument.fact is None:
        domains_raw = reader.obj(data.get("domains"), f"{path}.domains", set(BILAG_DOMAINS))
        domains: list[tuple[str, str]] = []
        for domain in BILAG_DOMAINS:
            grade = domains_raw.get(domain)
            if grade is None:
                continue
            if grade not in BILAG_GRADES:
                raise ProfileError(f"{path}.domains.{domain}", f"grade must be A–E, not {grade!r}")
            domains.append((domain, grade))
        if "value" in data and data["value"] is not None:
            raise ProfileError(f"{path}.value", "BILAG-2004 is entered as domain grades")
        return Score(name, None, tuple(domains), day)
    if data.get("domains") is not None:
        raise ProfileError(f"{path}.domains", f"{instrument.label} has no domains")
    value = reader.number(data, "value", path)
    if value is None:
        raise ProfileError(f"{path}.value", "is required")
    if not instrument.low <= value <= instrument.high:
        raise ProfileError(
            f"{path}.value",
            f"{value} is outside the {instrument.label} range "
            f"{instrument.low:g}–{instrument.high:g}",
        )
    if instrument.integer and value != int(value):
        raise ProfileError(f"{path}.value", f"{instrument.label} is a whole number")
    return Score(name, value, (), day)


def _lab(reader: _Reader, raw: object, path: str) -> Lab:
    data = reader.obj(raw, path, {"analyte", "value", "unit", "date", "uln"})
    analyte = reader.required_text(data, "analyte", path)
    fact = analyte_fact(analyte)
    spec = FACTS.get(fact)
    if spec is None or spec.kind is not FactKind.NUMBER:
        known = sorted(name.removeprefix("lab.") for name in FACTS if name.startswith("lab."))
        raise ProfileError(
            f"{path}.analyte", f"unknown analyte {analyte!r} (known: {', '.join(known)})"
        )
    value = reader.number(data, "value", path)
    if value is None:
        raise ProfileError(f"{path}.value", "is required")
    unit = data.get("unit", "")
    if not isinstance(unit, str):
        raise ProfileError(f"{path}.unit", "must be text")
    reader.plausible(fact, value, unit, path)
    uln = reader.number(data, "uln", path)
    if uln is not None and uln <= 0:
        raise ProfileError(f"{path}.uln", "must be a positive number in the value's unit")
    if uln is not None and not spec.has_uln:
        raise ProfileError(f"{path}.uln", f"{spec.label} is not compared with a ULN")
    return Lab(analyte, value, unit, reader.day(data, "date", path), uln)


def _finding(reader: _Reader, raw: object, path: str) -> Finding:
    data = reader.obj(raw, path, {"test", "result", "date", "titer"})
    test = reader.required_text(data, "test", path)
    spec = FACTS.get(test)
    if spec is None or spec.kind is not FactKind.BOOLEAN or not test.startswith(FINDING_PREFIXES):
        raise ProfileError(f"{path}.test", f"unknown test {test!r}")
    result = reader.required_text(data, "result", path)
    folded = result.strip().casefold()
    if folded not in (*POSITIVE_RESULTS, *NEGATIVE_RESULTS, *UNDETERMINED_RESULTS):
        raise ProfileError(
            f"{path}.result",
            f"{result!r} is not a result "
            "(positive/negative, present/absent, yes/no, indeterminate)",
        )
    titer = reader.number(data, "titer", path)
    if titer is not None and titer <= 0:
        raise ProfileError(f"{path}.titer", "must be the positive denominator (1:160 → 160)")
    return Finding(test, result, reader.day(data, "date", path), titer)


def _treatment(reader: _Reader, raw: object, path: str) -> Treatment:
    data = reader.obj(raw, path, {"drug", "start", "end", "dose", "dose_unit"})
    drug = reader.required_text(data, "drug", path)
    if drug not in DRUGS:
        found = find_drug(drug)
        hint = f"; did you mean {found.id!r}?" if found is not None else ""
        raise ProfileError(f"{path}.drug", f"unknown drug {drug!r}{hint}")
    start = reader.day(data, "start", path)
    end = reader.day(data, "end", path)
    if start is not None and end is not None and end < start:
        raise ProfileError(f"{path}.end", f"{end} is before the start {start}")
    dose = reader.number(data, "dose", path)
    if dose is not None and dose < 0:
        raise ProfileError(f"{path}.dose", "must not be negative")
    dose_unit = reader.text(data, "dose_unit", path)
    if dose_unit is not None and dose_unit not in DOSE_UNITS:
        raise ProfileError(
            f"{path}.dose_unit", f"unknown dose unit {dose_unit!r} (use {', '.join(DOSE_UNITS)})"
        )
    if dose is not None and dose_unit is None:
        raise ProfileError(f"{path}.dose_unit", "is required with a dose")
    return Treatment(drug, start, end, dose, dose_unit)


def _history(reader: _Reader, raw: object, path: str) -> HistoryItem:
    data = reader.obj(raw, path, {"item", "present", "date", "text"})
    item = reader.required_text(data, "item", path)
    spec = FACTS.get(item)
    if spec is None or not item.startswith("history."):
        known = sorted(name for name in FACTS if name.startswith("history."))
        raise ProfileError(
            f"{path}.item", f"unknown history item {item!r} (known: {', '.join(known)})"
        )
    if "present" not in data:
        raise ProfileError(f"{path}.present", "is required (true, false or null)")
    return HistoryItem(
        item,
        reader.flag(data, "present", path),
        reader.day(data, "date", path),
        reader.text(data, "text", path),
    )


_TOP_KEYS = {
    "format",
    "patient",
    "reproductive",
    "consent_to_contact",
    "diagnoses",
    "scores",
    "labs",
    "findings",
    "treatments_complete",
    "treatments",
    "history",
    "screening_date",
}


def profile_from_dict(data: object, today: date | None = None) -> PatientProfile:
    """Validates a profile dict; raises ProfileError whose message names the field path.

    ``today`` (default: the system date) is the limit for dates that must not be in the future.
    """
    reader = _Reader(today or date.today())
    top = reader.obj(data, "", _TOP_KEYS)
    if top.get("format") != PROFILE_FORMAT:
        raise ProfileError("format", f"must be {PROFILE_FORMAT!r}, not {top.get('format')!r}")
    patient = _patient(reader, top.get("patient"))
    complete = top.get("treatments_complete", False)
    if not isinstance(complete, bool):
        raise ProfileError("treatments_complete", "must be true or false")
    screening = reader.day(top, "screening_date", "", future_ok=True)
    return PatientProfile(
        patient=patient,
        reproductive=_reproductive(reader, top.get("reproductive")),
        consent_to_contact=reader.flag(top, "consent_to_contact", ""),
        diagnoses=tuple(
            _diagnosis(reader, item, f"diagnoses[{i}]")
            for i, item in enumerate(reader.items(top, "diagnoses", ""))
        ),
        scores=tuple(
            _score(reader, item, f"scores[{i}]")
            for i, item in enumerate(reader.items(top, "scores", ""))
        ),
        labs=tuple(
            _lab(reader, item, f"labs[{i}]") for i, item in enumerate(reader.items(top, "labs", ""))
        ),
        findings=tuple(
            _finding(reader, item, f"findings[{i}]")
            for i, item in enumerate(reader.items(top, "findings", ""))
        ),
        treatments_complete=complete,
        treatments=tuple(
            _treatment(reader, item, f"treatments[{i}]")
            for i, item in enumerate(reader.items(top, "treatments", ""))
        ),
        history=tuple(
            _history(reader, item, f"history[{i}]")
            for i, item in enumerate(reader.items(top, "history", ""))
        ),
        screening_date=screening,
    )


def profile_warnings(profile: PatientProfile) -> tuple[str, ...]:
    """Soft warnings: values that are possible but unusual in the unit entered."""
    warnings: list[str] = []
    for index, lab in enumerate(profile.labs):
        check = check_plausibility(
            lab.fact, lab.value, lab.unit, lower_label(FACTS[lab.fact].label)
        )
        if check.level == "warn":
            warnings.append(f"labs[{index}].value: {check.message}")
    for key, measure, fact in (
        ("weight", profile.patient.weight, "weight_kg"),
        ("height", profile.patient.height, "height_cm"),
    ):
        if measure is not None:
            check = check_plausibility(
                fact, measure.value, measure.unit, lower_label(FACTS[fact].label)
            )
            if check.level == "warn":
                warnings.append(f"patient.{key}.value: {check.message}")
    return tuple(warnings)


# ---------------------------------------------------------------------------------------------
# Back to a dict
# ---------------------------------------------------------------------------------------------


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _measure(measure: Measure | None) -> dict[str, Any] | None:
    if measure is None:
        return None
    return {"value": measure.value, "unit": measure.unit, "date": _day(measure.date)}


def _score_dict(score: Score) -> dict[str, Any]:
    if INSTRUMENTS[score.instrument].fact is None:
        return {
            "instrument": score.instrument,
            "domains": dict(score.domains),
            "date": _day(score.date),
        }
    return {"instrument": score.instrument, "value": score.value, "date": _day(score.date)}


def profile_to_dict(profile: PatientProfile) -> dict[str, Any]:
    """The profile as a trialmatch-patient/1 dict; profile_from_dict reads it back equal."""
    patient = profile.patient
    reproductive = profile.reproductive
    test = reproductive.pregnancy_test
    return {
        "format": PROFILE_FORMAT,
        "patient": {
            "name": patient.name,
            "record_number": patient.record_number,
            "birth_date": _day(patient.birth_date),
            "sex": patient.sex,
            "weight": _measure(patient.weight),
            "height": _measure(patient.height),
        },
        "reproductive": {
            "pregnant": reproductive.pregnant,
            "pregnancy_test": None
            if test is None
            else {"result": test.result, "date": _day(test.date)},
            "lactating": reproductive.lactating,
            "childbearing_potential": reproductive.childbearing_potential,
            "contraception_agreed": reproductive.contraception_agreed,
        },
        "consent_to_contact": profile.consent_to_contact,
        "diagnoses": [
            {
                "condition": d.condition,
                "text": d.text,
                "icd10": d.icd10,
                "diagnosis_date": _day(d.diagnosis_date),
                "classification": list(d.classification),
                "subtype": d.subtype,
                "status": list(d.status),
                "treatments_tried": list(d.treatments_tried),
                "lupus_nephritis": None
                if d.lupus_nephritis is None
                else {
                    "classes": list(d.lupus_nephritis.classes),
                    "biopsy_date": _day(d.lupus_nephritis.biopsy_date),
                    "activity_index": d.lupus_nephritis.activity_index,
                    "chronicity_index": d.lupus_nephritis.chronicity_index,
                },
            }
            for d in profile.diagnoses
        ],
        "scores": [_score_dict(score) for score in profile.scores],
        "labs": [
            {
                "analyte": lab.analyte,
                "value": lab.value,
                "unit": lab.unit,
                "date": _day(lab.date),
                "uln": lab.uln,
            }
            for lab in profile.labs
        ],
        "findings": [
            {"test": f.test, "result": f.result, "date": _day(f.date), "titer": f.titer}
            for f in profile.findings
        ],
        "treatments_complete": profile.treatments_complete,
        "treatments": [
            {
                "drug": t.drug,
                "start": _day(t.start),
                "end": _day(t.end),
                "dose": t.dose,
                "dose_unit": t.dose_unit,
            }
            for t in profile.treatments
        ],
        "history": [
            {"item": h.item, "present": h.present, "date": _day(h.date), "text": h.text}
            for h in profile.history
        ],
        "screening_date": _day(profile.screening_date),
    }
