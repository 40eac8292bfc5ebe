"""The command line: argument parsing, the subcommand registry, and the ``trials`` and ``import``
subcommands.

Other parts add subcommands with ``register_subcommand`` (``match``, ``letter``, ``referrals``);
each gets the parsed arguments and the session factory of the opened database and returns the
exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from models.database import DATABASE_URL_ENV, DatabaseError, SessionFactory, resolve_database_url
from models.importer import ImportReport
from models.operations import (
    ContactView,
    OpenedDatabase,
    SiteView,
    TrialSummary,
    import_files,
    list_trials,
    open_database,
)
from models.parsed_rules import store_parsed_rules, trials_without_rules

PROG = "trialmatch"
EXIT_OK = 0
EXIT_FAILURES = 1  # the command ran, but some of its work failed (an import with bad files)
EXIT_ERROR = 2  # the command could not run: bad arguments, unusable database

Runner = Callable[[argparse.Namespace, SessionFactory], int]
WindowOpener = Callable[[OpenedDatabase], int]


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


@dataclass(frozen=True, slots=True)
class Subcommand:
    """A subcommand: its name, one-line help, its own arguments, and what it runs."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Runner


SUBCOMMANDS: dict[str, Subcommand] = {}

UrlRunner = Callable[[argparse.Namespace, str], int]


@dataclass(frozen=True, slots=True)
class FileSubcommand:
    """A subcommand that works on the database URL without opening it (``backups``,
    ``restore``): it must still run when the database is damaged."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: UrlRunner


FILE_SUBCOMMANDS: dict[str, FileSubcommand] = {}


def register_file_subcommand(
    name: str, help_text: str, add_arguments: Callable[[argparse.ArgumentParser], None]
) -> Callable[[UrlRunner], UrlRunner]:
    """Decorator adding ``run(args, database_url) -> exit status``, run before opening it."""

    def register(run: UrlRunner) -> UrlRunner:
        if name in SUBCOMMANDS or name in FILE_SUBCOMMANDS:
            raise ValueError(f"subcommand {name!r} is registered twice")
        FILE_SUBCOMMANDS[name] = FileSubcommand(name, help_text, add_arguments, run)
        return run

    return register


def register_subcommand(
    name: str, help_text: str, add_arguments: Callable[[argparse.ArgumentParser], None]
) -> Callable[[Runner], Runner]:
    """Decorator adding ``run(args, session_factory) -> exit status`` as ``main.py NAME``."""

    def register(run: Runner) -> Runner:
        if name in SUBCOMMANDS:
            raise ValueError(f"subcommand {name!r} is registered twice")
        SUBCOMMANDS[name] = Subcommand(name, help_text, add_arguments, run)
        return run

    return register


def _add_db_option(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        default=default,
        help=(
            "database to use: a SQLAlchemy URL (sqlite:///file.db, postgresql://...) or a path "
            f"to a SQLite file; default ${DATABASE_URL_ENV}, else the file in your data folder. "
            "A new empty database is created, migrated and given the bundled trials."
        ),
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser for ``main.py [--db URL] [SUBCOMMAND ...]``; no subcommand opens the window."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "TrialMatch: find the clinical trials a patient could join. "
            "Without a subcommand the window opens."
        ),
    )
    _add_db_option(parser, default=None)
    subparsers = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")
    every: list[Subcommand | FileSubcommand] = [*SUBCOMMANDS.values(), *FILE_SUBCOMMANDS.values()]
    for subcommand in every:
        sub = subparsers.add_parser(
            subcommand.name, help=subcommand.help, description=subcommand.help
        )
        # SUPPRESS keeps a --db given before the subcommand when none is given after it.
        _add_db_option(sub, default=argparse.SUPPRESS)
        subcommand.add_arguments(sub)
    return parser


def run_command_line(
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    open_window: WindowOpener,
) -> int:
    """Parse ``argv``, open the database, and run the subcommand (or the window)."""
    err = sys.stderr
    args = build_parser().parse_args(list(argv))
    url = resolve_database_url(args.db, environ)
    if args.command in FILE_SUBCOMMANDS:
        try:
            return FILE_SUBCOMMANDS[args.command].run(args, url)
        except (CliError, DatabaseError) as error:
            print(f"{PROG}: error: {error}", file=err)
            return EXIT_ERROR
    try:
        database = open_database(url)
    except DatabaseError as error:
        print(f"{PROG}: error: {error}", file=err)
        return EXIT_ERROR
    try:
        _warn_bundled_import(database.bundled_import, err)
        if args.command is None:
            return open_window(database)
        return SUBCOMMANDS[args.command].run(args, database.session_factory)
    except (CliError, DatabaseError) as error:
        print(f"{PROG}: error: {error}", file=err)
        return EXIT_ERROR
    finally:
        database.engine.dispose()


def _warn_bundled_import(report: ImportReport | None, err: TextIO) -> None:
    if report is None or not report.failed:
        return
    print(f"{PROG}: warning: some bundled trials could not be loaded:", file=err)
    for failure in report.failed:
        print(f"  {failure.message()}", file=err)


# ---------------------------------------------------------------------------------------------
# trials


def contact_to_json(contact: ContactView) -> dict[str, object]:
    return {
        "name": contact.name,
        "role": contact.role,
        "phone": contact.phone,
        "email": contact.email,
    }


def site_to_json(site: SiteView) -> dict[str, object]:
    return {
        "facility": site.facility,
        "city": site.city,
        "state": site.state,
        "zip": site.zip,
        "country": site.country,
        "status": site.status,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "contacts": [contact_to_json(contact) for contact in site.contacts],
    }


def trial_to_json(trial: TrialSummary) -> dict[str, object]:
    """The stable ``trials --json`` shape of one trial (documented in the README)."""
    return {
        "trial_id": trial.trial_id,
        "nct_id": trial.nct_id,
        "title": trial.title,
        "overall_status": trial.overall_status,
        "phases": list(trial.phases),
        "conditions": list(trial.conditions),
        "sponsor": trial.sponsor,
        "minimum_age": trial.minimum_age,
        "maximum_age": trial.maximum_age,
        "sex": trial.sex,
        "sites": [site_to_json(site) for site in trial.sites],
        "central_contacts": [contact_to_json(contact) for contact in trial.central_contacts],
        "last_update": trial.last_update,
        "record_version": trial.record_version,
    }


NOT_GIVEN = "not given"


def _or_not_given(value: str | None) -> str:
    return value if value else NOT_GIVEN


def _contact_line(contact: ContactView) -> str:
    name = contact.name or "(no name given)"
    if contact.role:
        name += f" ({contact.role})"
    details = [part for part in (contact.phone, contact.email) if part]
    return " · ".join([name, *details])


def _site_line(site: SiteView) -> str:
    place = ", ".join(
        part
        for part in (
            site.facility,
            site.city,
            " ".join(part for part in (site.state, site.zip) if part),
            site.country,
        )
        if part
    )
    status = f" [{site.status}]" if site.status else ""
    return (place or "(no address given)") + status


def format_trial_text(trial: TrialSummary) -> list[str]:
    """A trial as readable lines: identity, status, ages, sites with contacts, central contacts."""
    ages = (
        f"{trial.minimum_age or 'no lower limit'} to {trial.maximum_age or 'no upper limit'}"
        if trial.minimum_age or trial.maximum_age
        else "no age limits given"
    )
    lines = [
        f"{trial.trial_id}  {trial.title or '(the record has no title)'}",
        f"  Status: {_or_not_given(trial.overall_status)}"
        f" · Phase: {', '.join(trial.phases) or NOT_GIVEN}"
        f" · Sponsor: {_or_not_given(trial.sponsor)}",
        f"  Conditions: {'; '.join(trial.conditions) or NOT_GIVEN}",
        f"  Ages: {ages} · Sex: {_or_not_given(trial.sex)}",
        f"  Last update: {_or_not_given(trial.last_update)}"
        f" · Record version: {_or_not_given(trial.record_version)}",
    ]
    lines.append(f"  Sites ({len(trial.sites)}):" if trial.sites else "  Sites: none listed")
    for site in trial.sites:
        lines.append(f"    {_site_line(site)}")
        if not site.contacts:
            lines.append("      No contact listed for this site")
        lines.extend(f"      Contact: {_contact_line(contact)}" for contact in site.contacts)
    if trial.central_contacts:
        lines.append("  Central contacts:")
        lines.extend(f"    {_contact_line(contact)}" for contact in trial.central_contacts)
    return lines


def _add_trials_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list of trial objects (fields listed in the README) instead of text",
    )


@register_subcommand(
    "trials", "list the trials with their sites and contacts", _add_trials_arguments
)
def run_trials(args: argparse.Namespace, session_factory: SessionFactory) -> int:
    trials = list_trials(session_factory)
    if args.json:
        json.dump(
            [trial_to_json(trial) for trial in trials], sys.stdout, ensure_ascii=False, indent=2
        )
        print()
        return EXIT_OK
    if not trials:
        print("No trials in the database.")
        return EXIT_OK
    blocks = ["\n".join(format_trial_text(trial)) for trial in trials]
    print("\n\n".join(blocks))
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# import


def _add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help=(
            "ClinicalTrials.gov API v2 JSON: one study, a list of studies, a search-results page, "
            "or a zip of such files (the site's download); each zip member is imported on its own"
        ),
    )


def format_import_report(report: ImportReport) -> list[str]:
    """Added, updated and failed, one line per trial or failure."""
    lines = [f"Added: {len(report.added)}"]
    lines.extend(
        f"  {item.trial_id}  {item.title or '(no title)'}  [{item.file}]" for item in report.added
    )
    lines.append(f"Updated: {len(report.updated)}")
    lines.extend(
        f"  {item.trial_id}  {item.title or '(no title)'}  [{item.file}]" for item in report.updated
    )
    lines.append(f"Failed: {len(report.failed)}")
    lines.extend(f"  {failure.message()}" for failure in report.failed)
    return lines


@register_subcommand(
    "import", "import ClinicalTrials.gov study JSON files or zips of them", _add_import_arguments
)
def run_import(args: argparse.Namespace, session_factory: SessionFactory) -> int:
    report = import_files(session_factory, args.files)
    print("\n".join(format_import_report(report)))
    waiting = len(trials_without_rules(session_factory))
    if waiting:
        print(
            f"{waiting:,} trial(s) have only their criteria text: every match parses it again "
            "until `python main.py parse` stores the parser's reading (once)."
        )
    return EXIT_FAILURES if report.has_failures else EXIT_OK


def _add_parse_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options: it parses every trial that has no criteria set


def _show_parse_progress(done: int, total: int) -> None:
    print(f"Read the criteria of {done:,} of {total:,} trials", file=sys.stderr, flush=True)


@register_subcommand(
    "parse",
    "store the parser's reading of every trial without a criteria set (once, after an import), "
    "so that matches need not parse criteria texts",
    _add_parse_arguments,
)
def run_parse(args: argparse.Namespace, session_factory: SessionFactory) -> int:
    del args
    report = store_parsed_rules(session_factory, progress=_show_parse_progress)
    print(
        f"Stored the parser's reading of {report.stored:,} trial(s) as unverified automatic "
        "rules; a person confirms or corrects them in Trials > Browse > Review criteria."
    )
    for trial_id in report.not_loadable:
        print(f"Not stored: {trial_id}: its reading does not load; a match reports why.")
    return EXIT_OK


# Subcommands defined in their own modules register themselves when imported; they import this
# module, so they are imported last, once the registry above exists.
# match_cli registers ``match``; backup_cli registers ``backups`` and ``restore``.
from models import backup_cli, match_cli  # noqa: E402, F401
