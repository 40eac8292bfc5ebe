"""``python -m bench.atom_share``: distinct rule atoms per criterion in a synthetic set.

The compiled matcher evaluates each distinct atom (engine/compiled.py) once per patient, so how
often atoms repeat decides what a match costs; this parses the generator's texts with the real
parser and counts them, for either generator (``--diversity``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from bench.generate import DIVERSITIES, generate_study
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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.atom_share", description=__doc__)
    parser.add_argument("trials", type=int, nargs="+")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--diversity", choices=DIVERSITIES, default="default")
    arguments = parser.parse_args()
    for trials in arguments.trials:
        found = atom_share(trials, arguments.seed, arguments.diversity)
        print(
            f"{arguments.diversity}: {found.trials:,} trials, {found.criteria:,} criteria, "
            f"{found.distinct:,} distinct atoms ({found.share:.1%})",
            flush=True,
        )


if __name__ == "__main__":
    main()
