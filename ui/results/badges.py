"""Verdict and criterion-status badges: a shape, a colour and words, never colour alone."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap, QPolygonF

from engine.outcomes import CriterionStatus, Verdict


@dataclass(frozen=True, slots=True)
class Badge:
    """How one outcome is shown: a symbol, short words, a colour and the badge's shape."""

    symbol: str
    text: str
    colour: str
    shape: str  # "circle", "triangle", "square", "diamond", "dash"


# Short words for the table; the full VERDICT_LABELS go into tooltips and the detail view.
VERDICT_BADGES: dict[Verdict, Badge] = {
    Verdict.MEETS_CHECKABLE_CRITERIA: Badge("✔", "Meets checkable criteria", "#1b7f3b", "circle"),
    Verdict.POTENTIALLY_ELIGIBLE: Badge("?", "Potentially eligible", "#b26a00", "triangle"),
    Verdict.NOT_ELIGIBLE: Badge("✖", "Not eligible", "#b3261e", "square"),
}

# Inclusion and exclusion criteria read differently when met: an exclusion that is "satisfied"
# does not exclude the patient.
_GREEN, _AMBER, _RED, _BLUE, _GREY = "#1b7f3b", "#b26a00", "#b3261e", "#1f5fa8", "#6b6b6b"
INCLUSION_BADGES: dict[CriterionStatus, Badge] = {
    CriterionStatus.SATISFIED: Badge("✔", "Met", _GREEN, "circle"),
    CriterionStatus.VIOLATED: Badge("✖", "Not met", _RED, "square"),
    CriterionStatus.UNKNOWN: Badge("?", "Unknown: information missing", _AMBER, "triangle"),
    CriterionStatus.REVIEW: Badge("◆", "Study team to judge", _BLUE, "diamond"),
    CriterionStatus.NOT_APPLICABLE: Badge("–", "Does not apply", _GREY, "dash"),
}
EXCLUSION_BADGES: dict[CriterionStatus, Badge] = {
    CriterionStatus.SATISFIED: Badge("✔", "Does not exclude", _GREEN, "circle"),
    CriterionStatus.VIOLATED: Badge("✖", "Excludes the patient", _RED, "square"),
    CriterionStatus.UNKNOWN: Badge("?", "Unknown: information missing", _AMBER, "triangle"),
    CriterionStatus.REVIEW: Badge("◆", "Study team to judge", _BLUE, "diamond"),
    CriterionStatus.NOT_APPLICABLE: Badge("–", "Does not apply", _GREY, "dash"),
}


def criterion_badge(kind: str, status: CriterionStatus) -> Badge:
    """The badge of a criterion's status, worded for an inclusion or an exclusion."""
    return (EXCLUSION_BADGES if kind == "exclusion" else INCLUSION_BADGES)[status]


@cache
def badge_icon(badge: Badge, size: int = 16) -> QIcon:
    """A small filled shape in the badge's colour with its symbol in white."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = QColor(badge.colour)
    painter.setPen(QPen(colour.darker(130), 1))
    painter.setBrush(colour)
    box = QRectF(1, 1, size - 2, size - 2)
    if badge.shape == "circle":
        painter.drawEllipse(box)
    elif badge.shape == "triangle":
        painter.drawPolygon(
            QPolygonF(
                [
                    QPointF(size / 2, 0.5),
                    QPointF(size - 0.5, size - 1.0),
                    QPointF(0.5, size - 1.0),
                ]
            )
        )
    elif badge.shape == "diamond":
        painter.drawPolygon(
            QPolygonF(
                [
                    QPointF(size / 2, 0.5),
                    QPointF(size - 0.5, size / 2),
                    QPointF(size / 2, size - 0.5),
                    QPointF(0.5, size / 2),
                ]
            )
        )
    elif badge.shape == "dash":
        painter.drawRect(QRectF(2, size / 2 - 2, size - 4, 4))
    else:
        painter.drawRoundedRect(box, 2, 2)
    if badge.shape != "dash":
        font = QFont()
        font.setBold(True)
        font.setPixelSize(int(size * 0.7))
        painter.setFont(font)
        painter.setPen(QColor("white"))
        text_box = QRectF(box).adjusted(0, 2, 0, 0) if badge.shape == "triangle" else box
        painter.drawText(text_box, Qt.AlignmentFlag.AlignCenter, badge.symbol)
    painter.end()
    return QIcon(pixmap)
