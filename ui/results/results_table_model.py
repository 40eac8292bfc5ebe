"""Qt table model of the ranked trials: verdict badge, criteria counts, rules, site, status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from typing_extensions import override

from engine.outcomes import VERDICT_LABELS, Verdict
from models.operations import SiteView
from ui.results.badges import VERDICT_BADGES, badge_icon
from ui.row_table_model import RowTableModel
from ui.trial_list_model import STATUS_LABELS, UNTITLED

if TYPE_CHECKING:
    from models.matching import TrialMatch

# Short cell words keep the table within the pane at 1366x768; tooltips say it in full.
STATUS_NOT_GIVEN = "⚠ Not given"
NO_DISTANCE = "—"
NO_SITE = "none listed"


def site_place(site: SiteView) -> str:
    """A site as one line: facility, city, country (the parts the record gives)."""
    parts = [site.facility, site.city, site.country]
    return ", ".join(part for part in parts if part) or "(site without a name or place)"


def format_distance(distance_km: float | None) -> str:
    if distance_km is None:
        return NO_DISTANCE
    if distance_km < 10:
        return f"{distance_km:.1f} km"
    return f"{distance_km:,.0f} km"


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status, status) if status else STATUS_NOT_GIVEN


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One ranked trial, ready to display."""

    trial_id: str
    title: str
    verdict: Verdict
    near_miss: bool
    satisfied: int
    unknown: int
    violated: int
    review: int
    criteria_source: str
    criteria_verified: bool
    nearest_site: str
    distance: str
    status: str
    status_known: bool

    @classmethod
    def from_match(cls, match: TrialMatch) -> ResultRow:
        # The outcome, id, title and status are in memory; the summary and the full
        # evaluation are read only for the trial the physician opens.
        outcome = match.outcome
        counts = outcome.counts
        nearest = NO_SITE if match.nearest_site is None else site_place(match.nearest_site)
        return cls(
            trial_id=match.trial_id,
            title=match.title or UNTITLED,
            verdict=outcome.verdict,
            near_miss=outcome.near_miss,
            satisfied=counts.satisfied,
            unknown=counts.unknown,
            violated=counts.violated,
            review=counts.review,
            criteria_source=match.criteria_source,
            criteria_verified=match.criteria_verified,
            nearest_site=nearest,
            distance=format_distance(match.distance_km),
            status=status_label(match.overall_status) if match.status_known else STATUS_NOT_GIVEN,
            status_known=match.status_known,
        )

    @property
    def verdict_text(self) -> str:
        text = VERDICT_BADGES[self.verdict].text
        if self.near_miss and self.verdict is Verdict.NOT_ELIGIBLE:
            return f"{text} (near miss)"
        return text

    @property
    def counts_text(self) -> str:
        # Review items go in the tooltip and the detail: the table keeps to what was checked.
        return f"{self.satisfied} met · {self.unknown} unknown · {self.violated} not met"

    @property
    def counts_symbols(self) -> str:
        # The cell uses the criterion badges' symbols (✔ met, ? unknown, ✖ not met) to stay
        # narrow; the tooltip and the accessible text carry counts_text in words.
        return f"{self.satisfied} ✔ · {self.unknown} ? · {self.violated} ✖"

    @property
    def rules_text(self) -> str:
        if self.criteria_verified:
            return "Curated" if self.criteria_source == "curated" else "Reviewed"
        return "⚠ Unverified"


COLUMN_HEADERS = ("Verdict", "Trial", "Criteria", "Rules", "Nearest site", "Distance", "Status")
VERDICT_COLUMN, TRIAL_COLUMN, COUNTS_COLUMN, RULES_COLUMN = 0, 1, 2, 3
SITE_COLUMN, DISTANCE_COLUMN, STATUS_COLUMN = 4, 5, 6
_WARNING_COLOUR = QColor("#8a4b00")


class ResultsTableModel(RowTableModel[ResultRow]):
    """Thin adapter over a list of ``ResultRow`` in ranked order."""

    headers = COLUMN_HEADERS

    def row_of(self, trial_id: str) -> int | None:
        """The row showing ``trial_id``, or None when it is not shown."""
        return next((i for i, row in enumerate(self._rows) if row.trial_id == trial_id), None)

    def _display(self, row: ResultRow, column: int) -> str:
        values = (
            row.verdict_text,
            f"{row.trial_id}: {row.title}",
            row.counts_symbols,
            row.rules_text,
            row.nearest_site,
            row.distance,
            row.status,
        )
        return values[column]

    def _tooltip(self, row: ResultRow, column: int) -> str | None:
        if column == VERDICT_COLUMN:
            text = VERDICT_LABELS[row.verdict]
            if row.near_miss and row.verdict is Verdict.NOT_ELIGIBLE:
                text += ". Ruled out by a single criterion: check it in the detail below."
            return text
        if column == COUNTS_COLUMN:
            return f"{row.counts_text} · {row.review} for the study team to judge"
        if column == RULES_COLUMN and not row.criteria_verified:
            return (
                "Automatic, unverified: the verdict rests on rules the parser read from the "
                "registry text and no person has confirmed. Review them under Trials > Browse > "
                "Review criteria."
            )
        if column == STATUS_COLUMN and not row.status_known:
            return "The registry record gives no recruitment status."
        if column == SITE_COLUMN:
            return (
                "The record lists no recruiting site."
                if row.nearest_site == NO_SITE
                else row.nearest_site
            )
        if column == DISTANCE_COLUMN and row.distance == NO_DISTANCE:
            return (
                "No distance: the clinic location (Settings) or the site's coordinates are missing."
            )
        return f"{row.trial_id}: {row.title}"

    @override
    def cell_data(self, row: ResultRow, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.DecorationRole and column == VERDICT_COLUMN:
            return badge_icon(VERDICT_BADGES[row.verdict])
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == VERDICT_COLUMN:
                return QColor(VERDICT_BADGES[row.verdict].colour)
            if (column == RULES_COLUMN and not row.criteria_verified) or (
                column == STATUS_COLUMN and not row.status_known
            ):
                return _WARNING_COLOUR
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return row.counts_text if column == COUNTS_COLUMN else self._display(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == DISTANCE_COLUMN:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None
