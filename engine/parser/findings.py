"""Disease findings, antibody families, activity counts and disease classes named in a clause."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from engine.parser.mentions import find_conditions
from engine.parser.quantities import COMPARATOR, COUNT, WINDOW, comparator, number, window
from engine.parser.split import EXCLUSION

Rule = dict[str, Any]


class Found(NamedTuple):
    """A recognised span of a clause and its rule (empty: understood, but no rule of its own).

    ``family`` follows engine.parser.rules.Mention: "event" for diseases and history (a list of
    them in an exclusion is any of them), "serology" for test results, "measure" for counts and
    classes, "diagnosis" for a diagnosis, "none" for understood words without a rule.
    """

    start: int
    end: int
    rule: Rule
    family: str


def find_findings(text: str, kind: str) -> list[Found]:
    """Every finding of this module in ``text`` (one clause), without overlaps, left to right."""
    found: list[Found] = []
    for finder in (
        _hbv_core_with_dna,
        _antibody_families,
        _bilag_counts,
        _counts_before_joints,
        _tuberculosis_pair,
        _disease_findings,
        _disease_classes,
        _specific_allergy,
        _sjogren_thrombocytopenia,
        _nephritis_classes,
        _active_disease_by_score,
        _involvement_by_score,
        _optional_tail,
    ):
        for item in finder(text, kind):
            if any(f.start < item.end and item.start < f.end for f in found):
                continue
            found.append(item)
    return sorted(found, key=lambda f: f.start)


def _leaf(fact: str, op: str, text: str, **extra: Any) -> Rule:
    return {"fact": fact, "op": op, **extra, "text": text.strip()}


# ---------------------------------------------------------------------------------------------
# Disease findings (disease.* facts the physician enters as yes / no)
# ---------------------------------------------------------------------------------------------

_ILD = (
    r"(?:interstitial\s+lung\s+diseases?|interstitial\s+pneumonia|interstitial\s+pneumonitis|ILD)"
)
_HRCT = (
    r"(?:high[-\s]resolution\s+computed\s+tomography(?:\s*\(HRCT\))?|HRCT|chest\s+CT|CT)"
    r"(?:\s+scans?)?"
)
# A cause written after the finding ("interstitial pneumonia caused by SSc"): the fact cannot
# hold the cause, so the study team checks it.
_CAUSE = re.compile(
    r"\s+(?:caused\s+by|due\s+to|secondary\s+to|related\s+to|associated\s+with)\s+", re.IGNORECASE
)
_FINDINGS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            rf"(?<![\w-])(?:active\s+{_ILD}(?:\s*\(ILD\))?|{_HRCT}\s+(?:showing|shows|showed|with|"
            r"indicating|indicates)\s+ground[-\s]glass\s+(?:opacit(?:y|ies)|shadows?|changes?))(?![\w-])",
            re.IGNORECASE,
        ),
        "disease.ild_active",
    ),
    (
        re.compile(
            rf"(?<![\w-])(?:(?:clear\s+)?evidence\s+of\s+)?(?:{_HRCT}\s+progression|progression\s+"
            rf"(?:on|in|of)\s+{_HRCT})(?![\w-])",
            re.IGNORECASE,
        ),
        "disease.hrct_progression",
    ),
    (re.compile(rf"(?<![\w-]){_ILD}(?:\s*\(ILD\))?(?![\w-])", re.IGNORECASE), "disease.ild"),
    (
        re.compile(
            r"(?<![\w-])(?:signs?\s+of\s+)?(?:scleroderma\s+)?renal\s+crisis(?![\w-])",
            re.IGNORECASE,
        ),
        "disease.renal_crisis",
    ),
    (
        re.compile(r"(?<![\w-])severe\s+(?:kidney|renal)\s+diseases?(?![\w-])", re.IGNORECASE),
        "disease.severe_kidney_disease",
    ),
)
_ISOLATED_MUCOCUTANEOUS = re.compile(
    r"(?<![\w-])isolated\s+(?:skin\s+and\s+mucous\s+membranes?|skin\s+and\s+mucosal?|mucocutaneous|"
    r"cutaneous\s+and\s+mucosal)\s+(?:involvement|disease|manifestations?)"
    r"(?P<not_eligible>\s+(?:is|are)\s+not\s+eligible(?:\s+for\s+(?:inclusion|enrol(?:l)?ment|"
    r"the\s+study))?)?(?![\w-])",
    re.IGNORECASE,
)


_FINDING_HINT = re.compile(r"interstitial|ILD|CT|renal|kidney|isolated", re.IGNORECASE)


def _disease_findings(text: str, kind: str) -> list[Found]:
    found: list[Found] = []
    if _FINDING_HINT.search(text) is None:
        return found
    for pattern, fact in _FINDINGS:
        for match in pattern.finditer(text):
            if match.group(0) == "ild":  # a lower-case "ild" is not the abbreviation
                continue
            if any(f.start < match.end() and match.start() < f.end for f in found):
                continue
            leaf = _leaf(fact, "is_true", match.group(0))
            end = match.end()
            cause = _CAUSE.match(text, end)
            if cause is not None:
                named = find_conditions(text[cause.end() :])
                if not named or named[0][1] != 0:
                    continue  # a cause the vocabulary does not name: not read
                end = cause.end() + named[0][2]
                rule: Rule = {"all": [leaf, {"review": text[match.start() : end].strip()}]}
                found.append(Found(match.start(), end, rule, "event"))
                continue
            found.append(Found(match.start(), end, leaf, "event"))
    for match in _ISOLATED_MUCOCUTANEOUS.finditer(text):
        # "isolated skin and mucous membrane involvement is not eligible" (an inclusion): the
        # patient must not have only mucocutaneous disease. As an exclusion item it excludes.
        if match.group("not_eligible") and kind != EXCLUSION:
            op = "is_false"
        elif not match.group("not_eligible") and kind == EXCLUSION:
            op = "is_true"
        else:
            continue
        found.append(
            Found(
                match.start(),
                match.end(),
                _leaf("disease.isolated_mucocutaneous", op, match.group(0)),
                "event",
            )
        )
    return found


# ---------------------------------------------------------------------------------------------
# Antibody families
# ---------------------------------------------------------------------------------------------

_POSITIVE_BEFORE = r"(?:(?:tested\s+)?positive\s+(?:for\s+)?|presence\s+of\s+)"
_POSITIVE_AFTER = r"(?:\s+(?:is\s+|are\s+)?positive)"
# Families whose members the vocabulary holds. Neither list is closed (rarer antibodies such as
# anti-Th/To or atypical ANCA exist), so each family keeps a review alternative: a patient
# negative for every listed member is for the study team, never ruled out.
_FAMILIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        r"(?:scleroderma|SSc|systemic\s+sclerosis)[-\s](?:related|associated|specific)\s+"
        r"(?:auto)?antibod(?:y|ies)",
        ("antibody.anti_scl70", "antibody.anti_centromere", "antibody.anti_rnapol3"),
        "Another scleroderma-related antibody is positive (e.g. anti-Th/To, anti-PM/Scl, "
        "anti-U3-RNP).",
    ),
    (
        r"ANCA[-\s](?:associated|related)\s+(?:auto)?antibod(?:y|ies)|"
        r"anti-?neutrophil\s+cytoplasmic\s+antibod(?:y|ies)(?:\s*\(ANCA\))?|ANCA",
        ("antibody.mpo_anca", "antibody.pr3_anca"),
        "ANCA is positive without MPO or PR3 specificity (e.g. by immunofluorescence only).",
    ),
)


_FAMILY_PATTERNS = tuple(
    re.compile(
        rf"(?<![\w-])(?:{_POSITIVE_BEFORE}(?:{name})(?![\w-])|(?:{name}){_POSITIVE_AFTER}(?![\w-]))",
        re.IGNORECASE,
    )
    for name, _, _ in _FAMILIES
)


def _antibody_families(text: str, _kind: str) -> list[Found]:
    found: list[Found] = []
    if "antibod" not in text.casefold() and "anca" not in text.casefold():
        return found
    for pattern, (_, members, other) in zip(_FAMILY_PATTERNS, _FAMILIES, strict=True):
        for match in pattern.finditer(text):
            words = match.group(0)
            leaves: list[Rule] = [_leaf(member, "is_true", words) for member in members]
            found.append(
                Found(match.start(), match.end(), {"any": [*leaves, {"review": other}]}, "serology")
            )
    return found


# "HBV core antibody and positive for DNA by RT-PCR", "hepatitis B core antibody with detectable
# HBV DNA": the DNA named after the core antibody is HBV DNA, and both are required.
_HBV_CORE_WITH_DNA = re.compile(
    r"(?<![\w-])(?:positive\s+(?:for\s+)?)?(?:hepatitis\s+B\s+core\s+antibod(?:y|ies)|HBV\s+core\s+"
    r"antibod(?:y|ies)|anti-?HBc|HBcAb)(?:\s*\((?:anti-?HBc|HBcAb)\))?\s+(?:and\s+(?:positive\s+for|"
    r"detectable)|with\s+(?:a\s+)?(?:detectable|positive))\s+(?:(?:hepatitis\s+B\s+virus\s+|HBV\s+)?"
    r"DNA)(?:\s+by\s+(?:RT-?)?PCR)?(?![\w-])",
    re.IGNORECASE,
)


def _hbv_core_with_dna(text: str, _kind: str) -> list[Found]:
    return [
        Found(
            m.start(),
            m.end(),
            {
                "all": [
                    _leaf("serology.hbcab", "is_true", m.group(0)),
                    _leaf("serology.hbv_dna", "is_true", m.group(0)),
                ],
                "text": m.group(0).strip(),
            },
            "serology",
        )
        for m in _HBV_CORE_WITH_DNA.finditer(text)
    ]


# ---------------------------------------------------------------------------------------------
# Disease-activity counts
# ---------------------------------------------------------------------------------------------

_GRADE = (
    r"(?:(?:BILAG(?:[-\s]?2004)?\s+)?(?:grade\s+)?[\"'“‘]?{letter}[\"'”’]?"
    r"(?:\s+(?:organ|domain|system)s?)?(?:\s+(?:scores?|items?))?)"
)
_BILAG = re.compile(
    r"(?<![\w-])BILAG(?:[-\s]?2004)?(?:\s+(?:assessment|index|scores?))?(?:\s+(?:of\s+)?(?:the\s+)?"
    r"presence\s+of|\s+(?:with|showing|of))?\s+(?:at\s+least|≥)\s*"
    rf"(?P<a>{COUNT})\s+{_GRADE.format(letter='A')}\s+or\s+(?:at\s+least\s+|≥\s*)?"
    rf"(?P<b>{COUNT})\s+{_GRADE.format(letter='B')}(?![\w-])",
    re.IGNORECASE,
)


def _bilag_counts(text: str, _kind: str) -> list[Found]:
    """ "BILAG-2004 ... at least 1 grade A or 2 grade B organ scores" → A count or B count."""
    found: list[Found] = []
    if "bilag" not in text.casefold():
        return found
    for match in _BILAG.finditer(text):
        words = match.group(0)
        rule = {
            "any": [
                _leaf("score.bilag_a_count", ">=", words, value=int(number(match.group("a")))),
                _leaf("score.bilag_b_count", ">=", words, value=int(number(match.group("b")))),
            ],
            "text": words.strip(),
        }
        found.append(Found(match.start(), match.end(), rule, "measure"))
    return found


_JOINTS = re.compile(
    COMPARATOR + rf"\s*(?P<n>{COUNT})\s+(?P<what>active|swollen|tender)\s+joints?(?![\w-])",
    re.IGNORECASE,
)
_JOINT_FACTS = {"active": "score.active_joints", "swollen": "score.sjc", "tender": "score.tjc"}


def _counts_before_joints(text: str, _kind: str) -> list[Found]:
    """ "at least 2 active joints", "≥ 6 swollen joints": the count before the joints."""
    found: list[Found] = []
    if "joint" not in text.casefold():
        return found
    for match in _JOINTS.finditer(text):
        op = comparator(match.group("cmp"))
        if op is None or op == "==":
            continue
        fact = _JOINT_FACTS[match.group("what").casefold()]
        leaf = _leaf(fact, op, match.group(0), value=int(number(match.group("n"))))
        found.append(Found(match.start(), match.end(), leaf, "measure"))
    return found


# ---------------------------------------------------------------------------------------------
# Infections and disease classes
# ---------------------------------------------------------------------------------------------

_TB_PAIR = re.compile(
    r"(?<![\w-])(?:active\s+(?:and/or|or)\s+latent|latent\s+(?:and/or|or)\s+active)\s+"
    r"(?:tuberculosis|TB)(?:\s+infections?)?(?![\w-])",
    re.IGNORECASE,
)


def _tuberculosis_pair(text: str, _kind: str) -> list[Found]:
    """ "Active or latent tuberculosis infection": either one (the noun is shared)."""
    return [
        Found(
            m.start(),
            m.end(),
            {
                "any": [
                    _leaf("infection.active_tb", "is_true", m.group(0)),
                    _leaf("infection.latent_tb", "is_true", m.group(0)),
                ],
                "text": m.group(0).strip(),
            },
            "event",
        )
        for m in _TB_PAIR.finditer(text)
    ]


_WINDOW_AFTER = re.compile(r"\s+" + WINDOW, re.IGNORECASE)
# Disease classes a history fact names. Only with the qualifier the fact holds ("clinically
# significant heart disease"); a plain "heart disease" includes what no trial means.
_CLASSES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"(?<![\w-])(?:relatively\s+)?(?:serious|severe|significant|clinically\s+(?:significant|"
            r"relevant))\s+(?:heart|cardiac)\s+(?:diseases?|disorders?|conditions?)(?![\w-])",
            re.IGNORECASE,
        ),
        "history.cardiac_disease",
    ),
    (
        # "caused by autoimmune diseases or non-autoimmune diseases" is every cause.
        re.compile(
            r"(?<![\w-])(?:central\s+nervous\s+system(?:\s*\(CNS\))?|CNS)\s+(?:diseases?|disorders?)"
            r"(?:\s+caused\s+by\s+autoimmune\s+diseases?\s+or\s+non-?autoimmune\s+diseases?)?(?![\w-])",
            re.IGNORECASE,
        ),
        "history.cns_disease",
    ),
)
# In an exclusion, examples after a class are each part of what excludes; they are read (and
# must all be understood) as alternatives beside the class.
_EXAMPLES = re.compile(r"\s*,?\s*(?:such\s+as|including|e\.g\.|for\s+example)\s+", re.IGNORECASE)


_CLASS_HINT = re.compile(r"heart|cardiac|nervous|CNS", re.IGNORECASE)


def _disease_classes(text: str, kind: str) -> list[Found]:
    found: list[Found] = []
    if _CLASS_HINT.search(text) is None:
        return found
    for pattern, fact in _CLASSES:
        for match in pattern.finditer(text):
            end = match.end()
            leaf: Rule
            after = _WINDOW_AFTER.match(text, end)
            if after is not None:
                end = after.end()
                leaf = _leaf(fact, "within", text[match.start() : end], window=window(after))
            else:
                leaf = _leaf(fact, "ever", match.group(0))
            found.append(Found(match.start(), end, leaf, "event"))
            examples = _EXAMPLES.match(text, end)
            if examples is not None and kind == EXCLUSION:
                found.append(Found(examples.start(), examples.end(), {}, "none"))
    return found


_ALLERGY = re.compile(
    r"(?<![\w-])severe\s+allerg(?:y|ies|ic\s+reactions?)\s+to\s+(?P<what>(?:any\s+)?(?:drugs?|"
    r"medications?|medicines?|components?|ingredients?|excipients?|(?:the\s+)?(?:study|test|trial|"
    r"investigational)\s+(?:drugs?|products?|treatments?))(?![\w-])[^;]*)$",
    re.IGNORECASE,
)
_ALL_DRUGS = re.compile(
    r"\s*(?:any\s+)?(?:drugs?|medications?|medicines?)\s*[.,]?\s*$", re.IGNORECASE
)


def _specific_allergy(text: str, kind: str) -> list[Found]:
    """ "Severe allergy to drugs used in the study ...": a severe drug allergy; the drug: review.

    An exclusion only: a recorded severe drug allergy goes to the study team, and a patient with
    none recorded as absent is not excluded by it. The plain "severe drug allergy" is an event
    of engine.parser.rules.
    """
    if kind != EXCLUSION:
        return []
    match = _ALLERGY.search(text)
    if match is None or _ALL_DRUGS.fullmatch(match.group("what")):
        return []
    rule = {
        "all": [
            _leaf("history.severe_drug_allergy", "ever", text[match.start() : match.start("what")]),
            {"review": text[match.start() :].strip().rstrip(".;")},
        ]
    }
    return [Found(match.start(), len(text), rule, "event")]


_SJOGREN_TP = re.compile(
    r"(?<![\w-])(?:(?:a\s+)?(?:confirmed\s+)?diagnosis\s+of\s+)?"
    r"(?:pSS|primary\s+Sj[öo]e?gren(?:'s|’s|s)?\s+syndrome)[-\s]TP(?![\w-])",
    re.IGNORECASE,
)
_PLATELET_LIMIT = re.compile(
    r"platelets?(?:\s+count)?\s*(?:<|≤|less\s+than|below|lower\s+than)", re.I
)


def _sjogren_thrombocytopenia(text: str, kind: str) -> list[Found]:
    """ "pSS-TP with platelet count < 30 × 10^9/L": Sjögren's, its thrombocytopenia defined by
    the platelet limit in the same clause (without one the "TP" is not read)."""
    if kind == EXCLUSION or _PLATELET_LIMIT.search(text) is None:
        return []
    return [
        Found(
            m.start(),
            m.end(),
            _leaf("diagnosis", "has", m.group(0), value=["sjogren"]),
            "diagnosis",
        )
        for m in _SJOGREN_TP.finditer(text)
    ]


_ROMAN = r"(?:VI|IV|V|III|II|I)(?![\w-])"
_CLASS_LIST = re.compile(
    rf"(?<![\w-])(?:ISN/RPS\s+)?(?:class(?:es)?|type)\s+(?P<classes>{_ROMAN}(?:\s*(?:,\s*(?:or\s+)?|"
    rf"or\s+|and/or\s+|/|\+)\s*(?:class\s+|type\s+)?{_ROMAN})*)"
    r"(?:\s*\((?:ISN/RPS|WHO)[^()]{0,20}\))?"
    r"(?P<with_v>,?\s*with\s+or\s+without\s+(?:class\s+|type\s+)?V(?![\w-]))?"
    r"(?P<biopsy>,?\s*with\s+the\s+(?:renal\s+|kidney\s+)?biopsy\s+(?:performed|done|obtained)\s+"
    r"within\s+\d{1,2}\s+(?:months?|weeks?|days?)(?:\s+(?:before|prior\s+to)\s+(?:the\s+)?"
    r"(?:screening|enrol(?:l)?ment|randomi[sz]ation))?)?",
    re.IGNORECASE,
)
_NEPHRITIS_BEFORE = re.compile(
    r"(?:lupus\s+nephritis|LN|nephritis)(?:\s*\(LN\))?\s*$", re.IGNORECASE
)
_NEPHRITIS_LEAD = re.compile(
    # "the histological diagnosis was active nephritis type III or IV": the biopsy's class is
    # what the words before it name; a bare "nephritis" right before an ISN/RPS class is the
    # lupus nephritis the classes are defined for (the diagnosis itself is not read from it).
    r"(?<![\w-])(?:(?:the\s+)?(?:histolog(?:ical|ic)|patholog(?:ical|ic)|biopsy)\s+"
    r"(?:diagnosis|class(?:ification)?|findings?)\s+(?:was|is|showed|shows|showing|of)\s+)?"
    r"(?:biopsy[-\s](?:proven|confirmed)\s+)?(?:active\s+)?"
    r"(?:(?<!lupus\s)nephritis(?=\s+(?:ISN/RPS\s+)?(?:class|type)\s)|"
    r"(?=(?:lupus\s+nephritis|LN)(?:\s*\(LN\))?\s+(?:ISN/RPS\s+)?(?:class|type)\s))",
    re.IGNORECASE,
)


def _nephritis_classes(text: str, _kind: str) -> list[Found]:
    """ "(active) lupus nephritis class III or IV (ISN/RPS 2003), with or without class V".

    Read only right after "lupus nephritis": a class elsewhere could be anything (NYHA class
    III). "With or without class V" adds no requirement; "biopsy-proven" and "active" before
    the classes are what the proliferative classes say. The biopsy date cannot be held by the
    class, so "with the biopsy performed within 6 months" is for the study team.
    """
    found: list[Found] = []
    if "nephritis" not in text.casefold() and "LN" not in text:
        return found
    for match in _CLASS_LIST.finditer(text):
        if _NEPHRITIS_BEFORE.search(text, 0, match.start()) is None:
            continue
        classes = re.findall(_ROMAN, match.group("classes"), re.IGNORECASE)
        values = list(dict.fromkeys(c.upper() for c in classes))
        end = match.end("classes")
        rule: Rule = _leaf(
            "lupus_nephritis_class", "any_of", text[match.start() : end], value=values
        )
        if match.group("biopsy"):
            rule = {"all": [rule, {"review": match.group("biopsy").strip(" ,")}]}
        found.append(Found(match.start(), match.end(), rule, "measure"))
        leads = [m for m in _NEPHRITIS_LEAD.finditer(text) if m.start() < m.end() < match.start()]
        if leads:
            found.append(Found(leads[-1].start(), leads[-1].end(), {}, "none"))
    return found


# "Active disease with a BVAS of at least 3", "active disease defined as SLEDAI-2K ≥ 6": the
# score that follows says what "active" means, so the words add nothing to read.
_ACTIVE_BY_SCORE = re.compile(
    r"(?<![\w-])active\s+disease\s*,?\s*(?:with|defined\s+(?:as|by)|as\s+defined\s+by)\s+(?:an?\s+)?"
    r"(?=(?:SLEDAI|BVAS|Birmingham\s+Vasculitis|ESSDAI|clinESSDAI|DAS28|CDAI|mRSS|modified\s+Rodnan|"
    r"BILAG)(?![\w]))",
    re.IGNORECASE,
)


def _active_disease_by_score(text: str, _kind: str) -> list[Found]:
    return [Found(m.start(), m.end(), {}, "none") for m in _ACTIVE_BY_SCORE.finditer(text)]


# "Muscle involvement with MMT-8 < 142", "skin involvement defined as mRSS >= 15": a score that
# measures that organ says what the involvement is, so the words add nothing to read. Only the
# organ's own measures: "renal involvement with UPCR > 0.5" stays review (proteinuria has other
# causes than the disease).
_INVOLVEMENT_BY_SCORE = re.compile(
    r"(?<![\w-])(?:(?:muscle|muscular)\s+(?:involvement|weakness)\s*,?\s*"
    r"(?:with|defined\s+(?:as|by)|as\s+defined\s+by)\s+(?:an?\s+)?"
    r"(?=(?:Manual\s+Muscle\s+Testing|MMT-?8|Childhood\s+Myositis\s+Assessment|CMAS)(?![\w]))|"
    r"(?:skin|cutaneous)\s+(?:involvement|thickening)\s*,?\s*"
    r"(?:with|defined\s+(?:as|by)|as\s+defined\s+by)\s+(?:an?\s+)?"
    r"(?=(?:mRSS|modified\s+Rodnan)(?![\w])))",
    re.IGNORECASE,
)


def _involvement_by_score(text: str, _kind: str) -> list[Found]:
    return [Found(m.start(), m.end(), {}, "none") for m in _INVOLVEMENT_BY_SCORE.finditer(text)]


# ", with or without active urinary sediment" at the end of a clause: what may or may not be
# present asks for nothing. Not when the tail sets a condition on the optional thing ("with or
# without methotrexate at a stable dose ≥ 15 mg/week" asks for a stable dose if it is taken),
# so no number, comparator or condition word may follow.
_OPTIONAL_TAIL = re.compile(
    r",?\s*(?<![\w-])with\s+or\s+without\s+"
    r"(?![^;]*(?<![\w-])(?:if|unless|when|provided|stable|dose|doses|dosing|must|should|only)(?![\w-]))"
    r"[^,;:()\d<>≤≥=]{1,80}?\s*[.;]?\s*$",
    re.IGNORECASE,
)


def _optional_tail(text: str, _kind: str) -> list[Found]:
    return [Found(m.start(), m.end(), {}, "none") for m in _OPTIONAL_TAIL.finditer(text)]
