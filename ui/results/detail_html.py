"""HTML for the trial detail: each criterion with status, verbatim text, evidence, rule source.

Every string from the registry, the criteria files or the patient is escaped: registry text
is full of ``<``, ``≥`` and ``&``.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING

from engine.outcomes import VERDICT_LABELS, CriterionResult, Evidence, Truth
from models.operations import TrialDetail
from ui.results.badges import VERDICT_BADGES, criterion_badge
from ui.results.results_table_model import status_label
from ui.trial_list_model import PHASE_LABELS

if TYPE_CHECKING:
    from models.matching import TrialMatch

REGISTRY_URL = "https://clinicaltrials.gov/study/{}"
_TRUTH_SYMBOLS = {Truth.TRUE: "✔", Truth.FALSE: "✖", Truth.UNKNOWN: "?", Truth.REVIEW: "◆"}


def registry_url(detail: TrialDetail) -> str | None:
    """The trial's ClinicalTrials.gov page; None for local ids (they have no page)."""
    nct_id = detail.summary.nct_id
    return REGISTRY_URL.format(nct_id) if nct_id else None


def _evidence_html(evidence: Evidence, criterion_reason: str) -> str:
    lines: list[str] = []
    value = evidence.patient_value
    head = f"<b>{escape(evidence.label)}</b>: "
    if value is None:
        head += "<i>no value entered</i>"
    else:
        head += escape(value)
        if evidence.entered:
            head += f" (entered as {escape(evidence.entered)})"
        head += f", {evidence.value_date.isoformat()}" if evidence.value_date else ", undated"
    if evidence.threshold:
        head += f" · required {escape(evidence.threshold)}"
    lines.append(head)
    if evidence.uln is not None:
        origin = "assumed default, not the clinic's lab" if evidence.uln_assumed else "clinic lab"
        lines.append(f"ULN used: {evidence.uln:g} ({origin})")
    if evidence.formula:
        derived = f"Derived: {escape(evidence.formula)}"
        if evidence.inputs:
            derived += " from " + escape("; ".join(evidence.inputs))
        lines.append(derived)
    if evidence.source and not evidence.formula:
        lines.append(f"Source: {escape(evidence.source)}")
    if evidence.reason != criterion_reason:  # said once already, just above
        lines.append(escape(evidence.reason))
    lines.extend(f"Note: {escape(note)}" for note in evidence.notes)
    symbol = _TRUTH_SYMBOLS[evidence.truth]
    return f"<li>{symbol} " + "<br/>".join(lines) + "</li>"


def _rule_source(result: CriterionResult, criteria_source: str) -> str:
    if result.tree is None:
        return "No rule: left to the study team's judgement."
    if criteria_source == "curated" and result.verified:
        return "Rule: curated and checked by a person."
    if result.verified:
        return "Rule: parsed automatically, confirmed by a person."
    return "⚠ Rule: parsed automatically from the registry text, not verified by a person."


def criterion_html(result: CriterionResult, criteria_source: str) -> str:
    """One criterion: badge (symbol, words, colour), verbatim sentence, evidence, rule source."""
    badge = criterion_badge(result.kind, result.status)
    status = (
        f'<span style="color:{badge.colour}; font-weight:bold">{badge.symbol} '
        f"{escape(badge.text)}</span>"
    )
    if result.effective_status is not result.status:
        effective = criterion_badge(result.kind, result.effective_status)
        status += (
            f"<br/><small>counts as: {effective.symbol} {escape(effective.text)} (group)</small>"
        )
    parts = [f"<p style='margin:0'>{escape(result.text)}</p>"]
    parts.append(f"<p style='margin:2px 0; color:#444'><i>{escape(result.reason)}</i></p>")
    if result.evidence:
        parts.append(
            "<ul style='margin-top:0'>"
            + "".join(_evidence_html(e, result.reason) for e in result.evidence)
            + "</ul>"
        )
    if result.reading:
        parts.append(f"<p style='margin:2px 0; color:#444'>Reading: {escape(result.reading)}</p>")
    parts.append(
        "<p style='margin:2px 0; color:#555'><small>"
        f"{escape(_rule_source(result, criteria_source))}</small></p>"
    )
    return (
        "<tr><td width='150' valign='top'>"
        + status
        + "</td><td valign='top'>"
        + "".join(parts)
        + "</td></tr>"
    )


def _section(title: str, results: Iterable[CriterionResult], criteria_source: str) -> str:
    rows = "".join(criterion_html(result, criteria_source) for result in results)
    if not rows:
        return ""
    return (
        f"<h3 style='margin-bottom:2px'>{escape(title)}</h3>"
        "<table width='100%' cellspacing='0' cellpadding='4' border='0'>" + rows + "</table>"
    )


def criteria_html(match: TrialMatch) -> str:
    """The criteria of a matched trial grouped as inclusion, exclusion and each cohort."""
    evaluation = match.evaluation
    badge = VERDICT_BADGES[evaluation.verdict]
    counts = evaluation.counts
    parts = [
        f"<p><span style='color:{badge.colour}; font-weight:bold; font-size:large'>{badge.symbol} "
        f"{escape(VERDICT_LABELS[evaluation.verdict])}</span>",
    ]
    if evaluation.near_miss:
        parts.append("<br/>Near miss: ruled out by a single criterion.")
    parts.append(
        f"<br/>Criteria: {counts.satisfied} met, {counts.unknown} unknown, "
        f"{counts.violated} not met, {counts.review} for the study team to judge."
    )
    if not match.criteria_verified:
        parts.append(
            "<br/><span style='color:#8a4b00'>⚠ This verdict rests on rules parsed automatically "
            "from the registry text that no person has verified. Check each sentence below.</span>"
        )
    parts.append(
        "<br/><small>Decision support only: the study team decides eligibility. "
        f"Screening date {evaluation.screening_date.isoformat()}.</small></p>"
    )
    parts.extend(f"<p><small>Note: {escape(note)}</small></p>" for note in evaluation.notes)
    common = [r for r in evaluation.criteria if r.cohort is None]
    source = match.criteria_source
    parts.append(
        _section("Inclusion criteria", (r for r in common if r.kind == "inclusion"), source)
    )
    parts.append(
        _section("Exclusion criteria", (r for r in common if r.kind == "exclusion"), source)
    )
    for cohort in evaluation.cohorts:
        if cohort.cohort_id is None:
            continue
        cohort_badge = VERDICT_BADGES[cohort.verdict]
        best = " (best cohort)" if cohort.cohort_id == evaluation.best_cohort else ""
        title = f"Cohort: {cohort.label}{best}: {cohort_badge.symbol} {cohort_badge.text}"
        members = [r for r in evaluation.criteria if r.cohort == cohort.cohort_id]
        parts.append(_section(title, members, source))
    return "".join(parts)


def _line(label: str, value: str | None) -> str:
    return f"<tr><td valign='top'><b>{escape(label)}</b></td><td>{escape(value or '—')}</td></tr>"


def summary_html(detail: TrialDetail) -> str:
    """The trial's summary: identity, link, phase, status, sponsor, enrollment, dates, arms."""
    summary = detail.summary
    url = registry_url(detail)
    parts = [f"<h3>{escape(summary.title or '(the record has no title)')}</h3>"]
    if url:
        parts.append(
            f"<p>{escape(summary.trial_id)}: <a href='{escape(url, quote=True)}'>"
            f"{escape(url)}</a></p>"
        )
    else:
        parts.append(
            f"<p>{escape(summary.trial_id)} (a local id: the record has no NCT number, so no "
            "ClinicalTrials.gov page)</p>"
        )
    enrollment = None
    if detail.enrollment_count is not None:
        kind = (detail.enrollment_type or "").lower()
        enrollment = f"{detail.enrollment_count} participants" + (f" ({kind})" if kind else "")
    interventions = "; ".join(
        " ".join(part for part in (item.intervention_type, item.name) if part)
        for item in detail.interventions
    )
    rows = [
        _line("Official title", detail.official_title),
        _line("Phase", " / ".join(PHASE_LABELS.get(p, p) for p in summary.phases) or None),
        _line("Status", status_label(summary.overall_status)),
        _line("Sponsor", summary.sponsor),
        _line("Enrollment", enrollment),
        _line("Start", detail.start_date),
        _line("Primary completion", detail.primary_completion_date),
        _line("Completion", detail.completion_date),
        _line("Conditions", "; ".join(summary.conditions) or None),
        _line("Interventions", interventions or None),
        _line(
            "Ages",
            f"{summary.minimum_age or 'no minimum'} to {summary.maximum_age or 'no maximum'}",
        ),
        _line("Sex", summary.sex),
        _line("Record last updated", summary.last_update),
        _line("Imported from", detail.source_file),
    ]
    parts.append("<table cellpadding='3'>" + "".join(rows) + "</table>")
    if detail.brief_summary:
        parts.append(f"<h4>Brief summary</h4><p>{escape(detail.brief_summary)}</p>")
    return "".join(parts)
