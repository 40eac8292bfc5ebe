"""Fixtures for the parser tests: seed criteria texts, curated files and the parser corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.identity import record_trial_id

ROOT = Path(__file__).resolve().parents[3]
TRIALS = ROOT / "resources" / "trials"
CURATED = ROOT / "resources" / "criteria"
CORPUS = ROOT / "tests" / "parser_corpus"


def _seed_texts() -> dict[str, tuple[str, str]]:
    """Seed stem ("seed_000") → (trial id, eligibility criteria text as the registry has it)."""
    seeds: dict[str, tuple[str, str]] = {}
    for path in sorted(TRIALS.glob("seed_*.json")):
        protocol = json.loads(path.read_text(encoding="utf-8"))["protocolSection"]
        text = protocol["eligibilityModule"]["eligibilityCriteria"]
        seeds[path.stem[:8]] = (record_trial_id(protocol), text)
    return seeds


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, tuple[str, str]]:
    return _seed_texts()


@pytest.fixture(scope="session")
def seed_cases() -> list[tuple[str, str, dict[str, Any]]]:
    """(trial id, text, curated criteria) for every seed with a curated file."""
    cases = []
    for trial_id, text in _seed_texts().values():
        curated = CURATED / f"{trial_id}.json"
        if curated.exists():
            cases.append((trial_id, text, json.loads(curated.read_text(encoding="utf-8"))))
    return cases


@pytest.fixture(scope="session")
def corpus_cases() -> list[tuple[str, str, dict[str, Any]]]:
    """(name, text, expected criteria) for every corpus text."""
    cases = []
    for path in sorted(CORPUS.glob("*.txt")):
        expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
        cases.append((path.stem, path.read_text(encoding="utf-8"), expected))
    return cases
