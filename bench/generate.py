"""Synthetic ClinicalTrials.gov v2 studies, deterministic from a seed, as a bulk-download zip.

The records have the shape of the seed trials (resources/trials) and criteria text composed from
the same kinds of sentences the seeds use (lab thresholds, serology exclusions, score thresholds,
wash-out windows, consent), so the importer and the criteria parser do real work. Nothing here is
a real trial: ids are in the NCT99xxxxxx range, which ClinicalTrials.gov has not assigned.
"""

from __future__ import annotations

import argparse
import json
import random
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.registry_text import registry_exclusion, registry_filler, registry_inclusion

FIRST_SYNTHETIC_NCT = 99_000_000
STUDIES_PER_PAGE = 1_000
# "default": the sentence library below (two or three values per sentence; the main bench set).
# "registry": values drawn from wide ranges (bench/registry_text.py), far fewer repeated atoms.
DIVERSITIES = ("default", "registry")

CONDITIONS: tuple[tuple[str, str, float], ...] = (
    # (condition, short name used in titles, share)
    ("Systemic Lupus Erythematosus", "SLE", 0.22),
    ("Lupus Nephritis", "lupus nephritis", 0.06),
    ("Systemic Sclerosis", "SSc", 0.10),
    ("Idiopathic Inflammatory Myopathies", "myositis", 0.07),
    ("ANCA-Associated Vasculitis", "AAV", 0.07),
    ("Rheumatoid Arthritis", "RA", 0.12),
    ("Sjogren's Syndrome", "Sjögren's", 0.06),
    ("Diffuse Large B-Cell Lymphoma", "DLBCL", 0.08),
    ("Multiple Myeloma", "multiple myeloma", 0.06),
    ("Non-Small Cell Lung Cancer", "NSCLC", 0.06),
    ("Heart Failure With Reduced Ejection Fraction", "HFrEF", 0.05),
    ("Atrial Fibrillation", "atrial fibrillation", 0.05),
)

INTERVENTIONS: tuple[tuple[str, str], ...] = (
    ("BIOLOGICAL", "CD19 CAR-T cells"),
    ("BIOLOGICAL", "CD19/BCMA CAR-T cells"),
    ("BIOLOGICAL", "Anifrolumab"),
    ("DRUG", "Obinutuzumab"),
    ("DRUG", "Deucravacitinib"),
    ("DRUG", "Upadacitinib"),
    ("BIOLOGICAL", "Telitacicept"),
    ("DRUG", "Mycophenolate mofetil"),
    ("DRUG", "Avacopan"),
    ("BIOLOGICAL", "Teclistamab"),
    ("DRUG", "Osimertinib"),
    ("DRUG", "Empagliflozin"),
    ("DEVICE", "Pulsed-field ablation catheter"),
)

# Recruitment status shares: most open, some closed, some records without a status.
STATUSES: tuple[tuple[str | None, float], ...] = (
    ("RECRUITING", 0.55),
    ("NOT_YET_RECRUITING", 0.20),
    ("ACTIVE_NOT_RECRUITING", 0.08),
    ("ENROLLING_BY_INVITATION", 0.03),
    ("COMPLETED", 0.06),
    ("TERMINATED", 0.02),
    ("WITHDRAWN", 0.01),
    ("SUSPENDED", 0.01),
    (None, 0.04),
)

PHASES: tuple[tuple[list[str], float], ...] = (
    (["EARLY_PHASE1"], 0.08),
    (["PHASE1"], 0.30),
    (["PHASE1", "PHASE2"], 0.17),
    (["PHASE2"], 0.25),
    (["PHASE3"], 0.15),
    ([], 0.05),
)

MINIMUM_AGES: tuple[tuple[str | None, float], ...] = (
    ("18 Years", 0.80),
    ("12 Years", 0.05),
    ("5 Years", 0.03),
    (None, 0.12),
)
MAXIMUM_AGES: tuple[tuple[str | None, float], ...] = (
    ("65 Years", 0.35),
    ("70 Years", 0.15),
    ("75 Years", 0.10),
    (None, 0.40),
)
SEXES: tuple[tuple[str | None, float], ...] = (
    ("ALL", 0.85),
    ("FEMALE", 0.10),
    ("MALE", 0.02),
    (None, 0.03),
)

CITIES: tuple[tuple[str, str | None, str, float, float], ...] = (
    ("Boston", "Massachusetts", "United States", 42.3601, -71.0589),
    ("New York", "New York", "United States", 40.7128, -74.0060),
    ("Chicago", "Illinois", "United States", 41.8781, -87.6298),
    ("Houston", "Texas", "United States", 29.7604, -95.3698),
    ("Los Angeles", "California", "United States", 34.0522, -118.2437),
    ("Seattle", "Washington", "United States", 47.6062, -122.3321),
    ("Toronto", "Ontario", "Canada", 43.6532, -79.3832),
    ("Erlangen", "Bavaria", "Germany", 49.5897, 11.0040),
    ("Berlin", None, "Germany", 52.5200, 13.4050),
    ("Paris", None, "France", 48.8566, 2.3522),
    ("Milan", "Lombardy", "Italy", 45.4642, 9.1900),
    ("Madrid", None, "Spain", 40.4168, -3.7038),
    ("London", None, "United Kingdom", 51.5072, -0.1276),
    ("Hangzhou", "Zhejiang", "China", 30.2741, 120.1551),
    ("Tianjin", "Tianjin", "China", 39.3434, 117.3616),
    ("Shanghai", "Shanghai", "China", 31.2304, 121.4737),
    ("Tokyo", None, "Japan", 35.6762, 139.6503),
    ("Sydney", "New South Wales", "Australia", -33.8688, 151.2093),
    ("São Paulo", "SP", "Brazil", -23.5558, -46.6396),
)
SITE_STATUSES = ("RECRUITING", "RECRUITING", "RECRUITING", "NOT_YET_RECRUITING", "COMPLETED")
SURNAMES = ("Schett", "Müller", "Wang", "Li", "Smith", "García", "Rossi", "Dupont", "Tanaka")
GIVEN = ("Anna", "Georg", "Wei", "Mei", "John", "Lucía", "Marco", "Claire", "Hiro")

# ---------------------------------------------------------------------------------------------
# Criteria sentences, in the shapes of the seed texts


def _inclusion_sentences(rng: random.Random, short: str) -> list[str]:
    """Inclusion criteria for a trial in ``short`` (the condition as titles say it)."""
    classification = {
        "SLE": "the 2019 EULAR/ACR classification criteria for SLE",
        "lupus nephritis": "the 2019 EULAR/ACR classification criteria for SLE",
        "SSc": "the 2013 ACR/EULAR classification criteria for systemic sclerosis",
        "myositis": "the 2017 EULAR/ACR classification criteria for idiopathic inflammatory "
        "myopathies",
        "AAV": "the 2022 ACR/EULAR classification criteria for ANCA-associated vasculitis",
        "RA": "the 2010 ACR/EULAR classification criteria for rheumatoid arthritis",
        "Sjögren's": "the 2016 ACR/EULAR classification criteria for primary Sjögren's syndrome",
    }.get(short, f"histologically or clinically confirmed {short}")
    age = rng.choice((18, 18, 18, 16, 12))
    upper = rng.choice((65, 70, 75))
    score = {
        "SLE": f"SLEDAI-2K score ≥{rng.choice((6, 8, 10))} points at screening",
        "lupus nephritis": "Biopsy-proven active lupus nephritis class III or IV (ISN/RPS 2003), "
        "with or without class V, within 6 months before screening",
        "SSc": f"Modified Rodnan skin score (mRSS) ≥{rng.choice((10, 15))}",
        "myositis": "Manual Muscle Testing (MMT-8) score ≤136/150",
        "AAV": f"BVAS version 3 score ≥{rng.choice((3, 5))}",
        "RA": f"DAS28-CRP > {rng.choice(('3.2', '5.1'))} at screening",
        "Sjögren's": f"ESSDAI score ≥{rng.choice((5, 6))}",
    }.get(short, f"ECOG performance status 0-{rng.choice((1, 2))}")
    lines = [
        f"Age {age} to {upper} years, male or female",
        f"Diagnosed with {short} according to {classification}",
        score,
        f"Disease refractory to at least {rng.choice((2, 3))} standard treatments, including "
        "glucocorticoids and at least one immunosuppressant, for at least 3 months",
        f"Absolute neutrophil count (ANC) ≥{rng.choice(('1.0', '1.5'))}×10^9/L",
        f"Platelet count ≥{rng.choice((50, 75, 100))}×10^9/L",
        f"Hemoglobin ≥{rng.choice((80, 90))} g/L",
        f"eGFR ≥{rng.choice((30, 45, 60))} mL/min/1.73m²",
        f"ALT and AST ≤{rng.choice(('2.5', '3'))} × ULN; "
        f"total bilirubin ≤{rng.choice(('1.5', '2'))} × ULN",
        f"Left ventricular ejection fraction (LVEF) ≥{rng.choice((45, 50, 55))}%",
        "SpO2 ≥92% on room air",
        "Negative serum pregnancy test for women of childbearing potential within 7 days before "
        "enrolment",
        "Agree to use effective contraception during the study and for 12 months after infusion",
        "Able to understand and willing to sign the informed consent form",
        f"Positive antinuclear antibody (ANA) titre ≥1:{rng.choice((80, 160))} or positive "
        "anti-dsDNA antibody at screening",
        f"Stable dose of prednisone ≤{rng.choice((10, 15, 20))} mg/day for at least 2 weeks "
        "before screening",
        f"Body weight ≥{rng.choice((40, 45))} kg",
        "Adequate venous access for leukapheresis",
    ]
    rng.shuffle(lines)
    return lines[: rng.randint(8, len(lines))]


def _exclusion_sentences(rng: random.Random) -> list[str]:
    window = rng.choice((2, 4, 8, 12))
    lines = [
        "Hepatitis B surface antigen (HBsAg) positive, or hepatitis B core antibody (HBcAb) "
        "positive with detectable HBV DNA",
        "Hepatitis C virus (HCV) antibody positive with detectable HCV RNA",
        "Human immunodeficiency virus (HIV) antibody positive",
        "Syphilis antibody positive",
        "Active tuberculosis at the time of screening",
        "Uncontrolled active infection requiring systemic treatment within 1 week prior to "
        "screening",
        f"Received rituximab or other anti-CD20 therapy within {rng.choice((3, 6))} months "
        "before screening",
        f"Received cyclophosphamide within {window} weeks before screening",
        "Received CAR-T cell therapy or any gene-modified cell therapy previously",
        "History of organ transplantation or hematopoietic stem cell transplantation",
        "Pregnant or breastfeeding women",
        "Central nervous system lupus or other active CNS disease requiring treatment within "
        "60 days",
        "Acute myocardial infarction or unstable angina within 6 months prior to screening",
        "New York Heart Association (NYHA) class III or IV heart failure",
        f"QTcF > {rng.choice((450, 470, 480))} ms on screening ECG",
        "Malignancy within the past 5 years, except treated basal cell carcinoma or cervical "
        "carcinoma in situ",
        f"Live vaccine within {rng.choice((4, 6))} weeks before screening",
        f"Participation in another interventional clinical trial within {window} weeks",
        "Serum creatinine > 2 × ULN",
        f"Total IgG < {rng.choice((4, 5))} g/L",
        "Known allergy to any component of the study drug",
        "History of severe drug allergy or anaphylaxis",
        "Major surgery within 4 weeks before screening",
        "Any condition that, in the investigator's opinion, makes the patient unsuitable",
        "Alcohol or drug abuse within the past year",
        "Interstitial lung disease with FVC < 50% predicted",
        "Pulmonary arterial hypertension requiring intravenous therapy",
        "Scleroderma renal crisis within 6 months",
        "Grade ≥2 graft-versus-host disease within 2 weeks prior to screening",
        "Active bleeding or coagulation disorder (INR > 1.5 × ULN)",
        f"Absolute lymphocyte count < {rng.choice(('0.3', '0.5'))}×10^9/L",
        "Use of JAK inhibitors within 4 weeks before screening",
        "Intravenous immunoglobulin within 3 months before screening",
        "Plasma exchange within 4 weeks before screening",
        "History of progressive multifocal leukoencephalopathy",
        "Positive for cytomegalovirus (CMV) DNA or Epstein-Barr virus (EBV) DNA in peripheral "
        "blood",
        "Uncontrolled hypertension (systolic ≥160 mmHg or diastolic ≥100 mmHg)",
        "Uncontrolled diabetes (HbA1c > 9%)",
        "Epilepsy or other seizure disorder requiring treatment",
        "Psychiatric illness that would limit compliance",
    ]
    rng.shuffle(lines)
    return lines[: rng.randint(10, len(lines))]


def criteria_text(rng: random.Random, short: str, diversity: str = "default") -> tuple[str, int]:
    """Registry-style criteria text (numbered lists under the two headings) and its item count.

    20 to 60 items; the counts follow from the seed-like sentence pools.
    """
    if diversity == "registry":
        inclusion = registry_inclusion(rng, short)
        exclusion = registry_exclusion(rng)
    else:
        inclusion = _inclusion_sentences(rng, short)
        exclusion = _exclusion_sentences(rng)
    total = rng.randint(20, 60)
    # Trim or repeat with variations so the total lands where drawn; repeats differ by window.
    while len(inclusion) + len(exclusion) > total:
        (exclusion if len(exclusion) > len(inclusion) else inclusion).pop()
    extra = 0
    while len(inclusion) + len(exclusion) < total:
        extra += 1
        if diversity == "registry":
            exclusion.append(registry_filler(rng))
            continue
        exclusion.append(
            f"Received investigational agent number {extra} within {rng.choice((4, 8, 12))} "
            "weeks or 5 half-lives before screening, whichever is longer"
        )
    bullet = rng.choice(("numbered", "star"))

    def listing(items: list[str]) -> str:
        if bullet == "numbered":
            return "\n".join(f"{number}. {item};" for number, item in enumerate(items, 1))
        return "\n".join(f"* {item}" for item in items)

    text = (
        "Inclusion Criteria:\n\n"
        + listing(inclusion)
        + "\n\nExclusion Criteria:\n\n"
        + listing(exclusion)
    )
    return text, len(inclusion) + len(exclusion)


# ---------------------------------------------------------------------------------------------
# Studies


def _weighted(rng: random.Random, options: tuple[tuple[Any, float], ...]) -> Any:
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights)[0]


def _contact(rng: random.Random, role: str) -> dict[str, str]:
    name = f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}"
    return {
        "name": name,
        "role": role,
        "phone": f"+1 555 {rng.randint(1000, 9999)}",
        "email": f"{name.split()[0].lower()}.{rng.randint(1, 999)}@example.org",
    }


def _site(rng: random.Random) -> dict[str, Any]:
    city, state, country, latitude, longitude = rng.choice(CITIES)
    site: dict[str, Any] = {
        "facility": f"{city} {rng.choice(('University Hospital', 'Medical Center', 'Clinic'))}",
        "status": rng.choice(SITE_STATUSES),
        "city": city,
        "country": country,
        "zip": f"{rng.randint(10000, 99999)}",
        "geoPoint": {
            "lat": round(latitude + rng.uniform(-0.2, 0.2), 4),
            "lon": round(longitude + rng.uniform(-0.2, 0.2), 4),
        },
        "contacts": [_contact(rng, "CONTACT") for _ in range(rng.randint(1, 2))],
    }
    if state is not None:
        site["state"] = state
    return site


def generate_study(index: int, seed: int, diversity: str = "default") -> tuple[dict[str, Any], int]:
    """Study number ``index`` of the set drawn from ``seed``, and its criteria item count."""
    if diversity not in DIVERSITIES:
        raise ValueError(f"unknown diversity {diversity!r}; expected one of {DIVERSITIES}")
    rng = random.Random(f"{seed}:{index}")
    condition, short, _ = _weighted(rng, tuple((c, c[2]) for c in CONDITIONS))
    intervention_type, intervention = rng.choice(INTERVENTIONS)
    nct_id = f"NCT{FIRST_SYNTHETIC_NCT + index:08d}"
    status = _weighted(rng, STATUSES)
    text, item_count = criteria_text(rng, short, diversity)
    status_module: dict[str, Any] = {
        "startDateStruct": {"date": f"{rng.randint(2022, 2026)}-{rng.randint(1, 12):02d}-01"},
        "completionDateStruct": {"date": f"{rng.randint(2027, 2031)}-{rng.randint(1, 12):02d}"},
        "lastUpdatePostDateStruct": {
            "date": f"{rng.randint(2024, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        },
    }
    if status is not None:
        status_module["overallStatus"] = status
    eligibility: dict[str, Any] = {"eligibilityCriteria": text, "healthyVolunteers": False}
    for key, options in (
        ("minimumAge", MINIMUM_AGES),
        ("maximumAge", MAXIMUM_AGES),
        ("sex", SEXES),
    ):
        value = _weighted(rng, options)
        if value is not None:
            eligibility[key] = value
    arm_label = f"{intervention} arm"
    study = {
        "protocolSection": {
            "identificationModule": {
                "nctId": nct_id,
                "orgStudyIdInfo": {"id": f"BENCH-{index}"},
                "briefTitle": f"{intervention} in {rng.choice(('Refractory', 'Active', 'Early'))} "
                f"{short} (synthetic benchmark record {index})",
            },
            "statusModule": status_module,
            "sponsorCollaboratorsModule": {
                "leadSponsor": {"name": f"{rng.choice(CITIES)[0]} Research Institute"},
                "collaborators": [{"name": "Synthetic Collaborative Group"}],
            },
            "descriptionModule": {
                "briefSummary": f"A synthetic study of {intervention} in {condition}, generated "
                "for TrialMatch benchmarks."
            },
            "conditionsModule": {
                "conditions": [condition],
                "keywords": [short, intervention],
            },
            "designModule": {
                "studyType": "INTERVENTIONAL",
                "phases": _weighted(rng, PHASES),
                "enrollmentInfo": {"count": rng.randint(6, 600), "type": "ESTIMATED"},
            },
            "armsInterventionsModule": {
                "armGroups": [
                    {
                        "label": arm_label,
                        "type": "EXPERIMENTAL",
                        "interventionNames": [f"{intervention_type.title()}: {intervention}"],
                    }
                ],
                "interventions": [
                    {
                        "type": intervention_type,
                        "name": intervention,
                        "armGroupLabels": [arm_label],
                    }
                ],
            },
            "eligibilityModule": eligibility,
            "contactsLocationsModule": {
                "centralContacts": [_contact(rng, "CONTACT")],
                "overallOfficials": [
                    {
                        "name": f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}",
                        "affiliation": "Synthetic University",
                        "role": "PRINCIPAL_INVESTIGATOR",
                    }
                ],
                # Most trials have few sites; a few are large multicentre trials.
                "locations": [
                    _site(rng) for _ in range(min(50, max(1, int(rng.paretovariate(1.2)))))
                ],
            },
        }
    }
    return study, item_count


def generate_studies(count: int, seed: int, diversity: str = "default") -> Iterator[dict[str, Any]]:
    """``count`` studies; study ``i`` is the same whatever ``count`` is."""
    for index in range(count):
        yield generate_study(index, seed, diversity)[0]


def write_bulk_zip(
    path: Path,
    count: int,
    seed: int,
    per_page: int = STUDIES_PER_PAGE,
    diversity: str = "default",
) -> Path:
    """Write ``count`` studies as search-results pages (``{"studies": [...]}``) in a zip."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for page, start in enumerate(range(0, count, per_page)):
            studies = [
                generate_study(index, seed, diversity)[0]
                for index in range(start, min(count, start + per_page))
            ]
            content = {"studies": studies, "totalCount": count}
            zf.writestr(f"ctg-studies-page-{page:04d}.json", json.dumps(content))
    partial.replace(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--diversity", choices=DIVERSITIES, default="default")
    arguments = parser.parse_args()
    write_bulk_zip(arguments.out, arguments.count, arguments.seed, diversity=arguments.diversity)


if __name__ == "__main__":
    main()
