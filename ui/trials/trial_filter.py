"""Which trials the browser shows for a search text and status, phase and country filters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.operations import TrialSummary

ANY = None


@dataclass(frozen=True, slots=True)
class TrialFilter:
    """A search text (condition, title or trial id) and optional exact filters."""

    text: str = ""
    status: str | None = ANY
    phase: str | None = ANY
    country: str | None = ANY

    def accepts(self, trial: TrialSummary) -> bool:
        if self.status is not ANY and trial.overall_status != self.status:
            return False
        if self.phase is not ANY and self.phase not in trial.phases:
            return False
        if self.country is not ANY and all(site.country != self.country for site in trial.sites):
            return False
        words = self.text.casefold().split()
        if not words:
            return True
        haystack = " ".join(
            [trial.trial_id, trial.nct_id or "", trial.title or "", *trial.conditions]
        ).casefold()
        return all(word in haystack for word in words)


def filter_trials(trials: Iterable[TrialSummary], chosen: TrialFilter) -> list[TrialSummary]:
    return [trial for trial in trials if chosen.accepts(trial)]


def filter_choices(trials: Sequence[TrialSummary]) -> tuple[list[str], list[str], list[str]]:
    """The statuses, phases and countries present, sorted, for the filter drop-downs."""
    statuses = sorted({t.overall_status for t in trials if t.overall_status})
    phases = sorted({phase for t in trials for phase in t.phases})
    countries = sorted({site.country for t in trials for site in t.sites if site.country})
    return statuses, phases, countries
