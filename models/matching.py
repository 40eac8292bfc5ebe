"""The match use case: one patient against the candidate trials, ranked and explained."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from engine.ask_next import AskItem, ask_next
from engine.criteria import TrialCriteria
from engine.errors import CriteriaError
from engine.evaluator import evaluate_criterion, evaluate_trial
from engine.facts import Facts, build_facts
from engine.incremental import TrialReads, changed_tokens, reevaluate_trial, trial_reads
from engine.loader import load_criteria
from engine.outcomes import CriterionStatus, TrialEvaluation
from engine.profile import PatientProfile
from engine.ranking import CLOSED_STATUSES, Site, rank_trials
from engine.ranking import TrialSummary as RankingSummary
from engine.registry_text import NO_AGE_LIMIT_TEXTS
from engine.units import Settings
from engine.vocabulary import CONDITIONS, condition_covers, normalise_term
from models.criteria_library import CriteriaChoice, CriteriaLibrary, CriteriaSourceError
from models.database import SessionFactory
from models.operations import (
    ScreeningRow,
    SiteView,
    TrialDetail,
    TrialSummary,
    UnknownTrialError,
    database_stamp,
    list_screening_rows,
    load_criteria_sets,
    load_eligibility_texts,
    load_trial_details,
    load_trial_summaries,
)
from models.settings import ClinicSettings

AskNextItem = AskItem


class TrialDetails:
    """Full trial records for a report, read from the database when first asked for.

    Matching reads only slim summaries; the window's detail panel and the letter need the
    whole record (arms, officials, descriptions), which is read in batches in report order.
    """

    BATCH = 200

    def __init__(
        self,
        session_factory: SessionFactory,
        order: Sequence[str],
        loaded: dict[str, TrialDetail] | None = None,
    ) -> None:
        """``loaded``: records already read (the Matcher shares one cache between reports)."""
        self._session_factory = session_factory
        self._order = list(order)
        self._position: dict[str, int] | None = None
        self._loaded = {} if loaded is None else loaded

    def prefetch(self, count: int) -> None:
        """Read the first ``count`` trials now (the ones a physician looks at first)."""
        wanted = [trial_id for trial_id in self._order[:count] if trial_id not in self._loaded]
        if wanted:
            self._loaded.update(load_trial_details(self._session_factory, wanted))

    def read(self, trial_ids: Sequence[str]) -> None:
        """Read exactly these trials now, the ones not read yet, in one query (a letter's)."""
        wanted = [trial_id for trial_id in trial_ids if trial_id not in self._loaded]
        if wanted:
            self._loaded.update(load_trial_details(self._session_factory, wanted))

    def get(self, trial_id: str) -> TrialDetail:
        detail = self._loaded.get(trial_id)
        if detail is not None:
            return detail
        if self._position is None:
            self._position = {other: index for index, other in enumerate(self._order)}
        start = self._position.get(trial_id, 0)
        batch = [trial_id] + [
            other
            for other in self._order[start : start + self.BATCH]
            if other != trial_id and other not in self._loaded
        ]
        self._loaded.update(load_trial_details(self._session_factory, batch))
        detail = self._loaded.get(trial_id)
        if detail is None:
            raise UnknownTrialError(f"no trial {trial_id} in the database")
        return detail


class TrialMatch:
    """One trial's result for the patient, with what the window and the letter show.

    Attributes:
        summary: the trial's summary (status, sites, ages); always in memory.
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
        "criteria_origin",
        "criteria_source",
        "criteria_verified",
        "distance_km",
        "evaluation",
        "nearest_site",
        "status_known",
        "status_note",
        "summary",
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
        self.summary: TrialSummary = summary
        self.evaluation = evaluation
        self.nearest_site = nearest_site
        self.distance_km = distance_km
        self.criteria_source = criteria_source
        self.criteria_origin = criteria_origin
        self.criteria_verified = criteria_verified
        self.status_known = status_known
        self.status_note = status_note

    @property
    def detail(self) -> TrialDetail:
        if self._detail is None:
            assert self._details is not None
            self._detail = self._details.get(self.summary.trial_id)
        return self._detail

    @property
    def trial_id(self) -> str:
        return self.summary.trial_id

    def __repr__(self) -> str:
        return f"TrialMatch({self.trial_id!r}, {self.evaluation.verdict.value})"


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
    # Ranking reports the nearest site by this key; it maps back to the SiteView by position.
    return f"site-{index}"


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
    return load_criteria(
        {
            "format": "trialmatch-criteria/1",
            "trial_id": trial_id,
            "source": "curated",
            "criteria": criteria,
        }
    )


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


def _term_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    terms: dict[str, str] = {}
    for condition in CONDITIONS.values():
        for term in (condition.id.replace("_", " "), condition.label, *condition.synonyms):
            key = normalise_term(term)
            if key:
                terms.setdefault(key, condition.id)
    alternatives = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"), terms


_TERMS, _TERM_CONDITION = _term_pattern()
# Words naming the whole area the vocabulary belongs to (autoimmune and rheumatic disease):
# a trial named only by them ("Autoimmune Diseases") may take any vocabulary patient.
_UMBRELLA = re.compile(
    r"(?<!\w)(?:autoimmun\w*|auto immun\w*|immune mediated|immune system|immunological"
    r"|rheumat\w*|connective tissue|collagen|vasculit\w*|arthrit\w*|myosit\w*|myopath\w*"
    r"|lupus|scleroderma|sclerosis|sjogren\w*|sicca)(?!\w)"
)
AREA_TOPIC = "*autoimmune"


def text_topics(text: str) -> frozenset[str]:
    """The vocabulary conditions a registry text names; AREA_TOPIC when it names only the area."""
    normalised = normalise_term(text)
    found = {_TERM_CONDITION[match.group(0)] for match in _TERMS.finditer(normalised)}
    if not found and _UMBRELLA.search(normalised):
        # Only when no condition is named: "Rheumatoid Arthritis" is about RA, not the area.
        found.add(AREA_TOPIC)
    return frozenset(found)


def trial_topics(
    row: ScreeningRow, memo: dict[str, frozenset[str]] | None = None
) -> frozenset[str]:
    """What a trial is about: from its conditions and keywords, else from its title.

    Empty means the record names no condition at all that can be read (no conditions or
    keywords listed, and a title naming none): such a trial stays a candidate for everyone.
    """
    memo = {} if memo is None else memo

    def topics(text: str) -> frozenset[str]:
        cached = memo.get(text)
        if cached is None:
            cached = memo[text] = text_topics(text)
        return cached

    found: set[str] = set()
    for text in (*row.conditions, *row.keywords):
        found |= topics(text)
    if not found and row.title:
        found |= topics(row.title)
    if not found and (row.conditions or row.keywords):
        # Named conditions outside the vocabulary and its area (oncology, cardiology ...).
        found.add(OTHER_TOPIC)
    return frozenset(found)


OTHER_TOPIC = "*other"


def patient_conditions(profile: PatientProfile) -> frozenset[str]:
    """The patient's conditions as vocabulary ids (lupus nephritis when biopsy classes exist)."""
    found: set[str] = set()
    for diagnosis in profile.diagnoses:
        found.add(diagnosis.condition)
        if diagnosis.lupus_nephritis is not None and diagnosis.lupus_nephritis.classes:
            found.add("lupus_nephritis")
    return frozenset(found)


def is_topic_candidate(topics: frozenset[str], conditions: frozenset[str]) -> bool:
    """Whether a trial about ``topics`` is evaluated for a patient with ``conditions``.

    Conservative: a patient without diagnoses gets every trial; a trial whose topic cannot be
    read, or that names the autoimmune / rheumatic area without a vocabulary condition, stays a
    candidate; otherwise one of its conditions must be the patient's, a broader form of it, or
    a narrower form (a lupus nephritis trial for an SLE patient: the biopsy may not be recorded).
    """
    if not conditions or not topics or AREA_TOPIC in topics:
        return True
    return any(
        condition_covers(topic, condition) or condition_covers(condition, topic)
        for topic in topics
        if topic in CONDITIONS
        for condition in conditions
    )


def _status_closed(status: str | None) -> bool:
    # The same normalisation as engine.ranking: only a recognised closed status hides a trial.
    normalised = (status or "").strip().upper().replace(" ", "_").replace(",", "")
    return normalised in CLOSED_STATUSES


# ---------------------------------------------------------------------------------------------
# The matcher


@dataclass
class _Catalog:
    """Everything read for one database stamp: slim rows for all trials, the rest on demand."""

    stamp: tuple[object, ...]
    rows: tuple[ScreeningRow, ...]
    topics: dict[str, frozenset[str]]
    summaries: dict[str, TrialSummary] = field(default_factory=dict)
    choices: dict[str, CriteriaChoice | str] = field(default_factory=dict)
    reads: dict[str, TrialReads] = field(default_factory=dict)
    ranking: dict[str, RankingSummary] = field(default_factory=dict)
    details: dict[str, TrialDetail] = field(default_factory=dict)
    # The last prefilter: its inputs and result (candidates, closed, other conditions, age/sex).
    prefilter: tuple[tuple[object, ...], tuple[tuple[str, ...], int, int, int]] | None = None


@dataclass
class _Previous:
    """The last match's facts and evaluations, for re-evaluating only what an edit changed."""

    catalog_stamp: tuple[object, ...]
    settings: Settings
    facts: Facts
    evaluations: dict[str, TrialEvaluation]


PREFETCHED_DETAILS = 25


class Matcher:
    """Matches patients against the database, keeping what it read and evaluated in memory.

    Per database stamp it keeps one slim row per trial (status, age limits, sex, topic) and,
    for trials that were candidates, their summary and compiled rules. Per patient it keeps
    the last evaluation of each candidate and the facts it was made from, so a re-match after
    a one-field edit re-evaluates only the criteria that read a changed fact.
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

    def _load(self) -> _Catalog:
        stamp = database_stamp(self._session_factory)
        if self._catalog is not None and self._catalog.stamp == stamp:
            return self._catalog
        rows = list_screening_rows(self._session_factory)
        memo: dict[str, frozenset[str]] = {}
        topics = {row.trial_id: trial_topics(row, memo) for row in rows}
        self._catalog = _Catalog(stamp, rows, topics)
        self._previous = None
        return self._catalog

    def _prepare(self, catalog: _Catalog, trial_ids: Sequence[str]) -> None:
        """Read summaries and compile rules for candidates seen for the first time."""
        missing = [trial_id for trial_id in trial_ids if trial_id not in catalog.choices]
        if not missing:
            return
        catalog.summaries.update(load_trial_summaries(self._session_factory, missing))
        stored_sets = load_criteria_sets(self._session_factory, missing)
        needs_text = [
            trial_id
            for trial_id in missing
            if trial_id not in stored_sets and not self._library.has_bundled(trial_id)
        ]
        texts = load_eligibility_texts(self._session_factory, needs_text) if needs_text else {}
        for trial_id in missing:
            stored = {
                record.source.value: (
                    record.criteria_json,
                    record.verified,
                    record.updated_at.isoformat(),
                )
                for record in stored_sets.get(trial_id, ())
            }
            try:
                choice = self._library.choose(trial_id, texts.get(trial_id), stored)
                choice = with_registry_criteria(choice, catalog.summaries[trial_id])
            except (CriteriaError, CriteriaSourceError) as error:
                catalog.choices[trial_id] = str(error)
                continue
            catalog.choices[trial_id] = choice
            catalog.reads[trial_id] = trial_reads(choice.criteria)

    def _registry_excludes(self, row: ScreeningRow, facts: Facts) -> bool:
        """Whether the registry's age limits or sex certainly rule the patient out."""
        criteria = _shared_registry_criteria(row.minimum_age, row.maximum_age, row.sex)
        if criteria is None:
            return False
        return any(
            evaluate_criterion(criterion, facts).status is CriterionStatus.VIOLATED
            for criterion in criteria.criteria
        )

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
        candidates: list[str] = []
        hidden_closed = other_conditions = excluded_age_sex = 0
        registry_memo: dict[tuple[str | None, str | None, str | None], bool] = {}
        topic_memo: dict[frozenset[str], bool] = {}
        for row in catalog.rows:
            if not all_conditions:
                topics = catalog.topics[row.trial_id]
                candidate = topic_memo.get(topics)
                if candidate is None:
                    candidate = topic_memo[topics] = is_topic_candidate(topics, conditions)
                if not candidate:
                    other_conditions += 1
                    continue
                limits = (row.minimum_age, row.maximum_age, row.sex)
                excluded = registry_memo.get(limits)
                if excluded is None:
                    excluded = registry_memo[limits] = self._registry_excludes(row, facts)
                if excluded:
                    excluded_age_sex += 1
                    continue
            if not include_closed and _status_closed(row.overall_status):
                hidden_closed += 1
                continue
            candidates.append(row.trial_id)
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
        catalog = self._load()
        settings = engine_settings(self.settings)
        facts = build_facts(profile, screening_date, settings)
        candidates, hidden_closed, other_conditions, excluded_age_sex = self._candidates(
            catalog, profile, facts, include_closed, all_conditions
        )
        self._prepare(catalog, candidates)
        evaluations = self._evaluate(catalog, candidates, settings, facts)

        evaluated: list[tuple[RankingSummary, TrialEvaluation]] = []
        problems: list[TrialProblem] = []
        for trial_id in candidates:
            choice = catalog.choices[trial_id]
            if isinstance(choice, str):
                summary = catalog.summaries.get(trial_id)
                title = summary.title if summary is not None else None
                problems.append(TrialProblem(trial_id, title, choice))
                continue
            ranking = catalog.ranking.get(trial_id)
            if ranking is None:
                ranking = catalog.ranking[trial_id] = _ranking_summary(catalog.summaries[trial_id])
            evaluated.append((ranking, evaluations[trial_id]))
        ranked = rank_trials(evaluated, settings.clinic_location, include_closed)
        details = TrialDetails(
            self._session_factory, [item.summary.trial_id for item in ranked], catalog.details
        )
        details.prefetch(PREFETCHED_DETAILS)
        matches: list[TrialMatch] = []
        for item in ranked:
            trial_id = item.summary.trial_id
            summary = catalog.summaries[trial_id]
            choice = catalog.choices[trial_id]
            assert not isinstance(choice, str)
            nearest = None
            if item.nearest_site is not None:
                nearest = summary.sites[int(item.nearest_site.name.split("-")[1])]
            matches.append(
                TrialMatch(
                    None,
                    item.evaluation,
                    nearest,
                    item.distance_km,
                    choice.source,
                    choice.origin,
                    choice.verified,
                    item.status_class != "unknown",
                    item.status_note,
                    summary=summary,
                    details=details,
                )
            )
        return MatchReport(
            screening_date=screening_date,
            profile=profile,
            trials=tuple(matches),
            hidden_closed=hidden_closed,
            ask_next=ask_next([match.evaluation for match in matches]),
            problems=tuple(problems),
            notes=facts.notes,
            other_conditions=other_conditions,
            excluded_age_sex=excluded_age_sex,
        )

    def _evaluate(
        self, catalog: _Catalog, candidates: Sequence[str], settings: Settings, facts: Facts
    ) -> dict[str, TrialEvaluation]:
        """Each candidate's evaluation, reusing the last match's where the edit allows."""
        previous = self._previous
        changed: frozenset[str] | None = None
        if (
            previous is not None
            and previous.catalog_stamp == catalog.stamp
            and previous.settings == settings
        ):
            changed = changed_tokens(previous.facts, facts)
        evaluations: dict[str, TrialEvaluation] = {}
        for trial_id in candidates:
            choice = catalog.choices[trial_id]
            if isinstance(choice, str):
                continue
            earlier = previous.evaluations.get(trial_id) if previous is not None else None
            if changed is not None and earlier is not None:
                evaluations[trial_id] = reevaluate_trial(
                    choice.criteria, catalog.reads[trial_id], earlier, facts, changed
                )
            else:
                evaluations[trial_id] = evaluate_trial(choice.criteria, facts)
        self._previous = _Previous(catalog.stamp, settings, facts, evaluations)
        return evaluations


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

    return [item for item in report.trials if item.evaluation.verdict is not Verdict.NOT_ELIGIBLE]
