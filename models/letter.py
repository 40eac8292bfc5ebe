"""The referral letter as data (built from a match report and the clinic settings) and its export.

Everything printed on the letter is decided here, as plain text: the renderer in
``ui/export/pdf_report.py`` only lays it out (and escapes it). The de-identified variant follows
HIPAA Safe Harbor (45 CFR 164.514(b)(2)): no name, record number, birth date or other exact date
of the patient, age capped at "90+", dates given relative to the screening date.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from engine.derived import age_in_months_on
from engine.facts import FACTS
from engine.outcomes import (
    Assessed,
    CriterionResult,
    CriterionStatus,
    Evidence,
    NodeResult,
    TrialEvaluation,
    Truth,
    Verdict,
)
from engine.profile import Diagnosis, PatientProfile, Treatment
from engine.ranking import haversine_km
from engine.units import Settings as EngineSettings
from engine.units import (
    UnitError,
    default_uln,
    display_unit,
    format_number,
    format_quantity,
    to_canonical,
)
from engine.vocabulary import INSTRUMENTS, condition_label, treatment_label
from models.database import SessionFactory
from models.files import atomic_writer
from models.matching import MatchReport, TrialMatch, read_details
from models.operations import ContactView, ReferralRecord, SiteView, TrialDetail, log_referral
from models.referral import ReferralKind
from models.settings import ClinicSettings

REGISTRY_STUDY_URL = "https://clinicaltrials.gov/study/{nct_id}"
SAFE_HARBOR_AGE_CAP = 90  # Safe Harbor aggregates every age over 89 into "90 or older"
NOT_RECORDED = "not recorded"
DEIDENTIFIED_MARK = " [de-identified letter]"
ELIGIBILITY_STATEMENT = (
    "Eligibility is decided by the study team. This letter is a pre-screen of the patient's "
    "recorded data against the trial's published criteria; it may be incomplete, and every "
    "result, above all those marked unknown, is to be confirmed by the study team."
)
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_RECRUITING = "RECRUITING"
AGE_FACT = "age_years"
# The age facts in finer units; their evidence also carries the birth date it was computed from.
AGE_IN_MONTHS_FACT = "age_months"
AGE_IN_DAYS_FACT = "age_days"
_PHASE_NUMBER = re.compile(r"(?<=[A-Za-z])(?=\d)")

LetterRenderer = Callable[["ReferralLetter", BinaryIO], None]


class LetterError(Exception):
    """A letter that must not be produced as asked; the message says why and what to do."""


# ---------------------------------------------------------------------------------------------
# The letter as data


@dataclass(frozen=True, slots=True)
class LabeledValue:
    """One "label: value" line."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Letterhead:
    """The sending clinic, as set in the clinic settings."""

    clinic_name: str
    address_lines: tuple[str, ...]
    phone: str


@dataclass(frozen=True, slots=True)
class LetterLab:
    """A lab result as entered, with its date and the ULN used (and whether it was assumed)."""

    label: str
    value: str
    when: str
    uln: str


@dataclass(frozen=True, slots=True)
class LetterCriterion:
    """One row of a trial's criteria table."""

    criterion_id: str
    kind: str
    text: str
    patient_data: tuple[str, ...]
    result: str
    status: CriterionStatus


@dataclass(frozen=True, slots=True)
class LetterSite:
    """A trial site with every contact exactly as the registry records it."""

    facility: str | None
    place: str
    status: str
    distance: str | None
    contacts: tuple[ContactView, ...]


@dataclass(frozen=True, slots=True)
class LetterTrial:
    """Everything the letter says about one trial."""

    trial_id: str
    nct_id: str | None
    registry_url: str | None
    title: str
    phase: str
    status: str
    sponsor: str
    verdict: Verdict
    verdict_text: str
    cohort: str | None
    criteria: tuple[LetterCriterion, ...]
    to_confirm: tuple[str, ...]
    to_judge: tuple[str, ...]
    automatic_rules_note: str | None
    sites: tuple[LetterSite, ...]
    central_contacts: tuple[ContactView, ...]
    record_line: str


@dataclass(frozen=True, slots=True)
class SignatureBlock:
    """The signing physician."""

    physician: str
    credentials: str
    clinic_name: str
    phone: str
    email: str


@dataclass(frozen=True, slots=True)
class ReferralLetter:
    """A referral letter (or de-identified pre-screening summary), every line decided.

    ``patient_identifier`` is for the referral log only; it is never printed on a de-identified
    letter.
    """

    deidentified: bool
    title: str
    letterhead: Letterhead
    letter_date: str
    addressee: str
    opening: str
    patient: tuple[LabeledValue, ...]
    consent: str
    diagnoses: tuple[str, ...]
    disease_activity: tuple[str, ...]
    labs: tuple[LetterLab, ...]
    findings: tuple[str, ...]
    treatments: tuple[str, ...]
    treatments_note: str
    reproductive: tuple[str, ...]
    history: tuple[str, ...]
    trials: tuple[LetterTrial, ...]
    data_as_of: str
    eligibility_statement: str
    signature: SignatureBlock
    footer: str
    generated_at: dt.datetime
    patient_identifier: str


# ---------------------------------------------------------------------------------------------
# Dates and ages


class _DateWriter:
    """Writes patient dates: exact in the identified letter, relative to screening otherwise."""

    def __init__(
        self, screening_date: dt.date, *, relative: bool, birth_date: dt.date | None
    ) -> None:
        self.screening_date = screening_date
        self.relative = relative
        self.age_text = (
            None
            if birth_date is None
            else age_at(birth_date, screening_date, exact_days=not relative)
        )

    def day(self, value: dt.date | None) -> str:
        if value is None:
            return "date not recorded"
        if not self.relative:
            return value.isoformat()
        return relative_date(value, self.screening_date)

    def scrub(self, text: str) -> str:
        """Turn ISO dates inside engine text into relative ones (de-identified letter only)."""
        if not self.relative:
            return text
        return _ISO_DATE.sub(lambda match: self._relative_or_same(match.group(1)), text)

    def _relative_or_same(self, text: str) -> str:
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            return "[date removed]"
        if value == self.screening_date:
            return "the screening date"
        return relative_date(value, self.screening_date)


def relative_date(value: dt.date, screening_date: dt.date) -> str:
    """ "23 days before screening"; spans over two months also in months or years (approximate)."""
    days = (screening_date - value).days
    if days == 0:
        return "on the screening day"
    direction = "before" if days > 0 else "after"
    span = abs(days)
    unit = "day" if span == 1 else "days"
    approximate = ""
    if span >= 730:
        approximate = f" (about {span / 365.25:.1f} years)"
    elif span >= 60:
        approximate = f" (about {span / 30.44:.0f} months)"
    return f"{span} {unit}{approximate} {direction} screening"


def age_in_years(birth_date: dt.date, on: dt.date) -> int:
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)


def safe_harbor_age(birth_date: dt.date, on: dt.date) -> str:
    """Age in whole years, with every age over 89 shown as "90+"."""
    age = age_in_years(birth_date, on)
    return f"{SAFE_HARBOR_AGE_CAP}+" if age >= SAFE_HARBOR_AGE_CAP else str(age)


def age_at(birth_date: dt.date, on: dt.date, *, exact_days: bool) -> str:
    """ "34 years"; under two years in completed months, under one month in days.

    A letter about an infant said "age 0". Safe Harbor caps ages over 89 and keeps ages as
    such; days are given only when the letter names dates anyway (``exact_days``), since an
    age in days and the letter's date give the birth date back.
    """
    years = age_in_years(birth_date, on)
    if years >= 2:
        shown = safe_harbor_age(birth_date, on)
        return f"{shown} years"
    months = age_in_months_on(birth_date, on)
    if months >= 1:
        return f"{months} month{'s' if months != 1 else ''}"
    if not exact_days:
        return "under 1 month"
    days = (on - birth_date).days
    return f"{days} day{'s' if days != 1 else ''}"


def long_date(value: dt.date) -> str:
    """ "23 November 2026" (month names avoid the day/month order question abroad)."""
    return f"{value.day} {value:%B %Y}"


# ---------------------------------------------------------------------------------------------
# The patient sections


def _patient_lines(profile: PatientProfile, dates: _DateWriter) -> tuple[LabeledValue, ...]:
    patient = profile.patient
    sex = patient.sex.capitalize() if patient.sex else NOT_RECORDED
    lines: list[LabeledValue] = []
    if dates.relative:
        lines += [LabeledValue("Age at screening", dates.age_text or NOT_RECORDED)]
        lines += [LabeledValue("Sex", sex)]
    else:
        birth = NOT_RECORDED
        if patient.birth_date is not None:
            birth = f"{patient.birth_date.isoformat()} (age {dates.age_text} at screening)"
        lines += [
            LabeledValue("Name", patient.name or NOT_RECORDED),
            LabeledValue("Date of birth", birth),
            LabeledValue("Sex", sex),
        ]
        if patient.record_number:
            lines.append(LabeledValue("Record number", patient.record_number))
    for label, measure in (("Weight", patient.weight), ("Height", patient.height)):
        if measure is not None:
            when = f" ({dates.day(measure.date)})" if measure.date else ""
            lines.append(
                LabeledValue(label, f"{format_number(measure.value)} {measure.unit}{when}")
            )
    return tuple(lines)


def _consent_text(consent: bool | None, *, deidentified: bool, trial_word: str) -> str:
    if deidentified:
        if consent is True:
            return (
                f"The patient has agreed to be contacted about the {trial_word} below; an "
                "identified referral will follow if the study team is interested."
            )
        if consent is False:
            return "The patient has not agreed to be contacted; this is a feasibility enquiry."
        return (
            "The patient has not yet been asked about being contacted; this is a feasibility "
            "enquiry."
        )
    if consent is True:
        return (
            f"The patient has agreed to be contacted by the study team about the {trial_word} "
            "below."
        )
    if consent is False:
        return (
            "The patient has NOT agreed to be contacted by the study team. Please do not contact "
            "the patient; reply to the referring physician."
        )
    return (
        "Whether the patient agrees to be contacted has not been recorded. Please reply to the "
        "referring physician before any contact with the patient."
    )


def _diagnosis_line(diagnosis: Diagnosis, dates: _DateWriter) -> str:
    label = condition_label(diagnosis.condition) or diagnosis.condition
    # Free text typed by the physician may carry identifiers, so the de-identified letter uses
    # the vocabulary's label only.
    if diagnosis.text and not dates.relative and diagnosis.text.casefold() != label.casefold():
        label = f"{label} (recorded as: {diagnosis.text})"
    parts = [label]
    if diagnosis.icd10:
        parts.append(f"ICD-10 {diagnosis.icd10}")
    parts.append(f"diagnosed {dates.day(diagnosis.diagnosis_date)}")
    if diagnosis.classification:
        parts.append("meets " + ", ".join(diagnosis.classification) + " classification criteria")
    else:
        parts.append("classification criteria not recorded")
    if diagnosis.subtype:
        parts.append(f"subtype {diagnosis.subtype}")
    if diagnosis.status:
        parts.append("physician-judged " + ", ".join(diagnosis.status))
    if diagnosis.treatments_tried:
        tried = [treatment_label(item) or item for item in diagnosis.treatments_tried]
        parts.append("treatments tried for it: " + ", ".join(tried))
    biopsy = diagnosis.lupus_nephritis
    if biopsy is not None:
        classes = "/".join(biopsy.classes) if biopsy.classes else "class not recorded"
        details = [f"biopsy {dates.day(biopsy.biopsy_date)}"]
        if biopsy.activity_index is not None:
            details.append(f"NIH activity index {format_number(biopsy.activity_index)}")
        if biopsy.chronicity_index is not None:
            details.append(f"chronicity index {format_number(biopsy.chronicity_index)}")
        parts.append(f"lupus nephritis ISN/RPS class {classes} ({', '.join(details)})")
    return "; ".join(parts)


def _score_lines(profile: PatientProfile, dates: _DateWriter) -> tuple[str, ...]:
    lines = []
    for score in profile.scores:
        instrument = INSTRUMENTS.get(score.instrument)
        label = instrument.label if instrument else score.instrument
        if score.domains:
            value = ", ".join(f"{domain} {grade}" for domain, grade in score.domains)
        elif score.value is not None:
            value = format_number(score.value)
        else:
            value = NOT_RECORDED
        lines.append(f"{label}: {value} ({dates.day(score.date)})")
    return tuple(lines)


def _uln_text(
    analyte: str, unit: str, uln: float | None, sex: str | None, clinic: ClinicSettings
) -> str:
    """The ULN the comparison uses: the lab's, else the clinic's or a typical value, "assumed"."""
    fact = analyte if analyte.startswith("lab.") else f"lab.{analyte}"
    spec = FACTS.get(fact)
    if uln is not None:
        return f"ULN {format_number(uln)} {unit} (the lab's)"
    if spec is None or not spec.has_uln:
        return ""
    clinic_uln = clinic.lab_ulns.get(fact.removeprefix("lab."))
    if clinic_uln is not None:
        return f"ULN {_in_entered_unit(fact, clinic_uln, unit)} assumed (clinic default)"
    assumed = default_uln(fact, sex, EngineSettings())
    if assumed is not None:
        return f"ULN {_in_entered_unit(fact, assumed, unit)} assumed (typical adult value)"
    return "no ULN recorded"


def _in_entered_unit(fact: str, canonical_value: float, unit: str) -> str:
    """A canonical value shown in the unit the result was entered in, canonical in brackets."""
    canonical = format_quantity(canonical_value, FACTS[fact].unit)
    try:
        per_entered_unit = to_canonical(fact, 1.0, unit)
    except UnitError:
        return canonical
    if display_unit(FACTS[fact].unit) == unit or per_entered_unit == 1.0:
        return canonical
    return f"{format_number(round(canonical_value / per_entered_unit, 3))} {unit} ({canonical})"


def _lab_rows(
    profile: PatientProfile, dates: _DateWriter, clinic: ClinicSettings
) -> tuple[LetterLab, ...]:
    rows = []
    for lab in profile.labs:
        spec = FACTS.get(lab.fact)
        label = spec.label if spec else lab.analyte
        value = f"{format_number(lab.value)} {lab.unit}".strip()
        uln = _uln_text(lab.analyte, lab.unit, lab.uln, profile.patient.sex, clinic)
        rows.append(LetterLab(label, value, dates.day(lab.date), uln))
    return tuple(rows)


def _finding_lines(profile: PatientProfile, dates: _DateWriter) -> tuple[str, ...]:
    lines = []
    for finding in profile.findings:
        spec = FACTS.get(finding.test)
        label = spec.label if spec else finding.test
        titer = f", titre 1:{format_number(finding.titer)}" if finding.titer else ""
        lines.append(f"{label}: {finding.result}{titer} ({dates.day(finding.date)})")
    return tuple(lines)


def _treatment_line(treatment: Treatment, dates: _DateWriter) -> str:
    label = treatment_label(treatment.drug) or treatment.drug
    dose = (
        f" {format_number(treatment.dose)} {treatment.dose_unit}"
        if treatment.dose is not None
        else ", dose not recorded"
    )
    start = dates.day(treatment.start) if treatment.start else "start not recorded"
    end = "ongoing" if treatment.end is None else dates.day(treatment.end)
    return f"{label}{dose}; from {start} to {end}"


def _reproductive_lines(profile: PatientProfile, dates: _DateWriter) -> tuple[str, ...]:
    reproductive = profile.reproductive

    def answer(value: bool | None) -> str:
        return NOT_RECORDED if value is None else ("yes" if value else "no")

    lines = [
        f"Pregnant: {answer(reproductive.pregnant)}",
        f"Lactating: {answer(reproductive.lactating)}",
        f"Childbearing potential: {answer(reproductive.childbearing_potential)}",
        f"Agrees to contraception: {answer(reproductive.contraception_agreed)}",
    ]
    test = reproductive.pregnancy_test
    lines.append(
        f"Pregnancy test: {test.result} ({dates.day(test.date)})"
        if test
        else f"Pregnancy test: {NOT_RECORDED}"
    )
    return tuple(lines)


def _history_lines(profile: PatientProfile, dates: _DateWriter) -> tuple[str, ...]:
    lines = []
    for item in profile.history:
        spec = FACTS.get(item.item)
        label = spec.label if spec else item.item
        answer = NOT_RECORDED if item.present is None else ("yes" if item.present else "no")
        when = f" ({dates.day(item.date)})" if item.date else ""
        # Free text may name people or places: kept out of the de-identified letter.
        note = f": {item.text}" if item.text and not dates.relative else ""
        lines.append(f"{label}: {answer}{when}{note}")
    return tuple(lines)


# ---------------------------------------------------------------------------------------------
# The trial sections


def verdict_text(evaluation: Assessed) -> str:
    """The verdict in words, never the bare word "eligible"."""
    counts = evaluation.counts
    judged = (
        f" — {counts.review} {_criteria_word(counts.review)} for the study team to judge"
        if counts.review
        else ""
    )
    if evaluation.verdict is Verdict.POTENTIALLY_ELIGIBLE:
        return (
            f"Potentially eligible — {counts.unknown} {_criteria_word(counts.unknown)} unknown"
            f"{judged} — to be confirmed by the study team"
        )
    if evaluation.verdict is Verdict.MEETS_CHECKABLE_CRITERIA:
        return f"Meets all checkable criteria{judged} — to be confirmed by the study team"
    near = " (a near miss: one criterion rules it out)" if evaluation.near_miss else ""
    return (
        f"Not eligible on the recorded data — {counts.violated} "
        f"{_criteria_word(counts.violated)} not met{near} — the study team may review"
    )


def _criteria_word(count: int) -> str:
    return "criterion" if count == 1 else "criteria"


def _result_text(result: CriterionResult) -> str:
    status = result.effective_status
    is_exclusion = result.kind == "exclusion"
    text = {
        CriterionStatus.SATISFIED: "Does not apply" if is_exclusion else "Met",
        CriterionStatus.VIOLATED: "Applies — excludes" if is_exclusion else "Not met",
        CriterionStatus.UNKNOWN: "Unknown — to be confirmed",
        CriterionStatus.REVIEW: "For the study team to judge",
        CriterionStatus.NOT_APPLICABLE: "Not applicable",
    }[status]
    if result.status is not status and status is CriterionStatus.SATISFIED:
        text += " (through another criterion of its group)"
    return text


def _evidence_line(evidence: Evidence, dates: _DateWriter) -> str:
    """One leaf's patient value, date, threshold and ULN (dates relative when de-identified)."""
    if evidence.truth is Truth.REVIEW:
        return evidence.reason
    if evidence.patient_value is None:
        value = NOT_RECORDED
    elif evidence.fact == AGE_IN_MONTHS_FACT and dates.relative:
        # Completed months, without the birth date the evidence was computed from.
        value = evidence.patient_value
    elif evidence.fact in (AGE_FACT, AGE_IN_DAYS_FACT) and dates.relative:
        # The evidence says how the age was computed ("born 1988-04-02"): a birth date; an age
        # in days with the letter's date would give it back too. Safe Harbor keeps the years.
        value = dates.age_text or NOT_RECORDED
    else:
        value = evidence.patient_value
        if evidence.entered and evidence.entered != evidence.patient_value:
            value += f" (entered as {evidence.entered})"
        if evidence.value_date is not None:
            value += f", {dates.day(evidence.value_date)}"
    line = f"{evidence.label}: {value}"
    if evidence.threshold:
        line += f"; required {evidence.threshold}"
    if evidence.uln is not None:
        assumed = " assumed" if evidence.uln_assumed else " (the lab's)"
        spec = FACTS.get(evidence.fact)
        uln = format_quantity(evidence.uln, spec.unit) if spec else format_number(evidence.uln)
        line += f"; ULN {uln}{assumed}"
    if evidence.formula:
        line += f"; derived: {evidence.formula}"
    return dates.scrub(line)


def _has_count(node: NodeResult | None) -> bool:
    """Whether the rule counts its parts ("at least 2 of these 5")."""
    if node is None:
        return False
    return node.kind == "at_least" or any(_has_count(child) for child in node.children)


def _criterion_row(result: CriterionResult, dates: _DateWriter) -> LetterCriterion:
    patient_data = tuple(_evidence_line(evidence, dates) for evidence in result.evidence)
    # A counted rule's leaves alone do not say how many were needed: its tally
    # ("2 of the following 5 are needed: 1 met, 4 not met") is shown whatever the status.
    if result.reason and (
        result.effective_status is CriterionStatus.UNKNOWN or _has_count(result.tree)
    ):
        patient_data += (dates.scrub(result.reason),)
    return LetterCriterion(
        criterion_id=result.criterion_id,
        kind=_kind_word(result),
        text=result.text,
        patient_data=patient_data,
        result=_result_text(result),
        status=result.effective_status,
    )


def _kind_word(result: CriterionResult) -> str:
    return "Exclusion" if result.kind == "exclusion" else "Inclusion"


def _fact_label(name: str) -> str:
    spec = FACTS.get(name)
    return spec.label if spec else name


def _short(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _counted_criteria(evaluation: TrialEvaluation) -> tuple[CriterionResult, ...]:
    """The common criteria and those of the cohort the verdict comes from."""
    return tuple(
        result
        for result in evaluation.criteria
        if result.cohort is None or result.cohort == evaluation.best_cohort
    )


def _to_confirm(results: Sequence[CriterionResult]) -> tuple[str, ...]:
    lines = []
    for result in results:
        if result.effective_status is not CriterionStatus.UNKNOWN:
            continue
        missing = ", ".join(dict.fromkeys(_fact_label(name) for name in result.missing_facts))
        needs = f" — needs: {missing}" if missing else ""
        lines.append(f"{_kind_word(result)}: {_short(result.text)}{needs}")
    return tuple(lines)


def _to_judge(results: Sequence[CriterionResult]) -> tuple[str, ...]:
    return tuple(
        f"{_kind_word(result)}: {_short(result.text)}"
        for result in results
        if result.effective_status is CriterionStatus.REVIEW
    )


def _site_distance(site: SiteView, clinic: ClinicSettings) -> float | None:
    if clinic.clinic_latitude is None or clinic.clinic_longitude is None:
        return None
    if site.latitude is None or site.longitude is None:
        return None
    clinic_location = (clinic.clinic_latitude, clinic.clinic_longitude)
    return haversine_km(clinic_location, (site.latitude, site.longitude))


def _letter_sites(sites: Sequence[SiteView], clinic: ClinicSettings) -> tuple[LetterSite, ...]:
    """Recruiting sites first, each group nearest first when distances are known."""
    placed = [(site, _site_distance(site, clinic), index) for index, site in enumerate(sites)]
    placed.sort(
        key=lambda item: (
            (item[0].status or "").upper() != _RECRUITING,
            math.inf if item[1] is None else item[1],
            item[2],
        )
    )
    letter_sites = []
    for site, distance, _ in placed:
        region = " ".join(part for part in (site.state, site.zip) if part)
        place = ", ".join(part for part in (site.city, region, site.country) if part)
        status = (site.status or "status not given").replace("_", " ").capitalize()
        letter_sites.append(
            LetterSite(
                facility=site.facility,
                place=place or "address not given",
                status=status,
                distance=None if distance is None else f"{distance:,.0f} km from the clinic",
                contacts=site.contacts,
            )
        )
    return tuple(letter_sites)


def _phase_text(phase: str) -> str:
    """ "PHASE1" → "Phase 1", "EARLY_PHASE1" → "Early phase 1", "NA" → "Not applicable"."""
    if phase.upper() == "NA":
        return "Not applicable"
    return _PHASE_NUMBER.sub(" ", phase.replace("_", " ")).capitalize()


def _record_line(detail: TrialDetail, *, deidentified: bool) -> str:
    summary = detail.summary
    version = summary.record_version or "not given"
    updated = summary.last_update or "not given"
    line = f"Trial data as of: record version {version}, last updated {updated}"
    # The import day can coincide with the screening day, so the de-identified letter omits it.
    if not deidentified:
        line += f"; this copy imported into TrialMatch {detail.imported_at:%Y-%m-%d}"
    return line + "."


def _letter_trial(match: TrialMatch, clinic: ClinicSettings, dates: _DateWriter) -> LetterTrial:
    detail = match.detail
    summary = detail.summary
    evaluation = match.evaluation
    counted = _counted_criteria(evaluation)
    cohort = None
    if evaluation.best_cohort is not None:
        best = next((c for c in evaluation.cohorts if c.cohort_id == evaluation.best_cohort), None)
        cohort = best.label if best is not None else evaluation.best_cohort
    note = None
    if not match.criteria_verified:
        note = (
            "The criteria rules for this trial were read from the registry text automatically "
            "and have not been checked by a person: the results below rest on unverified rules."
        )
    elif match.criteria_source != "curated":
        note = f"The criteria rules for this trial come from the {match.criteria_source} source."
    status = (summary.overall_status or "status not given").replace("_", " ").capitalize()
    if not match.status_known and match.status_note:
        status = f"{status} ({match.status_note})"
    return LetterTrial(
        trial_id=summary.trial_id,
        nct_id=summary.nct_id,
        registry_url=REGISTRY_STUDY_URL.format(nct_id=summary.nct_id) if summary.nct_id else None,
        title=summary.title or detail.official_title or "(the trial record has no title)",
        phase=", ".join(_phase_text(phase) for phase in summary.phases) or "not given",
        status=status,
        sponsor=summary.sponsor or "not given",
        verdict=evaluation.verdict,
        verdict_text=verdict_text(evaluation),
        cohort=cohort,
        criteria=tuple(_criterion_row(result, dates) for result in counted),
        to_confirm=_to_confirm(counted),
        to_judge=_to_judge(counted),
        automatic_rules_note=note,
        sites=_letter_sites(summary.sites, clinic),
        central_contacts=summary.central_contacts,
        record_line=_record_line(detail, deidentified=dates.relative),
    )


# ---------------------------------------------------------------------------------------------
# Building the letter


def patient_identifier(profile: PatientProfile) -> str:
    """How the referral log names the patient: the record number, else the name."""
    patient = profile.patient
    return patient.record_number or patient.name or "(no name or record number recorded)"


def select_trials(report: MatchReport, trial_ids: Sequence[str] | None) -> tuple[TrialMatch, ...]:
    """The chosen trials in the report's rank order; by default every trial not ruled out.

    Raises:
        LetterError: a chosen id is not in the report, or nothing is left to refer to.
    """
    if trial_ids:
        known = {match.trial_id for match in report.trials}
        unknown = [trial_id for trial_id in trial_ids if trial_id not in known]
        if unknown:
            problems = {problem.trial_id: problem.problem for problem in report.problems}
            reasons = [
                f"{trial_id} could not be evaluated ({problems[trial_id]})"
                if trial_id in problems
                else f"{trial_id} is not among the matched trials"
                for trial_id in unknown
            ]
            raise LetterError("; ".join(reasons))
        wanted = set(trial_ids)
        chosen = tuple(m for m in report.trials if m.trial_id in wanted)
    else:
        chosen = tuple(m for m in report.trials if m.outcome.verdict is not Verdict.NOT_ELIGIBLE)
    if not chosen:
        raise LetterError(
            "no trial to refer to: every matched trial is ruled out on the recorded data "
            "(choose trials explicitly to refer anyway)"
        )
    return chosen


def build_referral_letter(
    report: MatchReport,
    clinic: ClinicSettings,
    trial_ids: Sequence[str] | None,
    *,
    deidentified: bool,
    physician: str | None,
    generated_at: dt.datetime,
) -> ReferralLetter:
    """The letter for the chosen trials (default: all not ruled out).

    Raises:
        LetterError: no signing physician; an identified letter for a patient who has not
            agreed to be contacted; a chosen trial missing from the report.
    """
    signer = (physician or clinic.physician_name).strip()
    if not signer:
        raise LetterError(
            "no signing physician: give one (--physician) or set the physician in the settings"
        )
    profile = report.profile
    if not deidentified and profile.consent_to_contact is not True:
        raise LetterError(
            "the patient's agreement to be contacted is not recorded (consent_to_contact is "
            f"{_json_word(profile.consent_to_contact)}): only the de-identified summary may be "
            "sent before the patient agrees"
        )
    chosen = select_trials(report, trial_ids)
    # Every chosen trial's full record in one query, not a batch read for each one.
    read_details(chosen)
    screening = report.screening_date
    dates = _DateWriter(screening, relative=deidentified, birth_date=profile.patient.birth_date)
    trial_word = "trial" if len(chosen) == 1 else "trials"
    if deidentified:
        title = "De-identified pre-screening summary"
        opening = (
            f"I am enquiring whether a patient of mine could be screened for the {trial_word} "
            "below. The patient's details are de-identified (HIPAA Safe Harbor): no name, "
            "record number or exact dates; dates are given relative to the screening date. "
            "If the study team is interested, I will ask the patient's consent before sending "
            "an identified referral."
        )
        letter_date = str(generated_at.year)
        data_as_of = (
            f"Patient data as of the screening date (exact date withheld), generated "
            f"{generated_at.year}; trial data as of each trial's record version given above."
        )
        footer = "De-identified pre-screening summary"
    else:
        title = "Referral for clinical trial screening"
        opening = (
            f"I am referring the patient below for screening for the {trial_word} listed. "
            f"The patient's recorded data as of {screening.isoformat()} were checked against "
            "each trial's published criteria; the results are shown criterion by criterion, "
            "with what remains to be confirmed."
        )
        letter_date = long_date(generated_at.date())
        data_as_of = (
            f"Patient data as of {screening.isoformat()} (screening date); letter generated "
            f"{generated_at:%Y-%m-%d %H:%M} UTC; trial data as of each trial's record version "
            "given above."
        )
        footer = f"Referral letter · {profile.patient.name or patient_identifier(profile)}"
    address_lines = tuple(
        line.strip() for line in clinic.clinic_address.splitlines() if line.strip()
    )
    return ReferralLetter(
        deidentified=deidentified,
        title=title,
        letterhead=Letterhead(clinic.clinic_name, address_lines, clinic.clinic_phone),
        letter_date=letter_date,
        addressee=f"To the study team of the {trial_word} below",
        opening=opening,
        patient=_patient_lines(profile, dates),
        consent=_consent_text(
            profile.consent_to_contact, deidentified=deidentified, trial_word=trial_word
        ),
        diagnoses=tuple(_diagnosis_line(d, dates) for d in profile.diagnoses),
        disease_activity=_score_lines(profile, dates),
        labs=_lab_rows(profile, dates, clinic),
        findings=_finding_lines(profile, dates),
        treatments=tuple(_treatment_line(t, dates) for t in profile.treatments),
        treatments_note=(
            "The treatment list is complete."
            if profile.treatments_complete
            else "The treatment list may be incomplete."
        ),
        reproductive=_reproductive_lines(profile, dates),
        history=_history_lines(profile, dates),
        trials=tuple(_letter_trial(match, clinic, dates) for match in chosen),
        data_as_of=data_as_of,
        eligibility_statement=ELIGIBILITY_STATEMENT,
        signature=SignatureBlock(
            physician=signer,
            credentials=clinic.physician_credentials,
            clinic_name=clinic.clinic_name,
            phone=clinic.physician_phone,
            email=clinic.physician_email,
        ),
        footer=footer,
        generated_at=generated_at,
        patient_identifier=patient_identifier(profile),
    )


def _json_word(value: bool | None) -> str:
    return "null" if value is None else str(value).lower()


# ---------------------------------------------------------------------------------------------
# Export (the use case) and the referral log


def export_letter(
    session_factory: SessionFactory,
    report: MatchReport,
    settings: ClinicSettings,
    trial_ids: Sequence[str] | None,
    out_path: Path,
    deidentified: bool,
    physician: str | None,
    *,
    render: LetterRenderer,
    now: dt.datetime | None = None,
) -> Path:
    """Render the letter to ``out_path`` (atomically) and record it in the referral log.

    The PDF is written first; the log entry follows at once, so a letter that failed to render
    is never logged. A de-identified letter is logged with the patient's identifier marked
    "[de-identified letter]": the log stays on the clinic's machine.

    Raises:
        LetterError: see ``build_referral_letter``.
    """
    generated_at = now or dt.datetime.now(dt.UTC)
    letter = build_referral_letter(
        report,
        settings,
        trial_ids,
        deidentified=deidentified,
        physician=physician,
        generated_at=generated_at,
    )
    with atomic_writer(out_path) as stream:
        render(letter, stream)
    identifier = letter.patient_identifier + (DEIDENTIFIED_MARK if deidentified else "")
    log_referral(
        session_factory,
        trial_ids=[trial.trial_id for trial in letter.trials],
        patient_identifier=identifier,
        physician=letter.signature.physician,
        kind=ReferralKind.EXPORT,
        file_name=out_path.name,
        now=generated_at,
    )
    return out_path


REFERRAL_CSV_COLUMNS = (
    "created_at_utc",
    "kind",
    "trial_ids",
    "patient_identifier",
    "physician",
    "file_name",
)


def referral_rows(records: Sequence[ReferralRecord]) -> list[tuple[str, ...]]:
    """The referral log as text rows (the CSV columns, trial ids joined by spaces)."""
    return [
        (
            record.created_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
            if record.created_at.tzinfo
            else record.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            record.kind.value,
            " ".join(record.trial_ids),
            record.patient_identifier,
            record.physician,
            record.file_name or "",
        )
        for record in records
    ]


def write_referrals_csv(records: Sequence[ReferralRecord], stream: TextIO) -> None:
    """The referral log as CSV with a header row."""
    writer = csv.writer(stream)
    writer.writerow(REFERRAL_CSV_COLUMNS)
    writer.writerows(referral_rows(records))
