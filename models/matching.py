"""The match use case: one patient against every trial in the database, ranked and explained."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from engine.ask_next import AskItem, ask_next
from engine.criteria import TrialCriteria
from engine.errors import CriteriaError
from engine.evaluator import evaluate_trial
from engine.facts import Facts, build_facts
from engine.loader import load_criteria
from engine.outcomes import TrialEvaluation
from engine.profile import PatientProfile
from engine.ranking import Site, rank_trials
from engine.ranking import TrialSummary as RankingSummary
from engine.units import Settings
from models.criteria_library import CriteriaChoice, CriteriaLibrary, CriteriaSourceError
from models.database import SessionFactory
from models.operations import (
    SiteView,
    TrialDetail,
    database_stamp,
    list_criteria_sets,
    list_trial_details,
)
from models.settings import ClinicSettings

AskNextItem = AskItem


@dataclass(frozen=True, slots=True)
class TrialMatch:
    """One trial's result for the patient, with what the window and the letter show.

    Attributes:
        nearest_site, distance_km: the nearest recruiting site when the clinic location is set.
        criteria_source: "curated" or "automatic" (the rules the verdict rests on).
        criteria_origin: "reviewed", "curated", "automatic" or "parsed" (models.criteria_library).
        criteria_verified: False when the verdict rests on automatic rules nobody confirmed.
        status_known: False when the record gives no (or an unrecognised) recruitment status.
        status_note: what to say about the status ("Recruitment status unknown").
    """

    detail: TrialDetail
    evaluation: TrialEvaluation
    nearest_site: SiteView | None
    distance_km: float | None
    criteria_source: str
    criteria_origin: str
    criteria_verified: bool
    status_known: bool
    status_note: str | None = None

    @property
    def trial_id(self) -> str:
        return self.detail.summary.trial_id


@dataclass(frozen=True, slots=True)
class TrialProblem:
    """A trial that could not be evaluated (its rules do not load), shown rather than dropped."""

    trial_id: str
    title: str | None
    problem: str


@dataclass(frozen=True, slots=True)
class MatchReport:
    """Every trial ranked for one patient on one screening date."""

    screening_date: dt.date
    profile: PatientProfile
    trials: tuple[TrialMatch, ...]
    hidden_closed: int
    ask_next: tuple[AskItem, ...]
    problems: tuple[TrialProblem, ...] = ()
    notes: tuple[str, ...] = field(default=())

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


def _ranking_summary(detail: TrialDetail) -> RankingSummary:
    summary = detail.summary
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
    """The structured age limit as a rule: exact for "N Years", a review part otherwise."""
    parts = text.split()
    if len(parts) == 2 and parts[1].casefold() in {"year", "years"}:
        try:
            years = float(parts[0])
        except ValueError:
            years = None
        if years is not None:
            return {"fact": "age_years", "op": op, "value": years, "unit": "a"}
    # Age in completed years cannot decide "6 Months" or "28 Days": the team checks.
    return {"review": f"Age limit {text} as given in the registry record"}


def registry_criteria(trial_id: str, detail: TrialDetail) -> TrialCriteria | None:
    """The registry record's structured eligibility (age limits, sex) as criteria.

    ClinicalTrials.gov gives these as fields beside the free text; they apply to every trial
    whatever its criteria text says, so they are checked for every trial.
    """
    summary = detail.summary
    criteria: list[dict[str, object]] = []
    if summary.minimum_age:
        criteria.append(
            {
                "id": f"{REGISTRY_CRITERION_PREFIX}minimum-age",
                "kind": "inclusion",
                "text": f"Minimum age: {summary.minimum_age} (registry record)",
                "rule": _registry_age_rule(summary.minimum_age, ">="),
                "verified": True,
            }
        )
    if summary.maximum_age:
        criteria.append(
            {
                "id": f"{REGISTRY_CRITERION_PREFIX}maximum-age",
                "kind": "inclusion",
                "text": f"Maximum age: {summary.maximum_age} (registry record)",
                "rule": _registry_age_rule(summary.maximum_age, "<="),
                "verified": True,
            }
        )
    sex = (summary.sex or "").upper()
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


def with_registry_criteria(choice: CriteriaChoice, detail: TrialDetail) -> CriteriaChoice:
    registry = registry_criteria(choice.criteria.trial_id, detail)
    if registry is None:
        return choice
    merged = replace(choice.criteria, criteria=registry.criteria + choice.criteria.criteria)
    return CriteriaChoice(merged, choice.origin, choice.verified)


@dataclass
class _Snapshot:
    stamp: tuple[object, ...]
    details: tuple[TrialDetail, ...]
    choices: dict[str, CriteriaChoice | str]


class Matcher:
    """Matches patients against the database, keeping trials and compiled rules in memory.

    The trials are read once and re-read only when the database changes (imports, reviewed
    criteria), so a re-match after a one-field edit evaluates rules and nothing else.
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
        self._snapshot: _Snapshot | None = None

    def _load(self) -> _Snapshot:
        stamp = database_stamp(self._session_factory)
        if self._snapshot is not None and self._snapshot.stamp == stamp:
            return self._snapshot
        details = list_trial_details(self._session_factory)
        stored_sets: dict[str, dict[str, tuple[str, bool, str]]] = {}
        for record in list_criteria_sets(self._session_factory):
            stored_sets.setdefault(record.trial_id, {})[record.source.value] = (
                record.criteria_json,
                record.verified,
                record.updated_at.isoformat(),
            )
        choices: dict[str, CriteriaChoice | str] = {}
        for detail in details:
            trial_id = detail.summary.trial_id
            stored = stored_sets.get(trial_id, {})
            try:
                choice = self._library.choose(trial_id, detail.eligibility_criteria, stored)
                choices[trial_id] = with_registry_criteria(choice, detail)
            except (CriteriaError, CriteriaSourceError) as error:
                choices[trial_id] = str(error)
        self._snapshot = _Snapshot(stamp, details, choices)
        return self._snapshot

    def facts_for(self, profile: PatientProfile, screening_date: dt.date) -> Facts:
        return build_facts(profile, screening_date, engine_settings(self.settings))

    def match(
        self,
        profile: PatientProfile,
        *,
        screening_date: dt.date,
        include_closed: bool = False,
    ) -> MatchReport:
        """Evaluate and rank every trial for ``profile`` on ``screening_date``."""
        snapshot = self._load()
        facts = self.facts_for(profile, screening_date)
        evaluated: list[tuple[RankingSummary, TrialEvaluation]] = []
        by_id: dict[str, tuple[TrialDetail, CriteriaChoice]] = {}
        problems: list[TrialProblem] = []
        for detail in snapshot.details:
            trial_id = detail.summary.trial_id
            choice = snapshot.choices[trial_id]
            if isinstance(choice, str):
                problems.append(TrialProblem(trial_id, detail.summary.title, choice))
                continue
            evaluation = evaluate_trial(choice.criteria, facts)
            evaluated.append((_ranking_summary(detail), evaluation))
            by_id[trial_id] = (detail, choice)
        settings = engine_settings(self.settings)
        ranked = rank_trials(evaluated, settings.clinic_location, include_closed)
        all_ranked = (
            ranked
            if include_closed
            else rank_trials(evaluated, settings.clinic_location, include_closed=True)
        )
        matches: list[TrialMatch] = []
        for item in ranked:
            detail, choice = by_id[item.summary.trial_id]
            nearest = None
            if item.nearest_site is not None:
                nearest = detail.summary.sites[int(item.nearest_site.name.split("-")[1])]
            matches.append(
                TrialMatch(
                    detail=detail,
                    evaluation=item.evaluation,
                    nearest_site=nearest,
                    distance_km=item.distance_km,
                    criteria_source=choice.source,
                    criteria_origin=choice.origin,
                    criteria_verified=choice.verified,
                    status_known=item.status_class != "unknown",
                    status_note=item.status_note,
                )
            )
        return MatchReport(
            screening_date=screening_date,
            profile=profile,
            trials=tuple(matches),
            hidden_closed=len(all_ranked) - len(ranked),
            ask_next=ask_next([match.evaluation for match in matches]),
            problems=tuple(problems),
            notes=facts.notes,
        )


def match_patient(
    session_factory: SessionFactory,
    profile: PatientProfile,
    *,
    screening_date: dt.date,
    settings: ClinicSettings | None = None,
    include_closed: bool = False,
) -> MatchReport:
    """One-off match (the command line); the window keeps a Matcher to reuse compiled rules."""
    matcher = Matcher(session_factory, settings)
    return matcher.match(profile, screening_date=screening_date, include_closed=include_closed)


def trials_not_ruled_out(report: MatchReport) -> Sequence[TrialMatch]:
    from engine.outcomes import Verdict

    return [item for item in report.trials if item.evaluation.verdict is not Verdict.NOT_ELIGIBLE]
