"""Where a trial's criteria come from: a reviewed set, the bundled curated file, or the parser."""

from __future__ import annotations

import hashlib
import json
from collections.abc import KeysView, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.compiled import CompiledSet, compile_loaded
from engine.criteria import TrialCriteria
from engine.loader import load_criteria
from resources import resource_path

CRITERIA_FORMAT = "trialmatch-criteria/1"


NO_CRITERIA_TEXT_CRITERION: dict[str, Any] = {
    "id": "no-criteria-text",
    "kind": "inclusion",
    "text": "The registry record gives no eligibility criteria text; the study team decides.",
    "rule": None,
}


def parsed_criteria(trial_id: str, eligibility_text: str | None) -> dict[str, Any]:
    """The parser's reading of a trial's criteria text, as a criteria file's data (what a
    match uses, and stores as the trial's automatic set, when nothing better exists)."""
    # Imported on the first parse: the parser's tables cost about 0.1 s to import, which the
    # window's start-up need not wait for when every trial has stored rules.
    from engine.parser import parse_criteria_text

    parsed = parse_criteria_text(trial_id, eligibility_text or "")
    if not parsed.get("criteria"):
        # Nothing to read is not "no requirements": one review item says so plainly.
        parsed = {**parsed, "criteria": [NO_CRITERIA_TEXT_CRITERION]}
    return parsed


class CriteriaSourceError(Exception):
    """A criteria file or stored set that cannot be read at all (before rule validation)."""


@dataclass(frozen=True, slots=True)
class CriteriaChoice:
    """The criteria the engine uses for one trial, and where they came from.

    Attributes:
        origin: "reviewed" (a person confirmed or corrected them in the trial editor),
            "curated" (bundled, hand-made), "automatic" (the parser's, stored by `main.py parse`:
            models.parsed_rules) or
            "parsed" (the parser's, made now because nothing was stored).
        verified: False when the verdict rests on automatic rules nobody has confirmed.
    """

    criteria: TrialCriteria
    origin: str
    verified: bool

    @property
    def source(self) -> str:
        """``curated`` or ``automatic``, as shown beside each criterion."""
        return self.criteria.source


def bundled_criteria_dir() -> Path:
    return resource_path("criteria")


def read_bundled_criteria(directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """The bundled curated criteria files by trial id.

    Raises CriteriaSourceError naming the file when one is not valid: the bundled files ship
    with the app, so a broken one is a packaging error that must not pass silently.
    """
    directory = directory or bundled_criteria_dir()
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise CriteriaSourceError(f"{path.name}: cannot be read as JSON ({error})") from error
        if not isinstance(data, dict) or data.get("format") != CRITERIA_FORMAT:
            raise CriteriaSourceError(f"{path.name}: not a {CRITERIA_FORMAT} file")
        trial_id = data.get("trial_id")
        if not isinstance(trial_id, str) or not trial_id:
            raise CriteriaSourceError(f"{path.name}: trial_id is missing")
        found[trial_id] = data
    return found


class CriteriaLibrary:
    """Chooses and compiles each trial's criteria once, then keeps them in memory.

    A compiled set is reused until the stored set it came from changes (its ``stamp``), so a
    re-match after a one-field edit never re-parses or re-loads rules.
    """

    def __init__(self, bundled: Mapping[str, dict[str, Any]] | None = None) -> None:
        self._bundled = dict(bundled) if bundled is not None else read_bundled_criteria()
        self._compiled: dict[tuple[str, str], CriteriaChoice] = {}
        # Each cached choice's program of rule atoms (engine.compiled), by the choice's id().
        self._programs: dict[int, CompiledSet] = {}

    def has_bundled(self, trial_id: str) -> bool:
        return trial_id in self._bundled

    def bundled_ids(self) -> KeysView[str]:
        """The trials that have a bundled curated set (a live view: looked up per candidate)."""
        return self._bundled.keys()

    def choose(
        self,
        trial_id: str,
        eligibility_text: str | None,
        stored: Mapping[str, tuple[str, bool, str]],
    ) -> CriteriaChoice:
        """The criteria for ``trial_id``.

        Args:
            eligibility_text: the trial's criteria text, parsed when nothing better exists.
            stored: the sets stored in the database by source ("curated" = reviewed by a
                person in the trial editor, "automatic" = the parser's, stored), each as
                (criteria JSON, verified, stamp).

        Order: a verified set a person reviewed; the bundled curated file; a stored set
        (automatic, unverified); the parser's reading of the text now.
        """
        reviewed = stored.get("curated")
        if reviewed is not None:
            return self._compile(trial_id, "reviewed", reviewed[2], reviewed[0], reviewed[1])
        if trial_id in self._bundled:
            return self._compile_dict(trial_id, "curated", "bundled", self._bundled[trial_id], True)
        automatic = stored.get("automatic")
        if automatic is not None:
            return self._compile(trial_id, "automatic", automatic[2], automatic[0], automatic[1])
        stamp = "text:" + hashlib.sha256((eligibility_text or "").encode()).hexdigest()
        key = (trial_id, stamp)
        cached = self._compiled.get(key)
        if cached is not None:
            return cached
        parsed = parsed_criteria(trial_id, eligibility_text)
        return self._compile_dict(trial_id, "parsed", stamp, parsed, False)

    def _compile(
        self, trial_id: str, origin: str, stamp: str, criteria_json: str, verified: bool
    ) -> CriteriaChoice:
        key = (trial_id, f"{origin}:{stamp}")
        cached = self._compiled.get(key)
        if cached is not None:
            return cached
        try:
            data = json.loads(criteria_json)
        except json.JSONDecodeError as error:
            raise CriteriaSourceError(
                f"{trial_id}: stored {origin} criteria are not JSON ({error})"
            ) from error
        return self._compile_dict(trial_id, origin, stamp, data, verified)

    def _compile_dict(
        self, trial_id: str, origin: str, stamp: str, data: object, verified: bool
    ) -> CriteriaChoice:
        key = (trial_id, f"{origin}:{stamp}")
        cached = self._compiled.get(key)
        if cached is not None:
            return cached
        criteria = load_criteria(data)
        if criteria.trial_id != trial_id:
            raise CriteriaSourceError(
                f"{trial_id}: the {origin} criteria are for {criteria.trial_id}, not this trial"
            )
        choice = CriteriaChoice(criteria, origin, verified)
        self._compiled[key] = choice
        self._programs[id(choice)] = compile_loaded(data, criteria)
        return choice

    def program(self, choice: CriteriaChoice) -> CompiledSet:
        """The rule-atom program of a choice this library returned."""
        return self._programs[id(choice)]
