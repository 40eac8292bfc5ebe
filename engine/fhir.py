"""FHIR R4 patient resources (parsed JSON) mapped into a trialmatch-patient/1 profile + report."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from engine.errors import ProfileError
from engine.facts import FACTS
from engine.profile import (
    NEGATIVE_RESULTS,
    POSITIVE_RESULTS,
    PROFILE_FORMAT,
    PatientProfile,
    lower_label,
    profile_from_dict,
)
from engine.units import UnitError, check_plausibility, format_number, resolve_unit
from engine.vocabulary import CLASSES, DRUGS, INSTRUMENTS, find_condition, find_drug

# ---------------------------------------------------------------------------------------------
# Code systems and code tables
# ---------------------------------------------------------------------------------------------

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
UCUM = "http://unitsofmeasure.org"
BIRTHSEX_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

# LOINC codes of numeric observations: code → (fact, profile target). Targets: a lab analyte,
# "weight", "height" or "score:<instrument>".
LAB_LOINC: dict[str, str] = {
    "751-8": "lab.anc",
    "26499-4": "lab.anc",
    "718-7": "lab.hemoglobin",
    "777-3": "lab.platelets",
    "26515-7": "lab.platelets",
    "6690-2": "lab.wbc",
    "1742-6": "lab.alt",
    "1920-8": "lab.ast",
    "1975-2": "lab.bilirubin_total",
    "2160-0": "lab.creatinine",
    "14682-9": "lab.creatinine",
    "6301-6": "lab.inr",
    "34714-6": "lab.inr",
    "5902-2": "lab.pt",
    "14979-9": "lab.aptt",
    "3173-2": "lab.aptt",
    "10230-1": "lab.lvef",
    "59408-5": "lab.spo2",
    "2708-6": "lab.spo2",
    "2890-2": "lab.upcr",
    "2157-6": "lab.ck",
    "4537-7": "lab.esr",
    "30341-2": "lab.esr",
    "1988-5": "lab.crp",
    "4485-9": "lab.c3",
    "4498-2": "lab.c4",
}
BODY_LOINC: dict[str, str] = {"29463-7": "weight_kg", "3141-9": "weight_kg", "8302-2": "height_cm"}
SCORE_LOINC: dict[str, str] = {"89247-1": "ecog"}
# Qualitative tests: a coded positive/negative result (value or interpretation), never a number.
FINDING_LOINC: dict[str, str] = {
    "5196-1": "serology.hbsag",
    "5195-3": "serology.hbsag",
    "16933-4": "serology.hbcab",
    "13952-7": "serology.hbcab",
    "16128-1": "serology.hcv_ab",
    "13955-0": "serology.hcv_ab",
    "56888-1": "serology.hiv",
    "20507-0": "serology.syphilis",
    "22587-0": "serology.syphilis",
    "8061-4": "antibody.ana",
    "5130-0": "antibody.anti_dsdna",
    "18323-6": "antibody.anti_sm",
    "33610-7": "antibody.anti_ssa",
    "31625-7": "antibody.anti_ssa",
}

_KNOWN_LOINC = frozenset({*LAB_LOINC, *BODY_LOINC, *SCORE_LOINC, *FINDING_LOINC})

# Coded results (valueCodeableConcept or interpretation) that say positive or negative.
_POSITIVE_CODES = {
    (SNOMED, "10828004"),  # Positive
    (SNOMED, "260373001"),  # Detected
    (SNOMED, "11214006"),  # Reactive
    (LOINC, "LA6576-8"),  # Positive
    (LOINC, "LA11882-0"),  # Detected
    (INTERPRETATION, "POS"),
    (INTERPRETATION, "DET"),
}
_NEGATIVE_CODES = {
    (SNOMED, "260385009"),  # Negative
    (SNOMED, "260415000"),  # Not detected
    (SNOMED, "131194007"),  # Non-reactive
    (LOINC, "LA6577-6"),  # Negative
    (LOINC, "LA11883-8"),  # Not detected
    (INTERPRETATION, "NEG"),
    (INTERPRETATION, "ND"),
}

# RxNorm ingredient codes (only ingredients; products are matched by their name).
RXNORM_INGREDIENTS: dict[str, str] = {
    "8640": "prednisone",
    "8638": "prednisolone",
    "6902": "methylprednisolone",
    "3264": "dexamethasone",
    "5492": "hydrocortisone",
    "5521": "hydroxychloroquine",
    "3002": "cyclophosphamide",
    "6851": "methotrexate",
    "1256": "azathioprine",
    "68149": "mycophenolate",
    "121191": "rituximab",
    "42316": "tacrolimus",
}
CVX_VACCINES: dict[str, str] = {
    "03": "mmr_vaccine",
    "21": "varicella_vaccine",
    "37": "yellow_fever_vaccine",
    "121": "live_zoster_vaccine",
    "19": "bcg_vaccine",
    "25": "oral_typhoid_vaccine",
    "111": "laiv",
    "02": "oral_polio_vaccine",
    "116": "rotavirus_vaccine",
    "119": "rotavirus_vaccine",
}
SNOMED_PROCEDURES: dict[str, str] = {
    "234336002": "hsct",  # Hemopoietic stem cell transplant
    "70536003": "organ_transplant",  # Transplantation of kidney
    "18027006": "organ_transplant",  # Transplantation of liver
}
_DAILY_DOSE_UNITS = {"mg": "mg/d", "g": "g/d"}
_SINGLE_DOSE_UNITS = {"mg": "mg", "g": "g", "mg/kg": "mg/kg", "mg/m2": "mg/m2", "g/m2": "g/m2"}
_PERIOD_DAYS = {"d": 1.0, "h": 1 / 24, "wk": 7.0}
_MEDICATION_TYPES = ("MedicationStatement", "MedicationRequest", "MedicationAdministration")
_DATE = re.compile(r"^(\d{4})(-(\d{2})(-(\d{2}))?)?")

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

IssueKind = Literal[
    "unknown_code", "implausible", "unit", "not_imported", "ignored", "unusual", "note"
]


class FhirError(ValueError):
    """Input that is not usable FHIR R4; the message names the entry and the field."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}" if where else problem)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a value came from: resource, its code and the date it carries."""

    location: str
    resource_type: str
    resource_id: str | None
    system: str | None = None
    code: str | None = None
    display: str | None = None
    date: date | None = None

    def describe(self) -> str:
        ident = f"{self.resource_type}/{self.resource_id or '(no id)'}"
        parts = [ident]
        if self.code is not None:
            parts.append(f"{_system_name(self.system)} {self.code}")
        if self.date is not None:
            parts.append(self.date.isoformat())
        return ", ".join(parts) + f" [{self.location}]"


@dataclass(frozen=True, slots=True)
class ImportedValue:
    """A value placed in the profile (field path and value as shown) with its source."""

    field: str
    value: str
    source: Source


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """Something the physician must see: an unknown code, a rejected value, an ignored resource."""

    kind: IssueKind
    message: str
    source: Source


@dataclass(frozen=True, slots=True)
class FhirImportReport:
    """The import result: the profile (dict and validated), what was imported and what was not.

    Attributes:
        imported: every value in the profile with its source.
        earlier_values: older results of an analyte that a later one replaced (the history).
        issues: unknown codes, implausible values, unit problems, ignored resources, notes.
    """

    profile_dict: Mapping[str, Any]
    profile: PatientProfile
    imported: tuple[ImportedValue, ...]
    earlier_values: tuple[ImportedValue, ...]
    issues: tuple[ImportIssue, ...]

    def issues_of(self, kind: IssueKind) -> tuple[ImportIssue, ...]:
        return tuple(issue for issue in self.issues if issue.kind == kind)

    def summary_lines(self) -> list[str]:
        """A readable summary: counts, then every issue with its source."""
        lines = [
            f"FHIR import: {len(self.imported)} value(s) imported, "
            f"{len(self.earlier_values)} earlier result(s) kept as history, "
            f"{len(self.issues)} item(s) to check."
        ]
        for issue in self.issues:
            lines.append(f"  [{issue.kind}] {issue.message} ({issue.source.describe()})")
        return lines


def _system_name(system: str | None) -> str:
    names = {
        LOINC: "LOINC",
        SNOMED: "SNOMED CT",
        ICD10CM: "ICD-10-CM",
        ICD10: "ICD-10",
        RXNORM: "RxNorm",
        CVX: "CVX",
    }
    return names.get(system or "", system or "(no system)")


# ---------------------------------------------------------------------------------------------
# Shape checks (clear messages naming the entry and the field)
# ---------------------------------------------------------------------------------------------


def _obj(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise FhirError(where, f"must be a JSON object, not {_json_type(value)}")
    return value


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, Mapping) else type(value).__name__


def _opt_obj(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any] | None:
    value = data.get(key)
    return None if value is None else _obj(value, f"{where}.{key}")


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise FhirError(f"{where}.{key}", f"must be a list, not {_json_type(value)}")
    return value


def _str(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise FhirError(f"{where}.{key}", f"must be text, not {_json_type(value)}")
    return value


def _num(data: Mapping[str, Any], key: str, where: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FhirError(f"{where}.{key}", f"must be a number, not {_json_type(value)}")
    return float(value)


@dataclass(frozen=True, slots=True)
class _Coding:
    system: str | None
    code: str | None
    display: str | None


def _codings(concept: Mapping[str, Any] | None, where: str) -> list[_Coding]:
    if concept is None:
        return []
    result = []
    for index, raw in enumerate(_list(concept, "coding", where)):
        path = f"{where}.coding[{index}]"
        coding = _obj(raw, path)
        result.append(
            _Coding(
                _str(coding, "system", path),
                _str(coding, "code", path),
                _str(coding, "display", path),
            )
        )
    return result


def _concept_text(concept: Mapping[str, Any] | None, where: str) -> str | None:
    if concept is None:
        return None
    text = _str(concept, "text", where)
    if text:
        return text
    return next((c.display for c in _codings(concept, where) if c.display), None)


def resources_from_bundle(bundle: object, where: str = "Bundle") -> list[tuple[str, Any]]:
    """The resources of a Bundle as (location, resource); refuses anything that is not one.

    Accepts the Bundle types an EHR export produces (collection, searchset, document,
    transaction, batch, transaction-response); a search's OperationOutcome entries are kept
    so that the import reports them as ignored.
    """
    data = _obj(bundle, where)
    if data.get("resourceType") != "Bundle":
        raise FhirError(
            f"{where}.resourceType", f'must be "Bundle", not {data.get("resourceType")!r}'
        )
    kind = _str(data, "type", where)
    accepted = (
        "collection",
        "searchset",
        "document",
        "transaction",
        "batch",
        "transaction-response",
        "batch-response",
    )
    if kind not in accepted:
        raise FhirError(
            f"{where}.type", f"{kind!r} is not a patient export ({', '.join(accepted)})"
        )
    resources: list[tuple[str, Any]] = []
    for index, raw in enumerate(_list(data, "entry", where)):
        path = f"{where}.entry[{index}]"
        entry = _obj(raw, path)
        if "resource" not in entry:
            raise FhirError(f"{path}.resource", "is missing (an entry without a resource)")
        resource = _obj(entry["resource"], f"{path}.resource")
        if resource.get("resourceType") == "Bundle":
            resources.extend(resources_from_bundle(resource, f"{path}.resource"))
        else:
            resources.append((f"{path}.resource", resource))
    return resources


# ---------------------------------------------------------------------------------------------
# The import
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Lab:
    target: str  # analyte, "weight", "height" or "score:<id>"
    fact: str
    value: float
    unit: str
    uln: float | None
    source: Source


class _Importer:
    """Collects profile parts and the report while walking the resources."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.birth_date: date | None = None
        self.patient: dict[str, Any] = {}
        self.diagnoses: dict[str, tuple[dict[str, Any], Source]] = {}
        self.labs: list[_Lab] = []
        self.findings: list[tuple[dict[str, Any], Source]] = []
        self.treatments: list[tuple[dict[str, Any], Source]] = []
        self.imported: list[ImportedValue] = []
        self.earlier: list[ImportedValue] = []
        self.issues: list[ImportIssue] = []
        self.patient_seen: Source | None = None

    # -- helpers ------------------------------------------------------------------------------

    def issue(self, kind: IssueKind, message: str, source: Source) -> None:
        self.issues.append(ImportIssue(kind, message, source))

    def day(self, text: object, where: str, source: Source, what: str) -> date | None:
        """The calendar day of a FHIR date/dateTime; a partial date is reported, not guessed."""
        if text is None:
            return None
        if not isinstance(text, str):
            raise FhirError(where, f"must be a date or dateTime text, not {_json_type(text)}")
        match = _DATE.match(text)
        if match is None:
            raise FhirError(where, f"{text!r} is not a FHIR date")
        if match.group(5) is None:
            self.issue(
                "note",
                f"{what}: the date {text!r} gives no day; it was left empty rather than guessed",
                source,
            )
            return None
        try:
            parsed = date(int(match.group(1)), int(match.group(3)), int(match.group(5)))
        except ValueError:
            raise FhirError(where, f"{text!r} is not a calendar date") from None
        if parsed > self.today:
            self.issue("implausible", f"{what}: the date {parsed} is in the future", source)
            return None
        return parsed

    def source(
        self,
        location: str,
        resource: Mapping[str, Any],
        coding: _Coding | None = None,
        when: date | None = None,
    ) -> Source:
        return Source(
            location,
            str(resource.get("resourceType")),
            _str(resource, "id", location),
            None if coding is None else coding.system,
            None if coding is None else coding.code,
            None if coding is None else coding.display,
            when,
        )

    def before_birth(self, when: date | None, source: Source, what: str) -> bool:
        if when is not None and self.birth_date is not None and when < self.birth_date:
            self.issue("implausible", f"{what}: {when} is before the birth date", source)
            return True
        return False

    # -- Patient ------------------------------------------------------------------------------

    def patient_resource(self, location: str, resource: Mapping[str, Any]) -> None:
        source = self.source(location, resource)
        if self.patient_seen is not None:
            raise FhirError(
                location,
                "a second Patient resource; the export must hold one patient "
                f"(the first is {self.patient_seen.describe()})",
            )
        self.patient_seen = source
        birth = self.day(resource.get("birthDate"), f"{location}.birthDate", source, "birth date")
        if birth is not None:
            self.birth_date = birth
            self.patient["birth_date"] = birth.isoformat()
            self.imported.append(ImportedValue("patient.birth_date", birth.isoformat(), source))
        self._sex(location, resource, source)
        name = self._name(location, resource)
        if name:
            self.patient["name"] = name
            self.imported.append(ImportedValue("patient.name", name, source))
        mrn = self._mrn(location, resource)
        if mrn:
            self.patient["record_number"] = mrn
            self.imported.append(ImportedValue("patient.record_number", mrn, source))

    def _sex(self, location: str, resource: Mapping[str, Any], source: Source) -> None:
        gender = _str(resource, "gender", location)
        administrative = gender if gender in ("female", "male") else None
        birthsex: str | None = None
        for index, raw in enumerate(_list(resource, "extension", location)):
            path = f"{location}.extension[{index}]"
            extension = _obj(raw, path)
            if _str(extension, "url", path) == BIRTHSEX_URL:
                code = _str(extension, "valueCode", path)
                birthsex = {"F": "female", "M": "male"}.get(code or "")
                if birthsex is None:
                    self.issue(
                        "note", f"birth sex is recorded as {code!r} (not female or male)", source
                    )
        if birthsex is not None:
            sex = birthsex
            if administrative is not None and administrative != birthsex:
                self.issue(
                    "note",
                    f"birth sex ({birthsex}) differs from administrative gender "
                    f"({administrative}); birth sex was used as the sex for clinical use",
                    source,
                )
        elif administrative is not None:
            sex = administrative
            self.issue(
                "note",
                f"no US Core birth sex; administrative gender ({administrative}) was used as "
                "the sex for clinical use: please confirm",
                source,
            )
        else:
            if gender is not None:
                self.issue("note", f"gender is {gender!r}; sex left unknown", source)
            return
        self.patient["sex"] = sex
        self.imported.append(ImportedValue("patient.sex", sex, source))

    @staticmethod
    def _name(location: str, resource: Mapping[str, Any]) -> str | None:
        names = _list(resource, "name", location)
        for index, raw in enumerate(names):
            path = f"{location}.name[{index}]"
            name = _obj(raw, path)
            text = _str(name, "text", path)
            if text:
                return text
            given = [g for g in _list(name, "given", path) if isinstance(g, str)]
            family = _str(name, "family", path)
            joined = " ".join([*given, *([family] if family else [])])
            if joined:
                return joined
        return None

    @staticmethod
    def _mrn(location: str, resource: Mapping[str, Any]) -> str | None:
        for index, raw in enumerate(_list(resource, "identifier", location)):
            path = f"{location}.identifier[{index}]"
            identifier = _obj(raw, path)
            codes = _codings(_opt_obj(identifier, "type", path), f"{path}.type")
            if any(c.code == "MR" for c in codes):
                return _str(identifier, "value", path)
        return None

    # -- Condition ----------------------------------------------------------------------------

    def condition(self, location: str, resource: Mapping[str, Any]) -> None:
        code_where = f"{location}.code"
        concept = _opt_obj(resource, "code", location)
        codings = _codings(concept, code_where)
        text = _concept_text(concept, code_where)
        first = codings[0] if codings else None
        verification = _codings(
            _opt_obj(resource, "verificationStatus", location), f"{location}.verificationStatus"
        )
        if any(c.code in ("refuted", "entered-in-error") for c in verification):
            status = next(c.code for c in verification if c.code in ("refuted", "entered-in-error"))
            self.issue(
                "ignored",
                f"condition {text or (first and first.code)!r} is {status}; not imported",
                self.source(location, resource, first),
            )
            return
        found = None
        used = first
        for coding in codings:
            if coding.code is None or coding.system not in (ICD10CM, ICD10, SNOMED):
                continue
            found = find_condition(coding.code)
            if found is not None:
                used = coding
                break
        onset = self.day(
            resource.get("onsetDateTime")
            or (_opt_obj(resource, "onsetPeriod", location) or {}).get("start"),
            f"{location}.onsetDateTime",
            self.source(location, resource, used),
            "condition onset",
        )
        recorded = None
        if onset is None:
            recorded = self.day(
                resource.get("recordedDate"),
                f"{location}.recordedDate",
                self.source(location, resource, used),
                "condition recorded date",
            )
        when = onset or recorded
        source = self.source(location, resource, used, when)
        if found is None:
            shown = ", ".join(f"{_system_name(c.system)} {c.code}" for c in codings) or "no code"
            self.issue(
                "unknown_code",
                f"condition {text!r} ({shown}) is not in the condition vocabulary; not imported",
                source,
            )
            return
        if self.before_birth(when, source, f"{found.label} date"):
            when = None
        if onset is None and recorded is not None:
            self.issue(
                "note",
                f"{found.label}: no onset date; the recorded date {recorded} was used as the "
                "diagnosis date (the diagnosis may be older)",
                source,
            )
        clinical = _codings(
            _opt_obj(resource, "clinicalStatus", location), f"{location}.clinicalStatus"
        )
        for coding in clinical:
            if coding.code in ("inactive", "resolved", "remission"):
                self.issue(
                    "note",
                    f"{found.label} is recorded as {coding.code}; it is listed as a diagnosis",
                    source,
                )
        icd = used.code if used is not None and used.system in (ICD10CM, ICD10) else None
        entry: dict[str, Any] = {
            "condition": found.id,
            "text": text or found.label,
            "icd10": icd,
            "diagnosis_date": None if when is None else when.isoformat(),
        }
        previous = self.diagnoses.get(found.id)
        if previous is not None:
            older = previous[0]["diagnosis_date"]
            self.issue(
                "note", f"{found.label} appears more than once; the earliest date is kept", source
            )
            if older is not None and (when is None or older <= when.isoformat()):
                return
        self.diagnoses[found.id] = (entry, source)

    # -- Observation --------------------------------------------------------------------------

    def observation(self, location: str, resource: Mapping[str, Any]) -> None:
        status = _str(resource, "status", location)
        code_where = f"{location}.code"
        concept = _opt_obj(resource, "code", location)
        codings = _codings(concept, code_where)
        loinc_codings = [c for c in codings if c.system == LOINC and c.code]
        # An EHR may send a local LOINC variant first and the standard one second.
        loinc = next(
            (c for c in loinc_codings if c.code is not None and c.code in _KNOWN_LOINC),
            loinc_codings[0] if loinc_codings else None,
        )
        period = _opt_obj(resource, "effectivePeriod", location) or {}
        when = self.day(
            resource.get("effectiveDateTime") or period.get("start"),
            f"{location}.effectiveDateTime",
            self.source(location, resource, loinc),
            "observation date",
        )
        source = self.source(location, resource, loinc or (codings[0] if codings else None), when)
        text = _concept_text(concept, code_where) or "observation"
        if status in ("entered-in-error", "cancelled"):
            self.issue("ignored", f"{text}: status {status}; not imported", source)
            return
        if loinc is None or loinc.code is None:
            shown = ", ".join(f"{_system_name(c.system)} {c.code}" for c in codings) or "no code"
            self.issue("unknown_code", f"{text} ({shown}) has no LOINC code; not imported", source)
            return
        code = loinc.code
        if self.before_birth(when, source, text):
            return
        if code in FINDING_LOINC:
            self._finding(location, resource, FINDING_LOINC[code], source, when)
            return
        fact: str | None
        if code in LAB_LOINC:
            fact = LAB_LOINC[code]
            target = fact.removeprefix("lab.")
        elif code in BODY_LOINC:
            fact = BODY_LOINC[code]
            target = "weight" if fact == "weight_kg" else "height"
        elif code in SCORE_LOINC:
            target = f"score:{SCORE_LOINC[code]}"
            fact = f"score.{SCORE_LOINC[code]}"
        else:
            self.issue(
                "unknown_code", f"{text} (LOINC {code}) is not an analyte TrialMatch uses", source
            )
            return
        label = FACTS[fact].label
        quantity = _opt_obj(resource, "valueQuantity", location)
        value: float | None
        unit = ""
        if quantity is not None:
            where = f"{location}.valueQuantity"
            value = _num(quantity, "value", where)
            comparator = _str(quantity, "comparator", where)
            if comparator is not None:
                self.issue(
                    "not_imported",
                    f"{label} is {comparator}{format_number(value or 0)}: a bound, not a value; "
                    "not imported",
                    source,
                )
                return
            system = _str(quantity, "system", where)
            ucum = _str(quantity, "code", where) if system == UCUM else None
            unit = ucum if ucum is not None else (_str(quantity, "unit", where) or "")
        elif (
            isinstance(resource.get("valueInteger"), int)
            and not isinstance(resource.get("valueInteger"), bool)
            and target.startswith("score:")
        ):
            value = float(resource["valueInteger"])
        else:
            shown = next(
                (f"{key} {resource[key]!r}" for key in resource if key.startswith("value")),
                "no value",
            )
            self.issue(
                "not_imported",
                f"{label}: {shown} is not a number with a unit; not imported (enter it by hand)",
                source,
            )
            return
        if value is None:
            self.issue("not_imported", f"{label}: the quantity has no value", source)
            return
        if target.startswith("score:"):
            instrument = INSTRUMENTS[target.removeprefix("score:")]
            whole = not instrument.integer or value == int(value)
            if not (instrument.low <= value <= instrument.high and whole):
                self.issue(
                    "implausible",
                    f"{format_number(value)} is not a possible {instrument.label} "
                    f"(whole numbers {instrument.low:g}–{instrument.high:g}); not imported"
                    if instrument.integer
                    else f"{format_number(value)} is outside the {instrument.label} range "
                    f"{instrument.low:g}–{instrument.high:g}; not imported",
                    source,
                )
                return
            self.labs.append(_Lab(target, fact, value, "", None, source))
            return
        if resolve_unit(fact, unit) is None:
            try:
                check_plausibility(fact, value, unit, lower_label(label))
            except UnitError as error:
                self.issue("unit", f"{label} {format_number(value)}: {error}; not imported", source)
            return
        check = check_plausibility(fact, value, unit, lower_label(label))
        if check.level == "reject":
            self.issue("implausible", f"{check.message}; not imported (check the source)", source)
            return
        if check.level == "warn":
            self.issue("unusual", f"{check.message}; imported, please confirm", source)
        uln = self._uln(location, resource, fact, unit, source)
        self.labs.append(_Lab(target, fact, value, unit, uln, source))

    def _uln(
        self, location: str, resource: Mapping[str, Any], fact: str, unit: str, source: Source
    ) -> float | None:
        ranges = _list(resource, "referenceRange", location)
        if not ranges or not FACTS[fact].has_uln:
            return None
        where = f"{location}.referenceRange[0]"
        high = _opt_obj(_obj(ranges[0], where), "high", where)
        if high is None:
            return None
        value = _num(high, "value", f"{where}.high")
        high_unit = _str(high, "code", f"{where}.high") or _str(high, "unit", f"{where}.high")
        if value is None or value <= 0:
            return None
        if high_unit is not None and resolve_unit(fact, high_unit) != resolve_unit(fact, unit):
            self.issue(
                "unit",
                f"the reference range is in {high_unit!r}, the value in {unit!r}; "
                "the lab's ULN was not used",
                source,
            )
            return None
        return value

    def _finding(
        self,
        location: str,
        resource: Mapping[str, Any],
        test: str,
        source: Source,
        when: date | None,
    ) -> None:
        label = FACTS[test].label
        result: str | None = None
        concept = _opt_obj(resource, "valueCodeableConcept", location)
        if concept is not None:
            result = _coded_result(_codings(concept, f"{location}.valueCodeableConcept"))
            if result is None:
                text = (_concept_text(concept, f"{location}.valueCodeableConcept") or "").strip()
                folded = text.casefold()
                if folded in POSITIVE_RESULTS:
                    result = "positive"
                elif folded in NEGATIVE_RESULTS:
                    result = "negative"
        if result is None:
            for index, raw in enumerate(_list(resource, "interpretation", location)):
                where = f"{location}.interpretation[{index}]"
                result = _coded_result(_codings(_obj(raw, where), where))
                if result is not None:
                    break
        if result is None:
            shown = next(
                (f"{key} {resource[key]!r}" for key in resource if key.startswith("value")),
                "no value",
            )
            self.issue(
                "not_imported",
                f"{label}: {shown} has no coded positive/negative result or interpretation; "
                "not imported (enter it by hand)",
                source,
            )
            return
        entry = {"test": test, "result": result, "date": None if when is None else when.isoformat()}
        self.findings.append((entry, source))

    # -- Medications, procedures, immunizations -----------------------------------------------

    def medication(self, location: str, resource: Mapping[str, Any]) -> None:
        kind = str(resource["resourceType"])
        status = _str(resource, "status", location)
        concept = _opt_obj(resource, "medicationCodeableConcept", location)
        where = f"{location}.medicationCodeableConcept"
        codings = _codings(concept, where)
        text = _concept_text(concept, where)
        drug_id, coding, by_name = _drug_from(codings, text, RXNORM, RXNORM_INGREDIENTS)
        if concept is None and resource.get("medicationReference") is not None:
            source = self.source(location, resource)
            self.issue(
                "not_imported",
                "the medication is a reference to a Medication resource; not resolved, "
                "enter the drug by hand",
                source,
            )
            return
        start, end = self._medication_dates(location, resource, kind)
        source = self.source(location, resource, coding, start)
        if status in ("entered-in-error", "cancelled", "not-taken", "not-done", "draft"):
            self.issue("ignored", f"{text or 'medication'}: status {status}; not imported", source)
            return
        intent = _str(resource, "intent", location)
        if kind == "MedicationRequest" and intent in ("proposal", "plan"):
            # A proposed or planned drug has not been given.
            self.issue("ignored", f"{text or 'medication'}: intent {intent}; not imported", source)
            return
        if drug_id is None:
            shown = ", ".join(f"{_system_name(c.system)} {c.code}" for c in codings) or "no code"
            self.issue(
                "unknown_code",
                f"medication {text!r} ({shown}) is not in the drug vocabulary; not imported",
                source,
            )
            return
        entry: dict[str, Any] = {
            "drug": drug_id,
            "start": None if start is None else start.isoformat(),
            "end": None if end is None else end.isoformat(),
        }
        dose, dose_unit = self._dose(location, resource, kind, drug_id, source)
        if dose is not None:
            entry["dose"] = dose
            entry["dose_unit"] = dose_unit
        if start is None:
            self.issue("note", f"{DRUGS[drug_id].label}: no start date", source)
        if end is None and status in ("completed", "stopped"):
            self.issue(
                "note",
                f"{DRUGS[drug_id].label} is {status} but has no end date: it is listed as "
                "ongoing; enter the end date",
                source,
            )
        self._name_note(by_name, drug_id, source)
        self.treatments.append((entry, source))

    def _medication_dates(
        self, location: str, resource: Mapping[str, Any], kind: str
    ) -> tuple[date | None, date | None]:
        source = self.source(location, resource)
        period = _opt_obj(resource, "effectivePeriod", location)
        if period is not None:
            start_text, end_text = period.get("start"), period.get("end")
        elif kind == "MedicationRequest":
            bounds = None
            for index, raw in enumerate(_list(resource, "dosageInstruction", location)):
                path = f"{location}.dosageInstruction[{index}]"
                timing = _opt_obj(_obj(raw, path), "timing", path) or {}
                repeat = _opt_obj(timing, "repeat", f"{path}.timing") or {}
                bounds = _opt_obj(repeat, "boundsPeriod", f"{path}.timing.repeat")
                if bounds is not None:
                    break
            start_text = (bounds or {}).get("start") or resource.get("authoredOn")
            end_text = (bounds or {}).get("end")
        else:
            start_text = resource.get("effectiveDateTime")
            # A single administration (or dated statement) starts and ends that day.
            end_text = start_text if kind == "MedicationAdministration" else None
        start = self.day(start_text, f"{location}.effective", source, "medication start")
        end = self.day(end_text, f"{location}.effective", source, "medication end")
        if self.before_birth(start, source, "medication start"):
            start = None
        if self.before_birth(end, source, "medication end"):
            end = None
        if start is not None and end is not None and end < start:
            self.issue("implausible", f"medication ends {end} before it starts {start}", source)
            end = None
        return start, end

    def _dose(
        self,
        location: str,
        resource: Mapping[str, Any],
        kind: str,
        drug_id: str,
        source: Source,
    ) -> tuple[float | None, str | None]:
        if kind == "MedicationAdministration":
            dosage = _opt_obj(resource, "dosage", location)
            quantity = None if dosage is None else _opt_obj(dosage, "dose", f"{location}.dosage")
            if quantity is None:
                return None, None
            value = _num(quantity, "value", f"{location}.dosage.dose")
            unit = _str(quantity, "code", f"{location}.dosage.dose") or _str(
                quantity, "unit", f"{location}.dosage.dose"
            )
            if value is None or unit not in _SINGLE_DOSE_UNITS:
                self.issue("unit", f"dose unit {unit!r} not understood; dose not imported", source)
                return None, None
            return value, _SINGLE_DOSE_UNITS[unit]
        key = "dosage" if kind == "MedicationStatement" else "dosageInstruction"
        dosages = _list(resource, key, location)
        if not dosages:
            return None, None
        path = f"{location}.{key}[0]"
        dosage = _obj(dosages[0], path)
        rates = _list(dosage, "doseAndRate", path)
        quantity = (
            _opt_obj(
                _obj(rates[0], f"{path}.doseAndRate[0]"), "doseQuantity", f"{path}.doseAndRate[0]"
            )
            if rates
            else None
        )
        if quantity is None:
            return None, None
        qpath = f"{path}.doseAndRate[0].doseQuantity"
        value = _num(quantity, "value", qpath)
        unit = _str(quantity, "code", qpath) or _str(quantity, "unit", qpath)
        timing = _opt_obj(dosage, "timing", path) or {}
        repeat = _opt_obj(timing, "repeat", f"{path}.timing") or {}
        frequency = _num(repeat, "frequency", f"{path}.timing.repeat")
        per = _num(repeat, "period", f"{path}.timing.repeat")
        per_unit = _str(repeat, "periodUnit", f"{path}.timing.repeat")
        label = DRUGS[drug_id].label
        if value is None or unit not in _DAILY_DOSE_UNITS:
            self.issue(
                "unit", f"{label}: dose unit {unit!r} not understood; dose not imported", source
            )
            return None, None
        if frequency is None or per is None or per_unit not in _PERIOD_DAYS or per <= 0:
            self.issue(
                "not_imported",
                f"{label}: {format_number(value)} {unit} without a daily schedule; "
                "the daily dose was not computed (enter it by hand)",
                source,
            )
            return None, None
        daily = value * frequency / (per * _PERIOD_DAYS[per_unit])
        return round(daily, 4), _DAILY_DOSE_UNITS[unit]

    def procedure(self, location: str, resource: Mapping[str, Any]) -> None:
        concept = _opt_obj(resource, "code", location)
        codings = _codings(concept, f"{location}.code")
        text = _concept_text(concept, f"{location}.code")
        drug_id, coding, by_name = _drug_from(codings, text, SNOMED, SNOMED_PROCEDURES)
        period = _opt_obj(resource, "performedPeriod", location) or {}
        base = self.source(location, resource, coding)
        start = self.day(
            resource.get("performedDateTime") or period.get("start"),
            f"{location}.performed",
            base,
            "procedure date",
        )
        end = self.day(
            period.get("end") or resource.get("performedDateTime"),
            f"{location}.performed",
            base,
            "procedure end",
        )
        source = self.source(location, resource, coding, start)
        status = _str(resource, "status", location)
        if status in ("entered-in-error", "not-done", "preparation"):
            self.issue("ignored", f"{text or 'procedure'}: status {status}; not imported", source)
            return
        if drug_id is None or not set(DRUGS[drug_id].classes) & {
            "car_t",
            "hsct",
            "organ_transplant",
            "transfusion",
            "plasma_exchange",
        }:
            shown = ", ".join(f"{_system_name(c.system)} {c.code}" for c in codings) or "no code"
            self.issue(
                "unknown_code",
                f"procedure {text!r} ({shown}) is not one TrialMatch uses; not imported",
                source,
            )
            return
        if self.before_birth(start, source, "procedure date"):
            return
        self._name_note(by_name, drug_id, source)
        self.treatments.append(
            (
                {
                    "drug": drug_id,
                    "start": None if start is None else start.isoformat(),
                    "end": None if end is None else end.isoformat(),
                },
                source,
            )
        )

    def immunization(self, location: str, resource: Mapping[str, Any]) -> None:
        concept = _opt_obj(resource, "vaccineCode", location)
        codings = _codings(concept, f"{location}.vaccineCode")
        text = _concept_text(concept, f"{location}.vaccineCode")
        drug_id, coding, by_name = _drug_from(codings, text, CVX, CVX_VACCINES, leading_words=False)
        base = self.source(location, resource, coding)
        when = self.day(
            resource.get("occurrenceDateTime"),
            f"{location}.occurrenceDateTime",
            base,
            "vaccination date",
        )
        source = self.source(location, resource, coding, when)
        status = _str(resource, "status", location)
        if status in ("entered-in-error", "not-done"):
            self.issue("ignored", f"{text or 'vaccination'}: status {status}; not imported", source)
            return
        if drug_id is None or "vaccine" not in _classes_of(drug_id):
            shown = ", ".join(f"{_system_name(c.system)} {c.code}" for c in codings) or "no code"
            self.issue(
                "unknown_code",
                f"vaccine {text!r} ({shown}) is not in the vaccine vocabulary; not imported "
                "(a live vaccine would matter: check it)",
                source,
            )
            return
        if self.before_birth(when, source, "vaccination date"):
            return
        self._name_note(by_name, drug_id, source)
        day = None if when is None else when.isoformat()
        self.treatments.append(({"drug": drug_id, "start": day, "end": day}, source))

    def _name_note(self, by_name: str | None, drug_id: str, source: Source) -> None:
        if by_name is not None:
            self.issue(
                "note",
                f"{by_name!r} was read by its name as {DRUGS[drug_id].label}: please confirm",
                source,
            )

    # -- Assembly -----------------------------------------------------------------------------

    def profile_dict(self) -> dict[str, Any]:
        labs: list[dict[str, Any]] = []
        scores: list[dict[str, Any]] = []
        latest: dict[str, _Lab] = {}
        for lab in self.labs:
            current = latest.get(lab.target)
            if (
                current is not None
                and lab.source.date is not None
                and lab.source.date == current.source.date
                and (lab.value, lab.unit) != (current.value, current.unit)
            ):
                self.issue(
                    "note",
                    f"two {FACTS[lab.fact].label} results on {lab.source.date}; the one listed "
                    "first in the export is used: please check",
                    lab.source,
                )
            if current is None or _newer(lab.source.date, current.source.date):
                if current is not None:
                    self.earlier.append(_lab_value(current))
                latest[lab.target] = lab
            else:
                self.earlier.append(_lab_value(lab))
        for target, lab in latest.items():
            day = None if lab.source.date is None else lab.source.date.isoformat()
            self.imported.append(_lab_value(lab))
            if target in ("weight", "height"):
                self.patient[target] = {"value": lab.value, "unit": lab.unit, "date": day}
            elif target.startswith("score:"):
                scores.append(
                    {"instrument": target.removeprefix("score:"), "value": lab.value, "date": day}
                )
            else:
                labs.append(
                    {
                        "analyte": target,
                        "value": lab.value,
                        "unit": lab.unit,
                        "date": day,
                        "uln": lab.uln,
                    }
                )
        findings: dict[str, tuple[dict[str, Any], Source]] = {}
        for entry, source in self.findings:
            current_finding = findings.get(entry["test"])
            if current_finding is None or _newer(source.date, current_finding[1].date):
                if current_finding is not None:
                    self.earlier.append(_finding_value(*current_finding))
                findings[entry["test"]] = (entry, source)
            else:
                self.earlier.append(_finding_value(entry, source))
        for entry, source in findings.values():
            self.imported.append(_finding_value(entry, source))
        for entry, source in self.diagnoses.values():
            self.imported.append(
                ImportedValue(f"diagnoses[{entry['condition']}]", entry["text"], source)
            )
        for entry, source in self.treatments:
            dose = (
                f" {format_number(entry['dose'])} {entry['dose_unit']}" if "dose" in entry else ""
            )
            self.imported.append(
                ImportedValue(f"treatments[{entry['drug']}]", f"{entry['drug']}{dose}", source)
            )
        return {
            "format": PROFILE_FORMAT,
            "patient": self.patient,
            "diagnoses": [entry for entry, _ in self.diagnoses.values()],
            "scores": scores,
            "labs": labs,
            "findings": [entry for entry, _ in findings.values()],
            # An EHR export is rarely the whole treatment history: absence stays unknown.
            "treatments_complete": False,
            "treatments": [entry for entry, _ in self.treatments],
        }


def _newer(candidate: date | None, current: date | None) -> bool:
    if candidate is None:
        return False
    return current is None or candidate > current


def _lab_value(lab: _Lab) -> ImportedValue:
    field = (
        f"patient.{lab.target}"
        if lab.target in ("weight", "height")
        else f"scores[{lab.target.removeprefix('score:')}]"
        if lab.target.startswith("score:")
        else f"labs[{lab.target}]"
    )
    shown = f"{format_number(lab.value)} {lab.unit}".strip()
    if lab.uln is not None:
        shown += f" (ULN {format_number(lab.uln)})"
    return ImportedValue(field, shown, lab.source)


def _finding_value(entry: Mapping[str, Any], source: Source) -> ImportedValue:
    return ImportedValue(f"findings[{entry['test']}]", str(entry["result"]), source)


def _classes_of(drug_id: str) -> set[str]:
    """The drug's classes with every broader class."""
    pending = list(DRUGS[drug_id].classes)
    seen: set[str] = set()
    while pending:
        current = pending.pop()
        if current not in seen:
            seen.add(current)
            pending.extend(CLASSES[current].parents if current in CLASSES else ())
    return seen


def _coded_result(codings: Sequence[_Coding]) -> str | None:
    for coding in codings:
        key = (coding.system or "", coding.code or "")
        if key in _POSITIVE_CODES:
            return "positive"
        if key in _NEGATIVE_CODES:
            return "negative"
    return None


def _drug_by_name(text: str, leading_words: bool) -> str | None:
    """A drug named by a text; with ``leading_words`` also "Prednisone 5 MG Oral Tablet"."""
    found = find_drug(text)
    if found is not None:
        return found.id
    if not leading_words:
        return None
    words = text.split()
    for length in range(min(len(words), 4), 0, -1):
        found = find_drug(" ".join(words[:length]))
        if found is not None:
            return found.id
    return None


def _drug_from(
    codings: Sequence[_Coding],
    text: str | None,
    system: str,
    table: Mapping[str, str],
    leading_words: bool = True,
) -> tuple[str | None, _Coding | None, str | None]:
    """The drug id of a coded concept: a known code first, then the codings' names and text.

    Returns (drug id, the coding used, the name it was matched by when not by its code).
    Vaccines are matched by their whole name only: the leading word "Vaccine" of "Vaccine,
    live zoster" must never read as an inactivated vaccine.
    """
    for coding in codings:
        if coding.system == system and coding.code is not None and coding.code in table:
            return table[coding.code], coding, None
    for coding in codings:
        if coding.display:
            found = _drug_by_name(coding.display, leading_words)
            if found is not None:
                return found, coding, coding.display
    if text:
        found = _drug_by_name(text, leading_words)
        if found is not None:
            return found, codings[0] if codings else None, text
    return None, codings[0] if codings else None, None


def import_fhir(
    resources: Sequence[tuple[str, object]], today: date | None = None
) -> FhirImportReport:
    """Maps FHIR R4 resources (location, parsed JSON) into a validated profile with a report.

    Raises FhirError naming the location and field when a resource is not usable FHIR; the
    profile is validated through ``profile_from_dict`` exactly as manual entry is.
    """
    importer = _Importer(today or date.today())
    checked: list[tuple[str, Mapping[str, Any]]] = []
    for location, raw in resources:
        resource = _obj(raw, location)
        kind = resource.get("resourceType")
        if not isinstance(kind, str) or not kind:
            raise FhirError(f"{location}.resourceType", "is missing: not a FHIR resource")
        checked.append((location, resource))
    # The Patient first, so that every date can be checked against the birth date.
    checked.sort(key=lambda item: item[1]["resourceType"] != "Patient")
    handlers = {
        "Patient": importer.patient_resource,
        "Condition": importer.condition,
        "Observation": importer.observation,
        "Procedure": importer.procedure,
        "Immunization": importer.immunization,
        **dict.fromkeys(_MEDICATION_TYPES, importer.medication),
    }
    for location, resource in checked:
        kind = resource["resourceType"]
        handler = handlers.get(kind)
        if handler is None:
            importer.issue(
                "ignored",
                f"{kind} resources are not used by TrialMatch",
                importer.source(location, resource),
            )
            continue
        handler(location, resource)
    if importer.patient_seen is None:
        importer.issue(
            "note",
            "no Patient resource: birth date and sex are unknown",
            Source("(export)", "Bundle", None),
        )
    data = importer.profile_dict()
    try:
        profile = profile_from_dict(data, today=importer.today)
    except ProfileError as error:
        raise FhirError(
            error.path, f"the imported profile is not valid: {error.problem}"
        ) from error
    return FhirImportReport(
        data,
        profile,
        tuple(importer.imported),
        tuple(importer.earlier),
        tuple(importer.issues),
    )
