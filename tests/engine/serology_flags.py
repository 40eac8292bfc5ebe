"""Facts for the engine tests' rule-logic cases: serology flags set true or false."""

from __future__ import annotations

from datetime import date

from engine.facts import Facts, FactValue

SCREENING = date(2026, 11, 23)


def flags(**values: bool) -> Facts:
    """Facts holding each named ``serology.<name>`` flag, measured before the screening date."""
    return Facts(
        screening_date=SCREENING,
        values={
            f"serology.{name}": FactValue(f"serology.{name}", value, "", date(2026, 11, 1))
            for name, value in values.items()
        },
    )
