"""The ``letter`` and ``referrals`` subcommands.

The PDF renderer lives in ``ui/export`` (a layer above models), so the composition root
(``main.py``) registers these subcommands with it: ``register_letter_subcommands(render)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import io
import sys
from pathlib import Path

from models.cli import EXIT_OK, SUBCOMMANDS, CliError, register_subcommand
from models.database import SessionFactory
from models.fhir_io import add_patient_arguments, load_cli_patient
from models.files import atomic_write_text
from models.letter import (
    DEIDENTIFIED_MARK,
    LetterError,
    LetterRenderer,
    export_letter,
    referral_rows,
    select_trials,
    write_referrals_csv,
)
from models.matching import match_patient
from models.operations import list_referrals
from models.settings import SettingsError, load_settings


def _screening_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _add_letter_arguments(parser: argparse.ArgumentParser) -> None:
    add_patient_arguments(parser, "the patient profile (trialmatch-patient/1 JSON)")
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="FILE.pdf",
        help="where to write the PDF (replaced atomically if it exists)",
    )
    parser.add_argument(
        "--trial",
        action="append",
        default=[],
        metavar="ID",
        help="a trial to refer to (repeatable); default: every open trial not "
        "ruled out on the recorded data",
    )
    parser.add_argument(
        "--deidentified",
        action="store_true",
        help="a HIPAA Safe Harbor de-identified pre-screening summary: age and "
        "sex only, no name, record number or exact dates",
    )
    parser.add_argument(
        "--date",
        type=_screening_date,
        metavar="YYYY-MM-DD",
        help="screening date; default: the profile's, else today",
    )
    parser.add_argument(
        "--physician",
        metavar="NAME",
        help="the signing physician; default: the one in the settings",
    )


def run_letter(
    args: argparse.Namespace, session_factory: SessionFactory, *, render: LetterRenderer
) -> int:
    """Match the patient, write the letter for the chosen trials and log the referral."""
    today = dt.date.today()
    try:
        settings = load_settings()
    except SettingsError as error:
        raise CliError(str(error)) from error
    profile = load_cli_patient(args, today=max(today, args.date or today))
    screening_date = args.date or profile.screening_date or today
    # Trials named explicitly are looked for among closed ones too: the physician chose them.
    report = match_patient(
        session_factory,
        profile,
        screening_date=screening_date,
        settings=settings,
        include_closed=bool(args.trial),
    )
    try:
        chosen = select_trials(report, args.trial or None)
        export_letter(
            session_factory,
            report,
            settings,
            args.trial or None,
            args.out,
            args.deidentified,
            args.physician,
            render=render,
        )
    except LetterError as error:
        raise CliError(str(error)) from error
    except OSError as error:
        raise CliError(f"{args.out}: cannot be written ({error.strerror or error})") from error
    kind = "de-identified summary" if args.deidentified else "referral letter"
    print(f"Wrote the {kind} {args.out} for {len(chosen)} trial(s):")
    for match in chosen:
        summary = match.summary
        print(f"  {summary.trial_id}  {summary.title or '(no title)'}")
    print("Logged in the referral log (python main.py referrals).")
    return EXIT_OK


def _add_referrals_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--csv",
        type=Path,
        metavar="FILE",
        help="write the log as CSV to FILE instead of printing it",
    )


def run_referrals(args: argparse.Namespace, session_factory: SessionFactory) -> int:
    """Print the referral log, newest first, or write it as CSV."""
    records = list_referrals(session_factory)
    if args.csv is not None:
        buffer = io.StringIO(newline="")
        write_referrals_csv(records, buffer)
        try:
            atomic_write_text(args.csv, buffer.getvalue())
        except OSError as error:
            raise CliError(f"{args.csv}: cannot be written ({error.strerror or error})") from error
        print(f"Wrote {len(records)} referral(s) to {args.csv}")
        return EXIT_OK
    if not records:
        print("The referral log is empty.")
        return EXIT_OK
    for when, kind, trial_ids, patient, physician, file_name in referral_rows(records):
        print(f"{when} UTC  {kind}  patient {patient}  by {physician}")
        print(f"  trials: {trial_ids}" + (f"  file: {file_name}" if file_name else ""))
    if any(record.patient_identifier.endswith(DEIDENTIFIED_MARK) for record in records):
        print(
            f"({DEIDENTIFIED_MARK.strip()}: the letter itself carried no identifier.)",
            file=sys.stdout,
        )
    return EXIT_OK


def register_letter_subcommands(render: LetterRenderer) -> None:
    """Add ``letter`` and ``referrals`` to the command line (once; later calls do nothing)."""
    if "letter" in SUBCOMMANDS:
        return
    register_subcommand(
        "letter", "write a referral letter (PDF) for a patient and log it", _add_letter_arguments
    )(functools.partial(run_letter, render=render))
    register_subcommand(
        "referrals", "list the referral log (or export it as CSV)", _add_referrals_arguments
    )(run_referrals)
