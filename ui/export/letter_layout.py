"""The referral letter's PDF layout (ReportLab platypus): every line comes from the letter.

Structure (bold labels, tables, line breaks) is written here; every string from the patient,
the registry or the settings enters through ``fonts.markup``, which escapes it. This module
imports ReportLab, so ``ui.export.pdf_report`` loads it only when a letter is rendered.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any, BinaryIO

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from engine.outcomes import CriterionStatus, Verdict
from models.letter import LetterSite, LetterTrial, ReferralLetter
from models.operations import ContactView
from ui.export.fonts import BODY_FONT, BOLD_FONT, has_cjk, markup, register_fonts
from ui.export.qr import qr_modules

# Page streams are written Flate-compressed only, without ReportLab's ASCII85 layer on top: that
# layer only makes binary data 7-bit safe, which a PDF file written as bytes never needs. It
# cost a tenth of the rendering and 13 % of the file; text and pages print the same.
# (ReportLab reads this setting when it writes a file; the letter is its only user here.)
rl_config.useA85 = 0

PAGE_SIZE = A4
MARGIN = 18 * mm
FOOTER_FONT_SIZE = 7.5
QR_SIZE = 22 * mm
RULE_COLOR = colors.HexColor("#9aa5b1")
HEADER_FILL = colors.HexColor("#e8edf2")
STATUS_COLORS = {
    CriterionStatus.VIOLATED: colors.HexColor("#f6d5d5"),
    CriterionStatus.UNKNOWN: colors.HexColor("#fbefc9"),
    CriterionStatus.REVIEW: colors.HexColor("#e3e3f3"),
}
VERDICT_COLORS = {
    Verdict.NOT_ELIGIBLE: colors.HexColor("#9b1c1c"),
    Verdict.POTENTIALLY_ELIGIBLE: colors.HexColor("#7a4b00"),
    Verdict.MEETS_CHECKABLE_CRITERIA: colors.HexColor("#1d5c2e"),
}


@cache
def _styles() -> dict[str, ParagraphStyle]:
    """The letter's paragraph styles, built once per process (nothing ever modifies them)."""
    register_fonts()
    body = ParagraphStyle("body", fontName=BODY_FONT, fontSize=9, leading=11.5, splitLongWords=1)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.8, leading=9.6),
        "cell": ParagraphStyle("cell", parent=body, fontSize=7.6, leading=9.3),
        "cell_head": ParagraphStyle(
            "cell_head", parent=body, fontName=BOLD_FONT, fontSize=7.6, leading=9.3
        ),
        "clinic": ParagraphStyle(
            "clinic", parent=body, fontName=BOLD_FONT, fontSize=13, leading=16
        ),
        "letterhead": ParagraphStyle("letterhead", parent=body, fontSize=8.5, leading=10.5),
        "date": ParagraphStyle("date", parent=body, alignment=TA_RIGHT),
        "title": ParagraphStyle(
            "title",
            parent=body,
            fontName=BOLD_FONT,
            fontSize=12.5,
            leading=16,
            spaceBefore=4,
            spaceAfter=4,
        ),
        "section": ParagraphStyle(
            "section",
            parent=body,
            fontName=BOLD_FONT,
            fontSize=10,
            leading=13,
            spaceBefore=7,
            spaceAfter=2,
            keepWithNext=1,
        ),
        "trial_title": ParagraphStyle(
            "trial_title", parent=body, fontName=BOLD_FONT, fontSize=10.5, leading=13
        ),
        "subsection": ParagraphStyle(
            "subsection",
            parent=body,
            fontName=BOLD_FONT,
            fontSize=9,
            leading=11.5,
            spaceBefore=5,
            spaceAfter=2,
        ),
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=10, bulletIndent=2),
    }


def prepare() -> None:
    """Register the body fonts and build the styles, which every letter needs first."""
    _styles()
    _footer_style()


class _Paragraph(Paragraph):
    """A Paragraph that breaks its lines once per width.

    A table wraps every cell to size its rows, again to draw it, and again in each part when it
    splits across pages; line breaking depends only on the width (the text and style never
    change), so a repeated wrap at the same width returns the size already found and keeps the
    lines already broken.
    """

    _last_wrap: tuple[float, tuple[float, float]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        if self._last_wrap is not None and self._last_wrap[0] == availWidth:
            return self._last_wrap[1]
        size = super().wrap(availWidth, availHeight)
        self._last_wrap = (availWidth, size)
        return size


@lru_cache(maxsize=4096)
def _parsed(body: str, style: ParagraphStyle) -> Paragraph:
    """The parse of ``body`` in ``style``, whose fragments new paragraphs start from.

    Parsing the markup is a third of a paragraph's cost, and a letter repeats most of its cell
    texts ("No patient data used", "Met", the column headings): each is parsed once. Line
    breaking never changes the fragments it starts from, so paragraphs can share them.
    """
    return Paragraph(body, style)


def _paragraph(text: str, style: ParagraphStyle, *, bold_label: str | None = None) -> Paragraph:
    """A paragraph of data text (escaped); line breaks in the data are kept."""
    body = "<br/>".join(markup(line) for line in text.split("\n"))
    if bold_label is not None:
        body = f"<b>{markup(bold_label)}</b> {body}"
    parsed = _parsed(body, style)
    return _Paragraph(parsed.text, style, frags=parsed.frags)


# A one-line cell is drawn as a string only when it fits with this much to spare; anything
# closer to the edge goes through Paragraph, whose line breaking then decides as before.
_FIT_SLACK = 0.01


class _OneLineCell(Flowable):
    """A table cell's text drawn exactly where a one-line Paragraph in ``style`` draws it.

    Most cells are one short line ("Met", "No patient data used", a date, the headings); a
    Paragraph costs a markup parse, line breaking and a text object for each. Only text that
    needs none of it comes here (one line, single spaces, no CJK character); when the column
    turns out too narrow for it, the cell becomes the Paragraph it would have been.
    """

    def __init__(self, text: str, style: ParagraphStyle) -> None:
        super().__init__()
        self._text = text
        self._style = style
        self._width = stringWidth(text, style.fontName, style.fontSize)
        self._paragraph: Paragraph | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        if self._paragraph is None and self._width <= availWidth - _FIT_SLACK:
            self.width, self.height = availWidth, self._style.leading
            return self.width, self.height
        if self._paragraph is None:
            self._paragraph = _paragraph(self._text, self._style)
        return self._paragraph.wrap(availWidth, availHeight)

    def draw(self) -> None:
        if self._paragraph is not None:
            self._paragraph.drawOn(self.canv, 0, 0)
            return
        style = self._style
        self.canv.setFont(style.fontName, style.fontSize, style.leading)
        self.canv.setFillColor(style.textColor)
        # A Paragraph's first baseline sits one font size below its top.
        self.canv.drawString(0, self.height - style.fontSize, self._text)


def _cell(text: str, style: ParagraphStyle) -> Flowable:
    """A table cell of data text: a plain one-line string where that prints the same."""
    if text and text == " ".join(text.split()) and not has_cjk(text):
        return _OneLineCell(text, style)
    return _paragraph(text, style)


def _subsection(text: str, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """A subheading that never ends a page: it moves on when less than a few lines are left.

    (keepWithNext would bind it to a whole multi-page table and push both to the next page.)
    """
    return [CondPageBreak(25 * mm), _paragraph(text, styles["subsection"])]


def _bullets(lines: Sequence[str], style: ParagraphStyle, empty: str) -> list[Flowable]:
    if not lines:
        return [_paragraph(empty, style)]
    return [Paragraph("<bullet>•</bullet>" + markup(line), style) for line in lines]


def _grid(rows: list[list[Any]], widths: Sequence[float], row_fills: Sequence[Any] = ()) -> Table:
    """A table whose first row is a header repeated on every page it spans."""
    # Not splitInRow: with repeatRows, ReportLab 5.1 then repeats the header mid-page.
    table = Table(rows, colWidths=list(widths), repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.4, RULE_COLOR),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for index, fill in enumerate(row_fills, start=1):
        if fill is not None:
            commands.append(("BACKGROUND", (0, index), (-1, index), fill))
    table.setStyle(TableStyle(commands))
    return table


# The geometry ReportLab's QrCodeWidget draws in (a 32 mm square with a quiet zone of four
# modules), scaled to QR_SIZE as the Drawing around the widget used to scale it.
_QR_WIDGET_SIZE = 32 * mm
_QR_BORDER_MODULES = 4


class _QrCode(Flowable):
    """A QR code of ``QR_SIZE``: the marks QrCodeWidget makes, encoded once, drawn directly.

    The widget in a Drawing encodes the URL twice (once for its bounds, once to draw) and goes
    through the graphics renderer for every run of dark modules; this encodes once (error
    correction level M, as before; ``ui.export.qr`` picks ReportLab's mask faster) and fills
    the same rectangles straight on the canvas.
    """

    def __init__(self, url: str) -> None:
        super().__init__()
        self.width = self.height = QR_SIZE
        self._fills = _run_fills(qr_modules(url))

    def wrap(self, _available_width: float, _available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.scale(QR_SIZE / _QR_WIDGET_SIZE, QR_SIZE / _QR_WIDGET_SIZE)
        canvas.setFillColor(colors.black)
        canvas.addLiteral(self._fills)
        canvas.restoreState()


# What ``canvas.rect(..., stroke=0, fill=1)`` writes on the letter's canvas, which keeps
# ReportLab's default even-odd fill rule.
_RECT_FILL = "n {} {} {} {} re f*"


def _run_fills(modules: Sequence[Sequence[bool | None]]) -> str:
    """The PDF operators filling every dark run of ``modules``, in the widget's geometry.

    One fill per run, as the widget drew them: one path of abutting rectangles shows hairline
    seams in anti-aliasing viewers. The operators are the ones ``canvas.rect`` writes (about
    300 per code), but each distinct coordinate is formatted once, not four times per run.
    """
    box = _QR_WIDGET_SIZE / (len(modules) + 2 * _QR_BORDER_MODULES)
    number = cache(fp_str)
    return "\n".join(
        _RECT_FILL.format(
            number((column + _QR_BORDER_MODULES) * box),
            number(_QR_WIDGET_SIZE - (row + _QR_BORDER_MODULES + 1) * box),
            number(length * box),
            number(box),
        )
        for row, column, length in _dark_runs(modules)
    )


def _dark_runs(modules: Sequence[Sequence[bool | None]]) -> list[tuple[int, int, int]]:
    """(row, first column, length) of every horizontal run of dark modules."""
    runs: list[tuple[int, int, int]] = []
    for row, cells in enumerate(modules):
        start: int | None = None
        for column, dark in enumerate([*cells, False]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                runs.append((row, start, column - start))
                start = None
    return runs


# ---------------------------------------------------------------------------------------------
# Sections


def _letterhead(letter: ReferralLetter, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    head = letter.letterhead
    left: list[Flowable] = [
        _paragraph(head.clinic_name or "Clinic name not set in the settings", styles["clinic"])
    ]
    left += [_paragraph(line, styles["letterhead"]) for line in head.address_lines]
    if head.phone:
        left.append(_paragraph(head.phone, styles["letterhead"], bold_label="Tel."))
    width = PAGE_SIZE[0] - 2 * MARGIN
    table = Table(
        [[left, _paragraph(letter.letter_date, styles["date"])]],
        colWidths=[width * 0.7, width * 0.3],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, RULE_COLOR),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return [table, Spacer(1, 8)]


def _patient_section(letter: ReferralLetter, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    body, small = styles["body"], styles["small"]
    width = PAGE_SIZE[0] - 2 * MARGIN
    flow: list[Flowable] = [_paragraph("Patient", styles["section"])]
    rows = [
        [_paragraph(item.label, styles["cell_head"]), _paragraph(item.value, body)]
        for item in letter.patient
    ]
    if rows:
        table = Table(rows, colWidths=[width * 0.25, width * 0.75])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
        flow.append(table)
    flow += [Spacer(1, 3), _paragraph(letter.consent, body, bold_label="Contact:")]
    flow.append(_paragraph("Diagnosis", styles["section"]))
    flow += _bullets(letter.diagnoses, styles["bullet"], "No diagnosis recorded.")
    flow.append(_paragraph("Disease activity", styles["section"]))
    flow += _bullets(letter.disease_activity, styles["bullet"], "No activity score recorded.")
    flow.append(_paragraph("Key laboratory results", styles["section"]))
    if letter.labs:
        cell = styles["cell"]
        header = [
            _cell(text, styles["cell_head"])
            for text in ("Test", "Result (as entered)", "Date", "Upper limit of normal")
        ]
        lab_rows: list[list[Any]] = [header] + [
            [
                _cell(lab.label, cell),
                _cell(lab.value, cell),
                _cell(lab.when, cell),
                _cell(lab.uln, cell),
            ]
            for lab in letter.labs
        ]
        flow.append(_grid(lab_rows, [width * 0.27, width * 0.2, width * 0.23, width * 0.3]))
    else:
        flow.append(_paragraph("No laboratory result recorded.", body))
    flow.append(_paragraph("Serology and other findings", styles["section"]))
    flow += _bullets(letter.findings, styles["bullet"], "None recorded.")
    flow.append(_paragraph("Prior and current treatments", styles["section"]))
    flow += _bullets(letter.treatments, styles["bullet"], "No treatment recorded.")
    flow.append(_paragraph(letter.treatments_note, small))
    flow.append(_paragraph("Pregnancy and contraception", styles["section"]))
    flow.append(_paragraph(" · ".join(letter.reproductive), body))
    if letter.history:
        flow.append(_paragraph("Relevant history", styles["section"]))
        flow += _bullets(letter.history, styles["bullet"], "")
    return flow


def _contact_text(contact: ContactView) -> str:
    parts = [contact.name or "(no name recorded)"]
    if contact.role:
        parts[0] += f" ({contact.role})"
    if contact.phone:
        parts.append(f"Tel. {contact.phone}")
    if contact.email:
        parts.append(contact.email)
    return " · ".join(parts)


def _sites_table(sites: Sequence[LetterSite], styles: dict[str, ParagraphStyle]) -> Table:
    cell = styles["cell"]
    width = PAGE_SIZE[0] - 2 * MARGIN
    header = [_cell(text, styles["cell_head"]) for text in ("Site", "Status", "Contacts")]
    rows: list[list[Any]] = [header]
    for site in sites:
        place = [site.facility or "(facility not given)", site.place]
        if site.distance:
            place.append(site.distance)
        contacts = [_contact_text(contact) for contact in site.contacts] or [
            "No contact recorded for this site"
        ]
        rows.append(
            [
                _paragraph("\n".join(place), cell),
                _cell(site.status, cell),
                _paragraph("\n".join(contacts), cell),
            ]
        )
    return _grid(rows, [width * 0.38, width * 0.14, width * 0.48])


@cache
def _verdict_style(verdict: Verdict) -> ParagraphStyle:
    return ParagraphStyle(
        "verdict",
        parent=_styles()["body"],
        fontName=BOLD_FONT,
        textColor=VERDICT_COLORS[verdict],
        spaceBefore=4,
    )


def _trial_section(
    trial: LetterTrial, number: int, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    body, cell = styles["body"], styles["cell"]
    width = PAGE_SIZE[0] - 2 * MARGIN
    identity = [
        _paragraph(f"{number}. {trial.title}", styles["trial_title"]),
        _paragraph(trial.nct_id or trial.trial_id, body, bold_label="Trial:"),
    ]
    if trial.registry_url:
        identity.append(_paragraph(trial.registry_url, body, bold_label="Registry:"))
    else:
        identity.append(
            _paragraph(
                "no ClinicalTrials.gov number in the record (local id)",
                body,
                bold_label="Registry:",
            )
        )
    identity += [
        _paragraph(f"{trial.phase} · Status: {trial.status}", body, bold_label="Phase:"),
        _paragraph(trial.sponsor, body, bold_label="Sponsor:"),
    ]
    qr: Flowable | str = _QrCode(trial.registry_url) if trial.registry_url else ""
    header = Table([[identity, qr]], colWidths=[width - QR_SIZE - 6, QR_SIZE + 6])
    header.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("LINEABOVE", (0, 0), (-1, 0), 1.2, RULE_COLOR),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    verdict_style = _verdict_style(trial.verdict)
    flow: list[Flowable] = [KeepTogether([header]), _paragraph(trial.verdict_text, verdict_style)]
    if trial.cohort:
        flow.append(_paragraph(trial.cohort, body, bold_label="Assessed for the cohort:"))
    if trial.automatic_rules_note:
        flow.append(_paragraph(trial.automatic_rules_note, body, bold_label="Note:"))
    flow += _subsection("Still to confirm", styles)
    flow += _bullets(
        trial.to_confirm,
        styles["bullet"],
        "Nothing: every checkable criterion could be assessed from the record.",
    )
    if trial.to_judge:
        flow += _subsection("For the study team to judge", styles)
        flow += _bullets(trial.to_judge, styles["bullet"], "")
    flow += _subsection("Criteria, one by one", styles)
    header_row = [
        _cell(text, styles["cell_head"])
        for text in ("Criterion (verbatim from the trial record)", "Patient data", "Result")
    ]
    rows: list[list[Any]] = [header_row]
    fills = []
    for criterion in trial.criteria:
        rows.append(
            [
                _paragraph(criterion.text, cell, bold_label=f"{criterion.kind}:"),
                _cell("\n".join(criterion.patient_data) or "No patient data used", cell),
                _cell(criterion.result, cell),
            ]
        )
        fills.append(STATUS_COLORS.get(criterion.status))
    if trial.criteria:
        flow.append(_grid(rows, [width * 0.47, width * 0.37, width * 0.16], fills))
    else:
        flow.append(_paragraph("No criteria recorded for this trial.", body))
    flow += _subsection("Sites", styles)
    if trial.sites:
        flow.append(_sites_table(trial.sites, styles))
    else:
        flow.append(_paragraph("The record lists no sites.", body))
    if trial.central_contacts:
        flow += _subsection("Central contacts", styles)
        flow += _bullets([_contact_text(c) for c in trial.central_contacts], styles["bullet"], "")
    flow += [Spacer(1, 3), _paragraph(trial.record_line, styles["small"]), Spacer(1, 6)]
    return flow


def _closing(letter: ReferralLetter, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    body = styles["body"]
    signature = letter.signature
    lines = [signature.physician + (f", {signature.credentials}" if signature.credentials else "")]
    lines += [line for line in (signature.clinic_name,) if line]
    if signature.phone:
        lines.append(f"Direct line: {signature.phone}")
    if signature.email:
        lines.append(f"E-mail: {signature.email}")
    block: list[Flowable] = [
        _paragraph(letter.eligibility_statement, body),
        Spacer(1, 4),
        _paragraph(letter.data_as_of, styles["small"]),
        Spacer(1, 10),
        _paragraph("Yours sincerely,", body),
        Spacer(1, 26),
        Paragraph(
            "Signature: ______________________________ &nbsp;&nbsp; Date: ________________", body
        ),
        Spacer(1, 4),
        _paragraph("\n".join(lines), body),
    ]
    return [CondPageBreak(55 * mm), KeepTogether(block)]


# ---------------------------------------------------------------------------------------------
# Page furniture


class _NumberedCanvas(Canvas):
    """Holds every page back until the end so each footer can say "Page X of Y"."""

    def __init__(self, *args: Any, footer_text: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.footer_text = footer_text
        self._held_pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._held_pages.append(dict(self.__dict__))
        # The documented way to begin a fresh page without emitting the held one; the stubs
        # do not declare it.
        self._startPage()  # type: ignore[attr-defined]

    def save(self) -> None:
        total = len(self._held_pages)
        for state in self._held_pages:
            self.__dict__.update(state)
            _draw_page_footer(self, self.getPageNumber(), total, self.footer_text)
            super().showPage()
        super().save()


@cache
def _footer_style() -> ParagraphStyle:
    return ParagraphStyle(
        "footer", fontName=BODY_FONT, fontSize=FOOTER_FONT_SIZE, leading=FOOTER_FONT_SIZE * 1.2
    )


def _draw_page_footer(canvas: Canvas, page: int, total: int, footer_text: str) -> None:
    """The one footer of every page: the letter's name and "Page X of Y"."""
    canvas.saveState()
    canvas.setStrokeColor(RULE_COLOR)
    canvas.setLineWidth(0.4)
    canvas.line(MARGIN, MARGIN - 4 * mm, PAGE_SIZE[0] - MARGIN, MARGIN - 4 * mm)
    # A Paragraph, not drawString, so a patient name in Chinese prints in the CJK font.
    footer = Paragraph(markup(footer_text), _footer_style())
    available = (PAGE_SIZE[0] - 2 * MARGIN) * 0.75
    _, height = footer.wrapOn(canvas, available, FOOTER_FONT_SIZE * 3)
    footer.drawOn(canvas, MARGIN, MARGIN - 8 * mm - height + FOOTER_FONT_SIZE)
    canvas.setFont(BODY_FONT, FOOTER_FONT_SIZE)
    canvas.drawRightString(PAGE_SIZE[0] - MARGIN, MARGIN - 8 * mm, f"Page {page} of {total}")
    canvas.restoreState()


def render_letter_pdf(letter: ReferralLetter, out: BinaryIO) -> None:
    """Write ``letter`` as a PDF to ``out``; the same letter always gives the same bytes."""
    styles = _styles()
    story: list[Flowable] = _letterhead(letter, styles)
    story.append(_paragraph(letter.title, styles["title"]))
    story.append(_paragraph(letter.addressee, styles["body"]))
    story += [
        Spacer(1, 4),
        _paragraph("Dear colleagues,", styles["body"]),
        Spacer(1, 3),
        _paragraph(letter.opening, styles["body"]),
    ]
    story += _patient_section(letter, styles)
    heading = "Trials" if len(letter.trials) > 1 else "Trial"
    for number, trial in enumerate(letter.trials, start=1):
        # Each trial starts on a fresh page unless most of a page is left, so its header,
        # verdict and first criteria are read together.
        story.append(CondPageBreak(90 * mm))
        if number == 1:
            story.append(_paragraph(heading, styles["section"]))
        story += _trial_section(trial, number, styles)
    story += _closing(letter, styles)

    def make_canvas(*args: Any, **kwargs: Any) -> Canvas:
        return _NumberedCanvas(*args, footer_text=letter.footer, **kwargs)

    document = SimpleDocTemplate(
        out,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=letter.title,
        author=letter.signature.physician,
        creator="TrialMatch",
        invariant=1,
        # Text drawn without an explicit font (none today) gets the bundled face, not Helvetica.
        initialFontName=BODY_FONT,
    )
    document.build(story, canvasmaker=make_canvas)
