"""Trial identity: the stable local id of a trial that has no NCT id."""

from __future__ import annotations

import hashlib

LOCAL_ID_PREFIX = "LOCAL-"
LOCAL_ID_HEX_DIGITS = 10


def normalise_identity_part(text: str | None) -> str:
    """Casefold and collapse whitespace, so spacing or case changes keep the same id."""
    return " ".join((text or "").split()).casefold()


def local_trial_id(org_study_id: str | None, title: str | None, sponsor: str | None) -> str:
    """The local id of a trial without an NCT id (docs/architecture.md, "Trial identity").

    ``title`` is the official title, or the brief title when there is no official one.
    """
    key = "|".join(normalise_identity_part(part) for part in (org_study_id, title, sponsor))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return LOCAL_ID_PREFIX + digest[:LOCAL_ID_HEX_DIGITS]
