"""Units per fact: canonical UCUM unit, spellings, conversions, plausibility and default ULNs."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Literal

from engine.facts import FACTS, FactKind

# ---------------------------------------------------------------------------------------------
# Unit spellings
# ---------------------------------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_SUPERSCRIPT_RUN = re.compile(r"([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)")

# Spellings (after normalise_unit) that name the same unit code. Codes are UCUM where UCUM has
# one. The lookup is per fact, exact first and then case-insensitive, so "G/L" (giga per litre,
# a count) and "g/L" (grams per litre, haemoglobin) never collide: no fact accepts both.
_ALIASES: dict[str, tuple[str, ...]] = {
    "10*9/L": ("10^9/L", "G/L", "Gpt/L", "10^9cells/L"),
    "10*3/uL": ("10^3/uL", "K/uL", "k/uL", "thou/uL", "10^3/mm3", "10^3cells/uL", "K/mm3"),
    "10*6/L": ("10^6/L",),
    "10*5/uL": ("lakh/mm3", "lakh/uL", "10^5/uL"),
    "/uL": ("/uL", "cells/uL", "/mm3", "cells/mm3", "1/uL", "uL-1", "cells/ul"),
    "g/L": ("g/L",),
    "g/dL": ("g/dL", "g/100mL", "g%"),
    "mmol/L": ("mmol/L", "mM"),
    "U/L": ("U/L", "IU/L", "[IU]/L", "units/L"),
    "ukat/L": ("ukat/L",),
    "umol/L": ("umol/L", "uM"),
    "mg/dL": ("mg/dL", "mg/100mL", "mg%"),
    "mg/L": ("mg/L",),
    "{INR}": ("{INR}", "INR", "ratio", "1", ""),
    "s": ("s", "sec", "secs", "second", "seconds"),
    "g/g": ("g/g", "mg/mg"),
    "mg/g": ("mg/g",),
    "mg/mmol": ("mg/mmol",),
    "g/mmol": ("g/mmol",),
    "g/d": ("g/d", "g/24h", "g/day", "g/24hours"),
    "mg/d": ("mg/d", "mg/24h", "mg/day", "mg/24hours"),
    "%": ("%", "percent"),
    "{fraction}": ("fraction", "1", "ratio", "{fraction}"),
    "mm/h": ("mm/h", "mm/hr", "mm/1h"),
    "[IU]/mL": ("[IU]/mL", "IU/mL"),
    "kg": ("kg", "kgs"),
    "g": ("g",),
    "[lb_av]": ("lb", "lbs", "[lb_av]", "pounds"),
    "cm": ("cm",),
    "m": ("m",),
    "[in_i]": ("in", "inch", "inches", "[in_i]"),
    "a": ("a", "y", "yr", "yrs", "year", "years"),
    "mo": ("mo", "month", "months"),
    "d": ("d", "day", "days"),
    "{score}": ("{score}", "score", "points", "point", ""),
    "{count}": ("{count}", "count", "joints", ""),
    "mL/min": ("mL/min",),
    "mL/min/{1.73_m2}": ("mL/min/{1.73_m2}", "mL/min/1.73m2", "mL/min/1.73m^2"),
    "mg/kg/d": ("mg/kg/d", "mg/kg/day"),
}

_DISPLAY: dict[str, str] = {
    "10*9/L": "×10⁹/L",
    "10*3/uL": "×10³/µL",
    "10*6/L": "×10⁶/L",
    "10*5/uL": "lakh/mm³",
    "/uL": "/µL",
    "umol/L": "µmol/L",
    "ukat/L": "µkat/L",
    "{INR}": "",
    "[IU]/mL": "IU/mL",
    "{fraction}": "(fraction)",
    "[lb_av]": "lb",
    "[in_i]": "in",
    "a": "years",
    "mo": "months",
    "d": "days",
    "{score}": "",
    "{count}": "",
    "mL/min/{1.73_m2}": "mL/min/1.73 m²",
    "{1.73_m2}": "1.73 m²",
}


@functools.lru_cache(maxsize=4096)
def normalise_unit(text: str) -> str:
    """A unit spelling without spaces, with µ → u, × → x, superscripts → ^digits, x10 → 10."""
    unit = text.strip().replace("μ", "u").replace("µ", "u").replace("²", "^2").replace("³", "^3")
    unit = _SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group(1).translate(_SUPERSCRIPTS), unit)
    unit = unit.replace("×", "x").replace(" ", "").replace("*", "^").replace("^^", "^")
    unit = re.sub(r"^x(?=10)", "", unit)
    # Laboratory systems' spellings: "10E9/L" and "x10E3/uL" (powers of ten), "mcmol/L" and
    # "K/mcL" (mc for micro), "gm/dL" (grams).
    unit = re.sub(r"^(x?)10[eE](?=\d)", r"\g<1>10^", unit)
    unit = re.sub(r"^x(?=10)", "", unit)
    unit = re.sub(r"(?<![A-Za-z])mc(?=mol|g|L|l|kat|IU)", "u", unit)
    unit = re.sub(r"(?<![A-Za-z])gm(?=/)", "g", unit)
    return unit.replace("/1.73m^2", "/1.73m2") if unit.startswith("mL/min/1.73") else unit


def display_unit(code: str) -> str:
    """How a unit code is printed for a physician ("10*9/L" → "×10⁹/L")."""
    return _DISPLAY.get(code, code)


def format_number(value: float) -> str:
    """A number without a trailing ".0" and with at most four significant decimals."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    # Four significant digits for small values; large ones (viral loads) as whole numbers.
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"


def format_quantity(value: float, code: str) -> str:
    """``value`` with its displayed unit ("1.5 ×10⁹/L"; "12" for a score)."""
    unit = display_unit(code)
    return format_number(value) if not unit else f"{format_number(value)} {unit}"


# ---------------------------------------------------------------------------------------------
# Per-fact unit tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactUnits:
    """Units one NUMBER fact accepts.

    Attributes:
        canonical: the UCUM code values are stored and compared in.
        factors: accepted unit codes with the factor that turns a value in that unit into the
            canonical unit, most commonly used first (the order suggestions are tried in).
        reject: (low, high) in the canonical unit; values outside are impossible or were
            almost certainly typed in another unit.
        warn: (low, high) in the canonical unit; values outside are possible but unusual.
    """

    canonical: str
    factors: tuple[tuple[str, float], ...]
    reject: tuple[float, float]
    warn: tuple[float, float] | None = None


_COUNT = (("10*9/L", 1.0), ("10*3/uL", 1.0), ("/uL", 0.001), ("10*6/L", 0.001))
_ENZYME = (("U/L", 1.0), ("ukat/L", 60.0))
_PERCENT = (("%", 1.0), ("{fraction}", 100.0))

_UNITS: dict[str, FactUnits] = {
    # Age is counted in completed units, so a threshold cannot be converted between them
    # (6 months is not 0.5 completed years): each age fact takes only its own unit.
    "age_years": FactUnits("a", (("a", 1.0),), (0, 130)),
    "age_months": FactUnits("mo", (("mo", 1.0),), (0, 130 * 12)),
    "age_days": FactUnits("d", (("d", 1.0),), (0, 130 * 366)),
    "weight_kg": FactUnits(
        "kg", (("kg", 1.0), ("[lb_av]", 0.45359237), ("g", 0.001)), (0.3, 400), (2, 250)
    ),
    "height_cm": FactUnits(
        "cm", (("cm", 1.0), ("m", 100.0), ("[in_i]", 2.54)), (20, 250), (45, 220)
    ),
    "lab.wbc": FactUnits("10*9/L", _COUNT, (0, 500), (0.1, 100)),
    "lab.anc": FactUnits("10*9/L", _COUNT, (0, 150), (0, 30)),
    "lab.lymphocytes": FactUnits("10*9/L", _COUNT, (0, 500), (0, 30)),
    "lab.platelets": FactUnits("10*9/L", (*_COUNT, ("10*5/uL", 100.0)), (0, 3000), (1, 1000)),
    "lab.hemoglobin": FactUnits(
        "g/L", (("g/L", 1.0), ("g/dL", 10.0), ("mmol/L", 16.11)), (20, 250), (40, 200)
    ),
    "lab.alt": FactUnits("U/L", _ENZYME, (0, 20000), (0, 1000)),
    "lab.ast": FactUnits("U/L", _ENZYME, (0, 20000), (0, 1000)),
    "lab.bilirubin_total": FactUnits(
        "umol/L", (("umol/L", 1.0), ("mg/dL", 17.1)), (0, 900), (1, 500)
    ),
    "lab.creatinine": FactUnits(
        "umol/L", (("umol/L", 1.0), ("mg/dL", 88.4), ("mmol/L", 1000.0)), (5, 2500), (15, 1500)
    ),
    "lab.inr": FactUnits("{INR}", (("{INR}", 1.0),), (0.5, 15), (0.7, 6)),
    "lab.pt": FactUnits("s", (("s", 1.0),), (5, 150), (8, 60)),
    "lab.aptt": FactUnits("s", (("s", 1.0),), (10, 250), (15, 120)),
    "lab.upcr": FactUnits(
        "g/g",
        (("g/g", 1.0), ("mg/mmol", 0.00884), ("mg/g", 0.001), ("g/mmol", 8.84)),
        (0, 30),
        (0, 20),
    ),
    "lab.urine_protein_24h": FactUnits("g/d", (("g/d", 1.0), ("mg/d", 0.001)), (0, 40), (0, 20)),
    "lab.ck": FactUnits("U/L", _ENZYME, (0, 500000), (0, 50000)),
    "lab.aldolase": FactUnits("U/L", _ENZYME, (0, 5000), (0, 500)),
    "lab.ldh": FactUnits("U/L", _ENZYME, (0, 50000), (0, 5000)),
    "lab.lvef": FactUnits("%", _PERCENT, (5, 90), (15, 80)),
    "lab.spo2": FactUnits("%", _PERCENT, (50, 100), (80, 100)),
    "lab.fvc_percent": FactUnits("%", _PERCENT, (10, 160), (20, 150)),
    "lab.dlco_percent": FactUnits("%", _PERCENT, (5, 160), (10, 150)),
    "lab.cd19_b_cells": FactUnits(
        "/uL",
        (("/uL", 1.0), ("10*9/L", 1000.0), ("10*3/uL", 1000.0), ("10*6/L", 1.0)),
        (0, 10000),
        (0, 3000),
    ),
    "lab.esr": FactUnits("mm/h", (("mm/h", 1.0),), (0, 150), (0, 140)),
    "lab.crp": FactUnits("mg/L", (("mg/L", 1.0), ("mg/dL", 10.0)), (0, 500), (0, 400)),
    "lab.c3": FactUnits("g/L", (("g/L", 1.0), ("mg/dL", 0.01)), (0, 5), (0.05, 3)),
    "lab.c4": FactUnits("g/L", (("g/L", 1.0), ("mg/dL", 0.01)), (0, 5), (0.01, 1.5)),
    "lab.hbv_dna": FactUnits("[IU]/mL", (("[IU]/mL", 1.0),), (0, 1e11)),
    "lab.hcv_rna": FactUnits("[IU]/mL", (("[IU]/mL", 1.0),), (0, 1e11)),
    "derived.crcl": FactUnits("mL/min", (("mL/min", 1.0),), (0, 400), (1, 200)),
    "derived.egfr": FactUnits("mL/min/{1.73_m2}", (("mL/min/{1.73_m2}", 1.0),), (0, 400), (1, 200)),
    "derived.gc_dose_mg_day": FactUnits("mg/d", (("mg/d", 1.0),), (0, 5000)),
    "derived.gc_dose_mg_kg_day": FactUnits("mg/kg/d", (("mg/kg/d", 1.0),), (0, 100)),
}


def _score_units(unit: str) -> FactUnits:
    # Scores and counts are unitless; their ranges live with the instruments in vocabulary.py.
    return FactUnits(unit, ((unit, 1.0),), (0, 1000))


def fact_units(name: str) -> FactUnits | None:
    """The unit table of a NUMBER fact; None for facts that are not numbers."""
    table = _UNITS.get(name)
    if table is not None:
        return table
    spec = FACTS.get(name)
    if spec is None or spec.kind is not FactKind.NUMBER:
        return None
    return _score_units(spec.unit)


class UnitError(ValueError):
    """A unit a fact does not accept, or a value that cannot be converted."""


# Cached: loading a catalogue of rules resolves the same few spellings hundreds of thousands of
# times (about 60 % of Matcher.preload on a diverse registry); the unit tables never change.
@functools.lru_cache(maxsize=8192)
def resolve_unit(fact: str, unit_text: str) -> str | None:
    """The unit code ``unit_text`` names for ``fact``; None when the fact does not accept it."""
    table = fact_units(fact)
    if table is None:
        return None
    spelled = normalise_unit(unit_text)
    accepted = [code for code, _ in table.factors]
    for exact in (True, False):
        for code in accepted:
            for alias in (code, *_ALIASES.get(code, ())):
                candidate = normalise_unit(alias)
                if (
                    (candidate == spelled)
                    if exact
                    else (candidate.casefold() == spelled.casefold())
                ):
                    return code
    return None


def accepted_units(fact: str) -> tuple[str, ...]:
    """The unit codes a fact accepts, canonical first; empty for non-number facts."""
    table = fact_units(fact)
    return () if table is None else tuple(code for code, _ in table.factors)


def to_canonical(fact: str, value: float, unit_text: str) -> float:
    """``value`` in ``unit_text`` converted to the fact's canonical unit; raises UnitError."""
    table = fact_units(fact)
    if table is None:
        raise UnitError(f"{fact} is not a numeric fact")
    code = resolve_unit(fact, unit_text)
    if code is None:
        shown = ", ".join(display_unit(c) or c for c in accepted_units(fact))
        raise UnitError(f"unit {unit_text!r} is not accepted for {fact} (accepted: {shown})")
    factor = dict(table.factors)[code]
    return value * factor


PlausibilityLevel = Literal["ok", "warn", "reject"]


@dataclass(frozen=True, slots=True)
class Plausibility:
    """Whether a value is believable in its unit, with a suggested unit when another fits."""

    level: PlausibilityLevel
    canonical_value: float
    message: str = ""
    suggested_unit: str | None = None


def _suggest(value: float, entered_code: str, table: FactUnits) -> str | None:
    entered_factor = dict(table.factors)[entered_code]
    low, high = table.warn if table.warn is not None else table.reject
    for code, factor in table.factors:
        if factor == entered_factor:
            continue
        if low <= value * factor <= high:
            return code
    return None


def check_plausibility(fact: str, value: float, unit_text: str, label: str) -> Plausibility:
    """Checks ``value unit_text`` against the fact's ranges; raises UnitError for a bad unit.

    ``label`` names the analyte in messages ("haemoglobin"). Examples of messages:
    "5.4 g/L is not a plausible haemoglobin; did you mean 5.4 g/dL (54 g/L)?".
    """
    table = fact_units(fact)
    canonical = to_canonical(fact, value, unit_text)
    assert table is not None  # to_canonical raised otherwise
    code = resolve_unit(fact, unit_text)
    assert code is not None
    entered = f"{format_number(value)} {display_unit(code)}".strip()
    reject_low, reject_high = table.reject
    if math.isnan(canonical) or math.isinf(canonical):
        return Plausibility("reject", canonical, f"{entered} is not a number")
    outside_reject = not reject_low <= canonical <= reject_high
    outside_warn = table.warn is not None and not table.warn[0] <= canonical <= table.warn[1]
    if not outside_reject and not outside_warn:
        return Plausibility("ok", canonical)
    if not outside_reject:
        # Unusual but possible: a unit suggestion here would more often mislead than help
        # (an ANC of 45 ×10⁹/L is leukaemoid, not 45 /µL).
        return Plausibility("warn", canonical, f"{entered} is an unusual {label}")
    suggestion = _suggest(value, code, table)
    hint = ""
    if suggestion is not None:
        converted = value * dict(table.factors)[suggestion]
        hint = (
            f"; did you mean {format_number(value)} {display_unit(suggestion)}"
            f" ({format_quantity(converted, table.canonical)})?"
        )
    return Plausibility(
        "reject", canonical, f"{entered} is not a plausible {label}{hint}", suggestion
    )


# ---------------------------------------------------------------------------------------------
# Upper limits of normal
# ---------------------------------------------------------------------------------------------

# Typical adult defaults (reference §1.4), used only when the lab gave no ULN and always shown
# as "assumed". Facts missing here have no safe default: a ×ULN rule on them stays unknown
# until the lab's own ULN is entered.
DEFAULT_ULN: dict[str, float] = {
    "lab.alt": 40.0,
    "lab.ast": 40.0,
    "lab.bilirubin_total": 21.0,
    "lab.inr": 1.2,
    "lab.pt": 13.5,
    "lab.aptt": 40.0,
    "lab.ck": 200.0,
}
DEFAULT_CREATININE_ULN: dict[str, float] = {"male": 106.0, "female": 88.0}


@dataclass(frozen=True, slots=True)
class Settings:
    """Clinic settings the engine reads.

    Attributes:
        uln: the clinic's own default ULNs (canonical units) per fact, overriding DEFAULT_ULN;
            "lab.creatinine.female" / "lab.creatinine.male" override the sex-specific defaults.
        clinic_location: (latitude, longitude) of the clinic for distance ranking.
    """

    uln: dict[str, float] = field(default_factory=dict)
    clinic_location: tuple[float, float] | None = None


def default_uln(fact: str, sex: str | None, settings: Settings) -> float | None:
    """The assumed ULN for ``fact`` (canonical unit), or None when there is no safe default."""
    if fact == "lab.creatinine":
        if sex is None:
            return None
        override = settings.uln.get(f"{fact}.{sex}")
        return override if override is not None else DEFAULT_CREATININE_ULN.get(sex)
    override = settings.uln.get(fact)
    return override if override is not None else DEFAULT_ULN.get(fact)
