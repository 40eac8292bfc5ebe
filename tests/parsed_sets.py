"""Stores the parser's reading of trials as their automatic criteria sets, for matching tests."""

from __future__ import annotations

import json
from collections.abc import Iterable

from engine.parser import parse_criteria_text
from models.criteria_set import CriteriaSource
from models.database import SessionFactory
from models.operations import get_trial, store_criteria_set


def store_parsed_sets(session_factory: SessionFactory, trial_ids: Iterable[str]) -> None:
    """Parse each trial's eligibility text and store it, unverified, as its automatic set."""
    for trial_id in trial_ids:
        detail = get_trial(session_factory, trial_id)
        assert detail is not None, trial_id
        parsed = parse_criteria_text(trial_id, detail.eligibility_criteria or "")
        store_criteria_set(
            session_factory, trial_id, CriteriaSource.AUTOMATIC, json.dumps(parsed), verified=False
        )
