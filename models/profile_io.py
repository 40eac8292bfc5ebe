"""Patient profile files (trialmatch-patient/1 JSON): read with clear errors, write atomically."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from engine.errors import ProfileError
from engine.profile import PatientProfile, profile_from_dict, profile_to_dict
from models.files import atomic_write_text

# A patient profile is a few kilobytes; anything far larger is not one (and must not be read
# into memory whole).
MAX_PROFILE_BYTES = 5 * 1024 * 1024


class ProfileFileError(Exception):
    """A profile file that cannot be read or used; the message names the file and the field."""

    def __init__(self, path: Path, problem: str, field: str | None = None) -> None:
        self.path = path
        self.problem = problem
        self.field = field
        super().__init__(f"{path}: {problem}")


def read_profile_dict(path: Path) -> dict[str, object]:
    """The raw JSON object of a profile file, before validation."""
    try:
        size = path.stat().st_size
    except FileNotFoundError as error:
        raise ProfileFileError(path, "no such file") from error
    except OSError as error:
        raise ProfileFileError(path, f"cannot be read ({error.strerror})") from error
    if size > MAX_PROFILE_BYTES:
        raise ProfileFileError(
            path, f"is {size:,} bytes; a patient profile is at most {MAX_PROFILE_BYTES:,}"
        )
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ProfileFileError(path, f"cannot be read ({error.strerror})") from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ProfileFileError(path, f"is not UTF-8 text (byte {error.start})") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProfileFileError(
            path, f"is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from error
    if not isinstance(data, dict):
        raise ProfileFileError(path, "must hold a JSON object (a trialmatch-patient/1 profile)")
    return data


def load_profile(path: Path, today: date | None = None) -> PatientProfile:
    """Read and validate a profile file; errors name the file and the field path."""
    data = read_profile_dict(path)
    try:
        return profile_from_dict(data, today=today)
    except ProfileError as error:
        raise ProfileFileError(path, str(error), error.path) from error


def profile_json(profile: PatientProfile) -> str:
    return json.dumps(profile_to_dict(profile), indent=2, ensure_ascii=False) + "\n"


def save_profile(profile: PatientProfile, path: Path) -> None:
    """Write the profile atomically (temporary file, fsync, rename): never half a file."""
    try:
        atomic_write_text(path, profile_json(profile))
    except OSError as error:
        raise ProfileFileError(path, f"cannot be written ({error.strerror})") from error
