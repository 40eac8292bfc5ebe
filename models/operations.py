"""Use cases shared by the window and the command line; each owns its transaction.

Every function takes the session factory first, opens its own session, and returns frozen
dataclasses (never ORM objects), so callers on other threads never lazy-load.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import defer, load_only, selectinload

from models.backup import (
    backup_if_sqlite,
    check_database_file,
    forget_clean_close,
    record_clean_close,
    sqlite_file_of,
)
from models.compiled_store import compiled_text, plain_rows
from models.criteria_set import CriteriaSet, CriteriaSource, find_criteria_sets, save_criteria_set
from models.database import (
    BUSY_MESSAGE,
    DatabaseError,
    SessionFactory,
    UnknownSchemaError,
    create_database_engine,
    current_revision,
    head_revision,
    is_busy_error,
    make_session_factory,
    upgrade_to_head,
    write_errors_as_database_error,
)
from models.importer import (
    ImportedTrial,
    ImportFailure,
    ImportOutcome,
    ImportReport,
    ParsedStudy,
    import_paths_units,
    parse_document,
    upsert_trials,
)
from models.referral import Referral, ReferralKind, add_referral, find_referrals
from models.topics import refresh_topics
from models.trial import (
    TRIAL_CHILDREN,
    Site,
    Trial,
    TrialCondition,
    count_trials,
    find_all_trials,
    find_trial,
    utc_now,
)
from resources import resource_path

# ---------------------------------------------------------------------------------------------
# Values returned to callers


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact person; ``phone`` includes the extension ("+1 555 0100 ext. 12")."""

    name: str | None
    role: str | None
    phone: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class SiteView:
    """A site of a trial with its contacts (none when the registry lists none)."""

    facility: str | None
    city: str | None
    state: str | None
    zip: str | None
    country: str | None
    status: str | None
    latitude: float | None
    longitude: float | None
    contacts: tuple[ContactView, ...]


@dataclass(frozen=True, slots=True)
class TrialHeading:
    """What names a trial in a list: ids, title, status, phases and conditions. ``title`` is
    None when the record has none (transcribed records may lack one); it is never made up."""

    trial_id: str
    nct_id: str | None
    title: str | None
    overall_status: str | None
    phases: tuple[str, ...]
    conditions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TrialSummary(TrialHeading):
    """What the trial list, the command line and matching need of a trial.

    Ages are as the registry gives them ("18 Years") and in days (None: no limit).
    """

    sponsor: str | None
    minimum_age: str | None
    minimum_age_days: int | None
    maximum_age: str | None
    maximum_age_days: int | None
    sex: str | None
    sites: tuple[SiteView, ...]
    central_contacts: tuple[ContactView, ...]
    last_update: str | None
    record_version: str | None


@dataclass(frozen=True, slots=True)
class ArmView:
    """An arm or cohort and the interventions it receives."""

    label: str | None
    arm_type: str | None
    description: str | None
    intervention_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InterventionView:
    """A tested intervention."""

    intervention_type: str | None
    name: str | None
    description: str | None
    arm_group_labels: tuple[str, ...]
    other_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OfficialView:
    """An overall official of the trial."""

    name: str | None
    role: str | None
    affiliation: str | None


@dataclass(frozen=True, slots=True)
class TrialDetail:
    """Everything stored about a trial: its summary and the rest of the record.

    ``eligibility_criteria`` is the working text (the registry's escapes turned into
    characters); ``eligibility_criteria_source`` is the text exactly as imported.
    """

    summary: TrialSummary
    official_title: str | None
    acronym: str | None
    org_study_id: str | None
    brief_summary: str | None
    detailed_description: str | None
    study_type: str | None
    enrollment_count: int | None
    enrollment_type: str | None
    start_date: str | None
    primary_completion_date: str | None
    completion_date: str | None
    first_posted: str | None
    lead_sponsor_class: str | None
    collaborators: tuple[str | None, ...]
    keywords: tuple[str, ...]
    arms: tuple[ArmView, ...]
    interventions: tuple[InterventionView, ...]
    officials: tuple[OfficialView, ...]
    eligibility_criteria: str | None
    eligibility_criteria_source: str | None
    healthy_volunteers: bool | None
    source_file: str
    imported_at: dt.datetime
    trialmatch_source: str | None
    source_json: str | None  # None in matching snapshots, which leave the raw record unread


@dataclass(frozen=True, slots=True)
class CriteriaSetRecord:
    """A stored criteria set: the ``trialmatch-criteria/1`` JSON text and its review state."""

    trial_id: str
    source: CriteriaSource
    criteria_json: str
    verified: bool
    reviewed_at: dt.datetime | None
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ReferralRecord:
    """One entry of the referral log."""

    id: int
    created_at: dt.datetime
    trial_ids: tuple[str, ...]
    patient_identifier: str
    physician: str
    kind: ReferralKind
    file_name: str | None


@dataclass(frozen=True, slots=True)
class OpenedDatabase:
    """A migrated database ready to use, and what the first run imported into it, if anything."""

    url: str
    engine: sa.Engine
    session_factory: SessionFactory
    bundled_import: ImportReport | None


class UnknownTrialError(LookupError):
    """No trial has the given id."""


# ---------------------------------------------------------------------------------------------
# Opening the database (first run)


def bundled_trial_files() -> tuple[Path, ...]:
    """The trials shipped with the app (resources/trials/*.json), in name order."""
    return tuple(sorted(resource_path("trials").glob("*.json")))


def _refresh_derived(session_factory: SessionFactory) -> None:
    """Derive stored topics again when this version derives them differently.

    Best effort: when the database is busy or read-only the old topics stay, and the matcher,
    seeing their version, reads every trial instead (slower, never a different result).
    """
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        refresh_topics(session_factory)


def open_database(url: str, *, bundled_files: Sequence[Path] | None = None) -> OpenedDatabase:
    """Open (creating if needed) the database at ``url`` and migrate it to the newest schema.

    A new database, or one without trials, gets the bundled trials through the same importer
    as any other file (``bundled_files`` replaces them, for tests).

    A SQLite file must pass ``PRAGMA quick_check`` first, and is backed up before a migration
    changes its schema.

    Raises:
        DatabaseError: the database cannot be opened or migrated, is damaged or is busy; the
            message says why.
    """
    sqlite_file = sqlite_file_of(url) if "://" in url else None
    if sqlite_file is not None:
        check_database_file(sqlite_file)
        forget_clean_close(sqlite_file)
    # A file that existed before may hold data even without a schema version (a downgrade).
    had_file = sqlite_file is not None and sqlite_file.exists() and sqlite_file.stat().st_size > 0
    engine = create_database_engine(url)
    shown_url = engine.url.render_as_string(hide_password=True)
    try:
        revision = current_revision(engine)
        is_new = revision is None
        if (revision is not None or had_file) and revision != head_revision():
            backup_if_sqlite(engine, "before-migration")
        if revision != head_revision():
            upgrade_to_head(engine)
        session_factory = make_session_factory(engine)
        with session_factory() as session:
            is_empty = count_trials(session) == 0
        _refresh_derived(session_factory)
    except DatabaseError:
        engine.dispose()
        raise
    except UnknownSchemaError as error:
        engine.dispose()
        raise DatabaseError(
            f"the database {shown_url} has a schema this version does not know ({error}); "
            "it was probably written by a newer TrialMatch"
        ) from error
    except sa.exc.SQLAlchemyError as error:
        engine.dispose()
        if is_busy_error(error):
            raise DatabaseError(BUSY_MESSAGE) from error
        reason = getattr(error, "orig", None) or error
        raise DatabaseError(f"cannot open the database {shown_url}: {reason}") from error
    bundled_import = None
    if is_new or is_empty:
        files = bundled_trial_files() if bundled_files is None else tuple(bundled_files)
        # A brand-new file has nothing to lose; an emptied one may still hold the referral log.
        bundled_import = import_files(session_factory, files, back_up=not is_new)
    opened = OpenedDatabase(shown_url, engine, session_factory, bundled_import)
    if sqlite_file is not None:
        # At a normal exit the file is closed and noted, so the next start can skip the check.
        atexit.register(close_database, opened, sqlite_file)
    return opened


def close_database(opened: OpenedDatabase, sqlite_file: Path | None = None) -> None:
    """Close every connection; a SQLite file is then noted as closed normally (its next
    opening skips the start-up check while the file stays as it is: models/backup.py)."""
    opened.engine.dispose()
    if sqlite_file is None:
        sqlite_file = sqlite_file_of(opened.engine.url)
    if sqlite_file is not None and sqlite_file.exists():
        record_clean_close(sqlite_file)


# ---------------------------------------------------------------------------------------------
# Import


def import_files(
    session_factory: SessionFactory,
    paths: Sequence[Path],
    *,
    now: dt.datetime | None = None,
    back_up: bool = True,
) -> ImportReport:
    """Import ClinicalTrials.gov JSON files (or zips of them), one transaction per document.

    A document with any bad study is not written at all; each member of a zip is its own
    document, so good members are imported while bad ones are reported. A SQLite file is
    backed up (``back_up``) before the first document is written.

    Raises:
        DatabaseError: another TrialMatch held the write lock past the busy timeout (documents
            before the one waiting stay imported; importing again is safe), or the backup failed.
    """
    imported_at = now or utc_now()
    added: list[ImportedTrial] = []
    updated: list[ImportedTrial] = []
    failed: list[ImportFailure] = []
    needs_backup = back_up
    for unit in import_paths_units(paths):
        if isinstance(unit, ImportFailure):
            failed.append(unit)
            continue
        document = parse_document(unit)
        if document.failures:
            failed.extend(document.failures)
            continue
        if needs_backup:
            backup_if_sqlite(session_factory.kw["bind"], "before-import")
            needs_backup = False
        try:
            outcomes = _write_document(session_factory, document.studies, unit.label, imported_at)
        except sa.exc.SQLAlchemyError as error:
            if is_busy_error(error):
                raise DatabaseError(BUSY_MESSAGE) from error
            reason = getattr(error, "orig", None) or error
            failed.append(
                ImportFailure(unit.label, None, f"database error, nothing written: {reason}")
            )
            continue
        for outcome, trial in outcomes:
            (added if outcome == "added" else updated).append(trial)
    return ImportReport(tuple(added), tuple(updated), tuple(failed))


def _write_document(
    session_factory: SessionFactory,
    studies: Sequence[ParsedStudy],
    label: str,
    imported_at: dt.datetime,
) -> list[tuple[ImportOutcome, ImportedTrial]]:
    """Write one document's studies in one transaction.

    When another workstation inserted one of the same trials between our check and our insert
    (a unique-key conflict), the document is written once more: it then updates that trial.
    """
    for attempt in (1, 2):
        try:
            with session_factory.begin() as session:
                outcomes = upsert_trials(
                    session, studies, source_file=label, imported_at=imported_at
                )
            return [
                (outcome, ImportedTrial(label, study.trial_id, study.title))
                for outcome, study in zip(outcomes, studies, strict=True)
            ]
        except sa.exc.IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable: the second attempt returns or raises")


# ---------------------------------------------------------------------------------------------
# Reading trials


def _phone(phone: str | None, extension: str | None) -> str | None:
    if phone and extension:
        return f"{phone} ext. {extension}"
    return phone or None


def _site_view(site: Site) -> SiteView:
    return SiteView(
        facility=site.facility,
        city=site.city,
        state=site.state,
        zip=site.zip,
        country=site.country,
        status=site.status,
        latitude=site.latitude,
        longitude=site.longitude,
        contacts=tuple(
            ContactView(
                contact.name, contact.role, _phone(contact.phone, contact.phone_ext), contact.email
            )
            for contact in site.contacts
        ),
    )


def _summary(trial: Trial) -> TrialSummary:
    return TrialSummary(
        trial_id=trial.trial_id,
        nct_id=trial.nct_id,
        title=trial.title,
        overall_status=trial.overall_status,
        phases=tuple(trial.phases),
        conditions=tuple(condition.name for condition in trial.conditions),
        sponsor=trial.lead_sponsor_name,
        minimum_age=trial.minimum_age,
        minimum_age_days=trial.minimum_age_days,
        maximum_age=trial.maximum_age,
        maximum_age_days=trial.maximum_age_days,
        sex=trial.sex,
        sites=tuple(_site_view(site) for site in trial.sites),
        central_contacts=tuple(
            ContactView(
                contact.name, contact.role, _phone(contact.phone, contact.phone_ext), contact.email
            )
            for contact in trial.central_contacts
        ),
        last_update=trial.last_update,
        record_version=trial.record_version,
    )


def _detail(trial: Trial, *, with_source: bool = True) -> TrialDetail:
    return TrialDetail(
        summary=_summary(trial),
        official_title=trial.official_title,
        acronym=trial.acronym,
        org_study_id=trial.org_study_id,
        brief_summary=trial.brief_summary,
        detailed_description=trial.detailed_description,
        study_type=trial.study_type,
        enrollment_count=trial.enrollment_count,
        enrollment_type=trial.enrollment_type,
        start_date=trial.start_date,
        primary_completion_date=trial.primary_completion_date,
        completion_date=trial.completion_date,
        first_posted=trial.first_posted,
        lead_sponsor_class=trial.lead_sponsor_class,
        collaborators=tuple(collaborator.name for collaborator in trial.collaborators),
        keywords=tuple(keyword.keyword for keyword in trial.keywords),
        arms=tuple(
            ArmView(arm.label, arm.arm_type, arm.description, tuple(arm.intervention_names))
            for arm in trial.arms
        ),
        interventions=tuple(
            InterventionView(
                item.intervention_type,
                item.name,
                item.description,
                tuple(item.arm_group_labels),
                tuple(item.other_names),
            )
            for item in trial.interventions
        ),
        officials=tuple(
            OfficialView(official.name, official.role, official.affiliation)
            for official in trial.officials
        ),
        eligibility_criteria=trial.eligibility_criteria,
        eligibility_criteria_source=trial.eligibility_criteria_source,
        healthy_volunteers=trial.healthy_volunteers,
        source_file=trial.source_file,
        imported_at=trial.imported_at,
        trialmatch_source=trial.trialmatch_source,
        source_json=trial.source_json if with_source else None,
    )


@dataclass(frozen=True, slots=True)
class TrialListEntry(TrialHeading):
    """A trial as the trials browser lists and filters it: no sites or contacts (read for a
    whole registry they took 105 s and 5.8 GB at 100,000 trials), only its site countries and
    how many sites it has."""

    # The distinct countries of its sites, sorted.
    countries: tuple[str, ...]
    site_count: int


def list_trial_entries(session_factory: SessionFactory) -> tuple[TrialListEntry, ...]:
    """Every trial as the browser lists it, ordered by trial id (three narrow queries, read
    as the driver's plain rows: 100,000 trials in about 3 s)."""
    with session_factory() as session:
        connection = session.connection()
        conditions: dict[str, list[str]] = {}
        for trial_id, name in plain_rows(
            connection,
            sa.select(TrialCondition.trial_id, TrialCondition.name).order_by(
                TrialCondition.trial_id, TrialCondition.position
            ),
        ):
            conditions.setdefault(trial_id, []).append(name)
        countries: dict[str, list[str]] = {}
        site_counts: dict[str, int] = {}
        for trial_id, country, count in plain_rows(
            connection,
            sa.select(Site.trial_id, Site.country, sa.func.count()).group_by(
                Site.trial_id, Site.country
            ),
        ):
            site_counts[trial_id] = site_counts.get(trial_id, 0) + count
            if country:
                countries.setdefault(trial_id, []).append(country)
        trials = plain_rows(
            connection,
            sa.select(
                Trial.trial_id,
                Trial.nct_id,
                Trial.brief_title,
                Trial.official_title,
                Trial.overall_status,
                # The stored JSON text: trials share a few phase lists, each decoded once.
                sa.type_coerce(Trial.phases, sa.Text),
            ).order_by(Trial.trial_id),
        )
    phase_lists: dict[str, tuple[str, ...]] = {}
    entries: list[TrialListEntry] = []
    for trial_id, nct_id, brief_title, official_title, overall_status, phases_json in trials:
        if isinstance(phases_json, str):
            phases = phase_lists.get(phases_json)
            if phases is None:
                phases = phase_lists[phases_json] = _phases(phases_json)
        else:
            phases = _phases(phases_json)  # decoded by the driver (PostgreSQL's json)
        entries.append(
            TrialListEntry(
                trial_id=trial_id,
                nct_id=nct_id,
                title=brief_title or official_title,
                overall_status=overall_status,
                phases=phases,
                conditions=tuple(conditions.get(trial_id, ())),
                countries=tuple(sorted(countries.get(trial_id, ()))),
                site_count=site_counts.get(trial_id, 0),
            )
        )
    return tuple(entries)


def _phases(stored: object) -> tuple[str, ...]:
    """A trial's phases from its stored JSON (a driver may hand over the list itself)."""
    value = json.loads(stored) if isinstance(stored, str) else stored
    return tuple(value) if isinstance(value, list) else ()


def trial_count(session_factory: SessionFactory) -> int:
    """How many trials the database holds (one COUNT: listing them to count them took 105 s
    and 5.8 GB at 100,000 trials)."""
    with session_factory() as session:
        return count_trials(session)


def list_trials(session_factory: SessionFactory) -> tuple[TrialSummary, ...]:
    """Every trial with its sites and contacts, ordered by trial id."""
    with session_factory() as session:
        return tuple(_summary(trial) for trial in find_all_trials(session))


def list_trial_details(session_factory: SessionFactory) -> tuple[TrialDetail, ...]:
    """Every trial's details for matching, without the raw source record (kept unread)."""
    with session_factory() as session:
        trials = session.scalars(
            sa.select(Trial)
            .order_by(Trial.trial_id)
            .options(*TRIAL_CHILDREN, defer(Trial.source_json))
        ).all()
        return tuple(_detail(trial, with_source=False) for trial in trials)


@dataclass(frozen=True, slots=True)
class ScreeningRow:
    """What the match prefilter reads of every trial: status, registry limits, topic words."""

    trial_id: str
    title: str | None
    overall_status: str | None
    minimum_age: str | None
    maximum_age: str | None
    sex: str | None
    conditions: tuple[str, ...]
    keywords: tuple[str, ...]


# SQLite allows a limited number of bound parameters per statement; read ids in chunks.
_IN_CHUNK = 500


def _chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[start : start + _IN_CHUNK] for start in range(0, len(ids), _IN_CHUNK)]


# The summary needs the trial's own columns, never its long texts or the raw record.
_SUMMARY_COLUMNS = (
    Trial.trial_id,
    Trial.nct_id,
    Trial.brief_title,
    Trial.official_title,
    Trial.overall_status,
    Trial.phases,
    Trial.lead_sponsor_name,
    Trial.minimum_age,
    Trial.minimum_age_days,
    Trial.maximum_age,
    Trial.maximum_age_days,
    Trial.sex,
    Trial.last_update,
    Trial.record_version,
)


def load_trial_summaries(
    session_factory: SessionFactory, trial_ids: Sequence[str]
) -> dict[str, TrialSummary]:
    """The summaries (sites and contacts included) of the given trials, by id."""
    found: dict[str, TrialSummary] = {}
    with session_factory() as session:
        for chunk in _chunks(trial_ids):
            trials = session.scalars(
                sa.select(Trial)
                .where(Trial.trial_id.in_(chunk))
                .options(
                    load_only(*_SUMMARY_COLUMNS),
                    selectinload(Trial.conditions),
                    selectinload(Trial.central_contacts),
                    selectinload(Trial.sites).selectinload(Site.contacts),
                )
            ).all()
            found.update((trial.trial_id, _summary(trial)) for trial in trials)
    return found


def load_trial_details(
    session_factory: SessionFactory, trial_ids: Sequence[str]
) -> dict[str, TrialDetail]:
    """The details of the given trials by id, without the raw source record."""
    found: dict[str, TrialDetail] = {}
    with session_factory() as session:
        for chunk in _chunks(trial_ids):
            trials = session.scalars(
                sa.select(Trial)
                .where(Trial.trial_id.in_(chunk))
                .options(*TRIAL_CHILDREN, defer(Trial.source_json))
            ).all()
            found.update((trial.trial_id, _detail(trial, with_source=False)) for trial in trials)
    return found


def load_site_views(
    session_factory: SessionFactory, site_ids: Sequence[int]
) -> dict[int, SiteView]:
    """The given sites with their contacts, by site id (as in ``TrialSummary.sites``)."""
    found: dict[int, SiteView] = {}
    wanted = list(site_ids)
    with session_factory() as session:
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            sites = session.scalars(
                sa.select(Site).where(Site.id.in_(chunk)).options(selectinload(Site.contacts))
            ).all()
            found.update((site.id, _site_view(site)) for site in sites)
    return found


def load_criteria_sets(
    session_factory: SessionFactory, trial_ids: Sequence[str]
) -> dict[str, tuple[CriteriaSetRecord, ...]]:
    """The stored criteria sets of the given trials, by trial id (absent: none stored)."""
    found: dict[str, list[CriteriaSetRecord]] = {}
    with session_factory() as session:
        for chunk in _chunks(trial_ids):
            rows = session.scalars(sa.select(CriteriaSet).where(CriteriaSet.trial_id.in_(chunk)))
            for row in rows:
                found.setdefault(row.trial_id, []).append(_criteria_record(row))
    return {trial_id: tuple(records) for trial_id, records in found.items()}


def load_eligibility_texts(
    session_factory: SessionFactory, trial_ids: Sequence[str]
) -> dict[str, str | None]:
    """The working eligibility text of the given trials, by id."""
    found: dict[str, str | None] = {}
    with session_factory() as session:
        for chunk in _chunks(trial_ids):
            rows = session.execute(
                sa.select(Trial.trial_id, Trial.eligibility_criteria).where(
                    Trial.trial_id.in_(chunk)
                )
            )
            found.update((trial_id, text) for trial_id, text in rows)
    return found


def database_stamp(session_factory: SessionFactory) -> tuple[object, ...]:
    """A cheap fingerprint that changes whenever trials or criteria sets change."""
    # Each count and maximum asked for on its own: the maximum is then one step down its index
    # (together they scan it: 10-15 ms each at 100,000 trials, for every match).
    with session_factory() as session:
        return (
            session.scalar(sa.select(sa.func.count()).select_from(Trial)),
            session.scalar(sa.select(sa.func.max(Trial.imported_at))),
            session.scalar(sa.select(sa.func.count()).select_from(CriteriaSet)),
            session.scalar(sa.select(sa.func.max(CriteriaSet.updated_at))),
        )


def get_trial(session_factory: SessionFactory, trial_id: str) -> TrialDetail | None:
    """Everything stored about one trial, or None when no trial has that id."""
    with session_factory() as session:
        trial = find_trial(session, trial_id)
        return None if trial is None else _detail(trial)


# ---------------------------------------------------------------------------------------------
# Criteria sets


def _criteria_record(row: CriteriaSet) -> CriteriaSetRecord:
    return CriteriaSetRecord(
        trial_id=row.trial_id,
        source=CriteriaSource(row.source),
        criteria_json=row.criteria_json,
        verified=row.verified,
        reviewed_at=row.reviewed_at,
        updated_at=row.updated_at,
    )


def store_criteria_set(
    session_factory: SessionFactory,
    trial_id: str,
    source: CriteriaSource,
    criteria_json: str,
    *,
    verified: bool,
    reviewed_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> CriteriaSetRecord:
    """Store a trial's criteria from one source, replacing the earlier set from that source.

    Raises:
        UnknownTrialError: no trial has ``trial_id``.
    """
    with write_errors_as_database_error(), session_factory.begin() as session:
        if session.get(Trial, trial_id) is None:
            raise UnknownTrialError(f"no trial {trial_id} in the database")
        row = save_criteria_set(
            session,
            trial_id,
            source,
            criteria_json,
            verified=verified,
            reviewed_at=reviewed_at,
            now=now or utc_now(),
            # Compiled with the set, so a match never reads or loads its JSON.
            compiled=compiled_text(session, criteria_json),
        )
        return _criteria_record(row)


def get_criteria_sets(
    session_factory: SessionFactory, trial_id: str
) -> tuple[CriteriaSetRecord, ...]:
    """The trial's stored criteria sets, curated first (empty when none is stored)."""
    with session_factory() as session:
        return tuple(_criteria_record(row) for row in find_criteria_sets(session, trial_id))


def list_criteria_sets(session_factory: SessionFactory) -> tuple[CriteriaSetRecord, ...]:
    """Every stored criteria set (one query, for matching many trials)."""
    with session_factory() as session:
        rows = session.scalars(sa.select(CriteriaSet).order_by(CriteriaSet.trial_id)).all()
        return tuple(_criteria_record(row) for row in rows)


# ---------------------------------------------------------------------------------------------
# Referral log


def _referral_record(row: Referral) -> ReferralRecord:
    return ReferralRecord(
        id=row.id,
        created_at=row.created_at,
        trial_ids=tuple(row.trial_ids),
        patient_identifier=row.patient_identifier,
        physician=row.physician,
        kind=ReferralKind(row.kind),
        file_name=row.file_name,
    )


def log_referral(
    session_factory: SessionFactory,
    *,
    trial_ids: Sequence[str],
    patient_identifier: str,
    physician: str,
    kind: ReferralKind,
    file_name: str | None,
    now: dt.datetime | None = None,
) -> ReferralRecord:
    """Record that a referral letter was exported or printed (``created_at`` in UTC)."""
    with write_errors_as_database_error(), session_factory.begin() as session:
        row = add_referral(
            session,
            created_at=now or utc_now(),
            trial_ids=trial_ids,
            patient_identifier=patient_identifier,
            physician=physician,
            kind=kind,
            file_name=file_name,
        )
        return _referral_record(row)


def list_referrals(session_factory: SessionFactory) -> tuple[ReferralRecord, ...]:
    """The referral log, newest first."""
    with session_factory() as session:
        return tuple(_referral_record(row) for row in find_referrals(session))
