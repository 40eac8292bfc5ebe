"""Clinic settings (letterhead, physician, location, lab ULNs) as JSON in the user's config folder.

The window and the command line share these settings, so they live here rather than in QSettings
(which only the Qt side could read); the window keeps its own layout and recent files in QSettings.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

from models.files import atomic_write_text

SETTINGS_FILE_NAME = "settings.json"
SETTINGS_ENV = "TRIALMATCH_SETTINGS"


class SettingsError(Exception):
    """A settings file that cannot be read or holds a value of the wrong type."""


@dataclass(frozen=True, slots=True)
class ClinicSettings:
    """What the letter and the ranking need to know about the clinic and the physician.

    Attributes:
        clinic_latitude, clinic_longitude: the clinic's location, for distances to trial sites;
            None when not set (then no distances are shown).
        lab_ulns: the clinic lab's upper limits of normal by analyte id (e.g. ``{"alt": 35}``,
            ``{"creatinine.female": 84}``), in the analyte's canonical unit; they replace the
            engine's assumed defaults (models.matching.engine_settings maps them to facts).
        preferred_units: the unit offered first for each analyte in the window.
    """

    clinic_name: str = ""
    clinic_address: str = ""
    clinic_phone: str = ""
    clinic_city: str = ""
    clinic_latitude: float | None = None
    clinic_longitude: float | None = None
    physician_name: str = ""
    physician_credentials: str = ""
    physician_phone: str = ""
    physician_email: str = ""
    lab_ulns: Mapping[str, float] = field(default_factory=dict)
    preferred_units: Mapping[str, str] = field(default_factory=dict)

    @property
    def has_location(self) -> bool:
        return self.clinic_latitude is not None and self.clinic_longitude is not None


def default_settings_path() -> Path:
    """The settings file: $TRIALMATCH_SETTINGS, else settings.json in the per-user config folder."""
    given = os.environ.get(SETTINGS_ENV)
    if given:
        return Path(given)
    return Path(platformdirs.user_config_dir("TrialMatch", appauthor=False)) / SETTINGS_FILE_NAME


_TEXT_FIELDS = tuple(f.name for f in fields(ClinicSettings) if f.type in ("str", str))


def settings_from_dict(data: Mapping[str, object]) -> ClinicSettings:
    """Build settings from a JSON object, naming the key of any value of the wrong type."""
    values: dict[str, object] = {}
    for name in _TEXT_FIELDS:
        value = data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise SettingsError(f"{name}: expected text, got {type(value).__name__}")
        values[name] = value
    for name, limit in (("clinic_latitude", 90.0), ("clinic_longitude", 180.0)):
        value = data.get(name)
        if value is None:
            values[name] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{name}: expected a number, got {type(value).__name__}")
        number = float(value)
        if not math.isfinite(number) or abs(number) > limit:
            raise SettingsError(f"{name}: {value} is outside -{limit:g}..{limit:g}")
        values[name] = number
    ulns = data.get("lab_ulns", {})
    if not isinstance(ulns, Mapping):
        raise SettingsError("lab_ulns: expected an object of analyte: number")
    checked_ulns: dict[str, float] = {}
    for analyte, uln in ulns.items():
        if isinstance(uln, bool) or not isinstance(uln, int | float) or not uln > 0:
            raise SettingsError(f"lab_ulns.{analyte}: expected a positive number, got {uln!r}")
        checked_ulns[str(analyte)] = float(uln)
    values["lab_ulns"] = checked_ulns
    units = data.get("preferred_units", {})
    if not isinstance(units, Mapping) or not all(isinstance(u, str) for u in units.values()):
        raise SettingsError("preferred_units: expected an object of analyte: unit text")
    values["preferred_units"] = {str(k): str(v) for k, v in units.items()}
    return ClinicSettings(**values)  # type: ignore[arg-type]  # keys checked above


def settings_to_dict(settings: ClinicSettings) -> dict[str, object]:
    data = asdict(settings)
    data["lab_ulns"] = dict(settings.lab_ulns)
    data["preferred_units"] = dict(settings.preferred_units)
    return data


def load_settings(path: Path | None = None) -> ClinicSettings:
    """Read the settings; a missing file gives the defaults (nothing set)."""
    path = path or default_settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ClinicSettings()
    except OSError as error:
        raise SettingsError(f"{path}: cannot be read ({error.strerror})") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SettingsError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from error
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a JSON object")
    try:
        return settings_from_dict(data)
    except SettingsError as error:
        raise SettingsError(f"{path}: {error}") from error


def save_settings(settings: ClinicSettings, path: Path | None = None) -> Path:
    """Write the settings atomically: a crash never leaves half a file."""
    path = path or default_settings_path()
    text = json.dumps(settings_to_dict(settings), indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(path, text)
    return path
