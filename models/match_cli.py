"""The ``match`` subcommand: a patient file against every trial, as a table or stable JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import Any

from engine.outcomes import VERDICT_LABELS, CriterionResult, Evidence, TrialEvaluation
from models.cli import EXIT_OK, CliError, register_subcommand
from models.database import SessionFactory
from models.fhir_io import add_patient_arguments, load_cli_patient
from models.matching import MatchReport, TrialMatch, match_patient
from models.settings import SettingsError, load_settings

# Bumped only when a key changes meaning or disappears; new keys may be added at any time.
MATCH_JSON_VERSION = 1
# Trials listed by the text output unless --limit says otherwise.
TEXT_LIMIT = 20


def _screening_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise CliError(f"--date: {text!r} is not a date in the form YYYY-MM-DD") from error


def _add_match_arguments(parser: argparse.ArgumentParser) -> None:
    add_patient_arguments(parser, "patient profile JSON file")
    parser.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="screening date (default: the profile's screening_date, else today)",
    )
    parser.add_argument(
        "--all", action="store_true", help="also list closed trials (completed, terminated ...)"
    )
    parser.add_argument(
        "--all-conditions",
        action="store_true",
        help=(
            "also evaluate trials about none of the patient's conditions and trials whose "
            "registry age or sex limits rule the patient out (otherwise only counted)"
        ),
    )
    parser.add_argument(
        "--limit",
        type=_limit,
        metavar="N",
        help=(
            f"list only the N best-ranked trials, 0 for all (default: the first "
            f"{TEXT_LIMIT} in the text output, all with --json)"
        ),
    )
    parser.add_argument("--json", action="store_true", help="stable JSON output for scripts")


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the limit cannot be negative (0 lists every trial)")
    return value


def _listed(report: MatchReport, limit: int | None) -> Sequence[TrialMatch]:
    """The trials to print: each printed trial is fully evaluated (its criteria and reasons),
    which takes minutes for the thousands of candidates of a large registry."""
    return report.trials if not limit else report.trials[:limit]


def evidence_to_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "fact": evidence.fact,
        "label": evidence.label,
        "outcome": evidence.truth.value,
        "reason": evidence.reason,
        "patient_value": evidence.patient_value,
        "date": evidence.value_date.isoformat() if evidence.value_date else None,
        "entered": evidence.entered,
        "source": evidence.source,
        "threshold": evidence.threshold,
        "uln": evidence.uln,
        "uln_assumed": evidence.uln_assumed,
        "formula": evidence.formula,
        "inputs": list(evidence.inputs),
        "notes": list(evidence.notes),
    }


def criterion_to_json(result: CriterionResult) -> dict[str, Any]:
    return {
        "id": result.criterion_id,
        "kind": result.kind,
        "cohort": result.cohort,
        "group": result.group,
        "text": result.text,
        "result": result.status.value,
        "effective_result": result.effective_status.value,
        "reason": result.reason,
        "verified": result.verified,
        "reading": result.reading,
        "evidence": [evidence_to_json(item) for item in result.evidence],
    }


def trial_match_to_json(item: TrialMatch) -> dict[str, Any]:
    summary = item.summary
    evaluation: TrialEvaluation = item.evaluation
    site = item.nearest_site
    return {
        "trial_id": summary.trial_id,
        "nct_id": summary.nct_id,
        "title": summary.title,
        "overall_status": summary.overall_status,
        "status_note": item.status_note,
        "verdict": evaluation.verdict.value,
        "near_miss": evaluation.near_miss,
        "cohort": evaluation.best_cohort,
        "counts": {
            "satisfied": evaluation.counts.satisfied,
            "unknown": evaluation.counts.unknown,
            "violated": evaluation.counts.violated,
            "review": evaluation.counts.review,
            "not_applicable": evaluation.counts.not_applicable,
        },
        "criteria_source": item.criteria_source,
        "criteria_verified": item.criteria_verified,
        "criteria": [criterion_to_json(result) for result in evaluation.criteria],
        "nearest_site": None
        if site is None
        else {
            "facility": site.facility,
            "city": site.city,
            "country": site.country,
            "status": site.status,
            "distance_km": None if item.distance_km is None else round(item.distance_km, 1),
        },
    }


def report_to_json(report: MatchReport, limit: int | None = None) -> dict[str, Any]:
    """The documented ``match --json`` output (docs/command-line.md); ``limit``: list only
    that many trials (None or 0: all)."""
    listed = _listed(report, limit)
    return {
        "version": MATCH_JSON_VERSION,
        "screening_date": report.screening_date.isoformat(),
        "trials": [trial_match_to_json(item) for item in listed],
        "unlisted_trials": len(report.trials) - len(listed),
        "hidden_closed": report.hidden_closed,
        "other_conditions": report.other_conditions,
        "excluded_age_sex": report.excluded_age_sex,
        "ask_next": [
            {
                "fact": item.fact,
                "label": item.label,
                "group": item.group,
                "trials": item.trial_count,
                "trial_ids": list(item.trial_ids),
            }
            for item in report.ask_next
        ],
        "problems": [
            {"trial_id": problem.trial_id, "problem": problem.problem}
            for problem in report.problems
        ],
        "notes": list(report.notes),
    }


def _shorten(text: str | None, width: int) -> str:
    text = " ".join((text or "(no title in the record)").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_report(report: MatchReport, limit: int | None = TEXT_LIMIT) -> list[str]:
    """A readable table: one block per trial, the deciding criteria under it; ``limit``: list
    only that many trials (None or 0: all) and say how many more there are."""
    lines = [f"Screening date {report.screening_date.isoformat()}", ""]
    if not report.trials:
        lines.append("No open trials in the database.")
    listed = _listed(report, limit)
    for rank, item in enumerate(listed, start=1):
        evaluation = item.evaluation
        counts = evaluation.counts
        summary = item.summary
        verdict = VERDICT_LABELS[evaluation.verdict]
        if evaluation.near_miss:
            verdict += " (near miss: one criterion)"
        status = summary.overall_status or "status not given"
        lines.append(f"{rank}. {summary.trial_id}  {_shorten(summary.title, 80)}")
        lines.append(f"   {verdict}")
        lines.append(
            f"   {status}; {counts.satisfied} satisfied, {counts.unknown} unknown, "
            f"{counts.violated} violated, {counts.review} for the study team"
        )
        if not item.criteria_verified:
            lines.append("   Rules read automatically from the criteria text, not yet verified.")
        if item.nearest_site is not None and item.distance_km is not None:
            site = item.nearest_site
            place = ", ".join(p for p in (site.facility, site.city, site.country) if p)
            lines.append(f"   Nearest recruiting site: {place} ({item.distance_km:.0f} km)")
        for result in evaluation.criteria:
            # The verdict comes from the common criteria and the best cohort; the other
            # cohorts' failures (an SSc cohort for a lupus patient) would only be noise here.
            in_scope = result.cohort is None or result.cohort == evaluation.best_cohort
            if in_scope and result.effective_status.value in {"violated", "unknown"}:
                mark = "✖" if result.effective_status.value == "violated" else "?"
                lines.append(f"   {mark} {_shorten(result.text, 90)}")
                lines.append(f"       {result.reason}")
        lines.append("")
    unlisted = len(report.trials) - len(listed)
    if unlisted:
        lines.append(
            f"{unlisted} more trial(s) ranked below these are not listed; "
            "--limit N lists more, --limit 0 all."
        )
    if report.hidden_closed:
        lines.append(f"{report.hidden_closed} closed trial(s) hidden; --all lists them.")
    if report.other_conditions:
        lines.append(
            f"{report.other_conditions} trial(s) about none of the patient's conditions were not "
            "evaluated; --all-conditions evaluates them."
        )
    if report.excluded_age_sex:
        lines.append(
            f"{report.excluded_age_sex} trial(s) whose registry age or sex limits rule the "
            "patient out are not listed; --all-conditions lists them."
        )
    if report.ask_next:
        lines.append("What to ask next:")
        for ask in report.ask_next[:10]:
            lines.append(f"  - {ask.label} (would settle {ask.trial_count} trial(s))")
    for problem in report.problems:
        lines.append(f"Not evaluated: {problem.trial_id}: {problem.problem}")
    return lines


@register_subcommand(
    "match", "match a patient profile against every trial in the database", _add_match_arguments
)
def run_match(args: argparse.Namespace, session_factory: SessionFactory) -> int:
    profile = load_cli_patient(args)
    try:
        settings = load_settings()
    except SettingsError as error:
        raise CliError(f"settings: {error}") from error
    screening = _screening_date(args.date) or profile.screening_date or dt.date.today()
    report = match_patient(
        session_factory,
        profile,
        screening_date=screening,
        settings=settings,
        include_closed=args.all,
        all_conditions=args.all_conditions,
    )
    if args.json:
        json.dump(report_to_json(report, args.limit), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        limit = TEXT_LIMIT if args.limit is None else args.limit
        print("\n".join(format_report(report, limit)))
    return EXIT_OK
