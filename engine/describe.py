"""describe_vocabulary(): the fact, operator, unit, condition and drug vocabulary for editors."""

from __future__ import annotations

from typing import Any

from engine.facts import FACTS, TREATMENT_PREFIX
from engine.loader import CONDITION_STATUSES, OPS_BY_KIND, XULN
from engine.units import accepted_units
from engine.vocabulary import CLASSES, CONDITIONS, DRUGS, INSTRUMENTS


def describe_vocabulary() -> dict[str, Any]:
    """Everything a rule may name, as plain data (for a rule editor or documentation)."""
    facts = []
    for spec in FACTS.values():
        units = list(accepted_units(spec.name))
        if spec.has_uln:
            units.append(XULN)
        facts.append(
            {
                "name": spec.name,
                "kind": spec.kind.value,
                "label": spec.label,
                "unit": spec.unit,
                "units": units,
                "group": spec.group,
                "max_age_days": spec.max_age_days,
                "allowed": list(spec.allowed),
                "has_uln": spec.has_uln,
                "operators": list(OPS_BY_KIND[spec.kind]),
            }
        )
    treatments = [
        {
            "name": f"{TREATMENT_PREFIX}{cls.id}",
            "label": cls.label,
            "class": True,
            "parents": list(cls.parents),
        }
        for cls in CLASSES.values()
    ] + [
        {
            "name": f"{TREATMENT_PREFIX}{drug.id}",
            "label": drug.label,
            "class": False,
            "parents": list(drug.classes),
            "synonyms": list(drug.synonyms),
        }
        for drug in DRUGS.values()
    ]
    return {
        "facts": facts,
        "treatments": treatments,
        "treatment_operators": list(OPS_BY_KIND[FACTS["history.malignancy"].kind]),
        "conditions": [
            {
                "id": c.id,
                "label": c.label,
                "parent": c.parent,
                "icd10": list(c.icd10),
                "snomed": list(c.snomed),
                "synonyms": list(c.synonyms),
            }
            for c in CONDITIONS.values()
        ],
        "condition_statuses": list(CONDITION_STATUSES),
        "instruments": [
            {"id": i.id, "label": i.label, "fact": i.fact, "low": i.low, "high": i.high}
            for i in INSTRUMENTS.values()
        ],
        "window_keys": ["days", "weeks", "months", "years"],
    }
