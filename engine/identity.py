"""Trial identity: the NCT id, or a stable local id for a trial that has none."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

LOCAL_ID_PREFIX = "LOCAL-"
LOCAL_ID_HEX_DIGITS = 10


def normalise_identity_part(text: str | None) -> str:
    """Casefold and collapse whitespace, so spacing or case changes keep the same id."""
    return " ".join((text or "").split()).casefold()


def local_trial_id(
    org_study_id: str | None,
    title: str | None,
    sponsor: str | None,
    *,
    content: str | None = None,
) -> str:
    """The local id of a trial without an NCT id (docs/architecture.md, "Trial identity").

    ``title`` is the official title, or the brief title when there is no official one.
    ``content`` (brief summary and criteria text) is used only when the record has neither an
    org study id, a title nor a sponsor: such records exist (seed 003), and hashing three empty
    parts would give every one of them the same id, so a second import would overwrite the first.
    """
    parts = [normalise_identity_part(part) for part in (org_study_id, title, sponsor)]
    key = "|".join(parts)
    if not any(parts):
        key = "content|" + normalise_identity_part(content)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return LOCAL_ID_PREFIX + digest[:LOCAL_ID_HEX_DIGITS]


def _text(module: Mapping[str, Any], *keys: str) -> str | None:
    value: Any = module
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value if isinstance(value, str) else None


def record_trial_id(protocol_section: Mapping[str, Any]) -> str:
    """The trial id of a ClinicalTrials.gov v2 ``protocolSection``: its NCT id, else a local id."""
    nct_id = _text(protocol_section, "identificationModule", "nctId")
    if nct_id and nct_id.strip():
        return nct_id.strip()
    return local_trial_id(
        _text(protocol_section, "identificationModule", "orgStudyIdInfo", "id"),
        _text(protocol_section, "identificationModule", "officialTitle")
        or _text(protocol_section, "identificationModule", "briefTitle"),
        _text(protocol_section, "sponsorCollaboratorsModule", "leadSponsor", "name"),
        content=identity_content(
            _text(protocol_section, "descriptionModule", "briefSummary"),
            _text(protocol_section, "eligibilityModule", "eligibilityCriteria"),
        ),
    )


def identity_content(brief_summary: str | None, criteria_text: str | None) -> str:
    """What identifies a record that has no id, title or sponsor (as stored, escapes kept)."""
    return f"{brief_summary or ''}\n{criteria_text or ''}"
