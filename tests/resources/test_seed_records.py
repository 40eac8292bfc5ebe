"""The bundled seed trials are faithful ClinicalTrials.gov API v2 transcriptions of shared/seeds."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from resources import resource_path

TRIALS_DIR = resource_path("trials")
# CI clones the repository with shared/ beside it; a developer's tree has the same layout.
SEEDS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"

# ---------------------------------------------------------------------------------------------
# Official v2 vocabulary (ClinicalTrials.gov data structure, enum types).


def words(text: str) -> set[str]:
    return set(text.split())


RECRUITMENT_STATUSES = words(
    "ACTIVE_NOT_RECRUITING COMPLETED ENROLLING_BY_INVITATION NOT_YET_RECRUITING RECRUITING"
    " SUSPENDED TERMINATED WITHDRAWN AVAILABLE NO_LONGER_AVAILABLE TEMPORARILY_NOT_AVAILABLE"
    " APPROVED_FOR_MARKETING WITHHELD UNKNOWN"
)
ENUMS: dict[str, set[str]] = {
    "overallStatus": RECRUITMENT_STATUSES,
    "studyType": words("INTERVENTIONAL OBSERVATIONAL EXPANDED_ACCESS"),
    "phases": words("NA EARLY_PHASE1 PHASE1 PHASE2 PHASE3 PHASE4"),
    "allocation": words("RANDOMIZED NON_RANDOMIZED NA"),
    "interventionModel": words("SINGLE_GROUP PARALLEL CROSSOVER FACTORIAL SEQUENTIAL"),
    "primaryPurpose": words(
        "TREATMENT PREVENTION DIAGNOSTIC ECT SUPPORTIVE_CARE SCREENING HEALTH_SERVICES_RESEARCH"
        " BASIC_SCIENCE DEVICE_FEASIBILITY OTHER"
    ),
    "masking": words("NONE SINGLE DOUBLE TRIPLE QUADRUPLE"),
    "enrollmentType": words("ACTUAL ESTIMATED"),
    "dateType": words("ACTUAL ESTIMATED"),
    "armGroupType": words(
        "EXPERIMENTAL ACTIVE_COMPARATOR PLACEBO_COMPARATOR SHAM_COMPARATOR NO_INTERVENTION OTHER"
    ),
    "interventionType": words(
        "BEHAVIORAL BIOLOGICAL COMBINATION_PRODUCT DEVICE DIAGNOSTIC_TEST DIETARY_SUPPLEMENT DRUG"
        " GENETIC PROCEDURE RADIATION OTHER"
    ),
    "sex": words("ALL FEMALE MALE"),
    "agencyClass": words("NIH FED OTHER_GOV INDIV INDUSTRY NETWORK AMBIG OTHER UNKNOWN"),
    "responsiblePartyType": words("SPONSOR PRINCIPAL_INVESTIGATOR SPONSOR_INVESTIGATOR"),
    "officialRole": words("STUDY_CHAIR STUDY_DIRECTOR PRINCIPAL_INVESTIGATOR"),
    "contactRole": words(
        "STUDY_CHAIR STUDY_DIRECTOR PRINCIPAL_INVESTIGATOR SUB_INVESTIGATOR CONTACT"
    ),
    "referenceType": words("BACKGROUND RESULT DERIVED"),
}
# Facility-contact roles are kept as the seed pages write them (see resources/trials/README.md).
SEED_FACILITY_CONTACT_ROLES = {"primary", "backup", "Primary"}

DATE_STRUCTS = words(
    "startDateStruct primaryCompletionDateStruct completionDateStruct studyFirstPostDateStruct"
    " lastUpdatePostDateStruct"
)
MODULE_FIELDS: dict[str, set[str]] = {
    "identificationModule": words(
        "nctId orgStudyIdInfo briefTitle officialTitle acronym organization"
    ),
    "statusModule": {"overallStatus", *DATE_STRUCTS},
    "sponsorCollaboratorsModule": {"leadSponsor", "collaborators", "responsibleParty"},
    "descriptionModule": {"briefSummary", "detailedDescription"},
    "conditionsModule": {"conditions", "keywords"},
    "designModule": {"studyType", "phases", "designInfo", "enrollmentInfo"},
    "armsInterventionsModule": {"armGroups", "interventions"},
    "eligibilityModule": words("eligibilityCriteria healthyVolunteers sex minimumAge maximumAge"),
    "contactsLocationsModule": {"centralContacts", "overallOfficials", "locations"},
    "referencesModule": {"references"},
}
REQUIRED_MODULES = {"identificationModule", "eligibilityModule"}
CONTACT_FIELDS = {"name", "role", "phone", "email"}
LOCATION_FIELDS = {"facility", "status", "city", "state", "zip", "country", "contacts", "geoPoint"}
AGE_PATTERN = re.compile(r"\d+ (Years|Months|Weeks|Days|Hours|Minutes)")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}(-\d{2})?")

# ---------------------------------------------------------------------------------------------
# Where each seed page shows its criteria: (first line, line after the block, first is heading).

CRITERIA_BLOCKS: dict[str, tuple[str, str, bool]] = {
    "000": (
        "Check the participation requirements, including inclusion and exclusion rules, "
        "age limits, and whether healthy volunteers are accepted.",
        "18 Years",
        False,
    ),
    "001": (
        "Eligibility criteria",
        "About Institute Of Hematology & Blood Diseases Hospital, China",
        False,
    ),
    "002": (
        "Check the participation requirements, including inclusion and exclusion rules, "
        "age limits, and whether healthy volunteers are accepted.",
        "Minimum Eligible Age",
        False,
    ),
    "003": ("Inclusion criteria", "Primary purpose", True),
    "004": ("View:", "Locations", False),
}
EXPECTED_IDENTITY: dict[str, dict[str, str | None]] = {
    "000": {"nctId": "NCT06503224", "orgStudyId": "SWKCART24031101"},
    "001": {"nctId": "NCT06941129", "orgStudyId": None},
    "002": {"nctId": "NCT06691152", "orgStudyId": "PBC078"},
    "003": {"nctId": None, "orgStudyId": None},
    "004": {"nctId": None, "orgStudyId": None},
}

SEED_BULLETS = "•‣⁃∙"
HEADING = re.compile(r"(inclusion|exclusion) criteria:?", re.IGNORECASE)
# Not inside a longer token (a DOI such as 10.1007/s11926-021-00985-0 is no phone number).
PHONE = re.compile(r"(?<![\w+./-])\+?\d[\d-]{7,}\d(?![\w./-])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# ---------------------------------------------------------------------------------------------
# Helpers


def trial_files() -> list[Path]:
    return sorted(TRIALS_DIR.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def seed_key(path: Path) -> str:
    match = re.fullmatch(r"seed_(\d{3})_[a-z0-9-]+\.json", path.name)
    assert match, f"{path.name}: expected seed_NNN_<slug>.json"
    return match.group(1)


def seed_text(key: str) -> str:
    if not SEEDS_DIR.is_dir():
        pytest.fail(f"seed pages not found at {SEEDS_DIR} (shared/ must sit beside the repository)")
    (path,) = SEEDS_DIR.glob(f"{key}_*.txt")
    return path.read_text(encoding="utf-8")


def seed_criteria_lines(key: str) -> list[str]:
    """The criteria block of a seed page, one entry per non-empty line."""
    first, after, first_is_heading = CRITERIA_BLOCKS[key]
    lines = seed_text(key).split("\n")
    start = lines.index(first)
    end = lines.index(after, start + 1)
    block = lines[start if first_is_heading else start + 1 : end]
    return [line for line in block if line.strip()]


def normalise_line(line: str) -> str:
    """Drop indentation, list bullets (seed glyphs or markdown) and repeated spaces.

    Numbering ("2."), the registry's escapes (``\\<``) and every word are kept, so an edited,
    re-numbered or unescaped sentence no longer compares equal.
    """
    text = line.strip()
    text = re.sub(rf"^(?:[{SEED_BULLETS}]|[*-](?= ))\s*", "", text)
    text = re.sub(r"\s+", " ", text)
    if HEADING.fullmatch(text):
        text = text.rstrip(":").casefold()
    return text


def record_criteria_lines(record: dict[str, Any]) -> list[str]:
    criteria: str = record["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    return [normalise_line(line) for line in criteria.split("\n") if line.strip()]


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of a JSON tree with its dotted path (list items as [i])."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}[{index}]")
    else:
        yield path, node


def phones_and_emails_in_seed(key: str) -> tuple[set[str], set[str]]:
    text = seed_text(key)
    phones = {m for m in PHONE.findall(text) if not ISO_DATE.fullmatch(m)}
    return phones, set(EMAIL.findall(text))


def contacts(record: dict[str, Any]) -> list[dict[str, Any]]:
    module = record["protocolSection"].get("contactsLocationsModule", {})
    found = list(module.get("centralContacts", []))
    for location in module.get("locations", []):
        found += location.get("contacts", [])
    return found


def criteria_levels(criteria: str) -> list[int]:
    """List depth of each bullet line, from its indentation (two spaces per level)."""
    levels = []
    for line in criteria.split("\n"):
        match = re.match(r"^( *)\* ", line)
        if match:
            levels.append(len(match.group(1)) // 2 + 1)
    return levels


ALL_FILES = trial_files()
FILE_IDS = [path.name for path in ALL_FILES]


# ---------------------------------------------------------------------------------------------
# The set of files


def test_one_file_per_seed_page() -> None:
    assert sorted(seed_key(path) for path in ALL_FILES) == ["000", "001", "002", "003", "004"]


@pytest.mark.parametrize("path", ALL_FILES, ids=FILE_IDS)
def test_provenance_names_its_seed(path: Path) -> None:
    record = load(path)
    source = record["trialmatchSource"]
    assert set(source) == {"seed", "layout"}
    assert source["seed"].startswith(seed_key(path) + "_")
    assert (SEEDS_DIR / source["seed"]).is_file()
    assert source["layout"].strip()


# ---------------------------------------------------------------------------------------------
# Shape and vocabulary


@pytest.mark.parametrize("path", ALL_FILES, ids=FILE_IDS)
def test_only_known_modules_and_fields(path: Path) -> None:
    record = load(path)
    assert set(record) == {"protocolSection", "derivedSection", "trialmatchSource"}
    protocol = record["protocolSection"]
    assert set(protocol) >= REQUIRED_MODULES
    for module, fields in protocol.items():
        assert module in MODULE_FIELDS, module
        assert set(fields) <= MODULE_FIELDS[module], (module, set(fields) - MODULE_FIELDS[module])
    assert set(record["derivedSection"]) <= {"miscInfoModule"}
    assert set(record["derivedSection"].get("miscInfoModule", {})) <= {"versionHolder"}


@pytest.mark.parametrize("path", ALL_FILES, ids=FILE_IDS)
def test_enum_values_are_official(path: Path) -> None:
    protocol = load(path)["protocolSection"]
    status = protocol.get("statusModule", {})
    if "overallStatus" in status:
        assert status["overallStatus"] in ENUMS["overallStatus"]
    for name in DATE_STRUCTS & set(status):
        struct = status[name]
        assert set(struct) <= {"date", "type"}
        assert DATE_PATTERN.fullmatch(struct["date"]), (name, struct)
        if "type" in struct:
            assert struct["type"] in ENUMS["dateType"]

    sponsors = protocol.get("sponsorCollaboratorsModule", {})
    for sponsor in [sponsors.get("leadSponsor", {}), *sponsors.get("collaborators", [])]:
        if "class" in sponsor:
            assert sponsor["class"] in ENUMS["agencyClass"]
    if "responsibleParty" in sponsors:
        assert sponsors["responsibleParty"]["type"] in ENUMS["responsiblePartyType"]

    design = protocol.get("designModule", {})
    assert design.get("studyType", "INTERVENTIONAL") in ENUMS["studyType"]
    assert set(design.get("phases", [])) <= ENUMS["phases"]
    info = design.get("designInfo", {})
    for field in ("allocation", "interventionModel", "primaryPurpose"):
        if field in info:
            assert info[field] in ENUMS[field]
    if "maskingInfo" in info:
        assert info["maskingInfo"]["masking"] in ENUMS["masking"]
    enrollment = design.get("enrollmentInfo", {})
    if enrollment:
        assert isinstance(enrollment["count"], int)
        assert enrollment["count"] > 0
        assert enrollment.get("type", "ACTUAL") in ENUMS["enrollmentType"]

    arms = protocol.get("armsInterventionsModule", {})
    for arm in arms.get("armGroups", []):
        assert arm.get("type", "OTHER") in ENUMS["armGroupType"]
    for intervention in arms.get("interventions", []):
        assert intervention.get("type", "OTHER") in ENUMS["interventionType"]

    eligibility = protocol["eligibilityModule"]
    assert eligibility.get("sex", "ALL") in ENUMS["sex"]
    for field in ("minimumAge", "maximumAge"):
        if field in eligibility:
            assert AGE_PATTERN.fullmatch(eligibility[field])
    if "healthyVolunteers" in eligibility:
        assert isinstance(eligibility["healthyVolunteers"], bool)

    people = protocol.get("contactsLocationsModule", {})
    for contact in people.get("centralContacts", []):
        assert set(contact) <= CONTACT_FIELDS
        assert contact.get("role", "CONTACT") in ENUMS["contactRole"]
    for official in people.get("overallOfficials", []):
        assert official["role"] in ENUMS["officialRole"]
    for location in people.get("locations", []):
        assert set(location) <= LOCATION_FIELDS
        if "status" in location:
            assert location["status"] in RECRUITMENT_STATUSES
        for contact in location.get("contacts", []):
            assert set(contact) <= CONTACT_FIELDS
            assert contact["role"] in ENUMS["contactRole"] | SEED_FACILITY_CONTACT_ROLES

    for reference in protocol.get("referencesModule", {}).get("references", []):
        assert reference["type"] in ENUMS["referenceType"]
        assert reference["pmid"].isdigit()


@pytest.mark.parametrize("path", ALL_FILES, ids=FILE_IDS)
def test_every_site_has_city_coordinates(path: Path) -> None:
    locations = (
        load(path)["protocolSection"].get("contactsLocationsModule", {}).get("locations", [])
    )
    for location in locations:
        point = location["geoPoint"]
        # Every seed site is in mainland China.
        assert location["country"] == "China"
        assert 18 < point["lat"] < 54
        assert 73 < point["lon"] < 135


# ---------------------------------------------------------------------------------------------
# Faithful to the seed: criteria, identity, contacts, nothing invented


@pytest.mark.parametrize("path", ALL_FILES, ids=FILE_IDS)
def test_criteria_are_the_seed_lines_in_order(path: Path) -> None:
    key = seed_key(path)
    expected = [normalise_line(line) for line in seed_criteria_lines(key)]
    assert record_criteria_lines(load(path)) == expected


@pytest.mark.parametrize("path", ALL_FILES, ids=FILE_IDS)
def test_registry_escapes_and_special_characters_survive(path: Path) -> None:
    key = seed_key(path)
    seed_block = "\n".join(seed_criteria_lines(key))
    criteria = load(path)["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    for token in ("\\<", "\\>", "\\^", "≥", "≤", "×", "⁹", "₂", "µ", "’", "“", "”"):
        assert criteria.count(token) == seed_block.count(token), token


@pytest.mark.parametrize("path", ALL_FILES, ids=FILE_IDS)
def test_identity_matches_the_seed(path: Path) -> None:
    key = seed_key(path)
    identification = load(path)["protocolSection"]["identificationModule"]
    expected = EXPECTED_IDENTITY[key]
    assert identification.get("nctId") == expected["nctId"]
    assert identification.get("orgStudyIdInfo", {}).get("id") == expected["orgStudyId"]
    text = seed_text(key)
    for value in (expected["nctId"], expected["orgStudyId"]):
        if value is not None:
            assert value in text
    if "briefTitle" in identification:
        assert identification["briefTitle"] in text.split("\n")


def test_seeds_without_an_nct_id_get_none() -> None:
    for path in ALL_FILES:
        if seed_key(path) in {"003", "004"}:
            assert "nctId" not in load(path)["protocolSection"]["identificationModule"]
            assert not re.search(r"NCT\d{8}", seed_text(seed_key(path)))


@pytest.mark.parametrize("path", ALL_FILES, ids=FILE_IDS)
def test_phones_and_emails_are_verbatim(path: Path) -> None:
    key = seed_key(path)
    seed_phones, seed_emails = phones_and_emails_in_seed(key)
    record_contacts = contacts(load(path))
    assert {c["phone"] for c in record_contacts if "phone" in c} == seed_phones
    assert {c["email"] for c in record_contacts if "email" in c} == seed_emails


def test_phone_pattern_finds_every_seed_number() -> None:
    found = set()
    for key in EXPECTED_IDENTITY:
        phones, emails = phones_and_emails_in_seed(key)
        found |= phones | emails
    assert found == words(
        "0571-86670076 15088688407 +86-571-86670076 +8615088688407 13685773988 meipinglu@zju.edu.cn"
    )


# Leaves whose value is a v2 code, a date, a number or layout the transcriber chose, not seed text.
MAPPED_LEAVES = re.compile(
    r"(overallStatus|\.type|\.class|\.role|studyType|phases\[\d+\]|allocation|interventionModel"
    r"|primaryPurpose|masking|sex|minimumAge|maximumAge|healthyVolunteers|\.date|geoPoint\.\w+"
    r"|eligibilityCriteria|interventionNames\[\d+\]|count|versionHolder)$"
)


@pytest.mark.parametrize("path", ALL_FILES, ids=FILE_IDS)
def test_every_text_value_is_on_the_seed_page(path: Path) -> None:
    key = seed_key(path)
    text = re.sub(r"\s+", " ", seed_text(key))
    for leaf, value in walk(load(path)["protocolSection"]):
        if MAPPED_LEAVES.search(leaf):
            continue
        assert isinstance(value, str), leaf
        assert re.sub(r"\s+", " ", value) in text, (leaf, value)


@pytest.mark.parametrize("path", ALL_FILES, ids=FILE_IDS)
def test_enrollment_count_is_on_the_seed_page(path: Path) -> None:
    enrollment = load(path)["protocolSection"].get("designModule", {}).get("enrollmentInfo")
    if enrollment:
        count = enrollment["count"]
        pattern = rf"\b{count} participants\b|participants: {count}\b"
        assert re.search(pattern, seed_text(seed_key(path)))


# ---------------------------------------------------------------------------------------------
# Per-seed decisions the README records


def record_for(key: str) -> dict[str, Any]:
    (path,) = [path for path in ALL_FILES if seed_key(path) == key]
    return load(path)


def test_seed_000_inclusion_list_starts_at_item_2() -> None:
    criteria = record_for("000")["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    assert criteria.startswith("Inclusion Criteria:\n\n2. At the time of signing")
    assert "\n\nExclusion Criteria:\n\n2. Those suffering" in criteria
    assert "\n1. At the time" not in criteria


def test_seed_001_dates_and_facilityless_site() -> None:
    record = record_for("001")
    status = record["protocolSection"]["statusModule"]
    assert status["studyFirstPostDateStruct"] == {"date": "2025-04-16"}
    assert record["derivedSection"]["miscInfoModule"]["versionHolder"] == "2025-06-28"
    (site,) = record["protocolSection"]["contactsLocationsModule"]["locations"]
    assert "facility" not in site
    assert (site["city"], site["country"]) == ("Tianjin", "China")


def test_seed_002_facility_contacts_as_written() -> None:
    (site,) = record_for("002")["protocolSection"]["contactsLocationsModule"]["locations"]
    assert [(c["name"], c["role"], c.get("phone")) for c in site["contacts"]] == [
        ("Jianhua Mao, MD", "primary", "+86-571-86670076"),
        ("Xue He, MD", "backup", "+8615088688407"),
        ("Jianhua Mao, MD", "backup", None),
    ]


def test_seed_003_contact_without_phone_or_email() -> None:
    people = record_for("003")["protocolSection"]["contactsLocationsModule"]
    assert people["centralContacts"] == [{"name": "Jing Pan"}]


def test_seed_004_target_enrollment_is_estimated() -> None:
    design = record_for("004")["protocolSection"]["designModule"]
    assert design["enrollmentInfo"] == {"count": 11, "type": "ESTIMATED"}
    assert "Target number of participants: 11" in seed_text("004")


def test_seed_004_glyph_bullets_become_nested_items() -> None:
    """Re-derive each item's depth from the seed glyphs and compare with the JSON indentation.

    ‣ and ⁃ mark second-level items, ∙ third-level ones; • is top level, except directly under
    a second-level item that ends with a colon, where it opens that item's sub-list.
    """
    expected: list[int] = []
    previous_level, previous_text = 0, ""
    for line in seed_criteria_lines("004"):
        glyph, text = line[0], line[1:].strip()
        if glyph in "‣⁃":
            level = 2
        elif glyph == "∙":
            level = 3
        else:
            assert glyph == "•", line
            level = 3 if previous_level == 2 and previous_text.endswith(":") else 1
        expected.append(level)
        previous_level, previous_text = level, text
    criteria = record_for("004")["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    assert criteria_levels(criteria) == expected
    assert expected.count(2) == 8
    assert expected.count(3) == 7
