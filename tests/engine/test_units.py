"""Unit conversion tables, spellings, plausibility with suggested units, and default ULNs."""

from __future__ import annotations

import pytest

from engine.facts import FACTS, FactKind
from engine.units import (
    Settings,
    UnitError,
    accepted_units,
    check_plausibility,
    default_uln,
    display_unit,
    fact_units,
    format_number,
    format_quantity,
    normalise_unit,
    resolve_unit,
    to_canonical,
)


@pytest.mark.parametrize(
    ("fact", "value", "unit", "expected"),
    [
        ("lab.hemoglobin", 10.2, "g/dL", 102.0),
        ("lab.hemoglobin", 102, "g/L", 102.0),
        ("lab.hemoglobin", 6.2, "mmol/L", 99.882),
        ("lab.anc", 1.5, "x10^9/L", 1.5),
        ("lab.anc", 1.5, "×10⁹/L", 1.5),
        ("lab.anc", 1.5, "10^9/L", 1.5),
        ("lab.anc", 1.5, "G/L", 1.5),
        ("lab.anc", 1.5, "10^3/µL", 1.5),
        ("lab.anc", 1.5, "K/uL", 1.5),
        ("lab.anc", 1500, "/µL", 1.5),
        ("lab.anc", 1500, "cells/uL", 1.5),
        ("lab.anc", 1500, "/mm3", 1.5),
        ("lab.platelets", 1.5, "lakh/mm3", 150.0),
        ("lab.creatinine", 1.0, "mg/dL", 88.4),
        ("lab.creatinine", 88, "µmol/L", 88.0),
        ("lab.creatinine", 88, "umol/L", 88.0),
        ("lab.bilirubin_total", 1.0, "mg/dL", 17.1),
        ("lab.crp", 1.2, "mg/dL", 12.0),
        ("lab.c3", 90, "mg/dL", 0.9),
        ("lab.c4", 0.2, "g/L", 0.2),
        ("lab.upcr", 100, "mg/mmol", 0.884),
        ("lab.upcr", 500, "mg/g", 0.5),
        ("lab.urine_protein_24h", 800, "mg/d", 0.8),
        ("lab.urine_protein_24h", 0.8, "g/24h", 0.8),
        ("lab.lvef", 0.55, "fraction", 55.0),
        ("lab.spo2", 97, "%", 97.0),
        ("lab.alt", 1.0, "µkat/L", 60.0),
        ("lab.ast", 35, "IU/L", 35.0),
        ("lab.cd19_b_cells", 0.005, "10^9/L", 5.0),
        ("weight_kg", 154, "lb", 69.853225),
        ("height_cm", 1.68, "m", 168.0),
        ("derived.egfr", 60, "mL/min/1.73 m²", 60.0),
        ("age_years", 18, "years", 18.0),
        ("age_months", 6, "months", 6.0),
        ("age_days", 28, "days", 28.0),
        ("score.sledai_2k", 6, "", 6.0),
        # Spellings laboratory systems print (they were refused before).
        ("lab.platelets", 150, "10E9/L", 150.0),
        ("lab.platelets", 150, "x10E9/L", 150.0),
        ("lab.wbc", 4.2, "x10E3/uL", 4.2),
        ("lab.wbc", 4.2, "K/mcL", 4.2),
        ("lab.creatinine", 80, "mcmol/L", 80.0),
        ("lab.hemoglobin", 12, "gm/dL", 120.0),
    ],
)
def test_conversions(fact: str, value: float, unit: str, expected: float) -> None:
    assert to_canonical(fact, value, unit) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("fact", "unit"),
    [
        ("lab.anc", "g/dL"),
        ("lab.hemoglobin", "×10⁹/L"),
        ("lab.hbv_dna", "copies/mL"),
        ("sex", "kg"),
        # Completed months are not a fraction of completed years (6 months is not 0.5 years).
        ("age_years", "months"),
        ("age_months", "years"),
    ],
)
def test_unaccepted_units_raise(fact: str, unit: str) -> None:
    with pytest.raises(UnitError):
        to_canonical(fact, 1, unit)


def test_every_number_fact_has_a_unit_table_with_its_canonical_unit_first() -> None:
    for spec in FACTS.values():
        table = fact_units(spec.name)
        if spec.kind is FactKind.NUMBER:
            assert table is not None
            assert table.canonical == spec.unit
            assert accepted_units(spec.name)[0] == spec.unit
        else:
            assert table is None
            assert accepted_units(spec.name) == ()
    assert resolve_unit("sex", "kg") is None


@pytest.mark.parametrize(
    ("fact", "value", "unit", "label", "message"),
    [
        (
            "lab.hemoglobin",
            5.4,
            "g/L",
            "haemoglobin",
            "5.4 g/L is not a plausible haemoglobin; did you mean 5.4 g/dL (54 g/L)?",
        ),
        (
            "lab.anc",
            1500,
            "×10^9/L",
            "ANC",
            "1500 ×10⁹/L is not a plausible ANC; did you mean 1500 /µL (1.5 ×10⁹/L)?",
        ),
        (
            "lab.creatinine",
            1.1,
            "µmol/L",
            "creatinine",
            "1.1 µmol/L is not a plausible creatinine; did you mean 1.1 mg/dL (97.24 µmol/L)?",
        ),
    ],
)
def test_implausible_values_suggest_the_likely_unit(
    fact: str, value: float, unit: str, label: str, message: str
) -> None:
    check = check_plausibility(fact, value, unit, label)
    assert check.level == "reject"
    assert check.message == message


def test_plausibility_levels() -> None:
    assert check_plausibility("lab.hemoglobin", 102, "g/L", "Hb").level == "ok"
    warn = check_plausibility("lab.anc", 45, "10*9/L", "ANC")
    assert warn.level == "warn"
    assert warn.message.startswith("45 ×10⁹/L is an unusual ANC")
    no_hint = check_plausibility("lab.spo2", 20, "%", "SpO2")
    assert no_hint.level == "reject"
    assert no_hint.suggested_unit is None
    assert check_plausibility("lab.anc", float("nan"), "10*9/L", "ANC").level == "reject"
    assert check_plausibility("lab.hbv_dna", 5, "IU/mL", "HBV DNA").level == "ok"


def test_default_ulns_and_settings() -> None:
    settings = Settings()
    assert default_uln("lab.alt", None, settings) == 40
    assert default_uln("lab.creatinine", "male", settings) == 106
    assert default_uln("lab.creatinine", "female", settings) == 88
    assert default_uln("lab.creatinine", None, settings) is None
    assert default_uln("lab.crp", "female", settings) is None
    clinic = Settings(uln={"lab.alt": 33, "lab.creatinine.female": 80})
    assert default_uln("lab.alt", None, clinic) == 33
    assert default_uln("lab.creatinine", "female", clinic) == 80


def test_formatting() -> None:
    assert normalise_unit(" ×10⁹ / L") == "10^9/L"
    assert display_unit("10*9/L") == "×10⁹/L"
    assert display_unit("U/L") == "U/L"
    assert format_number(1.0) == "1"
    assert format_number(97.2400001) == "97.24"
    assert format_number(12345678.9) == "12345679"
    assert format_quantity(12, "{score}") == "12"
    assert format_quantity(1.5, "10*9/L") == "1.5 ×10⁹/L"
