"""``python -m bench.atom_share``: distinct rule atoms per criterion in a synthetic set.

The compiled matcher evaluates each distinct atom (engine/compiled.py) once per patient, so how
often atoms repeat decides what a match costs; this parses the generator's texts with the real
parser and counts them, for either generator (``--diversity``). ``--real`` compares real
ClinicalTrials.gov texts (bench/data/real_criteria.jsonl) with both generators
(bench/real_registry.py).
"""

from __future__ import annotations

import argparse
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from bench.generate import DIVERSITIES, generate_study
from bench.real_registry import CHECKPOINTS, DATA, load_records, report
from engine.compiled import compile_criteria_data
from engine.parser import parse_criteria_text

SEED = 2026


@dataclass(frozen=True, slots=True)
class AtomShare:
    """Criteria and distinct atoms in the first ``trials`` studies of a set."""

    trials: int
    criteria: int
    distinct: int

    @property
    def share(self) -> float:
        return self.distinct / self.criteria if self.criteria else 0.0


def atom_share(trials: int, seed: int = SEED, diversity: str = "default") -> AtomShare:
    """Parse and compile the criteria of studies 0 .. trials-1 and count their distinct atoms."""
    criteria = 0
    atoms: set[str] = set()
    for index in range(trials):
        study, _ = generate_study(index, seed, diversity)
        section = study["protocolSection"]
        compiled = compile_criteria_data(
            parse_criteria_text(
                section["identificationModule"]["nctId"],
                section["eligibilityModule"]["eligibilityCriteria"],
            )
        )
        criteria += len(compiled.atoms)
        atoms.update(compiled.atoms)
    return AtomShare(trials, criteria, len(atoms))


def database_atom_share(path: Path) -> AtomShare:
    """The same count over the compiled programs stored in a bench database (every trial)."""
    with closing(sqlite3.connect(path)) as connection:
        programs = [row[0] for row in connection.execute("SELECT program FROM criteria_programs")]
    criteria = 0
    atoms: set[str] = set()
    for program in programs:
        # "c1|automatic|3,1,4,...|shape": the third field lists the program's atom ids.
        ids = [atom for atom in program.split("|")[2].split(",") if atom]
        criteria += len(ids)
        atoms.update(ids)
    return AtomShare(len(programs), criteria, len(atoms))


def _print(label: str, found: AtomShare) -> None:
    print(
        f"{label}: {found.trials:,} trials, {found.criteria:,} criteria, "
        f"{found.distinct:,} distinct atoms ({found.share:.1%})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.atom_share", description=__doc__)
    parser.add_argument("trials", type=int, nargs="*")
    parser.add_argument("--database", type=Path, action="append", default=[])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--diversity", choices=DIVERSITIES, default="default")
    parser.add_argument(
        "--real",
        type=Path,
        nargs="?",
        const=DATA,
        help="compare real registry texts (JSON lines, default bench/data) with both synthetic"
        " sets at the given trial counts, time their atoms and extrapolate (bench/real_registry)",
    )
    arguments = parser.parse_args()
    if arguments.real is not None:
        records = load_records(arguments.real)
        for line in report(records, arguments.seed, arguments.trials or CHECKPOINTS):
            print(line, flush=True)
        return
    for trials in arguments.trials:
        _print(arguments.diversity, atom_share(trials, arguments.seed, arguments.diversity))
    for path in arguments.database:
        _print(path.name, database_atom_share(path))


if __name__ == "__main__":
    main()
