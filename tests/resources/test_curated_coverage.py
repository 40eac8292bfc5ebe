"""Curated criteria cover every item of the seed records' criteria text, once, and invent nothing.

How a record's ``eligibilityCriteria`` is split:

- the registry's markdown escapes are undone (``\\<`` → ``<``), the text is cut into lines and blank
  lines are dropped;
- each line loses its leading indentation and its list markers: markdown bullets ``*``, ``+``,
  ``-`` and the seed pages' glyphs ``•``, ``‣``, ``⁃``, ``∙``, ``◦`` (each followed by whitespace),
  then runs of whitespace collapse to one space. Numbering ("2.") and the literal ``o``
  sub-points of seed 003 are part of the text and must match exactly;
- a curated criterion's ``text`` is split the same way; a multi-line text (an item with its
  sub-points) must equal consecutive record lines.

A record line is a *section heading* when it reads "[Common |Disease-Specific ]Inclusion|Exclusion
Criteria[ for X][:]" (X must then name a cohort id); every other line is either a cohort or group
heading (equal to a cohort's or group's ``text``) or an item. Every item line is covered by exactly
one criterion; a heading line may in addition be covered by one criterion when the heading itself
states a requirement (seed 004's "Diagnosed as juvenile dermatomyositis ..., and meeting the
following conditions:").
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from engine.identity import record_trial_id
from engine.loader import load_criteria
from engine.registry_text import unescape_registry_text

ROOT = Path(__file__).resolve().parents[2]
TRIALS = ROOT / "resources" / "trials"
CRITERIA = ROOT / "resources" / "criteria"

_LIST_MARKERS = re.compile(r"^(?:[*+\-•‣⁃∙◦]\s+)+")
_SECTION_HEADING = re.compile(
    r"^(?:Common |Disease-Specific )?(?:Inclusion|Exclusion) Criteria(?: for (?P<cohort>\S+))?:?$",
    re.IGNORECASE,
)


def normalise_line(line: str) -> str:
    return " ".join(_LIST_MARKERS.sub("", line.strip()).split())


def text_lines(text: str) -> list[str]:
    return [normalised for line in text.splitlines() if (normalised := normalise_line(line))]


def _seed_records() -> list[Path]:
    return sorted(TRIALS.glob("seed_*.json"))


@pytest.fixture(params=_seed_records(), ids=lambda path: path.stem)
def seed(request: pytest.FixtureRequest) -> tuple[list[str], dict[str, Any]]:
    record = json.loads(request.param.read_text(encoding="utf-8"))
    criteria_path = CRITERIA / f"{record_trial_id(record['protocolSection'])}.json"
    assert criteria_path.exists(), f"no curated criteria file {criteria_path.name}"
    text = record["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    curated = json.loads(criteria_path.read_text(encoding="utf-8"))
    return text_lines(unescape_registry_text(text)), curated


def _find_run(lines: list[str], run: list[str]) -> list[int]:
    return [
        start
        for start in range(len(lines) - len(run) + 1)
        if lines[start : start + len(run)] == run
    ]


def test_five_seed_records_have_curated_files() -> None:
    assert len(_seed_records()) == 5
    for path in _seed_records():
        record = json.loads(path.read_text(encoding="utf-8"))
        assert (CRITERIA / f"{record_trial_id(record['protocolSection'])}.json").exists(), path.name


def test_curated_file_is_curated_and_verified(seed: tuple[list[str], dict[str, Any]]) -> None:
    _, curated = seed
    assert curated["source"] == "curated"
    assert all(criterion["verified"] is True for criterion in curated["criteria"])


def test_every_item_covered_once_and_nothing_invented(
    seed: tuple[list[str], dict[str, Any]],
) -> None:
    lines, curated = seed
    cohort_ids = {cohort["id"].casefold() for cohort in curated["cohorts"]}
    heading_texts = {
        normalise_line(entry["text"])
        for entry in [*curated["cohorts"], *curated["groups"]]
        if entry.get("text")
    }
    covered = [0] * len(lines)
    for criterion in curated["criteria"]:
        run = text_lines(criterion["text"])
        starts = _find_run(lines, run)
        assert starts, f"{criterion['id']}: text not in the record: {run[0][:80]!r}"
        # Identical runs (none in the seeds today) would be ambiguous: take the first uncovered.
        start = next((s for s in starts if not any(covered[s : s + len(run)])), starts[0])
        for index in range(start, start + len(run)):
            covered[index] += 1
    for index, line in enumerate(lines):
        section = _SECTION_HEADING.match(line)
        if section:
            if section.group("cohort"):
                assert section.group("cohort").casefold() in cohort_ids, line
            assert covered[index] <= 1, f"section heading covered twice: {line!r}"
        elif line in heading_texts:
            assert covered[index] <= 1, f"heading covered by several criteria: {line!r}"
        else:
            assert covered[index] == 1, f"item covered {covered[index]} times: {line[:80]!r}"


def test_cohort_and_group_texts_come_from_the_record(
    seed: tuple[list[str], dict[str, Any]],
) -> None:
    lines, curated = seed
    joined = "\n".join(lines)
    for entry in [*curated["cohorts"], *curated["groups"]]:
        if entry.get("text"):
            assert normalise_line(entry["text"]) in joined, entry["id"]


def test_every_cohort_and_group_is_used(seed: tuple[list[str], dict[str, Any]]) -> None:
    _, curated = seed
    for cohort in curated["cohorts"]:
        assert any(c["cohort"] == cohort["id"] for c in curated["criteria"]), cohort["id"]
    for group in curated["groups"]:
        members = [c for c in curated["criteria"] if c["group"] == group["id"]]
        assert len(members) >= 2, group["id"]


def test_curated_file_loads(seed: tuple[list[str], dict[str, Any]]) -> None:
    _, curated = seed
    loaded = load_criteria(curated)
    assert loaded.trial_id == curated["trial_id"]
    assert len(loaded.criteria) == len(curated["criteria"])


def test_normalisation_keeps_numbers_and_literal_o_points() -> None:
    assert normalise_line("  *   2. Age ≥ 18") == "2. Age ≥ 18"
    assert normalise_line("  o Renal function:  x") == "o Renal function: x"
    assert normalise_line("‣ Cardiac function") == "Cardiac function"
    assert _SECTION_HEADING.match("Exclusion Criteria for SLE")
    assert not _SECTION_HEADING.match("Inclusion Criteria for SSc extra")
