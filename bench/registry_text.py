"""Less repetitive synthetic criteria (``diversity="registry"``): values drawn from wide ranges.

The default generator (bench/generate.py) composes each criterion from a sentence with two or
three possible values, so 1,000 trials share a few dozen distinct rule atoms and the compiled
matcher, which evaluates each distinct atom once per patient, looks better than it would on a
real registry. Here every threshold, window, age, dose and score cut-off is drawn from the range
trials actually use, in the spellings registries use (×10^9/L or /µL, g/dL or g/L), one
criterion may combine one to five thresholds, and wash-out windows name any of the drugs the
parser knows. The ranges were chosen from what eligibility sections commonly state, before the
atom figures were measured, and were not adjusted to them (docs/performance.md).
"""

from __future__ import annotations

import random
from collections.abc import Callable

# Drugs named in wash-out windows: treatments the vocabulary knows (engine/vocabulary.py) as
# registries spell them, and eculizumab, which it does not (that window stays for review).
WASHOUT_DRUGS = (
    "cyclophosphamide",
    "azathioprine",
    "methotrexate",
    "leflunomide",
    "hydroxychloroquine",
    "tacrolimus",
    "voclosporin",
    "sirolimus",
    "thalidomide",
    "obinutuzumab",
    "ocrelizumab",
    "ofatumumab",
    "inebilizumab",
    "belimumab",
    "telitacicept",
    "anifrolumab",
    "tocilizumab",
    "sarilumab",
    "abatacept",
    "anakinra",
    "canakinumab",
    "mepolizumab",
    "avacopan",
    "adalimumab",
    "etanercept",
    "infliximab",
    "golimumab",
    "certolizumab pegol",
    "tofacitinib",
    "baricitinib",
    "upadacitinib",
    "filgotinib",
    "intravenous immunoglobulin (IVIG)",
    "rituximab",
    "eculizumab",
)
WINDOW_AFTER = ("before screening", "prior to randomization", "before the first dose")


def _step(rng: random.Random, low: float, high: float, step: float) -> float:
    """A value from low to high (both included) in ``step`` increments."""
    return low + step * rng.randint(0, round((high - low) / step))


def _number(value: float) -> str:
    """A value as registries write it: no trailing ``.0``."""
    return f"{value:g}"


def _anc(rng: random.Random) -> str:
    value = _step(rng, 0.5, 2.0, 0.1)
    match rng.randrange(4):
        case 0:
            return f"absolute neutrophil count (ANC) ≥{_number(round(value, 1))}×10^9/L"
        case 1:
            return f"ANC ≥ {round(value * 1000):,}/µL"
        case 2:
            return f"neutrophils ≥{_number(round(value, 1))} x 10^9/L"
        case _:
            return f"ANC ≥{round(value * 1000)} cells/mm³"


def _platelets(rng: random.Random) -> str:
    value = round(_step(rng, 50, 150, rng.choice((5, 10))))
    if rng.random() < 0.6:
        return f"platelet count ≥{value}×10^9/L"
    return f"platelets ≥ {value * 1000:,}/µL"


def _hemoglobin(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"hemoglobin ≥{_number(round(_step(rng, 8.0, 11.0, 0.5), 1))} g/dL"
    return f"haemoglobin ≥ {round(_step(rng, 80, 110, 5))} g/L"


def _kidney(rng: random.Random) -> str:
    value = round(_step(rng, 15, 90, 5))
    match rng.randrange(3):
        case 0:
            return f"eGFR ≥{value} mL/min/1.73m²"
        case 1:
            return f"creatinine clearance ≥ {value} mL/min (Cockcroft-Gault)"
        case _:
            return f"serum creatinine ≤ {_number(round(_step(rng, 1.0, 2.5, 0.1), 1))} mg/dL"


def _liver(rng: random.Random) -> str:
    transaminases = _number(_step(rng, 1.5, 5.0, 0.5))
    bilirubin = _number(_step(rng, 1.0, 3.0, 0.5))
    if rng.random() < 0.5:
        return f"ALT and AST ≤{transaminases} × ULN; total bilirubin ≤{bilirubin} × ULN"
    return f"ALT ≤{transaminases} × ULN"


def _lvef(rng: random.Random) -> str:
    return f"left ventricular ejection fraction (LVEF) ≥{round(_step(rng, 35, 55, 5))}%"


ORGAN_LABS: tuple[Callable[[random.Random], str], ...] = (
    _anc,
    _platelets,
    _hemoglobin,
    _kidney,
    _liver,
    _lvef,
)


def _capitalised(text: str) -> str:
    return text[0].upper() + text[1:]


def _organ_function(rng: random.Random) -> str:
    """One to five thresholds in one criterion, as "Adequate organ function: ..." lists do."""
    count = rng.choice((1, 1, 1, 2, 3, 4, 5))
    parts = [reader(rng) for reader in rng.sample(ORGAN_LABS, count)]
    if count == 1:
        return _capitalised(parts[0])
    joined = ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Adequate {rng.choice(('organ', 'bone marrow and organ'))} function: {joined}"


def _age(rng: random.Random) -> str:
    lower = rng.choice((18, 18, 18, rng.randint(12, 40)))
    if rng.random() < 0.3:
        return f"Aged {lower} years or older"
    return f"Age {lower} to {rng.randint(max(lower + 10, 50), 80)} years, male or female"


def _score(rng: random.Random, short: str) -> str:
    match short:
        case "SLE":
            return f"SLEDAI-2K score ≥{rng.randint(4, 12)} points at screening"
        case "SSc":
            return f"Modified Rodnan skin score (mRSS) ≥{rng.randint(10, 25)}"
        case "AAV":
            return f"BVAS version 3 score ≥{rng.randint(1, 10)}"
        case "RA":
            return f"DAS28-CRP > {_number(round(_step(rng, 2.6, 5.1, 0.1), 1))} at screening"
        case "Sjögren's":
            return f"ESSDAI score ≥{rng.randint(4, 14)}"
        case _:
            return f"ECOG performance status 0-{rng.choice((1, 2))}"


def _washout(rng: random.Random) -> str:
    drug = rng.choice(WASHOUT_DRUGS)
    unit = rng.choice(("weeks", "months"))
    amount = rng.randint(1, 24) if unit == "weeks" else rng.randint(1, 12)
    return f"Received {drug} within {amount} {unit} {rng.choice(WINDOW_AFTER)}"


def _other_thresholds(rng: random.Random) -> str:
    match rng.randrange(4):
        case 0:
            return (
                f"Absolute lymphocyte count < {_number(round(_step(rng, 0.2, 1.0, 0.1), 1))}×10^9/L"
            )
        case 1:
            return f"Body weight ≥ {rng.randint(35, 60)} kg"
        case 2:
            return f"Interstitial lung disease with FVC < {round(_step(rng, 40, 70, 5))}% predicted"
        case _:
            return f"Serum creatinine > {_number(_step(rng, 1.5, 3.0, 0.5))} × ULN"


def registry_inclusion(rng: random.Random, short: str) -> list[str]:
    """Inclusion criteria: the default generator's sentences without a drawn value (registries
    do repeat such text) plus drawn age, score and organ-function criteria."""
    drawn = [
        _age(rng),
        f"Diagnosed with {short} according to the current classification criteria",
        _score(rng, short),
    ]
    drawn += [_organ_function(rng) for _ in range(rng.randint(1, 5))]
    lines = list(FIXED_INCLUSION) + drawn
    rng.shuffle(lines)
    return lines[: rng.randint(max(8, len(drawn)), len(lines))]


def registry_exclusion(rng: random.Random) -> list[str]:
    """Exclusion criteria: the default's sentences without a drawn value plus drawn wash-out
    windows and thresholds."""
    drawn = [_washout(rng) for _ in range(rng.randint(2, 8))]
    drawn += [_other_thresholds(rng) for _ in range(rng.randint(1, 3))]
    lines = list(FIXED_EXCLUSION) + drawn
    rng.shuffle(lines)
    return lines[: rng.randint(10, len(lines))]


def registry_filler(rng: random.Random) -> str:
    """An exclusion criterion to bring a short text up to its drawn item count."""
    return _washout(rng) if rng.random() < 0.7 else _other_thresholds(rng)


# Sentences of the default generator that carry no drawn value; registries repeat such text.
FIXED_INCLUSION = (
    "SpO2 ≥92% on room air",
    "Negative serum pregnancy test for women of childbearing potential within 7 days before "
    "enrolment",
    "Agree to use effective contraception during the study and for 12 months after infusion",
    "Able to understand and willing to sign the informed consent form",
    "Adequate venous access for leukapheresis",
    "Disease refractory to at least 2 standard treatments, including glucocorticoids and at "
    "least one immunosuppressant, for at least 3 months",
)
FIXED_EXCLUSION = (
    "Hepatitis B surface antigen (HBsAg) positive, or hepatitis B core antibody (HBcAb) "
    "positive with detectable HBV DNA",
    "Hepatitis C virus (HCV) antibody positive with detectable HCV RNA",
    "Human immunodeficiency virus (HIV) antibody positive",
    "Active tuberculosis at the time of screening",
    "Uncontrolled active infection requiring systemic treatment within 1 week prior to screening",
    "Received CAR-T cell therapy or any gene-modified cell therapy previously",
    "History of organ transplantation or hematopoietic stem cell transplantation",
    "Pregnant or breastfeeding women",
    "Acute myocardial infarction or unstable angina within 6 months prior to screening",
    "New York Heart Association (NYHA) class III or IV heart failure",
    "Malignancy within the past 5 years, except treated basal cell carcinoma or cervical "
    "carcinoma in situ",
    "Known allergy to any component of the study drug",
    "Major surgery within 4 weeks before screening",
    "Any condition that, in the investigator's opinion, makes the patient unsuitable",
    "History of progressive multifocal leukoencephalopathy",
    "Epilepsy or other seizure disorder requiring treatment",
)
