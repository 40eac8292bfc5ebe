"""Reading one criterion's text into a rule: clauses, recognised mentions, review parts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from engine.facts import fact_spec
from engine.parser.ages import ages_in_months_or_days
from engine.parser.diagnoses import (
    cohort_lead_out,
    condition_duration,
    diagnosis_alternatives,
    named_classifications,
)
from engine.parser.findings import find_findings
from engine.parser.mentions import find_conditions
from engine.parser.organ import by_bracket_code, either_or_both
from engine.parser.quantities import (
    COMPARATOR,
    COUNT,
    SUFFIX,
    VALUE,
    WINDOW,
    comparator,
    quantity,
    suffix_comparator,
    window,
)
from engine.parser.split import EXCLUSION
from engine.vocabulary import DRUGS, condition_covers

Rule = dict[str, Any]

# A clause longer than this is never read: real computable clauses are short, and the bound
# keeps every regular expression below on small inputs.
MAX_CLAUSE_CHARS = 400


@dataclass(frozen=True, slots=True)
class Mention:
    """A recognised piece of a clause and the rule node it stands for."""

    start: int
    end: int
    rule: Rule
    family: str  # "measure", "serology", "event", "diagnosis", "pregnancy", "none"


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

_NUMERIC_NAMES: tuple[tuple[str, str], ...] = (
    (r"absolute\s+neutrophil\s+count|neutrophils?(?:\s+count)?|ANC", "lab.anc"),
    (r"white\s+blood\s+cells?(?:\s+count)?|WBC|leukocytes?(?:\s+count)?|leucocytes?", "lab.wbc"),
    (r"(?:absolute\s+)?lymphocytes?(?:\s+count)?|ALC", "lab.lymphocytes"),
    (r"platelets?(?:\s+count)?|PLT", "lab.platelets"),
    (r"ha?emoglobin|Hb|HGB", "lab.hemoglobin"),
    (r"alanine\s+(?:amino)?transaminase|alanine\s+aminotransferase|ALT|SGPT", "lab.alt"),
    (r"aspartate\s+(?:amino)?transaminase|aspartate\s+aminotransferase|AST|SGOT", "lab.ast"),
    (r"(?:serum\s+)?total\s+bilirubin|TBIL|T-?BIL|bilirubin", "lab.bilirubin_total"),
    (r"creatinine\s+clearance(?:\s+rate)?|CrCl|CLcr", "derived.crcl"),
    (r"estimated\s+glomerular\s+filtration\s+rate|estimated\s+GFR|eGFR", "derived.egfr"),
    (r"(?:body\s+)?weight", "weight_kg"),
    (r"(?:serum\s+)?creatinine(?!\s+(?:clearance|ratio))|Scr|Cr", "lab.creatinine"),
    (r"international\s+(?:normali[sz]ed|standard(?:i[sz]ed)?)\s+ratio|INR", "lab.inr"),
    (r"activated\s+partial\s+thromboplastin\s+time|a?PTT|APTT", "lab.aptt"),
    (r"prothrombin\s+time|PT", "lab.pt"),
    (r"urine\s+protein\s*(?:[-\s]to[-\s]|/)\s*creatinine\s+ratio|UPCR|uPCR", "lab.upcr"),
    (
        r"24[-\s]?h(?:our)?\s+urine\s+protein|24[-\s]?h(?:our)?\s+urinary\s+protein",
        "lab.urine_protein_24h",
    ),
    (r"creatine\s+(?:phospho)?kinase|CPK|CK", "lab.ck"),
    (r"lactate\s+dehydrogenase|LDH", "lab.ldh"),
    (r"(?:left\s+ventricular\s+)?ejection\s+fraction|LVEF", "lab.lvef"),
    (r"(?:peripheral\s+)?(?:blood\s+)?oxygen\s+saturation|SpO2|SpO₂|SaO2", "lab.spo2"),
    (r"forced\s+vital\s+capacity|FVC", "lab.fvc_percent"),
    (
        r"diffusing\s+capacity(?:\s+of\s+the\s+lungs?\s+for\s+carbon\s+monoxide)?|DLCO|DLco",
        "lab.dlco_percent",
    ),
    (r"C-?reactive\s+protein|CRP", "lab.crp"),
    (r"erythrocyte\s+sedimentation\s+rate|ESR", "lab.esr"),
    (r"SLEDAI(?:\s*-\s*|\s)?(?:2K|2000|2k)|SLEDAI", "score.sledai_2k"),
    (r"modified\s+Rodnan\s+(?:total\s+)?skin\s+(?:thickness\s+)?score|mRSS", "score.mrss"),
    (
        r"Birmingham\s+Vasculitis\s+Activity\s+(?:Score|Scale)|BVAS(?:\s*(?:version\s*|v)?3)?",
        "score.bvas",
    ),
    (r"clinESSDAI", "score.clinessdai"),
    (r"ESSDAI", "score.essdai"),
    (r"DAS28[-\s]?ESR", "score.das28_esr"),
    (r"DAS28[-\s]?CRP", "score.das28_crp"),
    (r"Clinical\s+Disease\s+Activity\s+Index|CDAI", "score.cdai"),
    (
        r"ECOG(?:\s+performance\s+status)?(?:\s+PS)?|Eastern\s+Cooperative\s+Oncology\s+Group(?:\s+\(ECOG\))?(?:\s+performance\s+status)?",
        "score.ecog",
    ),
    (r"Childhood\s+Myositis\s+Assessment\s+Scale|CMAS", "score.cmas"),
    (r"Manual\s+Muscle\s+Testing[-\s]?8|MMT-?8", "score.mmt8"),
    (r"C-?HAQ|CHAQ", "score.chaq"),
    (
        r"(?:CD19\+?\s+)?B[-\s]cells?(?:\s+counts?)?|CD19\+?\s+B[-\s]cell\s+counts?",
        "lab.cd19_b_cells",
    ),
    (r"NIH\s+activity\s+index(?:\s*\(AI\))?|activity\s+index\s*\(AI\)", "score.nih_activity_index"),
    (
        # "Chronicity index" names only the renal-biopsy (NIH) index; a bare "activity index"
        # could be any disease activity index, so it needs "NIH" or "(AI)".
        r"(?:NIH\s+)?chronicity\s+index(?:\s*\(CI\))?",
        "score.nih_chronicity_index",
    ),
    (r"active\s+joint\s+count|(?:number\s+of\s+)?active\s+joints", "score.active_joints"),
    (r"swollen\s+joint\s+count|SJC|(?:number\s+of\s+)?swollen\s+joints", "score.sjc"),
    (
        r"tender\s+joint\s+count|TJC|(?:number\s+of\s+)?(?:tender\s+joints|joints\s+with\s+tenderness)",
        "score.tjc",
    ),
)


# One alternation for all names, tried in table order at each position (specific names first).
def _alternation(table: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    """One pattern for a name table: group ``n<i>`` is row i; word edges on both sides."""
    return re.compile(
        r"\b(?<![\w-])(?:"
        + "|".join(
            rf"(?P<n{index}>(?:{pattern})(?![\w-]))" for index, (pattern, _) in enumerate(table)
        )
        + ")",
        re.IGNORECASE,
    )


_NUMERIC_NAME_RE = _alternation(_NUMERIC_NAMES)

_BOOLEAN_NAMES: tuple[tuple[str, str], ...] = (
    (r"hepatitis\s+B\s+surface\s+antigen|HBV\s+surface\s+antigen|HBsAg", "serology.hbsag"),
    (
        r"hepatitis\s+B\s+core\s+antibod(?:y|ies)|HBV\s+core\s+antibod(?:y|ies)|anti-?HBc|HBcAb",
        "serology.hbcab",
    ),
    (
        r"(?:hepatitis\s+C(?:\s+virus)?\s+(?:\(HCV\)\s+)?|HCV\s+)antibod(?:y|ies)|anti-?HCV|HCV\s*Ab",
        "serology.hcv_ab",
    ),
    (
        r"(?:peripheral\s+blood\s+)?(?:hepatitis\s+C\s+virus\s+(?:\(HCV\)\s+)?|HCV\s+)RNA",
        "serology.hcv_rna",
    ),
    (
        r"(?:peripheral\s+blood\s+)?(?:hepatitis\s+B\s+virus\s+(?:\(HBV\)\s+)?|HBV\s+)DNA",
        "serology.hbv_dna",
    ),
    (
        r"human\s+immunodeficiency\s+virus(?:\s+\(HIV\))?(?:\s+antibod(?:y|ies))?|HIV(?:\s+antibod(?:y|ies))?(?:\s+test(?:ing)?)?",
        "serology.hiv",
    ),
    (
        r"syphilis(?:\s+(?:test(?:ing)?|serology|antibod(?:y|ies)))?|treponema\s+pallidum(?:\s+antibod(?:y|ies))?",
        "serology.syphilis",
    ),
    (r"(?:cytomegalovirus\s+(?:\(CMV\)\s+)?|CMV\s+)DNA(?:\s+test)?", "serology.cmv_dna"),
    (r"(?:Epstein[-\s]Barr\s+virus\s+(?:\(EBV\)\s+)?|EBV\s+)DNA(?:\s+test)?", "serology.ebv_dna"),
    (r"anti-?nuclear\s+antibod(?:y|ies)|ANA", "antibody.ana"),
    (r"anti-?ds-?DNA(?:\s+antibod(?:y|ies))?", "antibody.anti_dsdna"),
    (r"anti-?Sm(?:ith)?(?:\s+antibod(?:y|ies))?", "antibody.anti_sm"),
    (r"anti-?SSA(?:\s*/\s*Ro)?(?:\s+antibod(?:y|ies))?", "antibody.anti_ssa"),
    (r"anti-?Ro\s*/\s*SSA(?:\s+antibod(?:y|ies))?", "antibody.anti_ssa"),
    (r"MPO-?ANCA|anti-?MPO(?:\s+antibod(?:y|ies))?", "antibody.mpo_anca"),
    (r"PR3-?ANCA|anti-?PR3(?:\s+antibod(?:y|ies))?", "antibody.pr3_anca"),
    (r"(?:anti-?)?SRP(?:\s+antibod(?:y|ies))?", "antibody.anti_srp"),
    (r"(?:anti-?)?HMGCR(?:\s+antibod(?:y|ies))?", "antibody.anti_hmgcr"),
    (r"anti-?MDA-?5(?:\s+antibod(?:y|ies))?", "antibody.anti_mda5"),
    (r"anti-?Scl-?70(?:\s+antibod(?:y|ies))?", "antibody.anti_scl70"),
    (r"anti-?centromere(?:\s+antibod(?:y|ies))?", "antibody.anti_centromere"),
    (r"anti-?RNA\s+polymerase\s+III(?:\s+antibod(?:y|ies))?", "antibody.anti_rnapol3"),
    (r"anti-?synthetase\s+antibod(?:y|ies)", "antibody.anti_synthetase"),
    (
        r"CD19(?:\s+expression)?\s+on\s+peripheral\s+(?:blood\s+)?B\s+cells|CD19\s+in\s+peripheral\s+blood\s+B\s+cells",
        "marker.cd19_positive",
    ),
)
_BOOLEAN_NAME_RE = _alternation(_BOOLEAN_NAMES)
_POSITIVE = re.compile(
    r"(?<![\w-])(?:positive\s+expression\s+of|(?:tested\s+|test\s+|is\s+|are\s+|be\s+)?(?:sero)?positive"
    r"(?:\s+(?:for|in|of))?|reactive|(?<!not\s)(?<!non-)detectable)(?![\w-])",
    re.IGNORECASE,
)
_NEGATIVE = re.compile(
    r"(?<![\w-])(?:negative|not\s+detect(?:ed|able)|undetectable|non-?reactive)(?![\w-])",
    re.IGNORECASE,
)

# Medicines named in the vocabulary, read as treatment events of that drug. Products already
# covered above (CAR-T, HSCT, transplants, vaccines, CSF, investigational products) and
# transfusions are left to their own patterns.
_DRUG_CLASSES_READ = frozenset(
    {
        "alkylating_agent",
        "csdmard",
        "antimalarial",
        "calcineurin_inhibitor",
        "immunosuppressant",
        "anti_cd20",
        "b_cell_targeted",
        "interferon_inhibitor",
        "il6_inhibitor",
        "biologic",
        "tnf_inhibitor",
        "jak_inhibitor",
        "ivig",
        "plasma_exchange",
    }
)


def _drug_terms() -> list[tuple[str, list[str]]]:
    rows: list[tuple[str, list[str]]] = []
    for drug in DRUGS.values():
        if not set(drug.classes) <= _DRUG_CLASSES_READ:
            continue
        terms = sorted(
            {t for t in (drug.label, *drug.synonyms) if len(t) >= 5 and t.isascii()},
            key=len,
            reverse=True,
        )
        if terms:
            rows.append((drug.id, terms))
    return rows


# History and treatment events: (pattern, fact, boolean fact?) — BOOLEAN facts get is_true.
_EVENT_NAMES: tuple[tuple[str, str], ...] = (
    (r"(?:any\s+)?malignan(?:cy|cies|t\s+(?:disease|tumou?r)s?)|cancer", "history.malignancy"),
    (
        r"(?:major\s+|solid\s+)?organ\s+transplant(?:ation)?s?|(?:heart|kidney|renal|liver|lung)\s+transplant(?:ation)?s?",
        "treatment.organ_transplant",
    ),
    (
        r"(?:ha?ematopoietic\s+)?stem\s+cell(?:\s*/\s*bone\s+marrow)?\s+transplant(?:ation)?|HSCT|bone\s+marrow\s+transplant(?:ation)?",
        # "allogeneic"/"autologous" is left outside the name on purpose: treatment.hsct
        # covers both, so a qualified transplant stays an unknown word and goes to review.
        "treatment.hsct",
    ),
    (
        r"CAR[-\s]?T(?:[-\s]cells?)?(?:\s+(?:cell\s+)?(?:therapy|treatment|infusion))?|chimeric\s+antigen\s+receptor\s+T[-\s]cells?(?:\s+therapy)?",
        "treatment.car_t",
    ),
    (r"angina(?:\s+pectoris)?", "history.angina"),
    (r"(?:acute\s+)?myocardial\s+infarction", "history.myocardial_infarction"),
    (
        r"(?:congestive\s+)?heart\s+failure|insufficient\s+cardiac\s+function",
        "history.heart_failure",
    ),
    (r"(?:severe\s+)?arrhythmias?", "history.arrhythmia"),
    (r"congenital\s+heart\s+disease", "history.congenital_heart_disease"),
    (r"end[-\s]stage\s+rena?l\s+(?:failure|disease)|ESRD", "history.esrd"),
    (
        r"congenital\s+immun(?:oglobulin\s+)?odeficienc(?:y|ies)|congenital\s+immunoglobulin\s+deficienc(?:y|ies)",
        "history.congenital_immunodeficiency",
    ),
    (
        r"(?:severe\s+)?(?:drug\s+allerg(?:y|ies)|allerg(?:y|ies)\s+to\s+drugs)",
        "history.severe_drug_allergy",
    ),
    (
        r"psychiatric\s+(?:disorders?|diseases?|illness)|severe\s+cognitive\s+impairments?",
        "history.psychiatric",
    ),
    (r"Gilbert(?:'s|’s)?\s+syndrome", "history.gilbert"),
    (
        r"grade\s*(?:≥\s*)?(?:2|II)(?:\s+or\s+(?:higher|above))?\s+(?:acute\s+)?(?:GVHD|graft[-\s]versus[-\s]host\s+disease)",
        "history.gvhd",
    ),
    (r"live\s+(?:attenuated\s+)?vaccines?|live\s+vaccination", "treatment.live_vaccine"),
    (r"vaccination|vaccines?", "treatment.vaccine"),
    (r"B[-\s]cell[-\s]targeted\s+therap(?:y|ies)", "treatment.b_cell_targeted"),
    (r"colony[-\s]stimulating\s+factors?(?:\s+treatment)?|G-?CSF", "treatment.csf"),
    (
        r"(?:other|another)\s+(?:interventional\s+)?clinical\s+(?:study|studies|trials?)|investigational\s+(?:drugs?|products?|agents?)",
        "treatment.investigational",
    ),
    (r"active\s+tuberculosis(?:\s+infection)?|active\s+TB", "infection.active_tb"),
    (
        r"uncontroll(?:ed|able)\s+(?:or\s+treatment[-\s]requir(?:ed|ing)\s+)?"
        r"(?:(?:fungal|bacterial|viral)\s*,?\s*(?:or\s+)?)*(?:or\s+other\s+)?infections?",
        "infection.uncontrolled",
    ),
    (r"latent\s+tuberculosis(?:\s+infection)?", "infection.latent_tb"),
    *(
        # Named medicines of the one vocabulary (rituximab, MMF, IVIg ...): a named drug is
        # an event of that drug only. Short names count only as written in capitals.
        (r"|".join(re.escape(term).replace(r"\ ", r"\s+") for term in terms), f"treatment.{drug}")
        for drug, terms in _drug_terms()
    ),
)
_EVENT_NAME_RE = _alternation(_EVENT_NAMES)
_EVENT_NEGATION = re.compile(
    r"(?<![\w-])(?:no(?:\s+known)?(?:\s+(?:history\s+of|prior|previous))?|"
    r"without\s+(?:a\s+)?(?:history\s+of|prior|previous)|"
    r"not\s+(?:be\s+)?(?:receiving|received|having\s+received|on)|"
    r"(?:previously\s+)?not\s+(?:previously\s+)?(?:been\s+)?(?:treated\s+with|received))\s+(?:any\s+)?$",
    re.IGNORECASE,
)
_PREGNANT = re.compile(r"(?<![\w-])(?:pregnant|pregnancy)(?![\w-])", re.IGNORECASE)
_LACTATING = re.compile(
    r"(?<![\w-])(?:breast[-\s]?feeding|lactating|lactation|nursing)(?![\w-])", re.IGNORECASE
)
_PREGNANCY_TEST = re.compile(
    r"(?<![\w-])(?:(?:tested\s+)?positive\s+(?:in\s+|for\s+)?(?:a\s+)?(?:blood\s+|urine\s+|serum\s+)?"
    r"pregnancy\s+test|(?:blood\s+|urine\s+|serum\s+)?pregnancy\s+test\s+(?:is\s+)?positive)(?![\w-])",
    re.IGNORECASE,
)

# ---------------------------------------------------------------------------------------------
# What may remain around recognised mentions without changing their meaning
# ---------------------------------------------------------------------------------------------

_FILLER_PHRASES = re.compile(
    r"(?<![\w-])(?:a\s+)?history\s+of|at\s+the\s+time\s+of\s+(?:screening|(?:signing\s+(?:the\s+)?)?informed\s+consent(?:\s+form)?)|"
    r"(?:during|in)\s+the\s+screening\s+(?:period|phase|stage)|at\s+(?:the\s+)?screening(?:\s+(?:stage|visit))?|"
    r"at\s+baseline|previous\s+or\s+concurrent|[≥>]=?\s*(?=grade)|presence\s+of|evidence\s+of|suffering\s+from|"
    r"(?:previous\s+|prior\s+)?treatment\s+with|(?<=\w)\s+treatment(?=\s+within)|"
    r"combined\s+with|the\s+following|is\s+satisfied|are\s+satisfied|must\s+be|should\s+be|"
    r"calculated\s+by\s+(?:the\s+)?Cockcroft[-\s/]*Gault(?:\s+formula)?|\(\s*Cockcroft[-\s/]*Gault\s*\)|"
    # The equations the engine computes eGFR with (CKD-EPI 2021 from 18, bedside Schwartz below).
    r"(?:calculated|estimated)\s+(?:by|with|using)\s+(?:the\s+)?(?:CKD-EPI|(?:bedside\s+)?Schwartz)"
    r"(?:\s+(?:formula|equation))?|\(\s*(?:CKD-EPI|(?:bedside\s+)?Schwartz)(?:\s+(?:formula|equation))?\s*\)|"
    r"measured\s+by\s+pulse\s+oximet(?:er|ry)|in\s+room\s+air|on\s+room\s+air|"
    r"of\s+(?:the\s+)?predicted(?:\s+value)?|predicted|"
    r"total\s+score|points?|pts|score|(?:as\s+)?(?:(?:assessed|measured|determined|documented)\s+)?by\s+"
    r"(?:echocardiography|echocardiogram|MUGA|cardiac\s+MRI|any\s+imaging\s+method)|(?:confirmed|determined|detected|measured)\s+by\s+flow\s+cytometry|"
    r"(?:have\s+)?participated\s+in|participation\s+in|indicating\s+active\s+(?:disease|vasculitis)|"
    r"(?:A\s+)?total\s+of\s+\d+\s+points|\(\s*total\s+\d+\s+points\s*\)|\(\s*a\s+total\s+score\s+of\s+\d+\s+points\s*\)",
    re.IGNORECASE,
)
_FILLER_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "is",
        "are",
        "be",
        "been",
        "being",
        "was",
        "were",
        "has",
        "have",
        "had",
        "having",
        "who",
        "which",
        "that",
        "those",
        "patients",
        "patient",
        "subjects",
        "subject",
        "participants",
        "participant",
        "individuals",
        "individual",
        "people",
        "any",
        "known",
        "previous",
        "previously",
        "prior",
        "past",
        "ever",
        "received",
        "receiving",
        "undergone",
        "underwent",
        "treatment",
        "treated",
        "therapy",
        "therapies",
        "test",
        "tests",
        "testing",
        "tested",
        "result",
        "results",
        "serum",
        "plasma",
        "blood",
        "peripheral",
        "level",
        "levels",
        "count",
        "counts",
        "value",
        "values",
        "titer",
        "titre",
        "function",
        "functions",
        "fulfillment",
        "fulfilment",
        "requirement",
        "requirements",
        "satisfied",
        "meets",
        "meet",
        "defined",
        "as",
        "by",
        "with",
        "and",
        "or",
        "for",
        "to",
        "adequate",
        "normal",
        "following",
        "criteria",
        "inclusive",
        "calculated",
        "age",
        "aged",
        "years",
        "year",
        "old",
        "screening",
        "period",
        "stage",
        "enrollment",
        "enrolment",
        "infection",
        "infections",
        "disease",
        "diseases",
        "status",
        "documented",
        "confirmed",
        "current",
        "currently",
        "bone",
        "marrow",
        "liver",
        "renal",
        "kidney",
        "cardiac",
        "lung",
        "coagulation",
        "hematologic",
        "haematologic",
        "haematological",
        "hematological",
        "organ",
        "organs",
        "major",
        "main",
        "laboratory",
        "lab",
        "values",
        "important",
        "basic",
        "basically",
        "also",
        "both",
        "suffer",
        "suffers",
        "from",
        "presence",
        "existing",
        "existence",
        "adults",
        "adult",
        "children",
        "infants",
        "adolescents",
        "paediatric",
        "pediatric",
    ]
)
_WORD = re.compile(r"[^\W_]+|[<>≤≥=%]|\d+", re.UNICODE)
# Parenthetical content that only names what is already named ("(ALT)", "(ULN)", "(HBsAg)").
_ABBREVIATION = re.compile(r"\(\s*[A-Za-z][\w₂\-/ .]{0,14}\)")
_LABEL = re.compile(r"^\s*[A-Za-z][A-Za-z /-]{0,60}:\s*")


def _residual_words(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """Words of ``text`` outside ``spans`` and outside harmless filler phrases."""
    pieces: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        pieces.append(text[cursor:start])
        cursor = max(cursor, end)
    pieces.append(text[cursor:])
    rest = " ".join(pieces)
    rest = _ABBREVIATION.sub(" ", rest)
    rest = _FILLER_PHRASES.sub(" ", rest)
    return [w.casefold() for w in _WORD.findall(rest)]


# ---------------------------------------------------------------------------------------------
# Mention finders
# ---------------------------------------------------------------------------------------------


def _leaf_text(text: str, start: int, end: int) -> str:
    return text[start:end].strip()


_SAME_NAME_GAP = re.compile(r"\s*\(?\s*")
_CLOSING = re.compile(r"\s*\)")


def _merge_same(text: str, names: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """One name per mention: "creatinine clearance (CrCl)" and "INR international ratio" merge."""
    merged: list[tuple[int, int, str]] = []
    for start, end, fact in sorted(names):
        if merged:
            last_start, last_end, last_fact = merged[-1]
            if last_fact == fact and _SAME_NAME_GAP.fullmatch(text[last_end:start]):
                closing = _CLOSING.match(text, end) if "(" in text[last_end:start] else None
                merged[-1] = (last_start, closing.end() if closing else end, fact)
                continue
        merged.append((start, end, fact))
    return merged


def only_names(text: str) -> set[str]:
    """The measures ``text`` names when it is nothing but their names ("BVAS version 3")."""
    names = _name_matches(text)
    rest = _residual_words(text, [(start, end) for start, end, _ in names])
    return {fact for _, _, fact in names} if names and not rest else set()


def _name_matches(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping numeric-fact names, left to right."""
    chosen: list[tuple[int, int, str]] = []
    for match in _NUMERIC_NAME_RE.finditer(text):
        word = match.group(0)
        # Short names written in lower case are ordinary words ("pt", "cr", "ast").
        if len(word) <= 5 and word.islower():
            continue
        index = int((match.lastgroup or "n0")[1:])
        chosen.append((match.start(), match.end(), _NUMERIC_NAMES[index][1]))
    return _merge_same(text, by_bracket_code(text, chosen))


_BETWEEN_NAME_AND_VALUE = re.compile(
    r"(?:\s*(?:\([^()]{0,60}\)|(?:count|counts|level|levels|value|in\s+serum|of\s+serum|serum|rate|"
    r"score|scores|total\s+score|test|must\s+be|should\s+be|is|are|of|be)(?![\w-])|:|,)){0,6}\s*",
    re.IGNORECASE,
)
_THRESHOLD = re.compile(COMPARATOR + r"\s*" + VALUE, re.IGNORECASE)
_RANGE = re.compile(
    r"(?:of\s+)?(?P<low>\d+(?:\.\d+)?)\s*(?:-|–|to|or)\s*(?P<high>\d+(?:\.\d+)?)(?![\d.])",
    re.IGNORECASE,
)
_AND_NAME = re.compile(r"\s*(?:\([^()]{0,40}\)\s*)?(?:and|&|/)\s*", re.IGNORECASE)
_OR_NAME = re.compile(r"\s*(?:\([^()]{0,40}\)\s*)?or\s*", re.IGNORECASE)
# "swollen joints and/or tender joints ≥ 3": at least one of them, in any section.
_AND_OR_NAME = re.compile(r"\s*(?:\([^()]{0,40}\)\s*)?and\s*/\s*or\s*", re.IGNORECASE)


def _measures(text: str, kind: str) -> list[Mention]:
    mentions: list[Mention] = []
    names = _name_matches(text)
    index = 0
    while index < len(names):
        # Names sharing one threshold: "AST and ALT ≤ 3.0 ULN" (all); in an exclusion also
        # "ALT or AST > 3 × ULN" (either excludes). "INR or APTT ≤ 1.5" in an inclusion does
        # not say whether both or one must hold: true only when both do, review when they
        # disagree (organ.either_or_both).
        chain = [names[index]]
        joiner = _AND_NAME
        while index + len(chain) < len(names):
            gap = text[chain[-1][1] : names[index + len(chain)][0]]
            if len(chain) == 1 and _OR_NAME.fullmatch(gap):
                joiner = _OR_NAME
            if len(chain) == 1 and _AND_OR_NAME.fullmatch(gap):
                joiner = _AND_OR_NAME
            if joiner.fullmatch(gap) is None:
                break
            chain.append(names[index + len(chain)])
        start, name_end, _ = chain[0][0], chain[-1][1], chain[-1][2]
        gap_match = _BETWEEN_NAME_AND_VALUE.match(text, name_end)
        cursor = gap_match.end() if gap_match else name_end
        built = _threshold_at(text, cursor, [fact for _, _, fact in chain])
        if built is None:
            index += len(chain)
            continue
        end, leaves = built
        mention_text = _leaf_text(text, start, end)
        for leaf in leaves:
            leaf["text"] = mention_text
        mode = "any" if joiner in (_OR_NAME, _AND_OR_NAME) else "all"
        rule: Rule = leaves[0] if len(leaves) == 1 else {mode: leaves, "text": mention_text}
        if joiner is _OR_NAME and kind != EXCLUSION:
            # A bare "or" may mean either or both; "and/or" says at least one.
            rule = either_or_both(leaves, mention_text)
        mentions.append(Mention(start, end, rule, "measure"))
        index += len(chain)
    return mentions


def _threshold_at(text: str, cursor: int, facts: list[str]) -> tuple[int, list[Rule]] | None:
    """The leaves for ``facts`` compared with the threshold written at ``cursor``."""
    specs = [fact_spec(fact) for fact in facts]
    if any(spec is None for spec in specs):
        return None
    if facts == ["score.ecog"] or all(f.startswith("score.") for f in facts):
        ranged = _RANGE.match(text, cursor)
        if ranged is not None and facts == ["score.ecog"]:
            low, high = float(ranged.group("low")), float(ranged.group("high"))
            if high > low:
                return ranged.end(), [
                    {
                        "fact": "score.ecog",
                        "op": "between",
                        "value": [_clean(low), _clean(high)],
                        "unit": "{score}",
                    }
                ]
    between = _between_threshold(text, cursor, facts)
    if between is not None:
        return between
    match = _THRESHOLD.match(text, cursor)
    op: str | None
    if match is not None:
        op = comparator(match.group("cmp"))
    else:
        value_first = re.compile(VALUE + r"\s*" + SUFFIX, re.IGNORECASE).match(text, cursor)
        if value_first is None:
            return None
        match = value_first
        op = suffix_comparator(match.group("suffix"))
    if op is None:
        return None
    leaves: list[Rule] = []
    for fact, spec in zip(facts, specs, strict=True):
        assert spec is not None
        amount = quantity(fact, match, has_uln=spec.has_uln)
        if amount is None:
            return None
        unit = amount.unit
        if unit is None:
            if spec.unit not in ("{score}", "{count}", "{INR}", "%"):
                return None  # a lab threshold without its unit is not read
            unit = spec.unit
        leaf: Rule = {"fact": fact, "op": op, "value": _clean(amount.value), "unit": unit}
        leaves.append(leaf)
    end = match.end()
    return end, leaves


_BETWEEN_VALUES = re.compile(
    r"between\s+(?P<low>\d+(?:\.\d+)?)\s*(?:and|-|–)\s*" + VALUE, re.IGNORECASE
)


def _between_threshold(text: str, cursor: int, facts: list[str]) -> tuple[int, list[Rule]] | None:
    """ "Body weight between 50 and 120 kg": both bounds in the unit written after the second."""
    match = _BETWEEN_VALUES.match(text, cursor)
    if match is None or len(facts) != 1:
        return None
    spec = fact_spec(facts[0])
    if spec is None:
        return None
    amount = quantity(facts[0], match, has_uln=spec.has_uln)
    low = float(match.group("low"))
    if amount is None or amount.unit is None or not low < amount.value:
        return None
    leaf: Rule = {
        "fact": facts[0],
        "op": "between",
        "value": [_clean(low), _clean(amount.value)],
        "unit": amount.unit,
    }
    return match.end(), [leaf]


def _clean(value: float) -> float | int:
    return int(value) if value == int(value) and abs(value) < 1e12 else value


_AGE_CONTEXT = r"(?:(?:the\s+)?age(?:d)?(?:\s+of)?|age\s*:)"
_AGE_RANGE = re.compile(
    rf"(?:{_AGE_CONTEXT}\s*:?\s*)?(?:between\s+|from\s+)?(?P<low>\d{{1,3}})\s*(?:years?\s*(?:old\s*)?)?"
    r"(?:-|–|to|and)\s*(?P<high>\d{1,3})\s*(?:years?|yrs?)(?:\s+old)?(?:\s+of\s+age)?(?:\s*\(?inclusive\)?)?",
    re.IGNORECASE,
)
_AGE_THRESHOLD = re.compile(
    rf"(?:{_AGE_CONTEXT}\s*:?\s*(?:must\s+be\s+|is\s+|of\s+)?)?"
    + COMPARATOR
    + r"\s*(?P<num>\d{1,3})\s*(?:years?|yrs?)(?:\s+old)?(?:\s+of\s+age)?(?:\s*\(?inclusive\)?)?",
    re.IGNORECASE,
)
_AGE_SUFFIX = re.compile(
    rf"(?:{_AGE_CONTEXT}\s*:?\s*)?(?P<num>\d{{1,3}})\s*(?:years?|yrs?)(?:\s+old)?(?:\s+of\s+age)?\s*"
    + SUFFIX
    + r"(?:\s*\(?inclusive\)?)?",
    re.IGNORECASE,
)
_AGE_WORD = re.compile(
    r"(?<![\w-])(?:age|aged|years?\s+old|years?\s+of\s+age)(?![\w-])", re.IGNORECASE
)
_ANY_SEX = re.compile(
    r"(?:,\s*)?(?:both\s+males?\s+and\s+females?|males?\s+(?:and|or)\s+females?|"
    r"regardless\s+of\s+(?:gender|sex)|"
    r"(?:of\s+)?(?:either|any|both)\s+(?:sex|gender)(?:es|s)?|all\s+genders)",
    re.IGNORECASE,
)


def _ages(text: str) -> list[Mention]:
    mentions: list[Mention] = [
        Mention(start, end, rule, "measure") for start, end, rule in ages_in_months_or_days(text)
    ]
    if _AGE_WORD.search(text) is None and not mentions:
        return []
    for pattern in (_AGE_RANGE, _AGE_THRESHOLD, _AGE_SUFFIX):
        for match in pattern.finditer(text):
            if any(m.start < match.end() and match.start() < m.end for m in mentions):
                continue
            leaf_text = _leaf_text(text, match.start(), match.end())
            if pattern is _AGE_RANGE:
                low, high = int(match.group("low")), int(match.group("high"))
                if not low < high:
                    continue
                rule: Rule = {
                    "fact": "age_years",
                    "op": "between",
                    "value": [low, high],
                    "unit": "a",
                }
            else:
                op = (
                    comparator(match.group("cmp"))
                    if pattern is _AGE_THRESHOLD
                    else suffix_comparator(match.group("suffix"))
                )
                if op is None or op == "==":
                    continue
                rule = {
                    "fact": "age_years",
                    "op": op,
                    "value": int(match.group("num")),
                    "unit": "a",
                }
            rule["text"] = leaf_text
            mentions.append(Mention(match.start(), match.end(), rule, "measure"))
    mentions.extend(Mention(m.start(), m.end(), {}, "none") for m in _ANY_SEX.finditer(text))
    return mentions


def _booleans(text: str) -> list[Mention]:
    names: list[tuple[int, int, str]] = []
    for match in _BOOLEAN_NAME_RE.finditer(text):
        word = match.group(0)
        if word.casefold() == "ana" and word != "ANA":
            continue
        fact = _BOOLEAN_NAMES[int((match.lastgroup or "n0")[1:])][1]
        names.append((match.start(), match.end(), fact))
    names = _merge_same(text, names)
    if not names:
        return []
    positives = list(_POSITIVE.finditer(text))
    negatives = list(_NEGATIVE.finditer(text))
    if positives and negatives:
        return []  # mixed polarity in one clause: left for review
    if not positives and not negatives:
        return []
    op = "is_true" if positives else "is_false"
    mentions: list[Mention] = []
    for polarity in positives or negatives:
        # "Syphilis test positive": the name already holds "test".
        inside = [e for s, e, _ in names if s < polarity.start() < e]
        mentions.append(Mention(max([polarity.start(), *inside]), polarity.end(), {}, "none"))
    for start, end, fact in names:
        mentions.append(
            Mention(
                start,
                end,
                {"fact": fact, "op": op, "text": _leaf_text(text, start, end)},
                "serology",
            )
        )
    return mentions


_ECG_NORMAL = re.compile(
    r"(?:with\s+)?no\s+(?:obvious\s+|significant\s+|clinically\s+significant\s+|major\s+)?"
    r"abnormalit(?:y|ies)\s+(?:in|on|of)\s+(?:the\s+)?(?:electrocardiogram|ECG)",
    re.IGNORECASE,
)
_ECG_ABNORMAL = re.compile(
    r"(?:clinically\s+significant|obvious|significant)\s+(?:electrocardiogram|ECG)\s+abnormalit(?:y|ies)",
    re.IGNORECASE,
)


def _ecg(text: str) -> list[Mention]:
    mentions = []
    for pattern, op in ((_ECG_NORMAL, "is_false"), (_ECG_ABNORMAL, "is_true")):
        for match in pattern.finditer(text):
            leaf = {
                "fact": "marker.ecg_abnormal",
                "op": op,
                "text": _leaf_text(text, match.start(), match.end()),
            }
            mentions.append(Mention(match.start(), match.end(), leaf, "serology"))
    return mentions


_DNA_ABOVE_ULN = re.compile(
    r"(?:(?:peripheral\s+blood\s+)?(?:hepatitis\s+B\s+virus\s+\(HBV\)\s+|HBV\s+)DNA(?:\s+titers?)?)\s*"
    r"(?:>|greater\s+than|above|exceeding|higher\s+than)\s*(?:the\s+)?(?:ULN|upper\s+limit\s+of\s+normal|"
    r"normal\s+reference\s+(?:value\s+)?range|normal\s+range)",
    re.IGNORECASE,
)
_RNA_ABOVE_ULN = re.compile(
    r"(?:(?:peripheral\s+blood\s+)?(?:hepatitis\s+C\s+virus\s+\(HCV\)\s+|HCV\s+)RNA(?:\s+titers?)?)\s*"
    r"(?:>|greater\s+than|above|exceeding|higher\s+than)\s*(?:the\s+)?(?:ULN|upper\s+limit\s+of\s+normal|"
    r"normal\s+reference\s+(?:value\s+)?range|normal\s+range)",
    re.IGNORECASE,
)


def _viral_loads(text: str) -> list[Mention]:
    mentions = []
    for pattern, fact in ((_DNA_ABOVE_ULN, "lab.hbv_dna"), (_RNA_ABOVE_ULN, "lab.hcv_rna")):
        for match in pattern.finditer(text):
            # "HBV DNA > ULN", "titer greater than the normal reference value range".
            leaf = {
                "fact": fact,
                "op": ">",
                "value": 1,
                "unit": "xULN",
                "text": _leaf_text(text, match.start(), match.end()),
            }
            mentions.append(Mention(match.start(), match.end(), leaf, "serology"))
    return mentions


_WINDOW_RE = re.compile(WINDOW, re.IGNORECASE)


_GRADE_SIGN = re.compile(r"(?:≥|>=)\s*$")


def _with_grade_sign(text: str, name: tuple[int, int, str]) -> tuple[int, int, str]:
    """ "≥Grade 2 GVHD" is grade 2 or more, what history.gvhd records: the sign joins the name."""
    start, end, fact = name
    sign = _GRADE_SIGN.search(text, 0, start) if fact == "history.gvhd" else None
    if sign is None or not text[start:end].casefold().startswith("grade"):
        return name
    return sign.start(), end, fact


def _events(text: str) -> list[Mention]:
    names = [
        (match.start(), match.end(), _EVENT_NAMES[int((match.lastgroup or "n0")[1:])][1])
        for match in _EVENT_NAME_RE.finditer(text)
    ]
    names = [_with_grade_sign(text, name) for name in _merge_same(text, names)]
    mentions: list[Mention] = []
    windows = list(_WINDOW_RE.finditer(text))
    if len(windows) > 1:
        return []
    if windows and len(names) > 1:
        return _events_sharing_window(text, names, windows[0])
    for start, end, fact in names:
        spec = fact_spec(fact)
        if spec is None:
            continue
        is_boolean = spec.kind.value == "boolean"
        leaf: Rule
        span_end = end
        if windows and not is_boolean:
            found = windows[0]
            between = text[end : found.start()]
            if found.start() < end or _residual_words(between, []) != []:
                return []
            leaf = {"fact": fact, "op": "within", "window": window(found)}
            span_end = found.end()
        elif is_boolean:
            if windows:
                return []
            leaf = {"fact": fact, "op": "is_true"}
        else:
            leaf = {"fact": fact, "op": "ever"}
        negation = _EVENT_NEGATION.search(text[:start])
        span_start = start
        if negation is not None:
            if len(names) != 1:
                return []
            leaf["text"] = _leaf_text(text, start, span_end)
            rule: Rule = {"not": leaf, "text": _leaf_text(text, negation.start(), span_end)}
            span_start = negation.start()
        else:
            leaf["text"] = _leaf_text(text, start, span_end)
            rule = leaf
        if fact == "treatment.organ_transplant" and _ONE_ORGAN.match(text, start):
            # "Prior liver transplantation": the fact records a solid-organ transplant, not
            # which organ; the organ is for the team (a kidney recipient is not a liver one).
            rule = {"all": [rule, {"review": _leaf_text(text, start, end)}]}
        mentions.append(Mention(span_start, span_end, rule, "event"))
        if windows:
            mentions.append(Mention(windows[0].start(), windows[0].end(), {}, "none"))
    return mentions


_ONE_ORGAN = re.compile(r"(?:heart|kidney|renal|liver|lung)\s", re.IGNORECASE)


_PREGNANCY_EXTRA = re.compile(
    r"(?<![\w-])(?:females?|women|woman|female\s+(?:patients|subjects|participants))(?![\w-])",
    re.IGNORECASE,
)


_COMMA_ONLY = re.compile(r"\s*,\s*")


def _events_sharing_window(
    text: str, names: list[tuple[int, int, str]], found: re.Match[str]
) -> list[Mention]:
    """ "vaccination, B-cell targeted therapy within 4 weeks": the window covers a comma list.

    Only a list joined by commas alone shares the window; "A or B within 6 months" is left
    for review because the window may belong to B only.
    """
    gaps = [text[a[1] : b[0]] for a, b in pairwise(names)]
    last_gap = text[names[-1][1] : found.start()]
    if not all(_COMMA_ONLY.fullmatch(gap) for gap in gaps) or _residual_words(last_gap, []):
        return []
    mentions: list[Mention] = []
    for start, end, fact in names:
        spec = fact_spec(fact)
        if spec is None or spec.kind.value != "event" or _EVENT_NEGATION.search(text[:start]):
            return []
        leaf = {
            "fact": fact,
            "op": "within",
            "window": window(found),
            "text": _leaf_text(text, names[0][0], found.end()),
        }
        mentions.append(Mention(start, end, leaf, "event"))
    mentions.append(Mention(found.start(), found.end(), {}, "none"))
    return mentions


_SUSPICION = re.compile(
    r"(?<![\w-])presence\s+or\s+(?:suspicion|suspected\s+presence)\s+of(?![\w-])", re.IGNORECASE
)


def _suspicions(text: str) -> list[Mention]:
    """ "Presence or suspicion of X": X is read, the suspicion is for the study team."""
    return [
        Mention(m.start(), m.end(), {"review": text.strip()}, "event")
        for m in _SUSPICION.finditer(text)
    ]


def _pregnancy(text: str) -> list[Mention]:
    mentions: list[Mention] = []
    tests = list(_PREGNANCY_TEST.finditer(text))
    for match in tests:
        leaf = {
            "fact": "pregnancy_test_positive",
            "op": "is_true",
            "text": _leaf_text(text, match.start(), match.end()),
        }
        mentions.append(Mention(match.start(), match.end(), leaf, "pregnancy"))
    for pattern, fact in ((_PREGNANT, "pregnant"), (_LACTATING, "lactating")):
        for match in pattern.finditer(text):
            if any(m.start <= match.start() < m.end for m in mentions):
                continue
            leaf = {
                "fact": fact,
                "op": "is_true",
                "text": _leaf_text(text, match.start(), match.end()),
            }
            mentions.append(Mention(match.start(), match.end(), leaf, "pregnancy"))
    if mentions:
        mentions.extend(
            Mention(m.start(), m.end(), {}, "none") for m in _PREGNANCY_EXTRA.finditer(text)
        )
    return mentions


_CLASSIFICATION = re.compile(
    r"(?:(?:according\s+to|fulfill?(?:ing|s)?|meet(?:ing|s)?|as\s+defined\s+by|based\s+on|consistent\s+with)\s+)?(?:the\s+)?"
    r"(?P<a>(?:19|20)\d\d)?\s*(?:the\s+)?(?P<orgs>(?:(?:American\s+College\s+of\s+Rheumatology\s*(?:\(ACR\))?|"
    r"European\s+(?:League\s+Against\s+Rheumatism|Alliance\s+of\s+Associations\s+for\s+Rheumatology)\s*(?:\(EULAR\))?|"
    r"International\s+League\s+of\s+Associations\s+for\s+Rheumatology\s*(?:\(ILAR\))?|"
    r"ACR|EULAR|SLICC|ILAR|ACEG|AECG)\s*(?:/|and|-)?\s*){1,3})\s*(?P<b>(?:19|20)\d\d)?\s*"
    r"(?:\w+\s+){0,3}?(?:revised\s+)?(?:classification|diagnostic)?\s*(?:criteria|standards?)(?:\s+for\s+[\w\s']{1,40})?",
    re.IGNORECASE,
)
_ORG = re.compile(
    r"ACR|EULAR|SLICC|ILAR|ACEG|AECG|American\s+College|European\s+(?:League|Alliance)|"
    r"International\s+League",
    re.IGNORECASE,
)
_DIAGNOSIS_LEAD = re.compile(
    r"(?:(?:a\s+)?(?:confirmed\s+|established\s+|clinical\s+)?diagnosis\s+of|diagnosed\s+(?:with|as)|"
    r"meet(?:s|ing)?\s+the(?:\s+(?:classification|diagnostic)\s+criteria\s+(?:for|of))?|"
    r"fulfill?(?:s|ing)?\s+the)",
    re.IGNORECASE,
)


def _classification_label(match: re.Match[str]) -> str | None:
    year = match.group("a") or match.group("b")
    orgs = []
    for org in _ORG.findall(match.group("orgs")):
        short = org.upper()
        if short.startswith("AMERICAN"):
            short = "ACR"
        elif short.startswith("INTERNATIONAL"):
            short = "ILAR"
        elif short.startswith("EUROPEAN"):
            short = "EULAR"
        if short not in orgs:
            orgs.append(short)
    if year is None or not orgs:
        return None
    return f"{year} {'/'.join(orgs)}"


_DISEASE_DURATION = re.compile(
    r"(?:with\s+)?(?:a\s+)?(?:disease\s+history|disease\s+duration|history)\s*(?:of\s+)?"
    r"(?:≥|>=|of\s+at\s+least|for\s+at\s+least|at\s+least|for\s+more\s+than|over)\s*"
    rf"(?P<wnum>{COUNT})\s*(?P<wunit>months?|years?)(?:\s+(?:prior\s+to|before)\s+screening)?",
    re.IGNORECASE,
)


def _diagnoses(text: str, _kind: str, taken: tuple[tuple[int, int], ...] = ()) -> list[Mention]:
    """A diagnosis named in the clause: ``diagnosis has`` with classification and duration.

    ``taken``: spans other mentions already read ("scleroderma-related antibodies" is not a
    diagnosis of scleroderma). See engine/parser/diagnoses.py for what counts as a diagnosis
    mention beside the lead words.
    """
    conditions = [
        c for c in find_conditions(text) if not any(s < c[2] and c[1] < e for s, e in taken)
    ]
    if not conditions:
        return []
    ids = list(dict.fromkeys(c for c, _, _ in conditions))
    first = ids[0]
    others = set(ids) - {first}
    including = re.search(r"\bincluding\b", text, re.IGNORECASE) and all(
        condition_covers(first, other) for other in others
    )
    alternatives = bool(others) and not including and diagnosis_alternatives(text, conditions)
    if others and not including and not alternatives:
        return []
    lead = _DIAGNOSIS_LEAD.search(text)
    classifications = list(_CLASSIFICATION.finditer(text))
    named_sets = named_classifications(text, first)
    leaf: Rule = {"fact": "diagnosis", "op": "has", "value": ids if alternatives else [first]}
    spans = [(s, e) for _, s, e in conditions]
    mentions = [Mention(s, e, {}, "none") for s, e in spans]
    # Every set named ("the 2002 ... criteria or the 2016 ACR/EULAR criteria"): the patient
    # may meet either, so one left out would make a classified patient unknown.
    labels: list[str] = []
    for found in classifications:
        label = _classification_label(found)
        if label is not None and label not in labels:
            labels.append(label)
        mentions.append(Mention(found.start(), found.end(), {}, "none"))
    for start, end, label in named_sets:
        if any(s < end and start < e for s, e in ((m.start(), m.end()) for m in classifications)):
            continue
        labels.append(label)
        mentions.append(Mention(start, end, {}, "none"))
    if labels:
        leaf["classification"] = labels
    if lead is not None:
        mentions.append(Mention(lead.start(), lead.end(), {}, "none"))
    including_match = re.search(r",?\s*\(?including\b", text, re.IGNORECASE)
    if others and including and including_match is not None:
        mentions.append(Mention(including_match.start(), including_match.end(), {}, "none"))
    duration = _DISEASE_DURATION.search(text) or condition_duration(text, spans[-1][1])
    if duration is not None:
        leaf["min_duration"] = window(duration)
        mentions.append(Mention(duration.start(), duration.end(), {}, "none"))
    mentions.extend(Mention(s, e, {}, "none") for s, e in cohort_lead_out(text))
    start = min(m.start for m in mentions)
    end = max(m.end for m in mentions)
    leaf["text"] = _leaf_text(text, start, end)
    mentions.append(Mention(start, start, leaf, "diagnosis"))
    return mentions


# ---------------------------------------------------------------------------------------------
# Clauses
# ---------------------------------------------------------------------------------------------

_FINDERS: tuple[Callable[[str], list[Mention]], ...] = (
    _ages,
    _ecg,
    _viral_loads,
    _booleans,
    _pregnancy,
    _suspicions,
    _events,
)
_OR = re.compile(r"(?<![\w-])(?:or|and/or)(?![\w-])", re.IGNORECASE)


def read_clause(text: str, kind: str, source: str | None = None) -> Rule | None:
    """The rule of one clause when every word of it is understood; None otherwise.

    ``source``: the clause as written when ``text`` is a copy with parts blanked out (same
    length); leaf texts are taken from it so they stay verbatim.
    """
    rule = _read_clause(text, kind)
    if rule is not None and source is not None and len(source) == len(text):
        _restore_texts(rule, text, source)
    return rule


def _restore_texts(node: Rule, blanked: str, source: str) -> None:
    if "text" in node:
        position = blanked.find(node["text"])
        if position >= 0:
            node["text"] = source[position : position + len(node["text"])]
    for key in ("all", "any", "of"):
        for child in node.get(key, ()):
            _restore_texts(child, blanked, source)
    if "not" in node:
        _restore_texts(node["not"], blanked, source)


def _read_clause(text: str, kind: str) -> Rule | None:
    if not text.strip() or len(text) > MAX_CLAUSE_CHARS:
        return None
    body_start = 0
    label = _LABEL.match(text)
    if label is not None and not re.search(r"[<>≤≥=\d]", label.group(0)):
        body_start = label.end()
    body = text[body_start:]
    mentions: list[Mention] = []
    for finder in (
        _ages,
        lambda part: _measures(part, kind),
        lambda part: [Mention(*found) for found in find_findings(part, kind)],
        *_FINDERS[1:],
    ):
        for mention in finder(body):
            if any(
                m.start < mention.end and mention.start < m.end for m in mentions if m.end > m.start
            ):
                continue
            mentions.append(mention)
    taken = tuple((m.start, m.end) for m in mentions if m.rule and m.end > m.start)
    mentions.extend(_diagnoses(body, kind, taken))
    rules = [m for m in mentions if m.rule]
    if not rules:
        return None
    spans = [(m.start, m.end) for m in mentions]
    rest = _residual_words(body, spans)
    unknown = [w for w in rest if w not in _FILLER_WORDS]
    if unknown:
        return None
    rules.sort(key=lambda m: m.start)
    families = {m.family for m in rules}
    has_or = "or" in rest
    has_and = "and" in rest or "with" in rest
    if len(rules) == 1:
        return rules[0].rule
    if kind == EXCLUSION and "diagnosis" in families:
        # "EGPA or active tuberculosis": either excludes; "SLE with active ILD" is one
        # combination, which an exclusion list cannot say.
        return _unique("any", [m.rule for m in rules]) if has_or and not has_and else None
    if kind == EXCLUSION and families <= {"event", "pregnancy"}:
        # "psychiatric disorders and severe cognitive impairments": each excludes on its own.
        return _unique("any", [m.rule for m in rules])
    if has_or and has_and:
        return _precedence(body, rules)
    if has_or:
        return _unique("any", [m.rule for m in rules])
    if kind == EXCLUSION:
        if families <= {"serology", "measure"}:
            # "HBcAb positive and HBV DNA > ULN" needs both; "HIV, HCV" (commas) either.
            return _unique("all" if has_and else "any", [m.rule for m in rules])
        return None  # a mixed list in an exclusion is left for review
    return _unique("all", [m.rule for m in rules])


def _unique(mode: str, rules: list[Rule]) -> Rule:
    """``{mode: rules}`` without repeated leaves; one rule alone stands for itself."""
    seen: list[Rule] = []
    for rule in rules:
        key = {k: v for k, v in rule.items() if k != "text"}
        if all({k: v for k, v in other.items() if k != "text"} != key for other in seen):
            seen.append(rule)
    return seen[0] if len(seen) == 1 else {mode: seen}


def _precedence(body: str, rules: list[Mention]) -> Rule | None:
    """ "A or B with C" read as A or (B and C); only for test results, never disease lists."""
    if {m.family for m in rules} - {"serology", "measure"}:
        return None
    groups: list[list[Rule]] = [[rules[0].rule]]
    for before, after in pairwise(rules):
        gap = body[before.end : after.start]
        if _OR.search(gap):
            groups.append([after.rule])
        else:
            groups[-1].append(after.rule)
    parts: list[Rule] = [g[0] if len(g) == 1 else {"all": g} for g in groups]
    return {"any": parts}
