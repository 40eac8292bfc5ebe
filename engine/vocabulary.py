"""Condition, drug and instrument vocabularies: ids, labels, codes, synonyms and hierarchy."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# Text normalisation shared by every lookup
# ---------------------------------------------------------------------------------------------


def normalise_term(text: str) -> str:
    """Casefold, strip accents and apostrophes, turn punctuation into spaces, collapse spaces.

    "Sjögren's syndrome" and "sjogren syndrome" normalise to the same key; Chinese characters
    are kept as they are.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    without_apostrophes = re.sub(r"['’`´]s\b|['’`´]", "", without_marks)
    spaced = re.sub(r"[^\w]+", " ", without_apostrophes)
    return " ".join(spaced.split())


# ---------------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition of the vocabulary.

    Attributes:
        id: the id rules and profiles use (``sle``).
        label: the name a physician reads.
        parent: the broader condition this one is a form of (``lupus_nephritis`` → ``sle``).
        icd10: ICD-10-CM codes or code prefixes (``M35.0`` covers M35.00–M35.0C).
        snomed: SNOMED CT concept ids where the reference confirms them.
        synonyms: other names, English variants and Chinese names.
    """

    id: str
    label: str
    parent: str | None = None
    icd10: tuple[str, ...] = ()
    snomed: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()


# ICD-10-CM mappings follow the reference tables. Codes the reference marks as usually
# excluded from trials (M32.0 drug-induced lupus, M34.2 drug-induced SSc, M06.1 adult-onset
# Still's, G72.41 inclusion-body myositis) are deliberately mapped to nothing.
_CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "sle",
        "Systemic lupus erythematosus",
        icd10=("M32.10", "M32.11", "M32.12", "M32.13", "M32.19", "M32.8", "M32.9"),
        snomed=("55464009",),
        synonyms=(
            "SLE",
            "lupus",
            "systemic lupus",
            "disseminated lupus erythematosus",
            "系统性红斑狼疮",
        ),
    ),
    Condition(
        "lupus_nephritis",
        "Lupus nephritis",
        parent="sle",
        icd10=("M32.14", "M32.15"),
        snomed=("68815009",),
        synonyms=("LN", "lupus glomerulonephritis", "SLE glomerulonephritis", "狼疮性肾炎"),
    ),
    Condition(
        "ssc",
        "Systemic sclerosis",
        icd10=("M34.0", "M34.8", "M34.9"),
        snomed=("89155008",),
        synonyms=(
            "SSc",
            "scleroderma",
            "systemic scleroderma",
            "progressive systemic sclerosis",
            "系统性硬化症",
            "硬皮病",
        ),
    ),
    Condition(
        "dcssc",
        "Diffuse cutaneous systemic sclerosis",
        parent="ssc",
        synonyms=(
            "dcSSc",
            "diffuse cutaneous SSc",
            "diffuse systemic sclerosis",
            "diffuse cutaneous scleroderma",
            "diffuse scleroderma",
            "diffuse cutaneous sclerosis",
        ),
    ),
    Condition(
        "lcssc",
        "Limited cutaneous systemic sclerosis",
        parent="ssc",
        icd10=("M34.1",),
        synonyms=("lcSSc", "limited cutaneous SSc", "CREST syndrome", "CREST"),
    ),
    Condition(
        "inflammatory_myopathy",
        "Idiopathic inflammatory myopathy",
        icd10=("M33.9",),
        synonyms=("IIM", "myositis", "inflammatory myopathy", "idiopathic inflammatory myopathies"),
    ),
    Condition(
        "dm",
        "Dermatomyositis",
        parent="inflammatory_myopathy",
        icd10=("M33.1",),
        snomed=("396230008",),
        synonyms=("DM", "adult dermatomyositis", "amyopathic dermatomyositis", "皮肌炎"),
    ),
    Condition(
        "pm",
        "Polymyositis",
        parent="inflammatory_myopathy",
        icd10=("M33.2",),
        snomed=("31384009",),
        synonyms=("PM", "多发性肌炎"),
    ),
    Condition(
        "jdm",
        "Juvenile dermatomyositis",
        parent="inflammatory_myopathy",
        icd10=("M33.0",),
        synonyms=("JDM", "juvenile DM", "幼年皮肌炎"),
    ),
    Condition(
        "asys",
        "Anti-synthetase syndrome",
        parent="inflammatory_myopathy",
        synonyms=(
            "ASyS",
            "ASS",
            "antisynthetase syndrome",
            "anti synthetase syndrome",
            "抗合成酶综合征",
        ),
    ),
    Condition(
        "imnm",
        "Immune-mediated necrotising myopathy",
        parent="inflammatory_myopathy",
        synonyms=(
            "IMNM",
            "immune mediated necrotizing myopathy",
            "necrotizing autoimmune myopathy",
            "NAM",
            "免疫介导坏死性肌病",
        ),
    ),
    Condition(
        "aav",
        "ANCA-associated vasculitis",
        synonyms=("AAV", "ANCA vasculitis", "ANCA associated vasculitis", "ANCA相关性血管炎"),
    ),
    Condition(
        "gpa",
        "Granulomatosis with polyangiitis",
        parent="aav",
        icd10=("M31.30", "M31.31"),
        snomed=("195353004",),
        synonyms=(
            "GPA",
            "Wegener granulomatosis",
            "Wegeners granulomatosis",
            "Wegener",
            "肉芽肿性多血管炎",
        ),
    ),
    Condition(
        "mpa",
        "Microscopic polyangiitis",
        parent="aav",
        icd10=("M31.7",),
        synonyms=("MPA", "microscopic polyarteritis", "显微镜下多血管炎"),
    ),
    Condition(
        "egpa",
        "Eosinophilic granulomatosis with polyangiitis",
        parent="aav",
        icd10=("M30.1",),
        snomed=("82275008",),
        synonyms=(
            "EGPA",
            "Churg-Strauss syndrome",
            "Churg Strauss",
            "allergic granulomatous angiitis",
            "嗜酸性肉芽肿性多血管炎",
        ),
    ),
    Condition(
        "ra",
        "Rheumatoid arthritis",
        icd10=("M05", "M06.0", "M06.2", "M06.3", "M06.8", "M06.9"),
        snomed=("69896004",),
        synonyms=(
            "RA",
            "seropositive rheumatoid arthritis",
            "seronegative rheumatoid arthritis",
            "类风湿关节炎",
        ),
    ),
    Condition(
        "jia",
        "Juvenile idiopathic arthritis",
        icd10=("M08.0", "M08.8", "M08.9"),
        synonyms=(
            "JIA",
            "juvenile rheumatoid arthritis",
            "JRA",
            "juvenile chronic arthritis",
            "JCA",
            "幼年特发性关节炎",
        ),
    ),
    Condition(
        "pjia",
        "Polyarticular juvenile idiopathic arthritis",
        parent="jia",
        icd10=("M08.3",),
        synonyms=("pJIA", "polyarticular JIA", "juvenile rheumatoid polyarthritis"),
    ),
    Condition(
        "sjia",
        "Systemic juvenile idiopathic arthritis",
        parent="jia",
        icd10=("M08.2",),
        synonyms=("sJIA", "systemic onset JIA", "systemic JIA"),
    ),
    Condition(
        "oligo_jia",
        "Oligoarticular juvenile idiopathic arthritis",
        parent="jia",
        icd10=("M08.4",),
        synonyms=("oligoarticular JIA", "pauciarticular JIA", "pauciarticular juvenile arthritis"),
    ),
    Condition(
        "sjogren",
        "Sjögren's disease",
        icd10=("M35.0",),
        snomed=("83901003",),
        synonyms=(
            "Sjogren",
            "Sjoegren",
            "Sjögren syndrome",
            "Sjogren syndrome",
            "Sjoegren syndrome",
            "Sjögren's syndrome",
            "primary Sjögren's syndrome",
            "pSS",
            "SS",
            "dry syndrome",
            "dryness syndrome",
            "sicca syndrome",
            "syndrome sec",
            "干燥综合征",
        ),
    ),
)

CONDITIONS: dict[str, Condition] = {condition.id: condition for condition in _CONDITIONS}

_ICD_PATTERN = re.compile(r"^[A-Z]\d{2}(\.[0-9A-Z]{0,4})?$")


def _build_term_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for condition in _CONDITIONS:
        for term in (condition.id, condition.label, *condition.synonyms):
            index.setdefault(normalise_term(term), condition.id)
    return index


_TERM_INDEX = _build_term_index()


def _condition_for_icd10(code: str) -> Condition | None:
    """The most specific condition whose code or code prefix matches (longest prefix wins)."""
    best: tuple[int, Condition] | None = None
    for condition in _CONDITIONS:
        for prefix in condition.icd10:
            if code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), condition)
    return None if best is None else best[1]


def find_condition(text_or_code: str) -> Condition | None:
    """The condition named by an id, a label, a synonym, an ICD-10-CM code or a SNOMED CT id."""
    stripped = text_or_code.strip()
    if not stripped:
        return None
    upper = stripped.upper()
    if _ICD_PATTERN.match(upper):
        return _condition_for_icd10(upper)
    if stripped.isdigit():
        return next((c for c in _CONDITIONS if stripped in c.snomed), None)
    condition_id = _TERM_INDEX.get(normalise_term(stripped))
    return None if condition_id is None else CONDITIONS[condition_id]


def condition_ancestors(condition_id: str) -> tuple[str, ...]:
    """The condition itself followed by its broader conditions, nearest first."""
    chain: list[str] = []
    current: str | None = condition_id
    while current is not None and current in CONDITIONS and current not in chain:
        chain.append(current)
        current = CONDITIONS[current].parent
    return tuple(chain)


def condition_covers(required_id: str, patient_id: str) -> bool:
    """True when a patient with ``patient_id`` has ``required_id`` (a parent covers its children).

    A patient with lupus nephritis has SLE; a patient with SLE is not known to have lupus
    nephritis.
    """
    return required_id in condition_ancestors(patient_id)


def condition_label(condition_id: str) -> str | None:
    condition = CONDITIONS.get(condition_id)
    return None if condition is None else condition.label


# ---------------------------------------------------------------------------------------------
# Drugs, procedures and their classes (the treatment.<id> facts)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TreatmentClass:
    """A class of treatments; ``parents`` are broader classes it belongs to."""

    id: str
    label: str
    parents: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Drug:
    """A drug, product or procedure a profile may list under ``treatments``.

    Attributes:
        prednisone_factor: for glucocorticoids, mg of prednisone equivalent to 1 mg of this drug
            (prednisone 5 = prednisolone 5 = methylprednisolone 4 = hydrocortisone 20 =
            dexamethasone 0.75).
    """

    id: str
    label: str
    classes: tuple[str, ...]
    synonyms: tuple[str, ...] = ()
    prednisone_factor: float | None = None


_CLASSES: tuple[TreatmentClass, ...] = (
    TreatmentClass("glucocorticoid", "Glucocorticoid"),
    TreatmentClass("immunosuppressant", "Immunosuppressant"),
    TreatmentClass("csdmard", "Conventional synthetic DMARD", ("immunosuppressant",)),
    TreatmentClass("antimalarial", "Antimalarial (hydroxychloroquine, chloroquine)", ("csdmard",)),
    TreatmentClass("calcineurin_inhibitor", "Calcineurin inhibitor", ("immunosuppressant",)),
    TreatmentClass("alkylating_agent", "Alkylating agent", ("immunosuppressant",)),
    TreatmentClass("biologic", "Biologic DMARD"),
    TreatmentClass("b_cell_targeted", "B-cell targeted therapy", ("biologic",)),
    TreatmentClass("anti_cd20", "Anti-CD20 antibody", ("b_cell_targeted",)),
    TreatmentClass("tnf_inhibitor", "TNF inhibitor", ("biologic",)),
    TreatmentClass("il6_inhibitor", "IL-6 receptor inhibitor", ("biologic",)),
    TreatmentClass("interferon_inhibitor", "Type I interferon receptor inhibitor", ("biologic",)),
    TreatmentClass("jak_inhibitor", "JAK inhibitor", ("immunosuppressant",)),
    TreatmentClass("ivig", "Intravenous immunoglobulin"),
    TreatmentClass("plasma_exchange", "Plasma exchange / immunoadsorption"),
    TreatmentClass("csf", "Colony-stimulating factor (G-CSF, GM-CSF)"),
    TreatmentClass("transfusion", "Blood transfusion"),
    TreatmentClass("cell_therapy", "Cell therapy"),
    TreatmentClass("car_t", "CAR-T cell therapy", ("cell_therapy",)),
    TreatmentClass("hsct", "Haematopoietic stem cell transplantation", ("cell_therapy",)),
    TreatmentClass("organ_transplant", "Solid organ transplantation"),
    TreatmentClass("vaccine", "Vaccination"),
    TreatmentClass("live_vaccine", "Live attenuated vaccine", ("vaccine",)),
    TreatmentClass("investigational", "Investigational product (another clinical trial)"),
)

CLASSES: dict[str, TreatmentClass] = {cls.id: cls for cls in _CLASSES}

_DRUGS: tuple[Drug, ...] = (
    # Glucocorticoids with their prednisone equivalence.
    Drug("prednisone", "Prednisone", ("glucocorticoid",), ("deltasone",), 1.0),
    Drug("prednisolone", "Prednisolone", ("glucocorticoid",), (), 1.0),
    Drug(
        "methylprednisolone",
        "Methylprednisolone",
        ("glucocorticoid",),
        ("medrol", "solu-medrol", "methylpred"),
        5 / 4,
    ),
    Drug("hydrocortisone", "Hydrocortisone", ("glucocorticoid",), ("cortisol",), 5 / 20),
    Drug("dexamethasone", "Dexamethasone", ("glucocorticoid",), (), 5 / 0.75),
    # Conventional immunosuppressants and csDMARDs.
    Drug("cyclophosphamide", "Cyclophosphamide", ("alkylating_agent",), ("CYC", "CTX", "cytoxan")),
    Drug("azathioprine", "Azathioprine", ("csdmard",), ("AZA", "imuran")),
    Drug(
        "mycophenolate",
        "Mycophenolate (mofetil or sodium)",
        ("csdmard",),
        ("mycophenolate mofetil", "MMF", "mycophenolic acid", "mycophenolate sodium", "cellcept"),
    ),
    Drug("methotrexate", "Methotrexate", ("csdmard",), ("MTX",)),
    Drug("leflunomide", "Leflunomide", ("csdmard",), ("LEF", "arava")),
    Drug(
        "sulfasalazine",
        "Sulfasalazine",
        ("csdmard",),
        # Older names still written in registry texts (salazosulfapyridine is the JAN name).
        ("SSZ", "sulphasalazine", "salazosulfapyridine", "salicylazosulfapyridine"),
    ),
    Drug("hydroxychloroquine", "Hydroxychloroquine", ("antimalarial",), ("HCQ", "plaquenil")),
    Drug("chloroquine", "Chloroquine", ("antimalarial",)),
    Drug("tacrolimus", "Tacrolimus", ("calcineurin_inhibitor",), ("FK506", "prograf")),
    Drug(
        "cyclosporine",
        "Ciclosporin",
        ("calcineurin_inhibitor",),
        ("ciclosporin", "cyclosporin", "cyclosporine A", "CsA"),
    ),
    Drug("voclosporin", "Voclosporin", ("calcineurin_inhibitor",)),
    Drug("sirolimus", "Sirolimus", ("immunosuppressant",), ("rapamycin",)),
    Drug("thalidomide", "Thalidomide", ("immunosuppressant",)),
    Drug("iguratimod", "Iguratimod", ("csdmard",)),
    Drug(
        "tripterygium",
        "Tripterygium glycosides",
        ("immunosuppressant",),
        ("tripterygium wilfordii", "雷公藤"),
    ),
    # B-cell targeted biologics.
    Drug(
        "rituximab",
        "Rituximab",
        ("anti_cd20",),
        # Biosimilars are rituximab for every criterion that names it.
        ("RTX", "rituxan", "mabthera", "truxima", "ruxience", "riabni", "rixathon"),
    ),
    Drug("obinutuzumab", "Obinutuzumab", ("anti_cd20",), ("gazyva",)),
    Drug("ocrelizumab", "Ocrelizumab", ("anti_cd20",), ("ocrevus",)),
    Drug("ofatumumab", "Ofatumumab", ("anti_cd20",), ("kesimpta", "arzerra")),
    Drug("inebilizumab", "Inebilizumab", ("b_cell_targeted",), ("uplizna",)),
    Drug("belimumab", "Belimumab", ("b_cell_targeted",), ("benlysta",)),
    Drug("telitacicept", "Telitacicept", ("b_cell_targeted",), ("RC18", "泰它西普")),
    # Other biologics.
    Drug("anifrolumab", "Anifrolumab", ("interferon_inhibitor",), ("saphnelo",)),
    Drug("tocilizumab", "Tocilizumab", ("il6_inhibitor",), ("actemra", "roactemra")),
    Drug("sarilumab", "Sarilumab", ("il6_inhibitor",), ("kevzara",)),
    Drug("abatacept", "Abatacept", ("biologic",), ("orencia",)),
    Drug("anakinra", "Anakinra", ("biologic",), ("kineret",)),
    Drug("canakinumab", "Canakinumab", ("biologic",), ("ilaris",)),
    Drug("mepolizumab", "Mepolizumab", ("biologic",), ("nucala",)),
    Drug("avacopan", "Avacopan", ("immunosuppressant",), ("tavneos",)),
    Drug("adalimumab", "Adalimumab", ("tnf_inhibitor",), ("humira",)),
    Drug("etanercept", "Etanercept", ("tnf_inhibitor",), ("enbrel",)),
    Drug("infliximab", "Infliximab", ("tnf_inhibitor",), ("remicade",)),
    Drug("golimumab", "Golimumab", ("tnf_inhibitor",), ("simponi",)),
    Drug("certolizumab", "Certolizumab pegol", ("tnf_inhibitor",), ("cimzia",)),
    # JAK inhibitors.
    Drug("tofacitinib", "Tofacitinib", ("jak_inhibitor",), ("xeljanz",)),
    Drug("baricitinib", "Baricitinib", ("jak_inhibitor",), ("olumiant",)),
    Drug("upadacitinib", "Upadacitinib", ("jak_inhibitor",), ("rinvoq",)),
    Drug("filgotinib", "Filgotinib", ("jak_inhibitor",), ("jyseleca",)),
    # Supportive and other products.
    Drug("ivig", "Intravenous immunoglobulin", ("ivig",), ("IVIG", "IVIg", "immunoglobulin")),
    Drug(
        "plasma_exchange",
        "Plasma exchange",
        ("plasma_exchange",),
        ("plasmapheresis", "immunoadsorption"),
    ),
    Drug(
        "g_csf",
        "G-CSF (filgrastim, pegfilgrastim)",
        ("csf",),
        ("G-CSF", "filgrastim", "pegfilgrastim", "lenograstim"),
    ),
    Drug("gm_csf", "GM-CSF (sargramostim)", ("csf",), ("GM-CSF", "sargramostim")),
    Drug(
        "red_cell_transfusion",
        "Red cell transfusion",
        ("transfusion",),
        ("blood transfusion", "RBC transfusion", "packed red cells"),
    ),
    Drug("platelet_transfusion", "Platelet transfusion", ("transfusion",)),
    Drug("car_t", "CAR-T cell infusion", ("car_t",), ("CAR-T", "CAR T", "CD19 CAR-T")),
    Drug(
        "hsct",
        "Haematopoietic stem cell transplantation",
        ("hsct",),
        ("HSCT", "stem cell transplant", "bone marrow transplant", "BMT"),
    ),
    Drug(
        "organ_transplant",
        "Solid organ transplantation",
        ("organ_transplant",),
        ("kidney transplant", "renal transplant", "liver transplant", "heart transplant"),
    ),
    # Vaccines.
    Drug(
        "inactivated_vaccine",
        "Inactivated or non-live vaccine",
        ("vaccine",),
        ("vaccine", "vaccination", "influenza vaccine", "covid-19 vaccine"),
    ),
    Drug(
        "mmr_vaccine",
        "MMR vaccine (live)",
        ("live_vaccine",),
        ("MMR", "MMR vaccine", "measles mumps rubella vaccine", "MMRV"),
    ),
    Drug(
        "varicella_vaccine",
        "Varicella vaccine (live)",
        ("live_vaccine",),
        ("varicella", "varicella vaccine", "chickenpox vaccine"),
    ),
    Drug(
        "yellow_fever_vaccine", "Yellow fever vaccine (live)", ("live_vaccine",), ("yellow fever",)
    ),
    Drug("live_zoster_vaccine", "Live zoster vaccine (Zostavax)", ("live_vaccine",), ("zostavax",)),
    Drug("bcg_vaccine", "BCG vaccine (live)", ("live_vaccine",), ("BCG", "BCG vaccine")),
    Drug(
        "oral_typhoid_vaccine",
        "Oral typhoid vaccine (live, Ty21a)",
        ("live_vaccine",),
        ("Ty21a", "vivotif"),
    ),
    Drug(
        "laiv",
        "Live attenuated influenza vaccine (nasal)",
        ("live_vaccine",),
        ("LAIV", "flumist", "fluenz"),
    ),
    Drug("oral_polio_vaccine", "Oral polio vaccine (live)", ("live_vaccine",), ("OPV",)),
    Drug("rotavirus_vaccine", "Rotavirus vaccine (live)", ("live_vaccine",)),
    Drug(
        "investigational_product",
        "Investigational product in another clinical trial",
        ("investigational",),
        ("study drug", "investigational drug", "clinical trial"),
    ),
)

DRUGS: dict[str, Drug] = {drug.id: drug for drug in _DRUGS}


def _build_drug_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for drug in _DRUGS:
        for term in (drug.id, drug.label, *drug.synonyms):
            index.setdefault(normalise_term(term), drug.id)
    return index


_DRUG_INDEX = _build_drug_index()


def find_drug(text: str) -> Drug | None:
    """The drug named by its id, label or a synonym (brand names, abbreviations)."""
    drug_id = _DRUG_INDEX.get(normalise_term(text))
    return None if drug_id is None else DRUGS[drug_id]


# Cached: a match tests every treatment against every treatment leaf (drug_matches), and the
# vocabulary's classes never change while the program runs.
@functools.cache
def class_closure(class_ids: tuple[str, ...]) -> frozenset[str]:
    """The classes and every broader class above them."""
    seen: set[str] = set()
    pending = list(class_ids)
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        pending.extend(CLASSES[current].parents)
    return frozenset(seen)


def drug_matches(treatment_id: str, drug_id: str) -> bool:
    """True when giving ``drug_id`` counts as receiving ``treatment_id`` (a drug or a class).

    ``drug_id`` may itself be a class ("an immunosuppressant was tried"): it then counts for
    that class and the broader ones, never for a particular drug.
    """
    if drug_id in CLASSES:
        return treatment_id in class_closure((drug_id,))
    drug = DRUGS.get(drug_id)
    if drug is None:
        return False
    return treatment_id == drug_id or treatment_id in class_closure(drug.classes)


def treatment_label(treatment_id: str) -> str | None:
    """The label of a drug or class id; None for ids the vocabulary does not know."""
    drug = DRUGS.get(treatment_id)
    if drug is not None:
        return drug.label
    cls = CLASSES.get(treatment_id)
    return None if cls is None else cls.label


# ---------------------------------------------------------------------------------------------
# Instruments (disease-activity and performance scores)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Instrument:
    """A scored instrument: the profile's ``instrument`` id, its fact and its valid range."""

    id: str
    label: str
    fact: str | None
    low: float
    high: float
    integer: bool = False


BILAG_DOMAINS: tuple[str, ...] = (
    "constitutional",
    "mucocutaneous",
    "neuropsychiatric",
    "musculoskeletal",
    "cardiorespiratory",
    "gastrointestinal",
    "ophthalmic",
    "renal",
    "haematological",
)
BILAG_GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E")

_INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("sledai_2k", "SLEDAI-2K", "score.sledai_2k", 0, 105, integer=True),
    # BILAG-2004 is nine letter grades; its facts are the derived A and B counts.
    Instrument("bilag_2004", "BILAG-2004", None, 0, 0),
    Instrument("das28_esr", "DAS28-ESR", "score.das28_esr", 0, 10),
    Instrument("das28_crp", "DAS28-CRP", "score.das28_crp", 0, 10),
    Instrument("cdai", "CDAI", "score.cdai", 0, 76),
    Instrument("sjc", "Swollen joint count", "score.sjc", 0, 66, integer=True),
    Instrument("tjc", "Tender joint count", "score.tjc", 0, 68, integer=True),
    Instrument(
        "active_joints", "Active joint count (JIA)", "score.active_joints", 0, 71, integer=True
    ),
    Instrument("mrss", "Modified Rodnan skin score", "score.mrss", 0, 51, integer=True),
    Instrument("essdai", "ESSDAI", "score.essdai", 0, 123),
    Instrument("clinessdai", "ClinESSDAI", "score.clinessdai", 0, 135),
    Instrument("bvas", "BVAS v3", "score.bvas", 0, 63, integer=True),
    Instrument("mmt8", "MMT-8", "score.mmt8", 0, 150),
    Instrument("cmas", "CMAS", "score.cmas", 0, 52),
    Instrument("phga", "Physician global assessment (0-10)", "score.phga", 0, 10),
    Instrument("ptga", "Patient global assessment (0-10)", "score.ptga", 0, 10),
    Instrument(
        "extramuscular", "Extramuscular disease activity (0-10)", "score.extramuscular", 0, 10
    ),
    Instrument("haq", "HAQ disability index", "score.haq", 0, 3),
    Instrument("chaq", "Childhood HAQ", "score.chaq", 0, 3),
    Instrument("ecog", "ECOG performance status", "score.ecog", 0, 5, integer=True),
)

INSTRUMENTS: dict[str, Instrument] = {instrument.id: instrument for instrument in _INSTRUMENTS}
