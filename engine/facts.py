"""The fact vocabulary: every name a rule may test, with its kind, canonical unit and label."""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.profile import Diagnosis, HistoryItem, PatientProfile, Treatment
    from engine.units import Settings


class FactKind(enum.Enum):
    """How a fact is shaped, which decides the operators a rule may apply to it."""

    NUMBER = "number"  # a measured or derived quantity with a canonical unit and a date
    BOOLEAN = "boolean"  # yes / no / not known (a test result, a history item, a status)
    ENUM = "enum"  # one value out of a fixed set (sex)
    SET = "set"  # several values out of a fixed set (lupus nephritis biopsy classes)
    EVENT = "event"  # something that happened, with dates (a treatment, a malignancy, a vaccine)
    CONDITION = "condition"  # the patient's diagnoses, matched through the condition vocabulary


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One entry of the vocabulary.

    Attributes:
        name: the dotted name rules use (``lab.anc``).
        kind: the shape of the value.
        label: what a physician reads ("Absolute neutrophil count").
        unit: canonical UCUM unit for NUMBER facts ("10*9/L"); "" otherwise.
        group: the form section where the value is entered; the window jumps there from
            "what to ask next".
        max_age_days: how old a dated value may be before it counts as unknown, unless the
            rule gives its own window. None: never too old (birth date, history).
        allowed: the values ENUM and SET facts can take.
        has_uln: NUMBER facts that rules may compare as multiples of the upper limit of normal.
    """

    name: str
    kind: FactKind
    label: str
    unit: str = ""
    group: str = ""
    max_age_days: int | None = None
    allowed: tuple[str, ...] = ()
    has_uln: bool = False


# Form sections, in the order a clinician thinks (the window's groups).
PATIENT = "patient"
DIAGNOSIS = "diagnosis"
LABS = "labs"
INFECTION = "infection"
HISTORY = "history"

# A lab older than this is "too old" unless the rule says otherwise: trials ask for screening
# values, and a result from months ago may no longer describe the patient.
LAB_MAX_AGE_DAYS = 90
SCORE_MAX_AGE_DAYS = 90
SEROLOGY_MAX_AGE_DAYS = 365


def _number(
    name: str,
    label: str,
    unit: str,
    group: str = LABS,
    *,
    max_age: int | None = LAB_MAX_AGE_DAYS,
    uln: bool = False,
) -> FactSpec:
    return FactSpec(name, FactKind.NUMBER, label, unit, group, max_age, has_uln=uln)


def _boolean(name: str, label: str, group: str, max_age: int | None = None) -> FactSpec:
    return FactSpec(name, FactKind.BOOLEAN, label, "", group, max_age)


def _event(name: str, label: str, group: str = HISTORY) -> FactSpec:
    return FactSpec(name, FactKind.EVENT, label, "", group, None)


_SPECS: list[FactSpec] = [
    # Patient
    _number("age_years", "Age", "a", PATIENT, max_age=None),
    # Completed years cannot decide a limit in months or days ("6 Months", "28 Days"): a child
    # of 6 months and 20 days is 0 years old. These give the exact completed months and days.
    _number("age_months", "Age in completed months", "mo", PATIENT, max_age=None),
    _number("age_days", "Age in days", "d", PATIENT, max_age=None),
    FactSpec("sex", FactKind.ENUM, "Sex", group=PATIENT, allowed=("female", "male")),
    _number("weight_kg", "Body weight", "kg", PATIENT, max_age=180),
    _number("height_cm", "Height", "cm", PATIENT, max_age=365),
    _boolean("pregnant", "Currently pregnant", PATIENT),
    _boolean("pregnancy_test_positive", "Pregnancy test positive", PATIENT, max_age=30),
    _boolean("lactating", "Breastfeeding", PATIENT),
    _boolean("childbearing_potential", "Of childbearing potential", PATIENT),
    _boolean("contraception_agreed", "Agrees to effective contraception", PATIENT),
    _boolean("consent_to_contact", "Agreed to be contacted by a study team", PATIENT),
    # Diagnosis and disease activity
    FactSpec("diagnosis", FactKind.CONDITION, "Diagnosis", group=DIAGNOSIS),
    FactSpec(
        "lupus_nephritis_class",
        FactKind.SET,
        "Lupus nephritis biopsy class (ISN/RPS)",
        group=DIAGNOSIS,
        max_age_days=None,
        allowed=("I", "II", "III", "IV", "V", "VI"),
    ),
    _number("score.sledai_2k", "SLEDAI-2K", "{score}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS),
    _number(
        "score.bilag_a_count",
        "BILAG-2004 domains graded A",
        "{count}",
        DIAGNOSIS,
        max_age=SCORE_MAX_AGE_DAYS,
    ),
    _number(
        "score.bilag_b_count",
        "BILAG-2004 domains graded B",
        "{count}",
        DIAGNOSIS,
        max_age=SCORE_MAX_AGE_DAYS,
    ),
    _number("score.das28_esr", "DAS28-ESR", "{score}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS),
    _number("score.das28_crp", "DAS28-CRP", "{score}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS),
    _number("score.cdai", "CDAI", "{score}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS),
    _number("score.sjc", "Swollen joint count", "{count}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS),
    _number("score.tjc", "Tender joint count", "{count}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS),
    _number(
        "score.active_joints",
        "Active joint count (JIA)",
        "{count}",
        DIAGNOSIS,
        max_age=SCORE_MAX_AGE_DAYS,
    ),
    _number(
        "score.mrss", "Modified Rodnan skin score", "{score}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS
    ),
    _number("score.essdai", "ESSDAI", "{score}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS),
    _number("score.clinessdai", "ClinESSDAI", "{score}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS),
    _number("score.bvas", "BVAS v3", "{score}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS),
    _number("score.mmt8", "MMT-8", "{score}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS),
    _number("score.cmas", "CMAS", "{score}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS),
    _number(
        "score.phga",
        "Physician global assessment (0-10)",
        "{score}",
        DIAGNOSIS,
        max_age=SCORE_MAX_AGE_DAYS,
    ),
    _number(
        "score.ptga",
        "Patient global assessment (0-10)",
        "{score}",
        DIAGNOSIS,
        max_age=SCORE_MAX_AGE_DAYS,
    ),
    _number(
        "score.extramuscular",
        "Extramuscular disease activity (0-10)",
        "{score}",
        DIAGNOSIS,
        max_age=SCORE_MAX_AGE_DAYS,
    ),
    _number("score.haq", "HAQ disability index", "{score}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS),
    _number("score.chaq", "Childhood HAQ", "{score}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS),
    _number(
        "score.ecog", "ECOG performance status", "{score}", DIAGNOSIS, max_age=SCORE_MAX_AGE_DAYS
    ),
    _number(
        "score.nih_activity_index",
        "NIH activity index (renal biopsy)",
        "{score}",
        DIAGNOSIS,
        max_age=None,
    ),
    _number(
        "score.nih_chronicity_index",
        "NIH chronicity index (renal biopsy)",
        "{score}",
        DIAGNOSIS,
        max_age=None,
    ),
    _boolean("disease.ild", "Interstitial lung disease", DIAGNOSIS),
    _boolean(
        "disease.ild_active",
        "Active interstitial lung disease (ground glass on HRCT)",
        DIAGNOSIS,
        max_age=180,
    ),
    _boolean("disease.hrct_progression", "Progression on HRCT", DIAGNOSIS, max_age=365),
    _boolean("disease.isolated_mucocutaneous", "Only skin and mucosa involved (SLE)", DIAGNOSIS),
    _boolean("disease.renal_crisis", "Scleroderma renal crisis", DIAGNOSIS),
    _boolean("disease.severe_kidney_disease", "Severe kidney disease", DIAGNOSIS),
    # Labs (canonical units; see engine/units.py for what may be entered)
    _number("lab.wbc", "White blood cell count", "10*9/L"),
    _number("lab.anc", "Absolute neutrophil count", "10*9/L"),
    _number("lab.lymphocytes", "Absolute lymphocyte count", "10*9/L"),
    _number("lab.hemoglobin", "Haemoglobin", "g/L"),
    _number("lab.platelets", "Platelets", "10*9/L"),
    _number("lab.alt", "ALT", "U/L", uln=True),
    _number("lab.ast", "AST", "U/L", uln=True),
    _number("lab.bilirubin_total", "Total bilirubin", "umol/L", uln=True),
    _number("lab.creatinine", "Serum creatinine", "umol/L", uln=True),
    _number("lab.inr", "INR", "{INR}", uln=True),
    _number("lab.pt", "Prothrombin time", "s", uln=True),
    _number("lab.aptt", "aPTT", "s", uln=True),
    _number("lab.upcr", "Urine protein/creatinine ratio", "g/g"),
    _number("lab.urine_protein_24h", "24-hour urine protein", "g/d"),
    _number("lab.ck", "Creatine kinase", "U/L", uln=True),
    _number("lab.aldolase", "Aldolase", "U/L", uln=True),
    _number("lab.ldh", "LDH", "U/L", uln=True),
    _number("lab.lvef", "Left ventricular ejection fraction", "%", max_age=365),
    _number("lab.spo2", "SpO2 on room air", "%"),
    _number("lab.fvc_percent", "FVC, % predicted", "%", max_age=365),
    _number("lab.dlco_percent", "DLCO, % predicted", "%", max_age=365),
    _number("lab.cd19_b_cells", "CD19+ B cells", "/uL"),
    _number("lab.esr", "ESR", "mm/h"),
    _number("lab.crp", "CRP", "mg/L", uln=True),
    _number("lab.c3", "Complement C3", "g/L"),
    _number("lab.c4", "Complement C4", "g/L"),
    _number("lab.hbv_dna", "HBV DNA", "[IU]/mL", uln=True, max_age=SEROLOGY_MAX_AGE_DAYS),
    _number("lab.hcv_rna", "HCV RNA", "[IU]/mL", uln=True, max_age=SEROLOGY_MAX_AGE_DAYS),
    # Derived values: computed by the engine from the facts above, with their formula.
    _number("derived.crcl", "Creatinine clearance (Cockcroft-Gault)", "mL/min"),
    _number("derived.egfr", "eGFR (CKD-EPI 2021; bedside Schwartz under 18)", "mL/min/{1.73_m2}"),
    _number(
        "derived.gc_dose_mg_day",
        "Glucocorticoid dose, prednisone equivalent",
        "mg/d",
        HISTORY,
        max_age=None,
    ),
    _number(
        "derived.gc_dose_mg_kg_day",
        "Glucocorticoid dose, prednisone equivalent per kg",
        "mg/kg/d",
        HISTORY,
        max_age=None,
    ),
    # Markers
    _boolean(
        "marker.cd19_positive",
        "CD19 expressed on peripheral B cells (flow cytometry)",
        LABS,
        max_age=LAB_MAX_AGE_DAYS,
    ),
    _boolean("marker.ecg_abnormal", "Clinically relevant ECG abnormality", LABS, max_age=180),
    # Infection screening (True = positive / present)
    _boolean("serology.hbsag", "HBsAg", INFECTION, SEROLOGY_MAX_AGE_DAYS),
    _boolean("serology.hbcab", "Anti-HBc", INFECTION, SEROLOGY_MAX_AGE_DAYS),
    _boolean(
        "serology.hbv_dna",
        "HBV DNA detectable above the lab's limit",
        INFECTION,
        SEROLOGY_MAX_AGE_DAYS,
    ),
    _boolean("serology.hcv_ab", "Anti-HCV", INFECTION, SEROLOGY_MAX_AGE_DAYS),
    _boolean("serology.hcv_rna", "HCV RNA detectable", INFECTION, SEROLOGY_MAX_AGE_DAYS),
    _boolean("serology.hiv", "HIV antibody / antigen", INFECTION, SEROLOGY_MAX_AGE_DAYS),
    _boolean("serology.syphilis", "Syphilis serology", INFECTION, SEROLOGY_MAX_AGE_DAYS),
    _boolean("serology.cmv_dna", "CMV DNA", INFECTION, SEROLOGY_MAX_AGE_DAYS),
    _boolean("serology.ebv_dna", "EBV DNA", INFECTION, SEROLOGY_MAX_AGE_DAYS),
    _boolean("infection.active_tb", "Active tuberculosis", INFECTION, SEROLOGY_MAX_AGE_DAYS),
    _boolean(
        "infection.latent_tb",
        "Latent tuberculosis (IGRA / TST positive)",
        INFECTION,
        SEROLOGY_MAX_AGE_DAYS,
    ),
    _boolean(
        "infection.uncontrolled", "Uncontrolled or treatment-requiring infection", INFECTION, 30
    ),
    # Autoantibodies (True = positive)
    _boolean("antibody.ana", "ANA", DIAGNOSIS),
    _boolean("antibody.anti_dsdna", "Anti-dsDNA", DIAGNOSIS),
    _boolean("antibody.anti_sm", "Anti-Sm", DIAGNOSIS),
    _boolean("antibody.anti_ssa", "Anti-SSA/Ro", DIAGNOSIS),
    _boolean("antibody.mpo_anca", "MPO-ANCA", DIAGNOSIS),
    _boolean("antibody.pr3_anca", "PR3-ANCA", DIAGNOSIS),
    _boolean("antibody.anti_scl70", "Anti-Scl-70 (topoisomerase I)", DIAGNOSIS),
    _boolean("antibody.anti_centromere", "Anti-centromere", DIAGNOSIS),
    _boolean("antibody.anti_rnapol3", "Anti-RNA polymerase III", DIAGNOSIS),
    _boolean("antibody.anti_synthetase", "Anti-synthetase (Jo-1, PL-7, PL-12, EJ, OJ)", DIAGNOSIS),
    _boolean("antibody.anti_srp", "Anti-SRP", DIAGNOSIS),
    _boolean("antibody.anti_hmgcr", "Anti-HMGCR", DIAGNOSIS),
    _boolean("antibody.anti_mda5", "Anti-MDA5", DIAGNOSIS),
    # Treatments: EVENT facts named treatment.<drug or class>; see engine/vocabulary.py.
    # History (True = present; EVENT facts keep the date for "within five years")
    _event("history.malignancy", "Malignancy"),
    _event("history.cardiac_disease", "Clinically significant heart disease"),
    _event("history.heart_failure", "Heart failure / insufficient cardiac function"),
    _event("history.myocardial_infarction", "Myocardial infarction"),
    _event("history.arrhythmia", "Severe arrhythmia"),
    _event("history.angina", "Angina pectoris"),
    _event("history.congenital_heart_disease", "Congenital heart disease"),
    _event("history.cns_disease", "Central nervous system disease"),
    _event("history.severe_drug_allergy", "Severe drug allergy"),
    _event("history.psychiatric", "Psychiatric disorder / severe cognitive impairment"),
    _event("history.congenital_immunodeficiency", "Congenital immunodeficiency"),
    _event("history.esrd", "End-stage renal failure"),
    _event("history.gilbert", "Gilbert syndrome"),
    _event("history.gvhd", "Graft-versus-host disease grade 2 or more"),
]

FACTS: dict[str, FactSpec] = {spec.name: spec for spec in _SPECS}

# Treatment facts are EVENT facts named after a drug or a drug class of engine/vocabulary.py.
TREATMENT_PREFIX = "treatment."


def fact_spec(name: str) -> FactSpec | None:
    """The spec of a fact name, including the treatment.<drug|class> family."""
    spec = FACTS.get(name)
    if spec is not None:
        return spec
    if name.startswith(TREATMENT_PREFIX):
        return _treatment_spec(name)
    return None


# One spec per treatment name: each rule leaf on a treatment asks for it when it is loaded and
# when it is decided. A FactSpec is immutable and the vocabulary is fixed, so one can be shared.
@functools.lru_cache(maxsize=4096)
def _treatment_spec(name: str) -> FactSpec | None:
    # Imported lazily: the vocabulary module is large and only treatment facts need it.
    from engine.vocabulary import treatment_label

    label = treatment_label(name.removeprefix(TREATMENT_PREFIX))
    if label is None:
        return None
    return FactSpec(name, FactKind.EVENT, label, "", HISTORY, None)


# ---------------------------------------------------------------------------------------------
# Fact values: what one patient's profile says, in canonical units, on a screening date
# ---------------------------------------------------------------------------------------------

FactScalar = float | bool | str | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FactValue:
    """One fact's value for the patient.

    Attributes:
        value: canonical value (float for NUMBER, bool for BOOLEAN, str for ENUM, tuple for SET).
        unit: canonical unit code of NUMBER facts.
        date: when it was measured (None: undated).
        entered: what was entered ("10.2 g/dL"), when it came from an entry.
        source: where it came from ("labs[0]", "patient.birth_date", "derived").
        formula, inputs: for derived values, the formula and its inputs with their dates.
        uln, uln_assumed: the ULN (canonical unit) for ×ULN rules; assumed = a default.
        lower_bound: the true value may be higher (BILAG counts with ungraded domains).
        notes: remarks to show with the value (inputs measured on different days ...).
    """

    name: str
    value: FactScalar
    unit: str = ""
    date: date | None = None
    entered: str | None = None
    source: str = ""
    formula: str | None = None
    inputs: tuple[str, ...] = ()
    uln: float | None = None
    uln_assumed: bool = False
    lower_bound: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facts:
    """Everything the evaluator reads about one patient on one screening date.

    Attributes:
        values: fact name → value (missing facts are absent).
        missing_inputs: derived fact → the entered facts it still needs (for "ask next").
        treatments: (source, treatment) pairs: the profile's treatments ("treatments[0]") and,
            undated, the drugs and classes listed as tried for a diagnosis
            ("diagnoses[0].treatments_tried[1]"); treatments_complete makes them closed-world.
        history: history item → the physician's answer.
        notes: remarks about the build (values after the screening date ignored ...).
    """

    screening_date: date
    values: Mapping[str, FactValue]
    diagnoses: tuple[Diagnosis, ...] = ()
    treatments: tuple[tuple[str, Treatment], ...] = ()
    treatments_complete: bool = False
    history: Mapping[str, HistoryItem] = field(default_factory=dict)
    missing_inputs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def get(self, name: str) -> FactValue | None:
        return self.values.get(name)

    def missing_for(self, name: str) -> tuple[str, ...]:
        """The entered facts to ask for when ``name`` is missing or too old."""
        return self.missing_inputs.get(name, (name,))

    def treatment_events(self, treatment_id: str) -> tuple[tuple[str, Treatment], ...]:
        """The profile's treatments that count as ``treatment_id`` (a drug or a class id)."""
        from engine.vocabulary import drug_matches

        return tuple(
            (source, treatment)
            for source, treatment in self.treatments
            if drug_matches(treatment_id, treatment.drug)
        )

    def history_item(self, name: str) -> HistoryItem | None:
        return self.history.get(name)


def build_facts(
    profile: PatientProfile, screening_date: date | None = None, settings: Settings | None = None
) -> Facts:
    """The patient's facts on ``screening_date`` (default: the profile's, else today).

    For each analyte the latest value on or before the screening date is used; values dated
    after it are ignored with a note. Derived values carry their formula and inputs.
    """
    from engine.builder import build

    return build(profile, screening_date, settings)
