"""The match use case: one patient against the candidate trials, ranked and explained."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Generic, TypeVar

from engine.ask_next import AskItem, ask_next
from engine.compiled import (
    AtomOutcome,
    Shape,
    TrialOutcome,
    atom_criterion,
    atom_reads,
    combine_outcomes,
    compile_criteria_data,
    evaluate_atom,
)
from engine.criteria import Criterion, TrialCriteria
from engine.errors import CriteriaError
from engine.evaluator import evaluate_criterion, evaluate_trial
from engine.facts import Facts, build_facts
from engine.incremental import changed_tokens
from engine.loader import load_criteria
from engine.outcomes import Assessed, CriterionStatus, TrialEvaluation
from engine.profile import PatientProfile
from engine.ranking import CLOSED_STATUSES, RankedTrial, Site, rank_trials
from engine.ranking import TrialSummary as RankingSummary
from engine.registry_text import NO_AGE_LIMIT_TEXTS
from engine.units import Settings
from models.compiled_store import (
    NAME_SEPARATOR,
    ScreeningColumns,
    StoredProgram,
    StoredSets,
    decode_program,
    read_atoms,
    read_screening,
    read_screening_with_topics,
    read_sites,
    read_stored_sets,
    read_topic_screening,
    sets_by_source,
)
from models.criteria_library import CriteriaChoice, CriteriaLibrary, CriteriaSourceError
from models.database import SessionFactory
from models.operations import (
    ScreeningRow,
    SiteView,
    TrialDetail,
    TrialSummary,
    UnknownTrialError,
    database_stamp,
    load_criteria_sets,
    load_eligibility_texts,
    load_site_views,
    load_trial_details,
    load_trial_summaries,
)
from models.settings import ClinicSettings
from models.topics import (
    candidate_topics,
    is_topic_candidate,
    patient_conditions,
    topics_of,
)

AskNextItem = AskItem
R = TypeVar("R")


class _LazyRecords(Generic[R]):
    """Records of a report's trials read from the database when first asked for, in batches
    in report order (the ones a physician scrolls to next are read with the one asked for)."""

    BATCH = 200

    def __init__(
        self,
        read: Callable[[Sequence[str]], dict[str, R]],
        order: Sequence[str],
        loaded: dict[str, R] | None = None,
    ) -> None:
        """``loaded``: records already read (the Matcher shares one cache between reports)."""
        self._read = read
        self._order = list(order)
        self._position: dict[str, int] | None = None
        self._loaded: dict[str, R] = {} if loaded is None else loaded

    def prefetch(self, count: int) -> None:
        """Read the first ``count`` trials now (the ones a physician looks at first)."""
        wanted = [trial_id for trial_id in self._order[:count] if trial_id not in self._loaded]
        if wanted:
            self._loaded.update(self._read(wanted))

    def read(self, trial_ids: Sequence[str]) -> None:
        """Read exactly these trials now, the ones not read yet, in one query (a letter's)."""
        wanted = [trial_id for trial_id in trial_ids if trial_id not in self._loaded]
        if wanted:
            self._loaded.update(self._read(wanted))

    def get(self, trial_id: str) -> R:
        record = self._loaded.get(trial_id)
        if record is not None:
            return record
        if self._position is None:
            self._position = {other: index for index, other in enumerate(self._order)}
        start = self._position.get(trial_id, 0)
        batch = [trial_id] + [
            other
            for other in self._order[start : start + self.BATCH]
            if other != trial_id and other not in self._loaded
        ]
        self._loaded.update(self._read(batch))
        record = self._loaded.get(trial_id)
        if record is None:
            raise UnknownTrialError(f"no trial {trial_id} in the database")
        return record


class TrialDetails(_LazyRecords[TrialDetail]):
    """Full trial records for a report, read from the database when first asked for.

    Matching reads only slim rows; the window's detail panel and the letter need the whole
    record (arms, officials, descriptions), which is read in batches in report order.
    """

    def __init__(
        self,
        session_factory: SessionFactory,
        order: Sequence[str],
        loaded: dict[str, TrialDetail] | None = None,
    ) -> None:
        # Looked up when called, not bound now (tests count the reads by replacing it).
        super().__init__(lambda ids: load_trial_details(session_factory, ids), order, loaded)


class TrialSummaries(_LazyRecords[TrialSummary]):
    """Trial summaries (sites and contacts) for a report, read when first asked for."""

    def __init__(
        self,
        session_factory: SessionFactory,
        order: Sequence[str],
        loaded: dict[str, TrialSummary] | None = None,
    ) -> None:
        super().__init__(lambda ids: load_trial_summaries(session_factory, ids), order, loaded)


class TrialMatch:
    """One trial's result for the patient, with what the window and the letter show.

    Attributes:
        outcome: what the ranked list needs (verdict, near miss, counts, missing facts): the
            same fields as ``evaluation``, computed by the match without any evidence.
        evaluation: the full evaluation with evidence, computed when first asked for (a match
            builds it only for the trials someone opens, or passes it in).
        summary: the trial's summary (status, sites, ages), read on first use when the match
            was built without it; ``trial_id``, ``title`` and ``overall_status`` never read.
        detail: the full record, read on first use when the match was built without it.
        nearest_site, distance_km: the nearest recruiting site when the clinic location is set.
        criteria_source: "curated" or "automatic" (the rules the verdict rests on).
        criteria_origin: "reviewed", "curated", "automatic" or "parsed" (models.criteria_library).
        criteria_verified: False when the verdict rests on automatic rules nobody confirmed.
        status_known: False when the record gives no (or an unrecognised) recruitment status.
        status_note: what to say about the status ("Recruitment status unknown").
    """

    __slots__ = (
        "_detail",
        "_details",
        "_evaluate",
        "_evaluation",
        "_outcome",
        "_summaries",
        "_summary",
        "criteria_origin",
        "criteria_source",
        "criteria_verified",
        "distance_km",
        "nearest_site",
        "overall_status",
        "status_known",
        "status_note",
        "title",
        "trial_id",
    )

    def __init__(
        self,
        detail: TrialDetail | None,
        evaluation: TrialEvaluation,
        nearest_site: SiteView | None,
        distance_km: float | None,
        criteria_source: str,
        criteria_origin: str,
        criteria_verified: bool,
        status_known: bool,
        status_note: str | None = None,
        *,
        summary: TrialSummary | None = None,
        details: TrialDetails | None = None,
    ) -> None:
        if detail is None and (summary is None or details is None):
            raise ValueError("a TrialMatch needs its detail, or a summary and a TrialDetails")
        self._detail = detail
        self._details = details
        if detail is not None:
            summary = detail.summary
        assert summary is not None
        self._summary: TrialSummary | None = summary
        self._summaries: TrialSummaries | None = None
        self._evaluation: TrialEvaluation | None = evaluation
        self._evaluate: Callable[[str], TrialEvaluation] | None = None
        self._outcome: Assessed = evaluation
        self.nearest_site = nearest_site
        self.trial_id = summary.trial_id
        self.title = summary.title
        self.overall_status = summary.overall_status
        self.distance_km = distance_km
        self.criteria_source = criteria_source
        self.criteria_origin = criteria_origin
        self.criteria_verified = criteria_verified
        self.status_known = status_known
        self.status_note = status_note

    @classmethod
    def lazy(
        cls,
        trial_id: str,
        title: str | None,
        overall_status: str | None,
        outcome: Assessed,
        evaluate: Callable[[str], TrialEvaluation],
        summaries: TrialSummaries,
        details: TrialDetails,
        nearest_site: SiteView | None,
        distance_km: float | None,
        criteria: tuple[str, str, bool],
        status_known: bool,
        status_note: str | None,
    ) -> TrialMatch:
        """A match whose evaluation (``evaluate(trial_id)``), summary and detail are computed
        or read on first use. ``criteria``: (source, origin, verified)."""
        # Built for every listed trial of every match: set the slots directly.
        match = cls.__new__(cls)
        match._detail = None
        match._details = details
        match._summary = None
        match._summaries = summaries
        match._evaluation = None
        match._evaluate = evaluate
        match._outcome = outcome
        match.nearest_site = nearest_site
        match.trial_id = trial_id
        match.title = title
        match.overall_status = overall_status
        match.distance_km = distance_km
        match.criteria_source, match.criteria_origin, match.criteria_verified = criteria
        match.status_known = status_known
        match.status_note = status_note
        return match

    @property
    def outcome(self) -> Assessed:
        return self._outcome

    @property
    def evaluation(self) -> TrialEvaluation:
        if self._evaluation is None:
            assert self._evaluate is not None
            self._evaluation = self._evaluate(self.trial_id)
        return self._evaluation

    @property
    def summary(self) -> TrialSummary:
        if self._summary is None:
            assert self._summaries is not None
            self._summary = self._summaries.get(self.trial_id)
        return self._summary

    @property
    def detail(self) -> TrialDetail:
        if self._detail is None:
            assert self._details is not None
            self._detail = self._details.get(self.trial_id)
        return self._detail

    def __repr__(self) -> str:
        return f"TrialMatch({self.trial_id!r}, {self.outcome.verdict.value})"


def read_details(matches: Sequence[TrialMatch]) -> None:
    """Read the full records of ``matches`` that are not read yet, in one query per report.

    ``TrialMatch.detail`` alone reads a batch of the next 200 trials in report order, right for
    a list scrolled in order; a letter needs exactly its chosen trials, wherever they rank.
    """
    unread: dict[int, tuple[TrialDetails, list[str]]] = {}
    for match in matches:
        details = match._details
        if match._detail is None and details is not None:
            unread.setdefault(id(details), (details, []))[1].append(match.trial_id)
    for details, trial_ids in unread.values():
        details.read(trial_ids)


@dataclass(frozen=True, slots=True)
class TrialProblem:
    """A trial that could not be evaluated (its rules do not load), shown rather than dropped."""

    trial_id: str
    title: str | None
    problem: str


@dataclass(frozen=True, slots=True)
class MatchReport:
    """Every candidate trial ranked for one patient on one screening date.

    Attributes:
        hidden_closed: closed trials left out (``include_closed`` lists them).
        other_conditions: trials about none of the patient's conditions, not evaluated
            (``all_conditions`` evaluates and lists them); see docs/performance.md.
        excluded_age_sex: trials whose registry age limits or sex rule the patient out, not
            listed (``all_conditions`` lists them, as not eligible).
    """

    screening_date: dt.date
    profile: PatientProfile
    trials: tuple[TrialMatch, ...]
    hidden_closed: int
    ask_next: tuple[AskItem, ...]
    problems: tuple[TrialProblem, ...] = ()
    notes: tuple[str, ...] = field(default=())
    other_conditions: int = 0
    excluded_age_sex: int = 0

    def find(self, trial_id: str) -> TrialMatch | None:
        return next((item for item in self.trials if item.trial_id == trial_id), None)


def engine_settings(settings: ClinicSettings) -> Settings:
    """The engine's view of the clinic settings: its ULNs and location."""
    location = (
        (settings.clinic_latitude, settings.clinic_longitude)
        if settings.clinic_latitude is not None and settings.clinic_longitude is not None
        else None
    )
    # The settings key ULNs by analyte id ("alt", "creatinine.female"); the engine by fact name.
    ulns = {
        key if key.startswith("lab.") else f"lab.{key}": value
        for key, value in settings.lab_ulns.items()
    }
    return Settings(uln=ulns, clinic_location=location)


@functools.lru_cache(maxsize=4096)
def _registry_date(text: str | None) -> dt.date | None:
    """A registry date ("2025-04-24", "2025-04") as a date; None when it cannot be read."""
    if not text:
        return None
    parts = text.strip().split("-")
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        return None
    while len(numbers) < 3:
        numbers.append(1)
    try:
        return dt.date(numbers[0], numbers[1], numbers[2])
    except ValueError:
        return None


def _ranking_summary(summary: TrialSummary) -> RankingSummary:
    return RankingSummary(
        trial_id=summary.trial_id,
        status=summary.overall_status,
        last_update=_registry_date(summary.last_update or summary.record_version),
        sites=tuple(
            Site(
                name=_site_key(index),
                status=site.status,
                latitude=site.latitude,
                longitude=site.longitude,
            )
            for index, site in enumerate(summary.sites)
        ),
    )


def _site_key(index: int) -> str:
    # Ranking reports the nearest site by this key: its position in ``_ranking_summary``, its
    # database id in the matcher's ranking summaries.
    return f"site-{index}"


def _site_id(key: str) -> int:
    return int(key.split("-")[1])


REGISTRY_CRITERION_PREFIX = "registry-"


def _registry_age_rule(text: str, op: str) -> dict[str, object]:
    """The structured age limit as a rule on the age fact counted in the limit's own unit.

    Ages count completed units, so each unit has its fact: "18 Years" → completed years,
    "6 Months" (or "1.5 Years") → completed months, "28 Days" → days, "2 Weeks" → days (a
    maximum of 2 weeks lasts until the last day of the second completed week). Hours and
    minutes, or text that is not "<number> <unit>", are left to the team.
    """
    parts = text.split()
    amount = _decimal_or_none(parts[0]) if len(parts) == 2 else None
    unit = parts[1].casefold().rstrip("s") if len(parts) == 2 else ""
    if amount is not None and amount >= 0:
        if unit == "year" and amount == amount.to_integral_value():
            return {"fact": "age_years", "op": op, "value": int(amount), "unit": "a"}
        months = amount * 12 if unit == "year" else amount if unit == "month" else None
        if months is not None and months == months.to_integral_value():
            return {"fact": "age_months", "op": op, "value": int(months), "unit": "mo"}
        if unit in {"week", "day"} and amount == amount.to_integral_value():
            days_per_unit = 7 if unit == "week" else 1
            days = int(amount) * days_per_unit
            # A maximum in whole weeks or days includes the whole last unit.
            limit = days + days_per_unit - 1 if op == "<=" else days
            return {"fact": "age_days", "op": op, "value": limit, "unit": "d"}
    return {"review": f"Age limit {text} as given in the registry record"}


def _no_age_limit(text: str | None) -> bool:
    return text is None or text.strip().casefold() in NO_AGE_LIMIT_TEXTS


def _decimal_or_none(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _registry_criteria(
    trial_id: str, minimum_age: str | None, maximum_age: str | None, sex_text: str | None
) -> TrialCriteria | None:
    data = _registry_data(trial_id, minimum_age, maximum_age, sex_text)
    return None if data is None else load_criteria(data)


@functools.lru_cache(maxsize=1024)
def _registry_atoms(
    minimum_age: str | None, maximum_age: str | None, sex: str | None
) -> tuple[str, ...]:
    # The registry criteria's rule atoms, put before the trial's own in its program.
    data = _registry_data("registry", minimum_age, maximum_age, sex)
    return () if data is None else compile_criteria_data(data).atoms


def _registry_data(
    trial_id: str, minimum_age: str | None, maximum_age: str | None, sex_text: str | None
) -> dict[str, object] | None:
    criteria: list[dict[str, object]] = []
    # "N/A" is how the registry says there is no limit: no criterion, not a review item.
    minimum_age = None if _no_age_limit(minimum_age) else minimum_age
    maximum_age = None if _no_age_limit(maximum_age) else maximum_age
    if minimum_age:
        criteria.append(
            {
                "id": f"{REGISTRY_CRITERION_PREFIX}minimum-age",
                "kind": "inclusion",
                "text": f"Minimum age: {minimum_age} (registry record)",
                "rule": _registry_age_rule(minimum_age, ">="),
                "verified": True,
            }
        )
    if maximum_age:
        criteria.append(
            {
                "id": f"{REGISTRY_CRITERION_PREFIX}maximum-age",
                "kind": "inclusion",
                "text": f"Maximum age: {maximum_age} (registry record)",
                "rule": _registry_age_rule(maximum_age, "<="),
                "verified": True,
            }
        )
    sex = (sex_text or "").upper()
    if sex in {"FEMALE", "MALE"}:
        criteria.append(
            {
                "id": f"{REGISTRY_CRITERION_PREFIX}sex",
                "kind": "inclusion",
                "text": f"Sex: {sex.lower()} participants only (registry record)",
                "rule": {"fact": "sex", "op": "in", "value": [sex.lower()]},
                "verified": True,
            }
        )
    if not criteria:
        return None
    return {
        "format": "trialmatch-criteria/1",
        "trial_id": trial_id,
        "source": "curated",
        "criteria": criteria,
    }


def registry_criteria(trial_id: str, trial: TrialDetail | TrialSummary) -> TrialCriteria | None:
    """The registry record's structured eligibility (age limits, sex) as criteria.

    ClinicalTrials.gov gives these as fields beside the free text; they apply to every trial
    whatever its criteria text says, so they are checked for every trial.
    """
    summary = trial.summary if isinstance(trial, TrialDetail) else trial
    return _registry_criteria(trial_id, summary.minimum_age, summary.maximum_age, summary.sex)


@functools.lru_cache(maxsize=1024)
def _shared_registry_criteria(
    minimum_age: str | None, maximum_age: str | None, sex: str | None
) -> TrialCriteria | None:
    # Registry criteria depend only on these three texts, and few distinct triples occur:
    # compile each once and share the (immutable) criteria between trials.
    return _registry_criteria("registry", minimum_age, maximum_age, sex)


def with_registry_criteria(
    choice: CriteriaChoice, trial: TrialDetail | TrialSummary
) -> CriteriaChoice:
    summary = trial.summary if isinstance(trial, TrialDetail) else trial
    registry = _shared_registry_criteria(summary.minimum_age, summary.maximum_age, summary.sex)
    if registry is None:
        return choice
    merged = replace(choice.criteria, criteria=registry.criteria + choice.criteria.criteria)
    return CriteriaChoice(merged, choice.origin, choice.verified)


# ---------------------------------------------------------------------------------------------
# Prefilter: which trials are candidates for this patient before any rule is evaluated


def trial_topics(
    row: ScreeningRow, memo: dict[str, frozenset[str]] | None = None
) -> frozenset[str]:
    """What a trial is about: from its conditions and keywords, else from its title.

    Empty means the record names no condition at all that can be read (no conditions or
    keywords listed, and a title naming none): such a trial stays a candidate for everyone.
    """
    return topics_of(row.conditions, row.keywords, row.title, memo)


def _split_names(joined: str | None) -> tuple[str, ...]:
    return tuple(joined.split(NAME_SEPARATOR)) if joined else ()


def _status_closed(status: str | None) -> bool:
    # The same normalisation as engine.ranking: only a recognised closed status hides a trial.
    normalised = (status or "").strip().upper().replace(" ", "_").replace(",", "")
    return normalised in CLOSED_STATUSES


# ---------------------------------------------------------------------------------------------
# The matcher


# What makes a candidate's program: its stored program text, the set's source and whether it
# was verified, and the trial's registry limits (minimum age, maximum age, sex).
_ProgramKey = tuple[str, str, bool, str | None, str | None, str | None]


# Trials alike for the prefilter: their topics (None: read by topic), and their status, minimum
# age, maximum age and sex.
_GroupKey = tuple[frozenset[str] | None, tuple[str | None, ...]]


@dataclass(frozen=True, slots=True)
class _Program:
    """A candidate's compiled rules: matcher atom indices (registry criteria first), shape,
    and where the rules come from. Identical programs are shared between trials."""

    atoms: tuple[int, ...]
    shape: Shape | None
    origin: str
    source: str
    verified: bool
    # (source, origin, verified): what every listed trial's TrialMatch takes, made once.
    criteria: tuple[str, str, bool] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "criteria", (self.source, self.origin, self.verified))


@dataclass
class _Catalog:
    """Everything read for one database stamp: slim rows for all trials, the rest on demand."""

    stamp: tuple[object, ...]
    rows: list[ScreeningColumns]
    # Each trial's topics; None when only the trials having the ``scope`` topics were read.
    topics: dict[str, frozenset[str]] | None
    by_id: dict[str, ScreeningColumns]
    titles: dict[str, str | None]
    # A candidate's program, or why its rules cannot be used (shown as a problem).
    programs: dict[str, _Program | str] = field(default_factory=dict)
    pool: dict[tuple[object, ...], _Program] = field(default_factory=dict)
    # Programs by their stored text and what else makes them (copies share one decode).
    decoded: dict[_ProgramKey, _Program] = field(default_factory=dict)
    # The registry criteria's atoms by (minimum age, maximum age, sex).
    registry: dict[tuple[str | None, str | None, str | None], tuple[int, ...]] = field(
        default_factory=dict
    )
    # Ranking summaries without sites, and with them (read when a clinic location is set).
    ranking: dict[bool, dict[str, RankingSummary]] = field(default_factory=dict)
    summaries: dict[str, TrialSummary] = field(default_factory=dict)
    details: dict[str, TrialDetail] = field(default_factory=dict)
    # Sites shown as a trial's nearest, by ranking site key.
    sites: dict[str, SiteView] = field(default_factory=dict)
    # Trials by topics, status and registry limits, made by the first prefilter.
    groups: dict[_GroupKey, list[ScreeningColumns]] | None = None
    # The last prefilter: its inputs and result (candidates, closed, other conditions, age/sex).
    prefilter: tuple[tuple[object, ...], tuple[tuple[str, ...], int, int, int]] | None = None
    # None: ``rows`` holds every trial. Otherwise only the trials having one of these stored
    # topics were read (models.topics): the candidates by topic of patients whose candidate
    # topics are exactly these; the ``unread`` others are about other conditions.
    scope: frozenset[str] | None = None
    unread: int = 0
    # The ``scope`` trials' stored sets, read with them, until the first match uses them.
    scope_sets: StoredSets | None = None

    def carry_over(self, earlier: _Catalog) -> None:
        """Keep what an earlier catalogue of the same stamp read about trials."""
        self.programs = earlier.programs
        self.pool = earlier.pool
        self.decoded = earlier.decoded
        self.registry = earlier.registry
        self.ranking = earlier.ranking
        self.summaries = earlier.summaries
        self.details = earlier.details
        self.sites = earlier.sites


@dataclass
class _Previous:
    """The last match's facts and outcomes, for recombining only what an edit changed."""

    catalog_stamp: tuple[object, ...]
    settings: Settings
    facts: Facts
    outcomes: dict[str, TrialOutcome]


PREFETCHED_DETAILS = 25
# Above this many trial ids, candidates' rows are selected by their topics instead of by id.
_IN_QUERY_LIMIT = 1000


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a match runs.

    A match allocates tens of thousands of small objects that live as long as the catalogue
    or the report; the collector would traverse them again and again and find no garbage
    (about half the CPU time of a first match at 10,000 trials). Reference counting still
    frees everything as usual; collection resumes, as it was, when the match ends.

    Those objects are then moved straight to the oldest generation: left in the youngest,
    the first allocation after the match would traverse every one of them (50-80 ms after a
    first match at 100,000 trials). Skipped when anything else has frozen objects, whose
    freeze the move would undo.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


class Matcher:
    """Matches patients against the database, keeping what it read and evaluated in memory.

    Per database stamp it keeps one slim row per trial (status, age limits, sex, topic) and,
    for trials that were candidates, their compiled program: the indices of shared rule atoms
    (engine.compiled), read from the stored compiled column, never from the criteria JSON.
    Per patient each distinct atom is evaluated once, to its status and missing facts, and
    each trial's verdict, counts and missing facts are combined from those; after an edit only
    the atoms reading a changed fact are evaluated again and only the trials holding an atom
    whose outcome changed are recombined. A trial's full evaluation (evidence and reasons) is
    computed when its ``TrialMatch.evaluation`` is first read.
    Not thread-safe: the window keeps one Matcher per worker thread.
    """

    def __init__(
        self,
        session_factory: SessionFactory,
        settings: ClinicSettings | None = None,
        library: CriteriaLibrary | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.settings = settings or ClinicSettings()
        self._library = library or CriteriaLibrary()
        self._catalog: _Catalog | None = None
        self._previous: _Previous | None = None
        self._reset_atoms()

    def _reset_atoms(self) -> None:
        """Forget every atom (a new catalogue: stored atom ids belong to its database)."""
        # Atoms by id: a stored atom's database id, or a negative id for an atom compiled in
        # memory (found by its body). Each is loaded once, with the fact tokens it reads.
        self._atoms: dict[int, Criterion] = {}
        self._memory_atoms: dict[str, int] = {}
        self._token_atoms: dict[str, list[int]] = {}
        # Each atom's outcome for ``_atom_facts`` (absent: not evaluated for these facts yet).
        self._atom_outcomes: dict[int, AtomOutcome] = {}
        self._atom_facts: Facts | None = None

    def preload(self) -> None:
        """Read the catalogue (every trial's screening columns, topics and stored compiled
        program) now, e.g. while the window opens, so the first match does not; a match reads
        it again only after the database changed."""
        with _cyclic_gc_paused():
            catalog = self._load()
            self._groups(catalog)
            self._prepare(catalog, [row.trial_id for row in catalog.rows], everything=True)

    def _load(self, wanted: frozenset[str] | None = None) -> _Catalog:
        """The catalogue for the database as it is now: every trial, or (``wanted``: the
        candidate topics of the patient about to be matched) at least the trials having one
        of those topics, read through the stored topics when they can be used."""
        stamp = database_stamp(self._session_factory)
        earlier = self._catalog
        same = earlier if earlier is not None and earlier.stamp == stamp else None
        if same is not None and (same.scope is None or same.scope == wanted):
            return same
        catalog = None
        if wanted is not None:
            catalog = self._read_topic_scope(stamp, wanted)
        if catalog is None:
            catalog = self._read_everything(stamp)
        if same is not None:
            # Same database, more trials read: what was compiled and read still holds.
            catalog.carry_over(same)
        else:
            self._previous = None
            self._reset_atoms()
        self._catalog = catalog
        return catalog

    def _read_topic_scope(
        self, stamp: tuple[object, ...], wanted: frozenset[str]
    ) -> _Catalog | None:
        screening = read_topic_screening(self._session_factory, wanted)
        if screening is None:
            return None
        rows = screening.rows
        return _Catalog(
            stamp,
            rows,
            None,
            {row.trial_id: row for row in rows},
            screening.titles,
            scope=wanted,
            unread=screening.total - len(rows),
            scope_sets=screening.sets,
        )

    def _read_everything(self, stamp: tuple[object, ...]) -> _Catalog:
        stored = read_screening_with_topics(self._session_factory)
        if stored is not None:
            rows, stored_topics, titles = stored
            by_id = {row.trial_id: row for row in rows}
            return _Catalog(stamp, rows, stored_topics, by_id, titles)
        rows, conditions, keywords, titles = read_screening(self._session_factory)
        memo: dict[str, frozenset[str]] = {}
        # Many trials share their conditions and keywords (and, when those name nothing, the
        # title decides): derive each distinct combination's topics once.
        by_names: dict[tuple[str | None, str | None, str | None], frozenset[str]] = {}
        topics: dict[str, frozenset[str]] = {}
        for row in rows:
            trial_id = row.trial_id
            names = (conditions.get(trial_id), keywords.get(trial_id), titles.get(trial_id))
            found = by_names.get(names)
            if found is None:
                found = by_names[names] = topics_of(
                    _split_names(names[0]), _split_names(names[1]), names[2], memo
                )
            topics[trial_id] = found
        return _Catalog(stamp, rows, topics, {row.trial_id: row for row in rows}, titles)

    def _add_atom(self, atom_id: int, body: str) -> None:
        criterion = atom_criterion(body)
        self._atoms[atom_id] = criterion
        for token in atom_reads(criterion):
            self._token_atoms.setdefault(token, []).append(atom_id)

    def _memory_atom(self, body: str) -> int:
        atom_id = self._memory_atoms.get(body)
        if atom_id is None:
            atom_id = -1 - len(self._memory_atoms)
            self._add_atom(atom_id, body)
            self._memory_atoms[body] = atom_id
        return atom_id

    def _program(
        self,
        catalog: _Catalog,
        row: ScreeningColumns,
        atoms: tuple[int, ...],
        shape: Shape | None,
        origin: str,
        source: str,
        verified: bool,
    ) -> _Program:
        limits = (row.minimum_age, row.maximum_age, row.sex)
        registry = catalog.registry.get(limits)
        if registry is None:
            registry = catalog.registry[limits] = tuple(
                self._memory_atom(body) for body in _registry_atoms(*limits)
            )
        if registry and shape is not None:
            # Registry criteria are common to every cohort and belong to no group.
            shape = Shape(shape.cohorts, ((None, None),) * len(registry) + shape.members)
        program = _Program(registry + atoms, shape, origin, source, verified)
        return catalog.pool.setdefault((program.atoms, shape, origin, source, verified), program)

    def _prepare(
        self, catalog: _Catalog, trial_ids: Sequence[str], *, everything: bool = False
    ) -> None:
        """Compile the programs of candidates seen for the first time, from the stored
        programs where they are current, else from the criteria as the library chooses.

        ``everything``: read every trial's stored program (``trial_ids`` are then all trials)
        and leave the trials without one for the match that needs them.
        """
        programs = catalog.programs
        missing = [trial_id for trial_id in trial_ids if trial_id not in programs]
        if not missing:
            return
        if catalog.scope_sets is not None:
            sets, catalog.scope_sets = catalog.scope_sets, None
        elif everything:
            sets = sets_by_source(read_stored_sets(self._session_factory, None))
        elif catalog.scope is not None and len(missing) > _IN_QUERY_LIMIT:
            # Many candidates of a topic read: select their sets by the same topics in one
            # query rather than by thousands of ids (sets of trials not asked for are skipped).
            sets = sets_by_source(read_stored_sets(self._session_factory, None, catalog.scope))
        else:
            sets = sets_by_source(read_stored_sets(self._session_factory, missing))
        curated, automatic = sets
        bundled = self._library.bundled_ids()
        by_id = catalog.by_id
        known = catalog.decoded
        # One pass over the candidates; the work per program is then done once per distinct
        # stored program (copies of a record, and sets identical in every respect, share it).
        waiting: dict[_ProgramKey, list[str]] = {}
        fallback: set[str] = set()
        for trial_id in missing:
            # The library's order: reviewed, bundled curated, stored automatic, parsed now.
            chosen = curated.get(trial_id)
            if chosen is None and trial_id not in bundled:
                chosen = automatic.get(trial_id)
            if chosen is None or chosen.program is None:
                fallback.add(trial_id)
                continue
            row = by_id[trial_id]
            key = (
                chosen.program,
                chosen.source,
                bool(chosen.verified),
                row.minimum_age,
                row.maximum_age,
                row.sex,
            )
            program = known.get(key)
            if program is not None:
                programs[trial_id] = program
                continue
            trials = waiting.get(key)
            if trials is None:
                waiting[key] = [trial_id]
            else:
                trials.append(trial_id)
        decoded: list[tuple[_ProgramKey, StoredProgram]] = []
        needed: set[int] = set()
        for key, trials in waiting.items():
            stored_program = decode_program(key[0])
            if stored_program is None:
                fallback.update(trials)
                continue
            needed.update(stored_program.atoms)
            decoded.append((key, stored_program))
        unknown = needed.difference(self._atoms)
        failed: set[int] = set()
        if unknown:
            bodies = read_atoms(self._session_factory, unknown)
            failed.update(unknown.difference(bodies))
            for atom_id, body in bodies.items():
                try:
                    self._add_atom(atom_id, body)
                except CriteriaError:
                    failed.add(atom_id)  # no longer loads: its trials take the fallback
        for key, stored_program in decoded:
            trials = waiting[key]
            if failed and not failed.isdisjoint(stored_program.atoms):
                fallback.update(trials)
                continue
            source, verified = key[1], key[2]
            program = self._program(
                catalog,
                by_id[trials[0]],
                stored_program.atoms,
                stored_program.shape,
                "reviewed" if source == "curated" else "automatic",
                stored_program.source,
                verified,
            )
            known[key] = program
            for trial_id in trials:
                programs[trial_id] = program
        if everything:
            return
        for trial_id in (trial_id for trial_id in missing if trial_id in fallback):
            try:
                choice = self._choose(trial_id)
                compiled = self._library.program(choice)
                atoms = tuple(self._memory_atom(body) for body in compiled.atoms)
            except (CriteriaError, CriteriaSourceError) as error:
                catalog.programs[trial_id] = str(error)
                continue
            catalog.programs[trial_id] = self._program(
                catalog,
                catalog.by_id[trial_id],
                atoms,
                compiled.shape,
                choice.origin,
                compiled.source,
                choice.verified,
            )

    def _choose(self, trial_id: str) -> CriteriaChoice:
        """The library's choice of criteria for one trial (reads its stored sets' JSON)."""
        stored_sets = load_criteria_sets(self._session_factory, [trial_id]).get(trial_id, ())
        text = None
        if not stored_sets and not self._library.has_bundled(trial_id):
            text = load_eligibility_texts(self._session_factory, [trial_id]).get(trial_id)
        stored = {
            record.source.value: (
                record.criteria_json,
                record.verified,
                record.updated_at.isoformat(),
            )
            for record in stored_sets
        }
        return self._library.choose(trial_id, text, stored)

    def _full_evaluation(self, catalog: _Catalog, facts: Facts, trial_id: str) -> TrialEvaluation:
        """The trial's evaluation with evidence, as engine.evaluate_trial gives it."""
        row = catalog.by_id[trial_id]
        choice = self._choose(trial_id)
        registry = _shared_registry_criteria(row.minimum_age, row.maximum_age, row.sex)
        criteria = choice.criteria
        if registry is not None:
            criteria = replace(criteria, criteria=registry.criteria + criteria.criteria)
        return evaluate_trial(criteria, facts)

    def _registry_excludes(self, row: ScreeningColumns, facts: Facts) -> bool:
        """Whether the registry's age limits or sex certainly rule the patient out."""
        criteria = _shared_registry_criteria(row.minimum_age, row.maximum_age, row.sex)
        if criteria is None:
            return False
        return any(
            evaluate_criterion(criterion, facts).status is CriterionStatus.VIOLATED
            for criterion in criteria.criteria
        )

    @staticmethod
    def _groups(catalog: _Catalog) -> dict[_GroupKey, list[ScreeningColumns]]:
        """Trials alike in topic, status and registry limits: the prefilter decides each group
        once. (Topic None: read as a candidate by its stored topics.)"""
        if catalog.groups is None:
            groups: dict[_GroupKey, list[ScreeningColumns]] = {}
            topics = catalog.topics
            for row in catalog.rows:
                # row[1:5]: status, minimum age, maximum age, sex (ScreeningColumns order).
                key = (None if topics is None else topics[row.trial_id], row[1:5])
                found = groups.get(key)
                if found is None:
                    groups[key] = [row]
                else:
                    found.append(row)
            catalog.groups = groups
        return catalog.groups

    def _candidates(
        self,
        catalog: _Catalog,
        profile: PatientProfile,
        facts: Facts,
        include_closed: bool,
        all_conditions: bool,
    ) -> tuple[tuple[str, ...], int, int, int]:
        """The trials to evaluate, and how many were left out as closed, about other
        conditions, or outside the registry's age limits or sex (kept until these change)."""
        conditions = patient_conditions(profile)
        key: tuple[object, ...] = (
            catalog.scope,
            conditions,
            include_closed,
            all_conditions,
            facts.screening_date,
            facts.get("age_years"),
            # Registry limits in months or days read these; with the screening date, the age
            # in days fixes the completed months too.
            facts.get("age_days"),
            facts.get("sex"),
        )
        if catalog.prefilter is not None and catalog.prefilter[0] == key:
            return catalog.prefilter[1]
        groups = self._groups(catalog)
        chosen: list[list[ScreeningColumns]] = []
        hidden_closed = excluded_age_sex = 0
        # Trials the catalogue did not read are about none of the patient's conditions.
        other_conditions = catalog.unread
        registry_memo: dict[tuple[str | None, str | None, str | None], bool] = {}
        topic_memo: dict[frozenset[str], bool] = {}
        closed_memo: dict[str | None, bool] = {}
        for (topics, (status, *limit_values)), rows in groups.items():
            limits = (limit_values[0], limit_values[1], limit_values[2])
            closed = closed_memo.get(status)
            if closed is None:
                closed = closed_memo[status] = _status_closed(status)
            if not all_conditions:
                candidate = True if topics is None else topic_memo.get(topics)
                if candidate is None:
                    assert topics is not None
                    candidate = topic_memo[topics] = is_topic_candidate(topics, conditions)
                if not candidate:
                    other_conditions += len(rows)
                    continue
                excluded = registry_memo.get(limits)
                if excluded is None:
                    excluded = registry_memo[limits] = self._registry_excludes(rows[0], facts)
                if excluded:
                    excluded_age_sex += len(rows)
                    continue
            if not include_closed and closed:
                hidden_closed += len(rows)
                continue
            chosen.append(rows)
        # In catalogue (trial id) order, as the trials are read.
        candidates = sorted(row.trial_id for rows in chosen for row in rows)
        found = (tuple(candidates), hidden_closed, other_conditions, excluded_age_sex)
        catalog.prefilter = (key, found)
        return found

    def facts_for(self, profile: PatientProfile, screening_date: dt.date) -> Facts:
        return build_facts(profile, screening_date, engine_settings(self.settings))

    def match(
        self,
        profile: PatientProfile,
        *,
        screening_date: dt.date,
        include_closed: bool = False,
        all_conditions: bool = False,
    ) -> MatchReport:
        """Evaluate and rank the candidate trials for ``profile`` on ``screening_date``.

        Closed trials are counted, not evaluated, unless ``include_closed``. Trials about none
        of the patient's conditions, and trials whose registry age limits or sex rule the
        patient out, are counted, not listed, unless ``all_conditions``.
        """
        with _cyclic_gc_paused():
            return self._match(profile, screening_date, include_closed, all_conditions)

    def _match(
        self,
        profile: PatientProfile,
        screening_date: dt.date,
        include_closed: bool,
        all_conditions: bool,
    ) -> MatchReport:
        conditions = patient_conditions(profile)
        wanted = None if all_conditions or not conditions else candidate_topics(conditions)
        catalog = self._load(wanted)
        settings = engine_settings(self.settings)
        facts = build_facts(profile, screening_date, settings)
        candidates, hidden_closed, other_conditions, excluded_age_sex = self._candidates(
            catalog, profile, facts, include_closed, all_conditions
        )
        self._prepare(catalog, candidates)
        outcomes = self._outcomes(catalog, candidates, settings, facts)
        ranking = self._ranking(catalog, candidates, settings.clinic_location is not None)

        evaluated: list[tuple[RankingSummary, TrialOutcome]] = []
        problems: list[TrialProblem] = []
        for trial_id in candidates:
            program = catalog.programs[trial_id]
            if isinstance(program, str):
                problems.append(TrialProblem(trial_id, catalog.titles.get(trial_id), program))
                continue
            evaluated.append((ranking[trial_id], outcomes[trial_id]))
        ranked = rank_trials(evaluated, settings.clinic_location, include_closed)
        order = [item.summary.trial_id for item in ranked]
        details = TrialDetails(self._session_factory, order, catalog.details)
        details.prefetch(PREFETCHED_DETAILS)
        for trial_id in order[:PREFETCHED_DETAILS]:
            catalog.summaries.setdefault(trial_id, catalog.details[trial_id].summary)
        summaries = TrialSummaries(self._session_factory, order, catalog.summaries)
        evaluate = functools.partial(self._full_evaluation, catalog, facts)
        nearest_sites = self._nearest_sites(catalog, ranked)
        titles = catalog.titles
        matches: list[TrialMatch] = []
        for item in ranked:
            trial_id = item.summary.trial_id
            program = catalog.programs[trial_id]
            assert not isinstance(program, str)
            nearest = None
            if item.nearest_site is not None:
                nearest = nearest_sites[item.nearest_site.name]
            matches.append(
                TrialMatch.lazy(
                    trial_id,
                    titles.get(trial_id),
                    item.summary.status,
                    item.evaluation,
                    evaluate,
                    summaries,
                    details,
                    nearest,
                    item.distance_km,
                    program.criteria,
                    item.status_class != "unknown",
                    item.status_note,
                )
            )
        return MatchReport(
            screening_date=screening_date,
            profile=profile,
            trials=tuple(matches),
            hidden_closed=hidden_closed,
            ask_next=ask_next([item.evaluation for item in ranked]),
            problems=tuple(problems),
            notes=facts.notes,
            other_conditions=other_conditions,
            excluded_age_sex=excluded_age_sex,
        )

    def _ranking(
        self, catalog: _Catalog, candidates: Sequence[str], with_sites: bool
    ) -> dict[str, RankingSummary]:
        """What ranking reads of each candidate (sites only when a clinic location is set)."""
        known = catalog.ranking.setdefault(with_sites, {})
        missing = [trial_id for trial_id in candidates if trial_id not in known]
        if not missing:
            return known
        by_id = catalog.by_id
        if not with_sites:
            for trial_id in missing:
                row = by_id[trial_id]
                known[trial_id] = RankingSummary(
                    trial_id,
                    row.overall_status,
                    _registry_date(row.last_update or row.record_version),
                )
            return known
        sites = read_sites(self._session_factory, missing)
        for trial_id in missing:
            row = by_id[trial_id]
            known[trial_id] = RankingSummary(
                trial_id=trial_id,
                status=row.overall_status,
                last_update=_registry_date(row.last_update or row.record_version),
                sites=tuple(
                    # Keyed by site id: the nearest one is read with its contacts for display.
                    Site(_site_key(site_id), status, latitude, longitude)
                    for site_id, status, latitude, longitude in sites.get(trial_id, ())
                ),
            )
        return known

    def _nearest_sites(
        self, catalog: _Catalog, ranked: Sequence[RankedTrial[TrialOutcome]]
    ) -> dict[str, SiteView]:
        """The nearest sites of the ranked trials with their contacts, by ranking site key."""
        wanted = {item.nearest_site.name for item in ranked if item.nearest_site is not None}
        missing = [key for key in wanted if key not in catalog.sites]
        if missing:
            views = load_site_views(self._session_factory, [_site_id(key) for key in missing])
            catalog.sites.update((_site_key(site_id), view) for site_id, view in views.items())
        return catalog.sites

    def _outcomes(
        self, catalog: _Catalog, candidates: Sequence[str], settings: Settings, facts: Facts
    ) -> dict[str, TrialOutcome]:
        """Each candidate's outcome, recombining only trials holding an atom the edit changed."""
        previous = self._previous
        changed: frozenset[str] | None = None
        atom_facts = self._atom_facts
        if atom_facts is not None and previous is not None and previous.settings == settings:
            changed = changed_tokens(atom_facts, facts)
        changed_atoms: set[int] = set()
        if changed is None:
            self._atom_outcomes = {}
        else:
            for token in changed:
                for atom_id in self._token_atoms.get(token, ()):
                    before = self._atom_outcomes.get(atom_id)
                    if before is None:
                        continue
                    after = evaluate_atom(self._atoms[atom_id], facts)
                    self._atom_outcomes[atom_id] = after
                    if after != before:
                        changed_atoms.add(atom_id)
        self._atom_facts = facts
        reusable: dict[str, TrialOutcome] = {}
        if changed is not None and previous is not None and previous.catalog_stamp == catalog.stamp:
            reusable = previous.outcomes
        combined: dict[int, TrialOutcome] = {}
        outcomes: dict[str, TrialOutcome] = {}
        programs = catalog.programs
        atoms = self._atoms
        atom_outcomes = self._atom_outcomes
        copy_outcome = TrialOutcome._make
        for trial_id in candidates:
            program = programs[trial_id]
            if isinstance(program, str):
                continue
            if reusable:
                earlier = reusable.get(trial_id)
                if earlier is not None and changed_atoms.isdisjoint(program.atoms):
                    outcomes[trial_id] = earlier
                    continue
            # Identical programs (copies of a record, shared registry limits) combine once.
            outcome = combined.get(id(program))
            if outcome is None:
                # Each atom evaluated once per patient, however many trials hold it.
                found: list[AtomOutcome] = []
                for atom_id in program.atoms:
                    atom_outcome = atom_outcomes.get(atom_id)
                    if atom_outcome is None:
                        atom_outcome = atom_outcomes[atom_id] = evaluate_atom(atoms[atom_id], facts)
                    found.append(atom_outcome)
                outcome = combined[id(program)] = combine_outcomes(trial_id, found, program.shape)
            if outcome.trial_id != trial_id:
                # The shared program's outcome under this trial's id; made straight from the
                # tuple, as this runs for every copy of a shared program.
                outcome = copy_outcome((trial_id, *outcome[1:]))
            outcomes[trial_id] = outcome
        self._previous = _Previous(catalog.stamp, settings, facts, outcomes)
        return outcomes


def match_patient(
    session_factory: SessionFactory,
    profile: PatientProfile,
    *,
    screening_date: dt.date,
    settings: ClinicSettings | None = None,
    include_closed: bool = False,
    all_conditions: bool = False,
) -> MatchReport:
    """One-off match (the command line); the window keeps a Matcher to reuse compiled rules."""
    matcher = Matcher(session_factory, settings)
    return matcher.match(
        profile,
        screening_date=screening_date,
        include_closed=include_closed,
        all_conditions=all_conditions,
    )


def trials_not_ruled_out(report: MatchReport) -> Sequence[TrialMatch]:
    from engine.outcomes import Verdict

    return [item for item in report.trials if item.outcome.verdict is not Verdict.NOT_ELIGIBLE]
