"""Reading FHIR R4 exports (Bundle JSON, resource folder, bulk-export NDJSON) into a profile."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from engine.fhir import FhirError, FhirImportReport, import_fhir, resources_from_bundle
from engine.profile import PatientProfile
from models.profile_io import ProfileFileError, load_profile

# One patient's export (even with years of labs) is a few megabytes; a bulk export of a whole
# population is not one patient and must not be read into memory whole.
MAX_FHIR_BYTES = 50 * 1024 * 1024


class FhirFileError(Exception):
    """An export that cannot be read or used; the message names the file, entry and field."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except FileNotFoundError as error:
        raise FhirFileError(path, "no such file") from error
    except OSError as error:
        raise FhirFileError(path, f"cannot be read ({error.strerror})") from error
    if size > MAX_FHIR_BYTES:
        raise FhirFileError(
            path, f"is {size:,} bytes; one patient's export is at most {MAX_FHIR_BYTES:,}"
        )
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FhirFileError(path, f"is not UTF-8 text (byte {error.start})") from error
    except OSError as error:
        raise FhirFileError(path, f"cannot be read ({error.strerror})") from error


def _parse_json(text: str, path: Path, where: str = "") -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        prefix = f"{where}: " if where else ""
        raise FhirFileError(
            path,
            f"{prefix}is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})",
        ) from error


def _resources_of_document(data: Any, path: Path) -> list[tuple[str, Any]]:
    """A JSON document: a Bundle, or a single resource."""
    if not isinstance(data, dict):
        raise FhirFileError(path, "must hold a JSON object (a FHIR Bundle or resource)")
    kind = data.get("resourceType")
    if kind == "Bundle":
        return resources_from_bundle(data, "Bundle")
    if not isinstance(kind, str) or not kind:
        raise FhirFileError(path, "resourceType is missing: not a FHIR Bundle or resource")
    return [(kind, data)]


def _read_ndjson(path: Path) -> list[tuple[str, Any]]:
    resources: list[tuple[str, Any]] = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        data = _parse_json(line, path, f"line {number}")
        if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
            raise FhirFileError(path, f"line {number}: is not a FHIR resource (no resourceType)")
        resources.append((f"line {number}", data))
    return resources


def read_fhir_resources(path: Path) -> list[tuple[str, Any]]:
    """Every resource of an export as (location, parsed JSON); raises FhirFileError.

    ``path`` may be a Bundle JSON file, a single-resource JSON file, an NDJSON file (one
    resource per line, as bulk ``$export`` writes it) or a folder of .json / .ndjson files.
    Locations name the file (for a folder) and the entry or line.
    """
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".ndjson"))
        if not files:
            raise FhirFileError(path, "the folder holds no .json or .ndjson files")
        resources: list[tuple[str, Any]] = []
        for file in files:
            resources.extend((f"{file.name}: {where}", res) for where, res in _read_one(file))
        return resources
    return _read_one(path)


def _read_one(path: Path) -> list[tuple[str, Any]]:
    if path.suffix.lower() == ".ndjson":
        return _read_ndjson(path)
    try:
        return _resources_of_document(_parse_json(_read_text(path), path), path)
    except FhirError as error:
        raise FhirFileError(path, str(error)) from error


def load_fhir_profile(
    path: Path, today: date | None = None
) -> tuple[PatientProfile, FhirImportReport]:
    """Import a FHIR R4 export into a validated profile and the report of what was imported.

    Raises FhirFileError (naming the file, entry and field) for an unreadable or malformed
    export. The report lists every imported value with its source and everything that was not
    imported (unknown codes, implausible values, units, ignored resources).
    """
    resources = read_fhir_resources(path)
    try:
        report = import_fhir(resources, today=today)
    except FhirError as error:
        raise FhirFileError(path, str(error)) from error
    return report.profile, report


def add_patient_arguments(parser: argparse.ArgumentParser, patient_help: str) -> None:
    """``--patient FILE`` or ``--fhir FILE``: exactly one is required, never both."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--patient", type=Path, metavar="FILE", help=patient_help)
    source.add_argument(
        "--fhir",
        type=Path,
        metavar="FILE",
        help="import the patient from an EHR's FHIR R4 export (Bundle JSON, NDJSON, or a "
        "folder of resources); the import report is printed to stderr",
    )


def load_cli_patient(args: argparse.Namespace, today: date | None = None) -> PatientProfile:
    """The profile named by ``--patient`` or imported from ``--fhir`` (report to stderr)."""
    # Imported here: models.cli imports the subcommand modules, which import this module.
    from models.cli import CliError

    if getattr(args, "fhir", None) is None:
        try:
            return load_profile(args.patient, today=today)
        except ProfileFileError as error:
            raise CliError(str(error)) from error
    try:
        profile, report = load_fhir_profile(args.fhir, today=today)
    except FhirFileError as error:
        raise CliError(str(error)) from error
    sys.stderr.write("\n".join(report.summary_lines()) + "\n\n")
    return profile
