"""Which trials the browser shows for a search text and status, phase and country filters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.operations import TrialListEntry

ANY = None


@dataclass(frozen=True, slots=True)
class TrialFilter:
    """A search text (condition, title or trial id) and optional exact filters."""

    text: str = ""
    status: str | None = ANY
    phase: str | None = ANY
    country: str | None = ANY

    def accepts(self, trial: TrialListEntry, searched: str | None = None) -> bool:
        """Whether the filter keeps ``trial``; ``searched``: its ``search_text``, made once
        per trial by a caller filtering the same list again and again."""
        if self.status is not ANY and trial.overall_status != self.status:
            return False
        if self.phase is not ANY and self.phase not in trial.phases:
            return False
        if self.country is not ANY and self.country not in trial.countries:
            return False
        words = self.text.casefold().split()
        if not words:
            return True
        haystack = search_text(trial) if searched is None else searched
        return all(word in haystack for word in words)


def search_text(trial: TrialListEntry) -> str:
    """What the search words are looked for in: the ids, the title and the conditions."""
    return " ".join(
        [trial.trial_id, trial.nct_id or "", trial.title or "", *trial.conditions]
    ).casefold()


def filter_trials(trials: Iterable[TrialListEntry], chosen: TrialFilter) -> list[TrialListEntry]:
    return [trial for trial in trials if chosen.accepts(trial)]


def filter_choices(
    trials: Sequence[TrialListEntry],
) -> tuple[list[str], list[str], list[str]]:
    """The statuses, phases and countries present, sorted, for the filter drop-downs."""
    statuses = sorted({t.overall_status for t in trials if t.overall_status})
    phases = sorted({phase for t in trials for phase in t.phases})
    countries = sorted({country for t in trials for country in t.countries})
    return statuses, phases, countries
