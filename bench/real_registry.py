"""Real ClinicalTrials.gov eligibility texts (bench/data) and how their rule atoms repeat.

The compiled matcher evaluates each distinct rule atom once per patient (engine/compiled.py), so
its cost follows the number of distinct atoms among the candidate trials. The synthetic bench
sets repeat a small sentence library; this module measures the same count on real registry
texts (``bench/data/real_criteria.jsonl``, provenance in ``bench/data/README.md``) parsed with
today's parser, splits the atoms into those that read the patient's data and review-only ones
(``rule: null``, which all collapse into one atom per kind), times them for a golden patient and
fits the growth of distinct atoms with the number of trials. ``python -m bench.atom_share
--real`` prints the report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import random
import re
import statistics
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.generate import generate_study
from engine import build_facts
from engine.compiled import atom_criterion, atom_reads, compile_criteria_data, evaluate_atom
from engine.facts import Facts
from engine.parser import parse_criteria
from engine.profile import profile_from_dict
from engine.units import Settings

DATA = Path(__file__).resolve().parent / "data" / "real_criteria.jsonl"
GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "adult_refractory_sle.json"
SCREENING = dt.date(2026, 11, 23)
FORMATS = ("csv", "xml", "json")

_NCT = re.compile(r"NCT\d{8}")
_COMMIT = re.compile(r"[0-9a-f]{40}")
_REPO = re.compile(r"[\w.-]+/[\w.-]+")


@dataclass(frozen=True, slots=True)
class Source:
    """Where a record's text was read: repository, path and commit of the stored file."""

    repo: str
    path: str
    commit: str
    format: str


@dataclass(frozen=True, slots=True)
class RealRecord:
    """One registry record: NCT id, conditions and the eligibility text as published."""

    nct_id: str
    conditions: tuple[str, ...]
    text: str
    source: Source


def _record(line: str, number: int) -> RealRecord:
    data = json.loads(line)
    where = f"line {number}"
    nct_id = data.get("nct_id")
    if not isinstance(nct_id, str) or not _NCT.fullmatch(nct_id):
        raise ValueError(f"{where}: nct_id {nct_id!r} is not an NCT id")
    text = data.get("eligibility_criteria")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}: {nct_id} has no eligibility text")
    conditions = data.get("conditions")
    if not isinstance(conditions, list) or not all(isinstance(c, str) for c in conditions):
        raise ValueError(f"{where}: {nct_id} conditions must be a list of strings")
    source = data.get("source")
    if not isinstance(source, dict):
        raise ValueError(f"{where}: {nct_id} has no source")
    repo, path, commit, kind = (source.get(k) for k in ("repo", "path", "commit", "format"))
    if not isinstance(repo, str) or not _REPO.fullmatch(repo):
        raise ValueError(f"{where}: {nct_id} source repo {repo!r} is not owner/name")
    if not isinstance(path, str) or not path:
        raise ValueError(f"{where}: {nct_id} source has no path")
    if not isinstance(commit, str) or not _COMMIT.fullmatch(commit):
        raise ValueError(f"{where}: {nct_id} source commit {commit!r} is not 40 hex digits")
    if kind not in FORMATS:
        raise ValueError(f"{where}: {nct_id} source format {kind!r} is not one of {FORMATS}")
    return RealRecord(nct_id, tuple(conditions), text, Source(repo, path, commit, kind))


def load_records(path: Path = DATA) -> list[RealRecord]:
    """The records of a JSON-lines file; ValueError on a malformed record or a repeated id."""
    records: list[RealRecord] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = _record(line, number)
        if record.nct_id in seen:
            raise ValueError(f"line {number}: {record.nct_id} appears twice")
        seen.add(record.nct_id)
        records.append(record)
    return records


@dataclass(frozen=True, slots=True)
class TrialAtoms:
    """One trial's criteria as the matcher sees them: its atoms and how many are review."""

    trial_id: str
    review: int
    atoms: tuple[str, ...]


def trial_atoms(trial_id: str, text: str) -> TrialAtoms:
    """Parse and compile one criteria text (one atom per criterion, in order)."""
    parsed = parse_criteria(trial_id, text)
    compiled = compile_criteria_data(parsed.criteria)
    return TrialAtoms(trial_id, parsed.statistics.review, compiled.atoms)


def atom_reads_patient(body: str) -> bool | None:
    """True when the atom reads a patient fact, None for a review-only atom (``rule: null``)."""
    if json.loads(body)["rule"] is None:
        return None
    return bool(atom_reads(atom_criterion(body)))


@dataclass(frozen=True, slots=True)
class AtomProfile:
    """Criteria, review criteria and distinct atoms of a set of trials.

    ``distinct_reading`` counts atoms whose rule or applicability reads a patient fact;
    ``distinct_review`` counts review-only atoms (``rule: null``), which carry no wording and so
    collapse into one atom per kind. An atom with a rule that reads nothing would be counted in
    ``distinct`` only.
    """

    trials: int
    criteria: int
    review: int
    distinct: int
    distinct_reading: int
    distinct_review: int

    @property
    def share(self) -> float:
        return self.distinct / self.criteria if self.criteria else 0.0

    @property
    def review_share(self) -> float:
        return self.review / self.criteria if self.criteria else 0.0

    @property
    def criteria_per_trial(self) -> float:
        return self.criteria / self.trials if self.trials else 0.0

    @property
    def reading_per_rule_criterion(self) -> float:
        """Distinct reading atoms per criterion that has a rule (what the matcher computes)."""
        rules = self.criteria - self.review
        return self.distinct_reading / rules if rules else 0.0


def atom_curve(trials: Sequence[TrialAtoms], checkpoints: Sequence[int]) -> list[AtomProfile]:
    """Profiles of the first N trials for each N in ``checkpoints`` (in ascending order).

    ValueError when a checkpoint exceeds the number of trials.
    """
    wanted = sorted(set(checkpoints))
    if wanted and wanted[-1] > len(trials):
        raise ValueError(f"only {len(trials)} trials, checkpoint {wanted[-1]} not reached")
    kinds: dict[str, bool | None] = {}
    criteria = review = 0
    profiles: list[AtomProfile] = []
    for count, trial in enumerate(trials, start=1):
        criteria += len(trial.atoms)
        review += trial.review
        for body in trial.atoms:
            if body not in kinds:
                kinds[body] = atom_reads_patient(body)
        if wanted and count == wanted[0]:
            wanted.pop(0)
            values = list(kinds.values())
            profiles.append(
                AtomProfile(
                    trials=count,
                    criteria=criteria,
                    review=review,
                    distinct=len(values),
                    distinct_reading=sum(1 for k in values if k is True),
                    distinct_review=sum(1 for k in values if k is None),
                )
            )
    return profiles


def shuffled(trials: Sequence[TrialAtoms], order_seed: int) -> list[TrialAtoms]:
    """A seeded shuffle of the trials (the file is grouped by source, so N first is biased)."""
    order = list(trials)
    random.Random(order_seed).shuffle(order)
    return order


def synthetic_texts(count: int, seed: int, diversity: str) -> Iterator[tuple[str, str]]:
    """(id, criteria text) of the bench generator's studies 0 .. count-1."""
    for index in range(count):
        study, _ = generate_study(index, seed, diversity)
        section = study["protocolSection"]
        yield (
            section["identificationModule"]["nctId"],
            section["eligibilityModule"]["eligibilityCriteria"],
        )


def fit_power_law(points: Sequence[tuple[int, int]]) -> tuple[float, float]:
    """Least-squares fit of ``y = a · x^b`` on log-log axes; returns ``(a, b)``."""
    usable = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len(usable) < 2:
        raise ValueError("a power law needs two points with positive x and y")
    mean_x = statistics.fmean(x for x, _ in usable)
    mean_y = statistics.fmean(y for _, y in usable)
    spread = sum((x - mean_x) ** 2 for x, _ in usable)
    if spread == 0:
        raise ValueError("a power law needs two different x values")
    b = sum((x - mean_x) * (y - mean_y) for x, y in usable) / spread
    return math.exp(mean_y - b * mean_x), b


def golden_facts() -> Facts:
    """The facts of the golden adult refractory SLE patient on the screening date."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return build_facts(profile_from_dict(golden, today=SCREENING), SCREENING, Settings())


def atom_cost(bodies: Sequence[str], facts: Facts, rounds: int = 20) -> float:
    """Mean CPU seconds of one ``evaluate_atom`` over the given atoms (0 when there are none)."""
    if not bodies:
        return 0.0
    loaded = [atom_criterion(body) for body in bodies]
    # A new Facts object per round, as each match has: evaluate_atom keeps the decisions of
    # the last Facts it saw, so reusing one would time its cache, not the atoms.
    rounds_facts = [dataclasses.replace(facts) for _ in range(rounds)]
    start = time.process_time()
    for round_facts in rounds_facts:
        for criterion in loaded:
            evaluate_atom(criterion, round_facts)
    return (time.process_time() - start) / (rounds * len(loaded))


CHECKPOINTS = (34, 100, 300)
ORDERS = 20
ORDER_SEED = 2026
EXTRAPOLATE = (1_000, 10_000, 100_000)


def _mean_row(label: str, profiles: Sequence[AtomProfile]) -> str:
    def mean(values: Iterable[float]) -> float:
        return statistics.fmean(values)

    distinct = [p.distinct for p in profiles]
    spread = f" ({min(distinct)}–{max(distinct)})" if len(profiles) > 1 else ""
    return (
        f"| {label} | {profiles[0].trials:,} | {mean(p.criteria_per_trial for p in profiles):.1f}"
        f" | {mean(p.review_share for p in profiles):.0%}"
        f" | {mean(distinct):,.0f}{spread} | {mean(p.share for p in profiles):.1%}"
        f" | {mean(p.distinct_reading for p in profiles):,.0f}"
        f" | {mean(p.reading_per_rule_criterion for p in profiles):.0%}"
        f" | {mean(p.distinct_review for p in profiles):,.0f} |"
    )


def _grid(total: int) -> list[int]:
    """Trial counts for the growth curve: doubling from 5, then every trial count up to all."""
    points: list[int] = []
    count = 5
    while count < total:
        points.append(count)
        count *= 2
    return [*points, total]


def report(
    records: Sequence[RealRecord],
    seed: int,
    checkpoints: Sequence[int] = CHECKPOINTS,
    orders: int = ORDERS,
    rounds: int = 20,
) -> list[str]:
    """The comparison table, the atom costs and the extrapolation, as printable lines.

    Real rows are means over ``orders`` seeded shuffles of the records (the range of distinct
    atoms in brackets); synthetic rows are the generator's first N studies.
    """
    trials = [trial_atoms(r.nct_id, r.text) for r in records]
    total = len(trials)
    sizes = [n for n in checkpoints if n < total] + [total]
    header = (
        "| set | trials | criteria/trial | review share | distinct atoms | per criterion"
        " | reading patient data | per rule criterion | review-only |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    shuffles = [shuffled(trials, ORDER_SEED + k) for k in range(orders)]
    curves = [atom_curve(order, sizes) for order in shuffles]
    for index, _ in enumerate(sizes):
        lines.append(_mean_row("real", [curve[index] for curve in curves]))
    for diversity in ("default", "registry"):
        synthetic = [trial_atoms(i, t) for i, t in synthetic_texts(total, seed, diversity)]
        for profile in atom_curve(synthetic, sizes):
            lines.append(_mean_row(f"synthetic {diversity}", [profile]))

    everything = atom_curve(trials, [total])[0]
    bodies = sorted({body for trial in trials for body in trial.atoms})
    reading = [b for b in bodies if atom_reads_patient(b) is True]
    review = [b for b in bodies if atom_reads_patient(b) is None]
    facts = golden_facts()
    per_reading = atom_cost(reading, facts, rounds)
    per_review = atom_cost(review, facts, rounds)
    lines += [
        "",
        f"Golden adult SLE patient, {len(reading)} reading atoms: {per_reading * 1e6:.1f} µs CPU"
        f" per atom; {len(review)} review-only atoms: {per_review * 1e6:.1f} µs per atom;"
        f" all {everything.distinct} distinct atoms of the real set:"
        f" {(per_reading * len(reading) + per_review * len(review)) * 1e3:.2f} ms per patient.",
    ]

    grid = _grid(total)
    grid_curves = [atom_curve(order, grid) for order in shuffles]
    mean_curve = [
        (n, statistics.fmean(c[i].distinct_reading for c in grid_curves))
        for i, n in enumerate(grid)
    ]
    a, b = fit_power_law([(n, round(d)) for n, d in mean_curve if n >= 10])
    exponents = [
        fit_power_law([(p.trials, p.distinct_reading) for p in curve if p.trials >= 10])[1]
        for curve in grid_curves
    ]
    half = grid[-2] if len(grid) > 1 else total
    tail = statistics.fmean(
        (c[-1].distinct_reading - c[-2].distinct_reading) / (total - half) for c in grid_curves
    )
    trials_per_atom: dict[str, int] = {}
    for trial in trials:
        for body in set(trial.atoms):
            trials_per_atom[body] = trials_per_atom.get(body, 0) + 1
    once = sum(1 for body in reading if trials_per_atom[body] == 1)
    lines += [
        "",
        f"Reading atoms found in one trial only: {once} of {len(reading)}"
        f" ({once / len(reading) if reading else 0:.0%}); criteria with a rule:"
        f" {everything.criteria - everything.review} of {everything.criteria}"
        f" ({(everything.criteria - everything.review) / total:.1f} per trial).",
        "Reading atoms vs trials (mean of the shuffles): "
        + ", ".join(f"{n}: {d:.0f}" for n, d in mean_curve),
        f"Power-law fit over N ≥ 10: distinct reading atoms ≈ {a:.2f} · N^{b:.2f}"
        f" (exponent over the {orders} shuffles {min(exponents):.2f}–{max(exponents):.2f});"
        f" new reading atoms per added trial between {half} and {total} trials: {tail:.2f}.",
        "",
        "| registry size | reading atoms, power law | atom evaluation per patient"
        " | reading atoms, linear at the last rate | atom evaluation per patient |",
        "|---:|---:|---:|---:|---:|",
    ]
    review_ms = len(review) * per_review * 1e3
    for size in EXTRAPOLATE:
        power = a * size**b
        linear = everything.distinct_reading + tail * (size - total)
        lines.append(
            f"| {size:,} | {power:,.0f} | {power * per_reading * 1e3 + review_ms:,.1f} ms"
            f" | {linear:,.0f} | {linear * per_reading * 1e3 + review_ms:,.1f} ms |"
        )
    return lines
