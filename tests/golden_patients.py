"""The golden patients' files, for tests that match each of them: names, data, screening date."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent / "golden"
# The date the golden patients' expected verdicts were written for.
SCREENING = dt.date(2026, 11, 23)
PATIENTS = sorted(path.stem for path in GOLDEN.glob("*.json") if path.stem != "expected")


def golden_data(name: str) -> dict[str, Any]:
    """One golden patient's profile file as a dict, fresh each call (tests may edit it)."""
    data: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text("utf-8"))
    return data
