"""Importer for ClinicalTrials.gov API v2 study JSON: single studies, lists, search pages and zips.

Reading and checking a file happens before anything touches the database: a file whose studies
do not all check out is reported and written nowhere. Writing is ``upsert_trials``, which the use
case ``models.operations.import_files`` runs in one transaction per file (per member of a zip).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.identity import identity_content, local_trial_id
from engine.registry_text import AgeFormatError, parse_age_days, unescape_registry_text
from models.base import Base
from models.criteria_set import CriteriaSet, CriteriaSource
from models.topics import TrialTopic, topic_rows, topics_of
from models.trial import (
    SCREENING_COLUMNS,
    ArmGroup,
    CentralContact,
    Collaborator,
    Intervention,
    OverallOfficial,
    Site,
    SiteContact,
    Trial,
    TrialCondition,
    TrialKeyword,
    TrialScreening,
)

NCT_ID_PATTERN = re.compile(r"^NCT\d{8}$")
TRIALMATCH_SOURCE_KEY = "trialmatchSource"
_PREVIEW_LENGTH = 40
# The largest JSON document read into memory: a file, or a zip member by its declared size
# (a ClinicalTrials.gov download of ~10,000 full records is well under this). Larger ones,
# including zip bombs whose members expand past it, are refused before being read.
MAX_DOCUMENT_BYTES = 200 * 1024 * 1024

ImportOutcome = Literal["added", "updated"]


@dataclass(frozen=True, slots=True)
class ImportedTrial:
    """A trial written by an import."""

    file: str
    trial_id: str
    title: str | None


@dataclass(frozen=True, slots=True)
class ImportFailure:
    """Something that was not imported, and why. ``study`` is None when the whole file failed."""

    file: str
    study: str | None
    reason: str

    def message(self) -> str:
        """``file: study: reason`` in one line."""
        parts = [self.file, self.study, self.reason]
        return ": ".join(part for part in parts if part)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import added, updated and could not import."""

    added: tuple[ImportedTrial, ...] = ()
    updated: tuple[ImportedTrial, ...] = ()
    failed: tuple[ImportFailure, ...] = ()

    @property
    def has_failures(self) -> bool:
        return bool(self.failed)


@dataclass(frozen=True, slots=True)
class ImportUnit:
    """One JSON document to import in its own transaction: a file, or one member of a zip."""

    label: str
    content: bytes


class StudyFormatError(ValueError):
    """A field of a study record has the wrong type or an unusable value."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ParsedStudy:
    """One study record, checked and converted to column values, ready to write."""

    trial_id: str
    title: str | None
    columns: Mapping[str, object]
    collaborators: tuple[Mapping[str, object], ...]
    conditions: tuple[str, ...]
    keywords: tuple[str, ...]
    arms: tuple[Mapping[str, object], ...]
    interventions: tuple[Mapping[str, object], ...]
    officials: tuple[Mapping[str, object], ...]
    central_contacts: tuple[Mapping[str, object], ...]
    sites: tuple[tuple[Mapping[str, object], tuple[Mapping[str, object], ...]], ...]


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """The studies of one import unit that checked out, and the failures of those that did not."""

    label: str
    studies: tuple[ParsedStudy, ...] = ()
    failures: tuple[ImportFailure, ...] = field(default=())


def describe_json_value(value: object) -> str:
    """A short description of a JSON value for error messages: ``42``, ``"x"``, ``a list``."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > _PREVIEW_LENGTH:
        text = text[: _PREVIEW_LENGTH - 1] + "…"
    return text


class _Fields:
    """Typed access to one JSON object of a record; every error names the field's full path."""

    def __init__(self, data: Mapping[str, object], path: str) -> None:
        self._data = data
        self._path = path

    @classmethod
    def of(cls, value: object, path: str) -> _Fields:
        if not isinstance(value, dict):
            raise StudyFormatError(path, f"expected an object, got {describe_json_value(value)}")
        return cls(value, path)

    def _child_path(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def _value(self, key: str) -> object:
        return self._data.get(key)

    def _wrong(self, key: str, expected: str, value: object) -> StudyFormatError:
        return StudyFormatError(
            self._child_path(key), f"expected {expected}, got {describe_json_value(value)}"
        )

    def text(self, key: str) -> str | None:
        value = self._value(key)
        if value is None or isinstance(value, str):
            return value
        raise self._wrong(key, "a string", value)

    def integer(self, key: str) -> int | None:
        value = self._value(key)
        if value is None:
            return None
        # bool is an int in Python but never a count in a record.
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise self._wrong(key, "a whole number", value)

    def number(self, key: str) -> float | None:
        value = self._value(key)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise self._wrong(key, "a number", value)

    def boolean(self, key: str) -> bool | None:
        value = self._value(key)
        if value is None or isinstance(value, bool):
            return value
        raise self._wrong(key, "true or false", value)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._value(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self._wrong(key, "a list of strings", value)
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise StudyFormatError(
                    f"{self._child_path(key)}[{index}]",
                    f"expected a string, got {describe_json_value(item)}",
                )
        return tuple(value)

    def module(self, key: str) -> _Fields:
        """A nested object; a missing one reads as empty (the registry omits empty modules)."""
        value = self._value(key)
        if value is None:
            return _Fields({}, self._child_path(key))
        return _Fields.of(value, self._child_path(key))

    def objects(self, key: str) -> tuple[_Fields, ...]:
        value = self._value(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self._wrong(key, "a list of objects", value)
        return tuple(
            _Fields.of(item, f"{self._child_path(key)}[{index}]")
            for index, item in enumerate(value)
        )

    def age_days(self, key: str) -> int | None:
        text = self.text(key)
        try:
            return parse_age_days(text)
        except AgeFormatError as error:
            raise StudyFormatError(self._child_path(key), str(error)) from error


def _markdown(text: str | None) -> str | None:
    """The working form of a markdown field: the registry's escapes become their characters."""
    return None if text is None else unescape_registry_text(text)


def _contact(fields: _Fields) -> dict[str, object]:
    return {
        "name": fields.text("name"),
        "role": fields.text("role"),
        "phone": fields.text("phone"),
        "phone_ext": fields.text("phoneExt"),
        "email": fields.text("email"),
    }


def study_label(index: int, study: object) -> str:
    """``study #3 (NCT01234567)``: the position in the file, and the NCT id or title if readable."""
    label = f"study #{index + 1}"
    if not isinstance(study, dict):
        return label
    protocol = study.get("protocolSection")
    identification = protocol.get("identificationModule") if isinstance(protocol, dict) else None
    if not isinstance(identification, dict):
        return label
    for key in ("nctId", "briefTitle", "officialTitle"):
        value = identification.get(key)
        if isinstance(value, str) and value.strip():
            return f"{label} ({value.strip()})"
    return label


def parse_study(study: object) -> ParsedStudy:
    """Check one API v2 study object and convert it to column values.

    Raises:
        StudyFormatError: naming the field path and what is wrong with it.
    """
    if not isinstance(study, dict):
        raise StudyFormatError("study", f"expected an object, got {describe_json_value(study)}")
    if "protocolSection" not in study:
        raise StudyFormatError("protocolSection", "missing (not a ClinicalTrials.gov study record)")
    record = _Fields(study, "")
    protocol = record.module("protocolSection")
    identification = protocol.module("identificationModule")
    status = protocol.module("statusModule")
    sponsors = protocol.module("sponsorCollaboratorsModule")
    description = protocol.module("descriptionModule")
    conditions = protocol.module("conditionsModule")
    design = protocol.module("designModule")
    arms_interventions = protocol.module("armsInterventionsModule")
    eligibility = protocol.module("eligibilityModule")
    contacts_locations = protocol.module("contactsLocationsModule")
    misc_info = record.module("derivedSection").module("miscInfoModule")

    nct_id = identification.text("nctId")
    if nct_id is not None:
        nct_id = nct_id.strip()
        if not NCT_ID_PATTERN.match(nct_id):
            raise StudyFormatError(
                "protocolSection.identificationModule.nctId",
                f'expected an id such as "NCT01234567", got {describe_json_value(nct_id)}',
            )
    brief_title = identification.text("briefTitle")
    official_title = identification.text("officialTitle")
    org_study_id = identification.module("orgStudyIdInfo").text("id")
    lead_sponsor = sponsors.module("leadSponsor")
    lead_sponsor_name = lead_sponsor.text("name")
    enrollment = design.module("enrollmentInfo")
    criteria_source = eligibility.text("eligibilityCriteria")
    trial_id = nct_id or local_trial_id(
        org_study_id,
        official_title or brief_title,
        lead_sponsor_name,
        content=identity_content(description.text("briefSummary"), criteria_source),
    )
    trialmatch_source = study.get(TRIALMATCH_SOURCE_KEY)
    columns: dict[str, object] = {
        "nct_id": nct_id,
        "org_study_id": org_study_id,
        "brief_title": brief_title,
        "official_title": official_title,
        "acronym": identification.text("acronym"),
        "brief_summary": _markdown(description.text("briefSummary")),
        "detailed_description": _markdown(description.text("detailedDescription")),
        "overall_status": status.text("overallStatus"),
        "phases": list(design.texts("phases")),
        "study_type": design.text("studyType"),
        "enrollment_count": enrollment.integer("count"),
        "enrollment_type": enrollment.text("type"),
        "start_date": status.module("startDateStruct").text("date"),
        "primary_completion_date": status.module("primaryCompletionDateStruct").text("date"),
        "completion_date": status.module("completionDateStruct").text("date"),
        "first_posted": status.module("studyFirstPostDateStruct").text("date"),
        "last_update": status.module("lastUpdatePostDateStruct").text("date"),
        "record_version": misc_info.text("versionHolder"),
        "lead_sponsor_name": lead_sponsor_name,
        "lead_sponsor_class": lead_sponsor.text("class"),
        "eligibility_criteria": _markdown(criteria_source),
        "eligibility_criteria_source": criteria_source,
        "minimum_age": eligibility.text("minimumAge"),
        "minimum_age_days": eligibility.age_days("minimumAge"),
        "maximum_age": eligibility.text("maximumAge"),
        "maximum_age_days": eligibility.age_days("maximumAge"),
        "sex": eligibility.text("sex"),
        "healthy_volunteers": eligibility.boolean("healthyVolunteers"),
        "source_json": json.dumps(study, ensure_ascii=False),
        "trialmatch_source": (
            None if trialmatch_source is None else json.dumps(trialmatch_source, ensure_ascii=False)
        ),
    }
    collaborators = tuple(
        {"name": item.text("name"), "sponsor_class": item.text("class")}
        for item in sponsors.objects("collaborators")
    )
    arms = tuple(
        {
            "label": item.text("label"),
            "arm_type": item.text("type"),
            "description": _markdown(item.text("description")),
            "intervention_names": list(item.texts("interventionNames")),
        }
        for item in arms_interventions.objects("armGroups")
    )
    interventions = tuple(
        {
            "intervention_type": item.text("type"),
            "name": item.text("name"),
            "description": _markdown(item.text("description")),
            "arm_group_labels": list(item.texts("armGroupLabels")),
            "other_names": list(item.texts("otherNames")),
        }
        for item in arms_interventions.objects("interventions")
    )
    officials = tuple(
        {
            "name": item.text("name"),
            "role": item.text("role"),
            "affiliation": item.text("affiliation"),
        }
        for item in contacts_locations.objects("overallOfficials")
    )
    sites = tuple(
        (
            {
                "facility": location.text("facility"),
                "city": location.text("city"),
                "state": location.text("state"),
                "zip": location.text("zip"),
                "country": location.text("country"),
                "status": location.text("status"),
                "latitude": location.module("geoPoint").number("lat"),
                "longitude": location.module("geoPoint").number("lon"),
            },
            tuple(_contact(contact) for contact in location.objects("contacts")),
        )
        for location in contacts_locations.objects("locations")
    )
    return ParsedStudy(
        trial_id=trial_id,
        title=brief_title or official_title,
        columns=columns,
        collaborators=collaborators,
        conditions=conditions.texts("conditions"),
        keywords=conditions.texts("keywords"),
        arms=arms,
        interventions=interventions,
        officials=officials,
        central_contacts=tuple(
            _contact(item) for item in contacts_locations.objects("centralContacts")
        ),
        sites=sites,
    )


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def parse_document(unit: ImportUnit) -> ParsedDocument:
    """Read one JSON document (a study, a list of studies, or a search-results page).

    Every study is checked; the failures name the file, the study and the field. A study whose
    trial id already occurred earlier in the same document is a failure too: which of the two
    records is right cannot be told.
    """
    try:
        data = json.loads(unit.content.decode("utf-8-sig"), parse_constant=_reject_constant)
    except UnicodeDecodeError as error:
        return _file_failure(unit, f"not UTF-8 text (byte {error.start})")
    except ValueError as error:
        return _file_failure(unit, f"not valid JSON: {error}")
    if isinstance(data, dict) and "studies" in data:
        studies = data["studies"]
        if not isinstance(studies, list):
            return _file_failure(
                unit, f"studies: expected a list of studies, got {describe_json_value(studies)}"
            )
    elif isinstance(data, dict):
        studies = [data]
    elif isinstance(data, list):
        studies = data
    else:
        return _file_failure(
            unit,
            "expected a study object, a list of studies or a search-results page, got "
            + describe_json_value(data),
        )
    if not studies:
        return _file_failure(unit, "contains no studies")

    parsed: list[ParsedStudy] = []
    failures: list[ImportFailure] = []
    first_seen: dict[str, str] = {}
    for index, study in enumerate(studies):
        label = study_label(index, study)
        try:
            result = parse_study(study)
        except StudyFormatError as error:
            failures.append(ImportFailure(unit.label, label, str(error)))
            continue
        earlier = first_seen.get(result.trial_id)
        if earlier is not None:
            failures.append(
                ImportFailure(unit.label, label, f"{result.trial_id} occurs twice (also {earlier})")
            )
            continue
        first_seen[result.trial_id] = label
        parsed.append(result)
    return ParsedDocument(unit.label, tuple(parsed), tuple(failures))


def _file_failure(unit: ImportUnit, reason: str) -> ParsedDocument:
    return ParsedDocument(unit.label, failures=(ImportFailure(unit.label, None, reason),))


def read_import_units(path: Path) -> Iterator[ImportUnit | ImportFailure]:
    """The documents in a file: the file itself, or each ``*.json`` member of a zip.

    A file or archive that cannot be read gives an ``ImportFailure`` instead.
    """
    label = path.name
    try:
        is_zip = zipfile.is_zipfile(path)
        if not is_zip:
            size = path.stat().st_size
            if size > MAX_DOCUMENT_BYTES:
                yield ImportFailure(label, None, _too_large(size))
                return
            yield ImportUnit(label, path.read_bytes())
            return
        with zipfile.ZipFile(path) as archive:
            members = [
                info
                for info in archive.infolist()
                if not info.is_dir()
                and info.filename.lower().endswith(".json")
                and "__MACOSX" not in PurePosixPath(info.filename).parts
            ]
            if not members:
                yield ImportFailure(label, None, "the zip archive holds no .json file")
                return
            for info in sorted(members, key=lambda member: member.filename):
                member_label = f"{label}:{info.filename}"
                if info.file_size > MAX_DOCUMENT_BYTES:
                    yield ImportFailure(member_label, None, _too_large(info.file_size))
                    continue
                try:
                    content = archive.read(info)
                except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
                    yield ImportFailure(member_label, None, f"cannot read from the zip: {error}")
                    continue
                yield ImportUnit(member_label, content)
    except FileNotFoundError:
        yield ImportFailure(label, None, f"no such file: {path}")
    except IsADirectoryError:
        yield ImportFailure(label, None, f"is a folder, not a file: {path}")
    except zipfile.BadZipFile as error:
        yield ImportFailure(label, None, f"damaged zip archive: {error}")
    except OSError as error:
        yield ImportFailure(label, None, f"cannot read {path}: {error.strerror or error}")


def _too_large(size: int) -> str:
    return (
        f"is {size:,} bytes; the importer reads JSON documents of at most "
        f"{MAX_DOCUMENT_BYTES:,} bytes (split the download into several files)"
    )


# SQLite before 3.32 allows 999 bound parameters per statement; id lists go in chunks below it.
_IDS_PER_STATEMENT = 500


def _table(model: type[Base]) -> sa.Table:
    return Base.metadata.tables[model.__tablename__]


_TRIALS = _table(Trial)
_SITES = _table(Site)
_SITE_CONTACTS = _table(SiteContact)
_COLLABORATORS = _table(Collaborator)
_CONDITIONS = _table(TrialCondition)
_KEYWORDS = _table(TrialKeyword)
_ARMS = _table(ArmGroup)
_INTERVENTIONS = _table(Intervention)
_OFFICIALS = _table(OverallOfficial)
_CENTRAL_CONTACTS = _table(CentralContact)
_TOPICS = _table(TrialTopic)
_SCREENING = _table(TrialScreening)
# The tables holding one row per list item of a record, keyed by trial_id (site contacts hang
# off sites and are handled with them).
_TRIAL_CHILD_TABLES = (
    _COLLABORATORS,
    _CONDITIONS,
    _KEYWORDS,
    _ARMS,
    _INTERVENTIONS,
    _OFFICIALS,
    _CENTRAL_CONTACTS,
    _TOPICS,
    _SCREENING,
    _SITES,
)


def _id_chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), _IDS_PER_STATEMENT):
        yield ids[start : start + _IDS_PER_STATEMENT]


def _existing_trial_ids(session: Session, trial_ids: Sequence[str]) -> set[str]:
    existing: set[str] = set()
    for chunk in _id_chunks(trial_ids):
        existing.update(
            session.scalars(sa.select(_TRIALS.c.trial_id).where(_TRIALS.c.trial_id.in_(chunk)))
        )
    return existing


def _delete_children(session: Session, trial_ids: Sequence[str]) -> None:
    """Remove every child row of these trials: one DELETE per child table and id chunk."""
    for chunk in _id_chunks(trial_ids):
        site_ids = sa.select(_SITES.c.id).where(_SITES.c.trial_id.in_(chunk))
        session.execute(sa.delete(_SITE_CONTACTS).where(_SITE_CONTACTS.c.site_id.in_(site_ids)))
        for table in _TRIAL_CHILD_TABLES:
            session.execute(sa.delete(table).where(table.c.trial_id.in_(chunk)))


def _numbered(trial_id: str, items: Sequence[Mapping[str, object]]) -> Iterator[dict[str, object]]:
    for position, values in enumerate(items):
        yield {"trial_id": trial_id, "position": position, **values}


def _insert_children(session: Session, studies: Sequence[ParsedStudy]) -> None:
    """Insert every child row of these studies with one executemany per table."""
    rows: dict[sa.Table, list[dict[str, object]]] = {table: [] for table in _TRIAL_CHILD_TABLES}
    site_contacts: list[tuple[Mapping[str, object], ...]] = []
    memo: dict[str, frozenset[str]] = {}
    for study in studies:
        trial_id = study.trial_id
        rows[_COLLABORATORS].extend(_numbered(trial_id, study.collaborators))
        rows[_CONDITIONS].extend(
            {"trial_id": trial_id, "position": position, "name": name}
            for position, name in enumerate(study.conditions)
        )
        rows[_KEYWORDS].extend(
            {"trial_id": trial_id, "position": position, "keyword": keyword}
            for position, keyword in enumerate(study.keywords)
        )
        rows[_SCREENING].append(
            {
                "trial_id": trial_id,
                "title": study.title,
                **{name: study.columns[name] for name in SCREENING_COLUMNS},
            }
        )
        # What the trial is about, for the matcher's SQL prefilter (models/topics.py).
        rows[_TOPICS].extend(
            topic_rows(trial_id, topics_of(study.conditions, study.keywords, study.title, memo))
        )
        rows[_ARMS].extend(_numbered(trial_id, study.arms))
        rows[_INTERVENTIONS].extend(_numbered(trial_id, study.interventions))
        rows[_OFFICIALS].extend(_numbered(trial_id, study.officials))
        rows[_CENTRAL_CONTACTS].extend(_numbered(trial_id, study.central_contacts))
        rows[_SITES].extend(_numbered(trial_id, [values for values, _ in study.sites]))
        site_contacts.extend(contacts for _, contacts in study.sites)
    for table, table_rows in rows.items():
        if table is _SITES or not table_rows:
            continue
        session.execute(sa.insert(table), table_rows)
    if not rows[_SITES]:
        return
    # Site contacts need their site's generated id: RETURNING in parameter order gives the ids
    # in the order the site rows were given (batched, not one statement per site).
    site_ids = session.scalars(
        sa.insert(_SITES).returning(_SITES.c.id, sort_by_parameter_order=True), rows[_SITES]
    ).all()
    contact_rows = [
        {"site_id": site_id, "position": position, **contact}
        for site_id, contacts in zip(site_ids, site_contacts, strict=True)
        for position, contact in enumerate(contacts)
    ]
    if contact_rows:
        session.execute(sa.insert(_SITE_CONTACTS), contact_rows)


def _forget_stale_readings(session: Session, updated_rows: Sequence[Mapping[str, object]]) -> None:
    """Delete the automatic (parser's) criteria set of each updated trial whose criteria text
    changed: it was read from the old text (models.parsed_rules stores it again). A set a
    person reviewed stays."""
    new_texts = {str(row["b_trial_id"]): row.get("eligibility_criteria") for row in updated_rows}
    changed: list[str] = []
    for chunk in _id_chunks(list(new_texts)):
        for trial_id, old_text in session.execute(
            sa.select(_TRIALS.c.trial_id, _TRIALS.c.eligibility_criteria).where(
                _TRIALS.c.trial_id.in_(chunk)
            )
        ):
            if new_texts[trial_id] != old_text:
                changed.append(trial_id)
    for chunk in _id_chunks(changed):
        session.execute(
            sa.delete(CriteriaSet).where(
                CriteriaSet.trial_id.in_(chunk),
                CriteriaSet.source == CriteriaSource.AUTOMATIC.value,
            )
        )


def upsert_trials(
    session: Session,
    studies: Sequence[ParsedStudy],
    *,
    source_file: str,
    imported_at: dt.datetime,
) -> list[ImportOutcome]:
    """Write checked studies (distinct trial ids): new trials, or existing ones updated.

    An existing trial row is updated in place, so rows that refer to it (criteria sets) stay;
    its child rows (sites, contacts, arms, ...) are replaced. Writing is a handful of
    statements per table for the whole batch (executemany), not one per row: the caller's
    transaction makes it all-or-nothing. Returns each study's outcome, in order.
    """
    trial_ids = [study.trial_id for study in studies]
    existing = _existing_trial_ids(session, trial_ids)
    new_rows: list[dict[str, object]] = []
    updated_rows: list[dict[str, object]] = []
    outcomes: list[ImportOutcome] = []
    for study in studies:
        row = {
            **study.columns,
            "source_file": source_file,
            "imported_at": imported_at,
        }
        if study.trial_id in existing:
            row["b_trial_id"] = study.trial_id
            updated_rows.append(row)
            outcomes.append("updated")
        else:
            row["trial_id"] = study.trial_id
            new_rows.append(row)
            outcomes.append("added")
    if updated_rows:
        updated_ids = [str(row["b_trial_id"]) for row in updated_rows]
        _forget_stale_readings(session, updated_rows)
        _delete_children(session, updated_ids)
        columns: dict[str, object] = {
            name: sa.bindparam(name) for name in updated_rows[0] if name != "b_trial_id"
        }
        session.execute(
            sa.update(_TRIALS)
            .where(_TRIALS.c.trial_id == sa.bindparam("b_trial_id"))
            .values(columns),
            updated_rows,
        )
    if new_rows:
        session.execute(sa.insert(_TRIALS), new_rows)
    _insert_children(session, studies)
    return outcomes


def import_paths_units(paths: Sequence[Path]) -> Iterator[ImportUnit | ImportFailure]:
    """Every import unit of every path, in order."""
    for path in paths:
        yield from read_import_units(path)
