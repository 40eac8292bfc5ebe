"""Every ORM table in one import, for Alembic and for code that needs the whole metadata."""

from models.base import Base
from models.criteria_set import CriteriaAtom, CriteriaProgram, CriteriaSet
from models.referral import Referral
from models.topics import DerivedVersion, TrialTopic
from models.trial import (
    ArmGroup,
    CentralContact,
    Collaborator,
    Intervention,
    OverallOfficial,
    Site,
    SiteContact,
    Trial,
    TrialCondition,
    TrialKeyword,
    TrialScreening,
)

__all__ = [
    "ArmGroup",
    "Base",
    "CentralContact",
    "Collaborator",
    "CriteriaAtom",
    "CriteriaProgram",
    "CriteriaSet",
    "DerivedVersion",
    "Intervention",
    "OverallOfficial",
    "Referral",
    "Site",
    "SiteContact",
    "Trial",
    "TrialCondition",
    "TrialKeyword",
    "TrialScreening",
    "TrialTopic",
]
