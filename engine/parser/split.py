"""Splitting eligibility text into sections, cohorts, criteria, sub-items and notes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.parser.mentions import find_conditions
from engine.vocabulary import CONDITIONS, condition_covers, condition_label

INCLUSION = "inclusion"
EXCLUSION = "exclusion"

# Bullet glyphs seen in registry text and in pages that render it.
_BULLET = re.compile(r"[*\-•‣⁃∙◦▪·●○■□➢►–—]\s*|o\s+(?=\S)")
# "1." "1)" "(1)" "A." "a)" "i." — followed by white space so "1.0×10^9" is never a number label.
# "1.Age ≥ 18" (no space, a capital after the number) is numbered too.
_NUMBERING = re.compile(
    r"(?:\((\d{1,2}|[A-Za-z])\)|(\d{1,2})[.)]|([A-Za-z])[.)])(?=\s)\s*|(\d{1,2})[.)](?=[A-Z])"
)
_SECTION = re.compile(
    r"(?:(?:key|main|general|common|additional|specific|disease[-\s]specific|major|other|"
    r"study|patient|participant)\s+)*"
    r"(inclusion|exclusion)(?:\s+criteria|\s+criterion)?\b\s*(?:\([^()]{0,40}\))?"
    r"(?:\s+(?:for|in)\s+([^:]{1,60}?))?\s*(?:include|are)?\s*:?\s*$",
    re.IGNORECASE,
)
# Markdown emphasis or heading marks around a heading line ("**Exclusion Criteria:**",
# "### Inclusion criteria", "__Inclusion Criteria__"), which some records carry.
_HEADING_MARKUP = re.compile(r"^(?:[*_#]+\s*)+|(?:\s*[*_]+)+$")
_COHORT_PHRASE = re.compile(
    r"\b(?:patients|subjects|participants|those|individuals)\s+with\s+(.{2,80}?)\s+"
    r"(?:must|will|were|are|should|also|need|shall)\b.*\bfollowing\b",
    re.IGNORECASE,
)
_COHORT_ITEM = re.compile(r"\bfollowing\s+(?:conditions|criteria|requirements)\s*:", re.IGNORECASE)
_NOTE = re.compile(r"note\s*:", re.IGNORECASE)
_NOTE_EITHER = re.compile(
    r"(?:either|any\s+of)?\s*criteri(?:on|a)\s+(\d{1,2})\s*(?:,\s*(\d{1,2})\s*)?(?:or|and/or)\s+"
    r"(\d{1,2})\b[^.]*\bsufficient",
    re.IGNORECASE,
)
_STATUS_WORDS = re.compile(
    r"\b(?:refractory|relapsed|relapsing|progressive|active|moderate|severe|to|and|or)\b|/",
    re.IGNORECASE,
)
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(slots=True)
class RawCriterion:
    """One criterion as found in the text (working-text offsets)."""

    kind: str
    cohort: str | None
    label: str | None  # the item's own number or letter, when it has one
    start: int
    end: int
    section_known: bool  # False when no inclusion / exclusion heading preceded it
    group: str | None = None


@dataclass(slots=True)
class RawCohort:
    """A cohort heading and the id derived from the condition it names."""

    id: str
    label: str
    start: int
    end: int


@dataclass(slots=True)
class RawGroup:
    """A note that makes several criteria alternatives ("either criterion 4 or 5")."""

    id: str
    mode: str
    start: int
    end: int


@dataclass(slots=True)
class SplitResult:
    """Everything the splitter found, in document order."""

    criteria: list[RawCriterion] = field(default_factory=list)
    cohorts: list[RawCohort] = field(default_factory=list)
    groups: list[RawGroup] = field(default_factory=list)


@dataclass(slots=True)
class _Line:
    start: int  # offset of the body (after glyph and white space)
    end: int  # offset after the last non-space character
    indent: int
    glyph: str | None
    label: str | None
    body_start: int  # offset after glyph and number
    body: str


# A one-line text such as "Inclusion criteria: Age >= 18 years. Exclusion criteria: Pregnancy."
# holds its headings inline: a heading starts a new piece after a sentence end, and what
# follows its colon is a piece of its own.
_INLINE_HEADING = re.compile(
    r"(?:(?<=[.;])|^)\s*(?=(?:key\s+)?(?:inclusion|exclusion)\s+criteria\s*:)", re.IGNORECASE
)
_HEADING_THEN_TEXT = re.compile(
    r"(?:key\s+)?(?:inclusion|exclusion)\s+criteria\s*:(?=[ \t]*\S)", re.IGNORECASE
)


def _pieces(raw: str) -> list[str]:
    """``raw`` (one line) cut before and after inline section headings; joined, the same."""
    cuts = {m.end() for m in _INLINE_HEADING.finditer(raw) if 0 < m.end() < len(raw.rstrip())}
    starts = sorted({0, *cuts})
    for start in list(starts):
        heading = _HEADING_THEN_TEXT.match(raw, start)
        if heading is not None:
            starts.append(heading.end())
    starts = sorted(set(starts))
    return [raw[a:b] for a, b in zip(starts, [*starts[1:], len(raw)], strict=True)]


def _lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    position = 0
    for raw in (piece for line in text.splitlines(keepends=True) for piece in _pieces(line)):
        line_start = position
        position += len(raw)
        content = raw.rstrip()
        stripped = content.lstrip()
        if not stripped:
            continue
        indent = len(content) - len(stripped)
        start = line_start + indent
        cursor = start
        glyph: str | None = None
        bullet = _BULLET.match(text, cursor, line_start + len(content))
        # A "-" or "o" bullet needs white space after it ("-5 years" is not a bullet).
        if bullet is not None and (
            bullet.group(0).strip() not in {"-", "o"} or bullet.end() > cursor + 1
        ):
            glyph = bullet.group(0).strip()
            cursor = bullet.end()
        label: str | None = None
        numbering = _NUMBERING.match(text, cursor, line_start + len(content))
        if numbering is not None:
            label = next(g for g in numbering.groups() if g is not None)
            body_start = numbering.end()
        else:
            body_start = cursor
        end = line_start + len(content)
        if not text[cursor:end].strip():
            continue  # a bullet or number with nothing after it
        lines.append(_Line(cursor, end, indent, glyph, label, body_start, text[body_start:end]))
    return lines


def slug(text: str) -> str:
    """A lower-case id made of letters, digits and hyphens."""
    return _SLUG.sub("-", text.casefold()).strip("-")[:40] or "cohort"


def _cohort_id(label: str) -> str:
    conditions = find_conditions(label)
    if conditions:
        return conditions[0][0]
    return slug(_STATUS_WORDS.sub(" ", label))


def _short_heading(line: _Line) -> bool:
    body = line.body.rstrip()
    return (
        line.label is None
        and body.endswith(":")
        and len(body.split()) <= 7
        and not re.search(r"[<>≤≥=]|\d", body)
    )


def split_criteria(text: str) -> SplitResult:
    """Split the (unescaped) criteria text into criteria, cohorts and groups."""
    result = SplitResult()
    lines = _lines(text)
    kind = INCLUSION
    section_known = False
    cohort: str | None = None
    current: RawCriterion | None = None
    current_line: _Line | None = None
    has_sub = False
    section_marked: bool | None = None  # do this section's items carry bullets or numbers?
    cohort_ids: set[str] = set()
    # The item that opened the current cohort ("Diagnosed as JDM ..., and meeting the following
    # conditions:"): items indented under it are the cohort's own criteria, and an item less
    # indented than it is common again.
    cohort_item: _Line | None = None
    # Headings "Inclusion/Exclusion Criteria for X" with the criteria count when they were met.
    cohort_sections: list[tuple[str, str, _Line, int]] = []

    def open_cohort(label: str, start: int, end: int) -> str:
        base = _cohort_id(label)
        known = next((c for c in result.cohorts if c.id == base), None)
        if known is None:
            result.cohorts.append(RawCohort(base, label.strip().rstrip(":").strip(), start, end))
            cohort_ids.add(base)
        return base

    for index, line in enumerate(lines):
        body = line.body.strip()
        following = lines[index + 1] if index + 1 < len(lines) else None
        heading = _HEADING_MARKUP.sub("", body)
        section = _SECTION.fullmatch(heading) if line.label is None and len(heading) < 120 else None
        if section is not None:
            kind = INCLUSION if section.group(1).casefold() == INCLUSION else EXCLUSION
            section_known = True
            cohort = (
                open_cohort(section.group(2), line.start, line.end) if section.group(2) else None
            )
            if cohort is not None:
                cohort_sections.append((kind, cohort, line, len(result.criteria)))
            current, current_line, section_marked = None, None, None
            cohort_item = None
            continue
        if cohort_item is not None and line.indent < cohort_item.indent:
            cohort, cohort_item = None, None
        if line.label is None and _NOTE.match(body):
            either = _NOTE_EITHER.search(body)
            members = [m for m in (either.groups() if either else ()) if m is not None]
            targets = [
                c
                for c in result.criteria
                if c.kind == kind and c.cohort == cohort and c.label in members
            ]
            if targets:
                group_id = f"group-{len(result.groups) + 1}"
                result.groups.append(RawGroup(group_id, "any", line.start, line.end))
                for target in targets:
                    target.group = group_id
                current, current_line = None, None
                continue
            # A note the splitter cannot resolve stands as its own criterion (left for review).
            current = RawCriterion(kind, cohort, None, line.start, line.end, section_known)
            current_line, has_sub = line, False
            result.criteria.append(current)
            continue
        cohort_phrase = _COHORT_PHRASE.search(body) if line.label is None else None
        if cohort_phrase is not None and body.endswith(":"):
            cohort = open_cohort(cohort_phrase.group(1), line.start, line.end)
            current, current_line, section_marked = None, None, None
            cohort_item = None
            continue
        if (
            _short_heading(line)
            and following is not None
            and following.indent <= line.indent
            and (following.label is not None or (following.glyph == line.glyph and line.glyph))
            and (line.glyph is None or following.glyph == line.glyph)
        ):
            cohort = open_cohort(body.rstrip(":"), line.start, line.end)
            current, current_line, section_marked = None, None, None
            cohort_item = None
            continue
        named = find_conditions(body) if _COHORT_ITEM.search(body) else []
        if named:
            # "Diagnosed as JDM ..., and meeting the following conditions:" opens a cohort and
            # is itself that cohort's first criterion.
            cohort = open_cohort(condition_label(named[0][0]) or named[0][0], line.start, line.end)
            cohort_item = line
        elif (
            current is not None
            and current_line is not None
            and not (
                current_line is cohort_item
                and line.indent > current_line.indent
                and (line.glyph is not None or line.label is not None)
            )
            and _is_sub_line(line, current_line, has_sub, section_marked)
        ):
            current.end = line.end
            has_sub = True
            continue
        if section_marked is None:
            section_marked = line.glyph is not None or line.label is not None
        current = RawCriterion(kind, cohort, line.label, line.start, line.end, section_known)
        current_line = line
        has_sub = False
        result.criteria.append(current)
    if not any(c.section_known for c in result.criteria) and not re.search(
        r"\bexclu", text, re.IGNORECASE
    ):
        # No heading at all and no word of exclusion anywhere: a list of requirements only.
        for criterion in result.criteria:
            criterion.section_known = True
    _keep_empty_cohort_sections(result, cohort_sections)
    _leading_cohort(text, result, cohort_sections)
    used = {c.cohort for c in result.criteria if c.cohort is not None}
    result.cohorts = [c for c in result.cohorts if c.id in used]
    return result


def _keep_empty_cohort_sections(
    result: SplitResult, sections: list[tuple[str, str, _Line, int]]
) -> None:
    """An "Exclusion Criteria for SLE" heading followed by nothing stays as a criterion.

    Dropping it would present that cohort's list as empty, i.e. "no exclusions"; kept, its
    heading is one review item, so the study team is asked what the record left out.
    """
    for number, (kind, cohort, line, count) in enumerate(sections):
        following = [c for c in result.criteria[count:] if c.start > line.start]
        next_heading = sections[number + 1][2].start if number + 1 < len(sections) else None
        if any(next_heading is None or c.start < next_heading for c in following):
            continue
        placeholder = RawCriterion(kind, cohort, None, line.start, line.end, True)
        position = next(
            (i for i, c in enumerate(result.criteria) if c.start > line.start),
            len(result.criteria),
        )
        result.criteria.insert(position, placeholder)


_DIAGNOSIS_WORDS = re.compile(
    r"\b(?:classification\s+criteria|diagnos(?:is|ed)|criteria\s+for)\b", re.IGNORECASE
)


def _leading_cohort(
    text: str, result: SplitResult, sections: list[tuple[str, str, _Line, int]]
) -> None:
    """Unheaded inclusions before "Inclusion Criteria for X" that open with another disease.

    "Inclusion Criteria: * Meet the 2019 SLE classification criteria ... Inclusion Criteria
    for SSc: ..." lists SLE's criteria first without a heading of their own; read as common
    criteria they would ask an SSc patient to have SLE. When the first of them requires one
    diagnosis Y that no heading names, and Y and every headed cohort's condition are unrelated
    (neither includes the other), those leading criteria are Y's cohort.
    """
    headed = [cohort for kind, cohort, _, _ in sections if kind == INCLUSION]
    if not headed or any(cohort not in CONDITIONS for cohort in headed):
        return
    first_headed = next(c for c in result.criteria if c.kind == INCLUSION and c.cohort)
    leading: list[RawCriterion] = []
    for criterion in result.criteria:
        if criterion is first_headed:
            break
        if criterion.kind == INCLUSION and criterion.cohort is None and criterion.section_known:
            leading.append(criterion)
    if not leading:
        return
    opening = text[leading[0].start : leading[0].end]
    named = {condition for condition, _, _ in find_conditions(opening)}
    if len(named) != 1 or _DIAGNOSIS_WORDS.search(opening) is None:
        return
    (condition,) = named
    if condition in headed or any(
        condition_covers(condition, other) or condition_covers(other, condition) for other in headed
    ):
        return
    for criterion in leading:
        criterion.cohort = condition
    if all(c.id != condition for c in result.cohorts):
        label = condition_label(condition) or condition
        result.cohorts.insert(0, RawCohort(condition, label, leading[0].start, leading[0].end))


_SUB_GLYPHS = frozenset("o◦▪‣⁃∙-–·○■□➢►")


def _is_sub_line(line: _Line, parent: _Line, has_sub: bool, section_marked: bool | None) -> bool:
    """Whether a line continues the current criterion rather than starting a new one."""
    if line.glyph is None and line.label is None:
        # Unmarked text: a continuation in a marked list or after a heading-like item.
        return bool(section_marked) or (parent.body.rstrip().endswith(":") and not has_sub)
    if line.indent > parent.indent:
        return True
    if line.glyph is not None and line.glyph != parent.glyph and line.glyph in _SUB_GLYPHS:
        return parent.glyph is None or parent.glyph not in _SUB_GLYPHS or has_sub
    return (
        line.label is not None
        and parent.label is not None
        and line.label.isdigit() != parent.label.isdigit()
        and parent.body.rstrip().endswith(":")
    )
