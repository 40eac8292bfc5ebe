"""Ranks evaluated trials: open first, ruled out last, then fewest unknowns, distance, recency."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Generic, Literal, NamedTuple, TypeVar

from engine.outcomes import Assessed, Verdict

RECRUITING = "RECRUITING"
OPEN_STATUSES: dict[str, int] = {
    # Lower ranks first. Enrolling by invitation and expanded access are open, but narrower.
    "RECRUITING": 0,
    "ENROLLING_BY_INVITATION": 1,
    "AVAILABLE": 1,
    "NOT_YET_RECRUITING": 2,
}
CLOSED_STATUSES: frozenset[str] = frozenset(
    {
        "ACTIVE_NOT_RECRUITING",
        "COMPLETED",
        "SUSPENDED",
        "TERMINATED",
        "WITHDRAWN",
        "NO_LONGER_AVAILABLE",
        "TEMPORARILY_NOT_AVAILABLE",
        "APPROVED_FOR_MARKETING",
        "WITHHELD",
    }
)
_UNKNOWN_STATUS_RANK = 3
EARTH_RADIUS_KM = 6371.0088

StatusClass = Literal["open", "not_yet_recruiting", "unknown", "closed"]
# A TrialEvaluation, or the slim outcome a match ranks before any trial is opened.
E = TypeVar("E", bound=Assessed)


@dataclass(frozen=True, slots=True)
class Site:
    """A trial site with its own recruitment status (site status ≠ study status)."""

    name: str
    status: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class TrialSummary(NamedTuple):
    """What ranking needs about a trial besides its evaluation.

    This and RankedTrial are immutable tuples rather than frozen dataclasses: one of each is
    made for every candidate of a first match, three times as fast.
    """

    trial_id: str
    status: str | None
    last_update: date | None = None
    sites: tuple[Site, ...] = ()


class RankedTrial(NamedTuple, Generic[E]):
    """One trial in ranked order.

    Attributes:
        status_class: open / not_yet_recruiting / unknown (status missing or unrecognised,
            shown and marked) / closed (only listed when asked for).
        nearest_site, distance_km: the nearest recruiting site with coordinates, when the
            clinic location is set.
    """

    summary: TrialSummary
    evaluation: E
    status_class: StatusClass
    status_note: str | None
    nearest_site: Site | None
    distance_km: float | None


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (latitude, longitude) points in degrees."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


# Registries use a handful of status texts; a match classifies tens of thousands of trials.
@functools.lru_cache(maxsize=256)
def _status_class(status: str | None) -> tuple[StatusClass, int, str | None]:
    normalised = (status or "").strip().upper().replace(" ", "_").replace(",", "")
    if normalised in OPEN_STATUSES:
        rank = OPEN_STATUSES[normalised]
        cls: StatusClass = "not_yet_recruiting" if normalised == "NOT_YET_RECRUITING" else "open"
        return cls, rank, None
    if normalised in CLOSED_STATUSES:
        return "closed", _UNKNOWN_STATUS_RANK + 1, f"Not recruiting ({normalised.lower()})"
    note = (
        "Recruitment status unknown"
        if not normalised
        else (f"Recruitment status {status!r} unknown: check the registry")
    )
    return "unknown", _UNKNOWN_STATUS_RANK, note


def _nearest(
    sites: Sequence[Site], clinic: tuple[float, float] | None
) -> tuple[Site | None, float | None]:
    if clinic is None:
        return None, None
    best: tuple[Site, float] | None = None
    for site in sites:
        if (site.status or "").upper() != RECRUITING:
            continue
        if site.latitude is None or site.longitude is None:
            continue
        distance = haversine_km(clinic, (site.latitude, site.longitude))
        if best is None or distance < best[1]:
            best = (site, distance)
    return (None, None) if best is None else best


def rank_trials(
    trials: Sequence[tuple[TrialSummary, E]],
    clinic_location: tuple[float, float] | None = None,
    include_closed: bool = False,
) -> tuple[RankedTrial[E], ...]:
    """Orders trials for the physician.

    Not-eligible trials come last. Otherwise: recruiting before not-yet-recruiting, trials with
    an unknown status after those (marked); then fewest unknown criteria; then the nearest
    recruiting site (when the clinic location is set); then the most recently updated.
    Closed trials are left out unless ``include_closed``.
    """
    # Built for every candidate of a match (tens of thousands): locals, no per-trial calls
    # beyond the memoised status class, and the nearest site only with a clinic location.
    ranked: list[tuple[tuple[bool, int, int, float, int, str], RankedTrial[E]]] = []
    append = ranked.append
    not_eligible = Verdict.NOT_ELIGIBLE
    for summary, evaluation in trials:
        status_class, status_rank, note = _status_class(summary.status)
        if status_class == "closed" and not include_closed:
            continue
        if clinic_location is None:
            site = distance = None
        else:
            site, distance = _nearest(summary.sites, clinic_location)
        updated = summary.last_update
        append(
            (
                (
                    evaluation.verdict is not_eligible,
                    status_rank,
                    evaluation.counts.unknown,
                    math.inf if distance is None else distance,
                    -updated.toordinal() if updated else 0,
                    summary.trial_id,
                ),
                RankedTrial(summary, evaluation, status_class, note, site, distance),
            )
        )
    ranked.sort(key=itemgetter(0))
    return tuple(entry for _, entry in ranked)
