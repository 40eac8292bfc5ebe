"""How often parsed rules repeat in registry-style texts, and what one rule atom costs to evaluate.

Usage: .venv/bin/python scripts/measure_atom_repetition.py

The compiled matcher (engine/compiled.py) evaluates each distinct rule atom once per patient, so
its speed depends on how repetitive a registry's criteria are. The bench's synthetic trials are
composed from a small library of sentences (75 distinct atoms in 39,682 criteria at 1,000
trials); this script gives the figure for the seed records and the parser corpus, written in
real registry styles, and the mean CPU cost of one atom for the golden adult SLE patient, so the
bench figures can be read against a less repetitive registry (docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import build_facts  # noqa: E402
from engine.compiled import atom_criterion, compile_criteria_data, evaluate_atom  # noqa: E402
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


def main() -> int:
    """Print the share of distinct atoms and the mean cost of one."""
    all_texts = texts()
    criteria = 0
    atoms: set[str] = set()
    for text in all_texts:
        compiled = compile_criteria_data(parse_criteria_text("T", text))
        criteria += len(compiled.atoms)
        atoms.update(compiled.atoms)
    print(
        f"{len(all_texts)} texts, {criteria} criteria, {len(atoms)} distinct atoms "
        f"({len(atoms) / criteria:.0%} of criteria)"
    )
    golden = json.loads(
        (ROOT / "tests/golden/adult_refractory_sle.json").read_text(encoding="utf-8")
    )
    facts = build_facts(profile_from_dict(golden, today=SCREENING), SCREENING, Settings())
    loaded = [atom_criterion(atom) for atom in atoms]
    start = time.process_time()
    for _ in range(ROUNDS):
        for criterion in loaded:
            evaluate_atom(criterion, facts)
    per_atom = (time.process_time() - start) / (ROUNDS * len(loaded))
    print(f"evaluate_atom: {per_atom * 1e6:.1f} µs CPU per atom, mean over the distinct atoms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
