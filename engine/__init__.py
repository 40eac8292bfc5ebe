"""Eligibility engine: pure-Python clinical logic (no Qt, no database, no file I/O)."""

from engine.ask_next import AskItem, ask_next
from engine.criteria import TrialCriteria
from engine.describe import describe_vocabulary
from engine.errors import CriteriaError, ProfileError
from engine.evaluator import evaluate_trial
from engine.facts import Facts, FactValue, build_facts, fact_spec
from engine.loader import load_criteria
from engine.outcomes import (
    CohortResult,
    Counts,
    CriterionResult,
    CriterionStatus,
    Evidence,
    NodeResult,
    TrialEvaluation,
    Truth,
    Verdict,
)
from engine.profile import PatientProfile, profile_from_dict, profile_to_dict, profile_warnings
from engine.ranking import RankedTrial, Site, TrialSummary, rank_trials
from engine.units import Settings

__all__ = [
    "AskItem",
    "CohortResult",
    "Counts",
    "CriteriaError",
    "CriterionResult",
    "CriterionStatus",
    "Evidence",
    "FactValue",
    "Facts",
    "NodeResult",
    "PatientProfile",
    "ProfileError",
    "RankedTrial",
    "Settings",
    "Site",
    "TrialCriteria",
    "TrialEvaluation",
    "TrialSummary",
    "Truth",
    "Verdict",
    "ask_next",
    "build_facts",
    "describe_vocabulary",
    "evaluate_trial",
    "fact_spec",
    "load_criteria",
    "parse_criteria_text",
    "profile_from_dict",
    "profile_to_dict",
    "profile_warnings",
    "rank_trials",
]


def __getattr__(name: str) -> object:
    # The parser is owned and built separately; importing it lazily keeps `import engine`
    # working while it evolves and avoids a cycle (the parser imports engine modules).
    if name == "parse_criteria_text":
        from engine.parser import parse_criteria_text

        return parse_criteria_text
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
