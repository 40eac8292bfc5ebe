"""How often parsed rules repeat in registry-style texts, and what one rule atom costs to evaluate.

Usage: .venv/bin/python scripts/measure_atom_repetition.py [--registry N]

The compiled matcher (engine/compiled.py) evaluates each distinct rule atom once per patient, so
its speed depends on how repetitive a registry's criteria are. The bench's synthetic trials are
composed from a small library of sentences (75 distinct atoms in 39,682 criteria at 1,000
trials); this script gives the figure for the seed records and the parser corpus, written in
real registry styles, and the mean CPU cost of one atom for the golden adult SLE patient, so the
bench figures can be read against a less repetitive registry (docs/performance.md). With
``--registry N`` it also reads the first N studies of the bench's registry-style generator
(``bench.generate``, ``diversity="registry"``) and gives the same cost for their atoms, for
``evaluate_atom`` (status and missing facts only) and for ``evaluate_criterion`` (with evidence).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import build_facts  # noqa: E402
from engine.compiled import atom_criterion, compile_criteria_data, evaluate_atom  # noqa: E402
from engine.criteria import Criterion  # noqa: E402
from engine.evaluator import evaluate_criterion  # noqa: E402
from engine.facts import Facts  # noqa: E402
from engine.parser import parse_criteria_text  # noqa: E402
from engine.profile import profile_from_dict  # noqa: E402
from engine.units import Settings  # noqa: E402

SCREENING = dt.date(2026, 11, 23)
ROUNDS = 20


def texts() -> list[str]:
    """Criteria texts of the bundled trial records and of the parser corpus."""
    found = []
    for path in sorted((ROOT / "resources" / "trials").glob("*.json")):
        protocol = json.loads(path.read_text(encoding="utf-8"))["protocolSection"]
        found.append(protocol.get("eligibilityModule", {}).get("eligibilityCriteria", ""))
    found += [
        p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests/parser_corpus").glob("*.txt"))
    ]
    return found


def registry_texts(count: int) -> list[str]:
    """Criteria texts of the bench's first ``count`` registry-style studies."""
    from bench.generate import generate_study

    found = []
    for index in range(count):
        study, _ = generate_study(index, 2026, "registry")
        found.append(study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"])
    return found


def distinct_atoms(all_texts: list[str]) -> tuple[int, set[str]]:
    """How many criteria the parser reads from ``all_texts``, and their distinct atoms."""
    criteria = 0
    atoms: set[str] = set()
    for text in all_texts:
        compiled = compile_criteria_data(parse_criteria_text("T", text))
        criteria += len(compiled.atoms)
        atoms.update(compiled.atoms)
    return criteria, atoms


def microseconds_per_atom(
    evaluate: Callable[[Criterion, Facts], object], loaded: list[Criterion], facts: Facts
) -> float:
    """Mean CPU time of one call, over ``ROUNDS`` passes through ``loaded``.

    Each pass has its own copy of ``facts``, as each match has: what a match decides once for
    all its atoms (``evaluate_atom`` decides a shared rule node once per Facts) is counted once
    per pass.
    """
    copies = [dataclasses.replace(facts) for _ in range(ROUNDS)]
    start = time.process_time()
    for copy in copies:
        for criterion in loaded:
            evaluate(criterion, copy)
    return (time.process_time() - start) / (ROUNDS * len(loaded)) * 1e6


def report(name: str, all_texts: list[str], facts: Facts) -> None:
    """Print the share of distinct atoms of ``all_texts`` and the mean cost of one."""
    criteria, atoms = distinct_atoms(all_texts)
    print(
        f"{name}: {len(all_texts)} texts, {criteria} criteria, {len(atoms)} distinct atoms "
        f"({len(atoms) / criteria:.0%} of criteria)"
    )
    loaded = [atom_criterion(atom) for atom in sorted(atoms)]
    quiet = microseconds_per_atom(evaluate_atom, loaded, facts)
    full = microseconds_per_atom(evaluate_criterion, loaded, facts)
    print(f"  evaluate_atom: {quiet:.1f} µs CPU per atom, mean over the distinct atoms")
    print(f"  evaluate_criterion (with evidence): {full:.1f} µs CPU per atom")


def main() -> int:
    """Print the share of distinct atoms and the mean cost of one, per source of texts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--registry",
        type=int,
        default=0,
        metavar="N",
        help="also measure the atoms of the bench's first N registry-style studies",
    )
    arguments = parser.parse_args()
    golden = json.loads(
        (ROOT / "tests/golden/adult_refractory_sle.json").read_text(encoding="utf-8")
    )
    facts = build_facts(profile_from_dict(golden, today=SCREENING), SCREENING, Settings())
    report("seeds and parser corpus", texts(), facts)
    if arguments.registry:
        report("bench registry style", registry_texts(arguments.registry), facts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
