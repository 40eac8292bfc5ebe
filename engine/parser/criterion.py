"""One criterion's text → clauses → a rule with computable and review parts (or None)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.facts import fact_spec
from engine.parser._text import top_level_cuts
from engine.parser.alternatives import read_named_count, read_numbered_structure, read_one_of
from engine.parser.childbearing import (
    PREGNANCY_FACTS,
    is_womans_plan,
    names_women_only,
    read_childbearing,
    read_childbearing_branches,
    scoped_to_women,
)
from engine.parser.counted import find_counted, read_counted
from engine.parser.infections import read_defined_infection
from engine.parser.intolerance import read_intolerant_history
from engine.parser.mentions import find_conditions
from engine.parser.organ import (
    is_same_threshold,
    read_not_used_sentence,
    restated_values,
    split_support_tail,
    support_in_brackets,
)
from engine.parser.quantities import COMPARATOR, VALUE, WINDOW, comparator, quantity
from engine.parser.regimens import (
    list_lead,
    read_definition_history,
    read_gc_dose,
    read_listed_regimens,
    read_regimen,
)
from engine.parser.retreatment import read_retreatment
from engine.parser.rules import MAX_CLAUSE_CHARS, Rule, only_names, read_clause
from engine.parser.split import EXCLUSION
from engine.parser.status import read_status_definition, status_lead, undefined_statuses
from engine.parser.treatments import read_treatment_definition
from engine.vocabulary import condition_covers

# Criteria whose parts are alternatives or conditions in words the reader cannot structure:
# the whole criterion is left for review rather than read part by part.
_WHOLE_REVIEW = re.compile(
    r"(?<![\w-])(?:if|unless|whichever|in\s+the\s+opinion|judg(?:e|ed|ment)|deem(?:s|ed)?|"
    r"investigators?|researchers?|meet\s+\(\d\)|any\s+one\s+of\s+\(\d\))(?![\w-])",
    re.IGNORECASE,
)
# From the clause that says this on, the clauses are alternatives or counted choices the reader
# cannot structure: that clause and every later one become one review part.
_ALTERNATIVES_FOLLOW = re.compile(
    r"(?<![\w-])(?:one\s+of\s+the\s+following|any\s+(?:one\s+)?of\s+the\s+following|"
    r"at\s+least\s+(?:one|two|three|\d)\s+(?:of|among)|either)(?![\w-])",
    re.IGNORECASE,
)
_SUB_BULLET = re.compile(r"\s*(?:[*•‣⁃∙◦▪·\-–]|o(?=\s))\s*")
_TOP_LEVEL_OR = re.compile(r",?\s+(?:or|and/or)\s+(?!without\b)", re.IGNORECASE)
# A capital after "/" ends a unit ("60 g/L. Blood transfusion ..."), not an abbreviation.
_ABBREVIATION_END = re.compile(r"(?:\be\.g|\bi\.e|\betc|\bvs|\bDr|\bNo|\bapprox|(?<!/)\b[A-Z])$")
# "type III or IV with or without type V.NIH activity index (AI)>2", "> 2.Chronicity index": a
# sentence end without its space, before a word of three or more letters; "U.S.A", "e.g.SLE",
# "1.5" and "Dr.Smith" are not.
_GLUED_SENTENCE = re.compile(r"[A-Za-z0-9]\.[A-Z][A-Za-z]{2,}(?![\w.])")
_GLUED_ABBREVIATION = re.compile(r"(?:\be\.g|\bi\.e|\betc|\bvs|\bDr|\bMr|\bMs|\bNo|\bapprox|\bSt)$")
_NOTE = re.compile(r"\s*note\s*:", re.IGNORECASE)
_ITEM_LABEL = re.compile(r"\s*(?:(?:\(\d{1,2}\)|\d{1,2}[.)]|[A-Za-z][.)])\s+|\d{1,2}[.)](?=[A-Z]))")
# Inline sub-items: "1) Bone marrow ... A. Neutrophil ... B. Hemoglobin".
_INLINE_ITEM = re.compile(r"(?<=[\s:;])(?:\d{1,2}\)|\(\d{1,2}\)|[A-H]\.)(?=\s)")
_LEADING_OR = re.compile(r"^\s*(?:or|and/or)\s+", re.IGNORECASE)
_LEADING_AND = re.compile(r"^\s*and\s+", re.IGNORECASE)
_EXCEPTION = re.compile(
    r"^\s*(?:excluding|except|unless|other\s+than|not\s+applicable|does\s+not\s+apply|or)\b|"
    r"\b(?:for|in)\s+(?:patients|subjects|participants|those)\s+with\b|"
    r"\b(?:is|are)\s+exc?luded\b|\bdue\s+to\b",
    re.IGNORECASE,
)
_GILBERT = re.compile(
    r"^\s*(?:or\s+)?"
    + COMPARATOR
    + r"\s*"
    + VALUE
    + r"\s+(?:for|in)\s+(?:subjects|patients|participants|those)\s+with\s+"
    r"(?:documented\s+|known\s+)?Gilbert(?:'s|’s)?\s+(?:syndrome|disease)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the reader made of one criterion."""

    rule: Rule | None
    computable_parts: int  # fact leaves in the rule
    review_parts: int  # review leaves in the rule (or 1 when the whole criterion is review)
    applies_if: Rule | None = None  # when the criterion concerns only some patients


@dataclass(slots=True)
class _Clause:
    start: int
    end: int
    joined_by_or: bool


def _clauses(text: str, start: int) -> list[_Clause]:
    """Top-level clauses: split at ; and sentence ends outside parentheses, and at sub-items."""
    cuts: list[int] = [start]
    depth = 0
    for index in range(start, len(text)):
        char = text[index]
        if char in "(（[":
            depth += 1
        elif char in ")）]":
            depth = max(0, depth - 1)
        elif (
            (depth == 0 and char in ";；\n。")
            or (
                depth == 0
                and char == "."
                and index + 2 < len(text)
                and text[index + 1] == " "
                and (text[index + 2].isupper() or text[index + 2].isdigit())
                and not _ABBREVIATION_END.search(text, max(0, index - 6), index)
            )
            or (
                depth == 0
                and char == "."
                and _GLUED_SENTENCE.match(text, index - 1)
                and not _GLUED_ABBREVIATION.search(text, max(0, index - 6), index)
            )
        ):
            cuts.append(index + 1)
    if depth == 0:
        for match in _INLINE_ITEM.finditer(text, start):
            before = text[start : match.start()]
            # "(BVAS version 3) of at least 3": a number closing a bracket is not an item.
            if before.count("(") - before.count(")") == 0 or not text[match.start()].isdigit():
                cuts.append(match.start())
    cuts.append(len(text))
    clauses: list[_Clause] = []
    for left, right in zip(sorted(set(cuts)), sorted(set(cuts))[1:], strict=False):
        piece = text[left:right]
        label = _ITEM_LABEL.match(piece)
        offset = left + (label.end() if label else 0)
        body = text[offset:right]
        stripped = body.strip().rstrip(".;；。,")
        if not stripped or not re.search(r"\w", stripped):
            continue
        lead = offset + (len(body) - len(body.lstrip()))
        joined_by_or = _LEADING_OR.match(stripped) is not None
        clauses.append(_Clause(lead, lead + len(stripped), joined_by_or))
    return clauses


def _parentheticals(text: str) -> list[tuple[int, int]]:
    """Top-level "( ... )" groups of a clause as [start, end) including the brackets."""
    groups: list[tuple[int, int]] = []
    depth = 0
    opened = 0
    for index, char in enumerate(text):
        if char == "(":
            if depth == 0:
                opened = index
            depth += 1
        elif char == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                groups.append((opened, index + 1))
    return groups


def _review(text: str) -> Rule:
    return {"review": text.strip()}


def _count(rule: Rule | None) -> tuple[int, int]:
    if rule is None:
        return 0, 0
    if "fact" in rule:
        return 1, 0
    if "review" in rule:
        return 0, 1
    if "not" in rule:
        return _count(rule["not"])
    children = rule.get("all") or rule.get("any") or rule.get("of") or []
    totals = [_count(child) for child in children]
    return sum(t[0] for t in totals), sum(t[1] for t in totals)


def _read_with_parentheses(text: str, kind: str) -> Rule:
    """A clause's rule, with its parenthetical remarks read as exceptions or extra parts."""
    groups = [(s, e) for s, e in _parentheticals(text) if len(text[s + 1 : e - 1].split()) > 2]
    restated = [(s, e) for s, e in restated_values(text) if (s, e) not in groups]
    main_text = text
    for start, end in [*groups, *restated]:
        main_text = main_text[:start] + " " * (end - start) + main_text[end:]
    main = read_clause(main_text, kind, source=text)
    if main is not None and restated and not _restates(main, text, restated):
        return _review(text)
    if main is None:
        defined = read_defined_infection(
            text, lambda inner: read_clause(inner, kind), exclusion=kind == EXCLUSION
        )
        return defined if defined is not None else _review(text)
    extras: list[Rule] = []
    exceptions: list[Rule] = []
    for start, end in groups:
        inner = text[start + 1 : end - 1]
        if _only_detail(inner, main, kind):
            continue
        gilbert = _GILBERT.match(inner)
        if gilbert is not None and "fact" in main:
            alternative = _gilbert_alternative(main, gilbert, inner)
            if alternative is None:
                return _review(text)
            exceptions.append(alternative)
        elif _EXCEPTION.search(inner):
            exceptions.extend(_exceptions(inner, kind, main))
        else:
            extra = read_clause(inner, kind)
            if extra is None and kind != EXCLUSION:
                extra = support_in_brackets(inner)
            if extra is None and kind == EXCLUSION:
                return _review(text)
            extras.append(extra if extra is not None else _review(inner))
    rule = main if not extras else {"all": [main, *extras]}
    if exceptions:
        # Inclusion: the threshold holds, or the stated exception applies.
        # Exclusion: what excludes, unless the stated exception applies.
        rule = {"all" if kind == EXCLUSION else "any": [rule, *exceptions]}
    return rule


def _restates(main: Rule, text: str, restated: list[tuple[int, int]]) -> bool:
    """Each "(1500/μL)" restates the threshold of the one numeric leaf just before it."""
    leaves = [main] if "fact" in main else [c for c in main.get("all", []) if "fact" in c]
    for start, end in restated:
        before = [
            leaf
            for leaf in leaves
            if str(leaf.get("text", ""))
            and text.find(str(leaf["text"])) + len(str(leaf["text"])) <= start
        ]
        if not before or not is_same_threshold(text[start:end], before[-1]):
            return False
    return True


# "(excluding ALT elevation due to inflammatory myopathy)": the exemption needs that diagnosis.
_DUE_TO_CONDITION = re.compile(
    r"^\s*(?:excluding|except(?:\s+for)?)\s+[^()]{1,60}?\s+(?:due\s+to|caused\s+by|secondary\s+to)\s+"
    r"(?P<condition>[^()]+?)\s*$",
    re.IGNORECASE,
)


# "(LN is excluded)", "(lupus nephritis is exluded)", "(anaemia due to lupus is excluded)": one
# condition exempt from the part (or the cause of what is exempt). The
# misspelling is the registry's own (NCT06941129) and cannot mean anything else.
_CONDITION_EXEMPT = re.compile(
    # "(anaemia due to lupus is excluded)": the exemption's cause, as "excluding ... due to".
    r"^\s*(?:[^();,]{1,60}?\s+(?:due\s+to|caused\s+by|secondary\s+to)\s+)?"
    r"(?P<condition>[^();,]{1,60}?)\s+(?:is|are)\s+exc?luded\s*\.?\s*$",
    re.IGNORECASE,
)


def _exceptions(inner: str, kind: str, main: Rule) -> list[Rule]:
    """The exemptions of one bracket: a named condition's, and the rest as one review part.

    "(calculated by Cockcroft/Gault formula, acute CrCl decrease due to the target disease is
    excluded; LN is excluded)": each ";" piece is one exemption. A piece that exempts one
    condition of the vocabulary is read with that diagnosis; in an inclusion the exemption is
    an alternative to the part, `all(diagnosis, review)` (a patient without the condition is
    not exempt); in an exclusion it is what must not hold for the part to exclude,
    `any(not diagnosis, review)` (a patient without the condition is excluded, one with it is
    for the team, as whether the exemption covers this case is theirs to say).
    """
    pieces = inner.split(";") if "(" not in inner else [inner]
    exempt: list[Rule] = []
    rest: list[str] = []
    for piece in pieces:
        condition = _exempt_condition(piece)
        if condition is None:
            # "(calculated by CKD-EPI; LN is excluded)": the formula piece is a detail as alone.
            if piece.strip() and not _only_detail(piece, main, kind):
                rest.append(piece.strip())
        elif kind == EXCLUSION:
            exempt.append({"any": [{"not": condition}, _review(piece)]})
        else:
            exempt.append({"all": [condition, _review(piece)]})
    if not exempt:
        return [_exception_rule(inner, kind)]
    return ([_exception_rule("; ".join(rest), kind)] if rest else []) + exempt


def _exempt_condition(piece: str) -> Rule | None:
    """The diagnosis leaf of "<condition> is excluded" when the condition is exactly one known."""
    match = _CONDITION_EXEMPT.match(piece)
    if match is None:
        return None
    text = match.group("condition")
    named = find_conditions(text)
    if len(named) != 1 or named[0][1] != 0 or named[0][2] != len(text):
        return None
    return {"fact": "diagnosis", "op": "has", "value": [named[0][0]], "text": text.strip()}


def _exception_rule(inner: str, kind: str) -> Rule:
    """An inclusion's exemption that names a cause: the cause's diagnosis and the rest for review.

    In an inclusion the exemption is an alternative to the threshold, so a patient without the
    named diagnosis is not exempt. In an exclusion the exemption would have to be negated,
    which is left to the study team.
    """
    match = _DUE_TO_CONDITION.match(inner)
    if match is None or kind == EXCLUSION:
        return _review(inner)
    named = find_conditions(match.group("condition"))
    if len(named) != 1 or named[0][1] != 0 or named[0][2] != len(match.group("condition")):
        return _review(inner)
    diagnosis = {
        "fact": "diagnosis",
        "op": "has",
        "value": [named[0][0]],
        "text": match.group("condition").strip(),
    }
    return {"all": [diagnosis, _review(inner)]}


_DETAIL = re.compile(
    r"^\s*corrected\s+for\s+ha?emoglobin\s*$|^\s*(?:a\s+)?total\s+(?:score\s+)?(?:of\s+)?\d+\s+points?|inclusive\s*$|"
    # The formula alone in brackets, "(Cockcroft - Gault)", names how the value is computed.
    r"^\s*(?:(?:calculated|estimated|measured)\s+(?:by|with|using)\s+(?:the\s+)?)?"
    r"(?:Cockcroft[-\s/]*Gault|CKD-EPI|MDRD|pulse\s+oximet\w+)(?:\s+(?:formula|equation))?\s*$",
    re.IGNORECASE,
)


_NEPHRITIS_SYSTEM = re.compile(
    r"^\s*(?:(?:LN|lupus\s+nephritis)\s+)?(?:classification\s+(?:of\s+)?)?(?:the\s+)?"
    r"(?:ISN/RPS|WHO)(?:\s+(?:in\s+)?(?:19|20)\d\d)?(?:\s+(?:revised\s+)?classification)?\s*$",
    re.IGNORECASE,
)
_ANY_TIME = re.compile(
    r"^\s*(?:current\s+or\s+(?:historical|past|previous)|(?:historical|past|previous)\s+or\s+current)"
    r"(?:\s+(?:results?|tests?))?\s*$",
    re.IGNORECASE,
)


def _leaf_keys(rule: Rule) -> set[tuple[str, str, str]]:
    """Each leaf of ``rule`` as (fact, op, value) without its wording."""
    if "fact" in rule:
        return {(str(rule["fact"]), str(rule["op"]), repr(rule.get("value")))}
    if "not" in rule:
        return {(f"not {f}", o, v) for f, o, v in _leaf_keys(rule["not"])}
    keys: set[tuple[str, str, str]] = set()
    for child in rule.get("all") or rule.get("any") or []:
        keys |= _leaf_keys(child)
    return keys


def _only_detail(inner: str, main: Rule, kind: str) -> bool:
    """Parenthetical remarks that only describe what the main part already says."""
    if _DETAIL.search(inner):
        return True
    if kind == EXCLUSION and _EXAMPLES.match(inner) and "fact" in main:
        # "severe arrhythmias (including ventricular tachycardia, etc.)": examples of what the
        # main part already excludes.
        return True
    if (
        _ANY_TIME.match(inner)
        and _fact_names(main)
        and all(name.startswith("antibody.") for name in _fact_names(main))
    ):
        # Antibody results count at any date (no maximum age), as "current or historical" says.
        return True
    if only_names(inner) and only_names(inner) <= _fact_names(main):
        # "Birmingham Vasculitis Activity Score (BVAS version 3) of at least 3".
        return True
    restated = read_clause(inner, kind)
    if (
        restated is not None
        and _count(restated)[1] == 0
        and _leaf_keys(restated) <= _leaf_keys(main)
    ):
        # "Positive ANCA-associated antibodies (MPO-ANCA or PR3-ANCA positive)", "active ILD
        # (HRCT showing ground-glass opacities)": the bracket says again what the part reads.
        return True
    if _NEPHRITIS_SYSTEM.match(inner) and "lupus_nephritis_class" in _fact_names(main):
        # "(LN classification of ISN/RPS in 2018)": which classification the class is of.
        return True
    if main.get("fact") == "diagnosis" and re.match(r"\s*including\b", inner, re.IGNORECASE):
        named = [c for c, _, _ in find_conditions(inner)]
        return bool(named) and all(condition_covers(main["value"][0], c) for c in named)
    return False


_ONE_OF_LIST = re.compile(
    r"^\s*positive\s+(?:for\s+)?(?:at\s+least\s+one|any\s+(?:one\s+)?)\s+of\s+the\s+following"
    r"(?:\s+(?:auto)?antibodies)?\s*:\s*(?P<items>[^:;]+?)\s*$",
    re.IGNORECASE,
)
_LIST_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and/or|or|and)\s+", re.IGNORECASE)


def _positive_for_one_of(text: str, kind: str) -> Rule | None:
    """ "Positive for at least one of the following antibodies: ANA, anti-dsDNA, anti-Sm"."""
    match = _ONE_OF_LIST.match(text)
    if match is None:
        return None
    items = [i for i in _LIST_SEPARATOR.split(match.group("items").rstrip(".")) if i.strip()]
    leaves: list[Rule] = []
    for item in items:
        leaf = read_clause(f"positive for {item.strip()}", kind)
        if leaf is None or leaf.get("op") != "is_true":
            return None
        leaf["text"] = item.strip()
        leaves.append(leaf)
    if len(leaves) < 2:
        return None
    return {"any": leaves}


def _pieces(text: str, cuts: list[tuple[int, int]]) -> list[str]:
    pieces: list[str] = []
    cursor = 0
    for start, end in cuts:
        pieces.append(text[cursor:start])
        cursor = end
    pieces.append(text[cursor:])
    return [p for p in (piece.strip(" ,.;") for piece in pieces) if p]


_EXAMPLES = re.compile(r"\s*(?:including|such\s+as|e\.g\.|for\s+example)\b", re.IGNORECASE)
_GILBERT_HINT = re.compile(r"Gilbert", re.IGNORECASE)
_COMMA = re.compile(r",\s+(?:and\s+)?")
_AND = re.compile(r"\s+and\s+(?!/)", re.IGNORECASE)
_COMMA_AND = re.compile(r",\s+and\s+(?!/)", re.IGNORECASE)
_RESULT_FACTS = ("serology.", "antibody.", "infection.", "marker.")
_WITH = re.compile(r"\s+with\s+(?!or\b)", re.IGNORECASE)


def _read_split(text: str, kind: str) -> Rule:
    """A clause read whole; failing that, its "or" alternatives or comma parts one by one.

    Alternatives: any of the parts (an unreadable one becomes a review part). Comma parts of an
    inclusion are all required; of an exclusion, each excludes. A part of an inclusion that
    names a treatment or history without the time window a sibling part carries is left for
    review: "A or B within 6 months" may mean A within 6 months too.
    """
    comma_cuts = top_level_cuts(text, _COMMA)
    if comma_cuts and sum(
        1
        for s, e in _parentheticals(text)
        if _EXCEPTION.search(text[s:e]) or _GILBERT_HINT.search(text[s:e])
    ):
        # Exceptions in brackets belong to the part just before them:
        # "ALT ≤ 3×ULN (excluding ...), TBIL ≤ 1.5×ULN (or ≤ 3.0×ULN for ... Gilbert syndrome)".
        pieces = _pieces(text, comma_cuts)
        rules = [_read_with_parentheses(piece, kind) for piece in pieces]
        if any("review" not in rule for rule in rules):
            return {"any" if kind == EXCLUSION else "all": rules}
    whole = _read_with_parentheses(text, kind)
    if "review" not in whole:
        return whole
    narrowed = _read_before_qualifier(text, kind)
    if narrowed is not None:
        return narrowed
    and_cuts = top_level_cuts(text, _COMMA_AND) if kind != EXCLUSION else []
    if and_cuts:
        # "The diagnosis of LN was confirmed with renal biopsy ..., and the histological class
        # was III or IV": ", and" joins two requirements of an inclusion more loosely than an
        # "or" inside either half ("III or IV"), so each half is read on its own.
        halves = [_read_split(piece, kind) for piece in _pieces(text, and_cuts)]
        if any("review" not in half for half in halves):
            return {"all": halves}
    or_cuts = top_level_cuts(text, _TOP_LEVEL_OR)
    comma_cuts = top_level_cuts(text, _COMMA)
    with_cuts = top_level_cuts(text, _WITH)
    if with_cuts and not or_cuts and not comma_cuts:
        # "Systemic JIA with active systemic features within 6 months": what follows "with"
        # narrows the part before it, so that part is required and the rest is for review.
        head, tail = text[: with_cuts[0][0]].strip(), text[with_cuts[0][0] :].strip(" .;")
        head_rule = _read_with_parentheses(head, kind) if head else _review(text)
        # Only after a diagnosis: "HIV infection with a CD4 count below 200" is an infection
        # the study team weighs, not HIV serology with a note.
        if "review" not in head_rule and "diagnosis" in _fact_names(head_rule):
            # Both are required (in an exclusion, together they exclude); a tail read whole
            # ("SLE with active interstitial lung disease") is a rule, otherwise a review part.
            tail_rule = read_clause(text[with_cuts[0][1] :].strip(" .;"), kind)
            return {"all": [head_rule, tail_rule if tail_rule is not None else _review(tail)]}
    if or_cuts:
        mode = "any"
        pieces = _pieces(text, or_cuts)
    elif comma_cuts or kind == EXCLUSION:
        pieces = _pieces(text, comma_cuts)
        mode = "any" if kind == EXCLUSION else "all"
    else:
        # "History of dry syndrome for at least 6 months prior to screening and disease still
        # active ...": in an inclusion both halves are required, each read on its own.
        pieces = _pieces(text, top_level_cuts(text, _AND))
        mode = "and"
    if not pieces:
        return whole
    exceptions = [_review(p) for p in pieces[1:] if _EXCEPTION.match(p)]
    pieces = [pieces[0], *(p for p in pieces[1:] if not _EXCEPTION.match(p))]
    if len(pieces) + len(exceptions) < 2:
        return whole
    rules = [_read_with_parentheses(piece, kind) for piece in pieces]
    if all("review" in rule for rule in rules):
        return whole
    if mode == "and":
        # Never test results: "HCV RNA not detectable and HBsAg positive" (mixed results) stays
        # whole for review.
        if any(name.startswith(_RESULT_FACTS) for rule in rules for name in _fact_names(rule)):
            return whole
        mode = "all"
    if mode == "any" and kind != EXCLUSION and any("review" in rule for rule in rules):
        # "INR or APTT ≤ 1.5×ULN": an unreadable alternative may be a fragment sharing the
        # other's threshold; accepting the readable one alone could overstate eligibility.
        return whole
    if (kind != EXCLUSION and any(_has_window(r) for r in rules)) or (
        kind == EXCLUSION
        and any(_WINDOW_TEXT.search(p) and _OTHER_OF_CLASS.match(p) for p in pieces[1:])
    ):
        # In an exclusion "A or other B within 12 months" names one class with one window:
        # "rituximab ever" would exclude a course of ten years ago. ("A or B within 2 weeks"
        # keeps A without the window, as the curated files read it.)
        rules = [
            rule if _has_window(rule) or not _has_event(rule) else _review(piece)
            for rule, piece in zip(rules, pieces, strict=True)
        ]
    if kind == EXCLUSION and or_cuts and len(or_cuts) == len(rules) - 1:
        # "tocilizumab or canakinumab within 3 months": the window may cover both treatments;
        # reading the first as "ever" would exclude a use years ago. A part set off by a comma
        # ("organ transplantation, or GVHD within 2 weeks") and a disease beside a treatment
        # ("a history of congenital heart disease or MI within 6 months") keep their reading.
        for index, (cut_start, cut_end) in enumerate(or_cuts):
            if (
                "," not in text[cut_start:cut_end]
                and _has_window(rules[index + 1])
                and _has_event(rules[index])
                and not _has_window(rules[index])
                and _only_treatments(rules[index])
                and _only_treatments(rules[index + 1])
            ):
                rules[index] = _review(pieces[index])
    combined: Rule = rules[0] if len(rules) == 1 else {mode: rules}
    if exceptions:
        # "..., except adequately treated basal cell carcinoma": the exception narrows the part.
        return {"all" if kind == EXCLUSION else "any": [combined, *exceptions]}
    return combined


_WINDOW_TEXT = re.compile(WINDOW, re.IGNORECASE)
_OTHER_OF_CLASS = re.compile(r"\s*(?:any\s+)?(?:other|another)\b", re.IGNORECASE)
# Where a clause narrows or illustrates what precedes: ", except adequately treated basal cell
# carcinoma", ", including unstable angina or myocardial infarction within 6 months".
_QUALIFIER = re.compile(
    r",?\s+(?P<exception>except(?:\s+for)?|excluding|other\s+than)\b|"
    r",?\s+(?P<examples>such\s+as|including|e\.g\.|for\s+example)(?:\s+but\s+not\s+limited\s+to)?\b",
    re.IGNORECASE,
)


def _read_before_qualifier(text: str, kind: str) -> Rule | None:
    """The part before a top-level "except ..." or "such as ..." read on its own.

    The list after it is never read piece by piece: its items are exceptions or examples, not
    requirements ("including juvenile dermatomyositis, systemic sclerosis" is not a diagnosis
    of each). An exception stays for review beside the part (inclusion: the part or the
    exception; exclusion: the part unless the exception). Examples in an exclusion belong to
    the class the part names, which already excludes; in an inclusion they are left for review.
    """
    cuts = top_level_cuts(text, _QUALIFIER)
    if not cuts:
        return None
    start, _ = cuts[0]
    head, tail = text[:start].strip(" ,"), text[start:].strip(" ,.;")
    match = _QUALIFIER.match(text, start)
    if not head or match is None or (match.group("examples") and kind != EXCLUSION):
        return _review(text)
    rule = _read_split(head, kind)
    if "review" in rule:
        return _review(text)
    if match.group("examples"):
        return rule
    return {"all" if kind == EXCLUSION else "any": [rule, _review(tail)]}


def _has_window(rule: Rule) -> bool:
    return "window" in str(rule)


def _only_treatments(rule: Rule) -> bool:
    names = _fact_names(rule)
    return bool(names) and all(name.startswith("treatment.") for name in names)


def _has_event(rule: Rule) -> bool:
    return "'ever'" in str(rule) or "'within'" in str(rule)


def _gilbert_alternative(main: Rule, match: re.Match[str], inner: str) -> Rule | None:
    spec = fact_spec(main["fact"])
    op = comparator(match.group("cmp"))
    if spec is None or op is None:
        return None
    amount = quantity(main["fact"], match, has_uln=spec.has_uln)
    if amount is None or amount.unit is None:
        return None
    value = int(amount.value) if amount.value == int(amount.value) else amount.value
    leaf = {
        "fact": main["fact"],
        "op": op,
        "value": value,
        "unit": amount.unit,
        "text": inner.strip(),
    }
    gilbert = {"fact": "history.gilbert", "op": "ever", "text": "Gilbert syndrome"}
    return {"all": [gilbert, leaf]}


_REGIMEN = (
    r"(?:conventional|standard|routine)\s+"
    r"(?:(?:treatments?|therap(?:y|ies))(?:\s+regimens?)?|regimens?)"
)
# "Definition of conventional treatment: ..." / "Conventional therapy is defined as ...": what
# an earlier clause of the same criterion means by "conventional treatment".
_DEFINITION = re.compile(
    r"^\s*(?:(?:the\s+)?definition\s+of\s+"
    + _REGIMEN
    + r"\s*:|"
    + _REGIMEN
    + r"\s+(?:is|are|was)\s+defined\s+as)\s*(?P<body>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_REFERENCE = re.compile(r"(?<![\w-])" + _REGIMEN + r"(?![\w-])", re.IGNORECASE)
# "conventional treatment over 6 months", "more than 6 months of conventional treatment".
_REGIMEN_DURATION = re.compile(
    _REGIMEN
    + r"\s+(?:over|for\s+(?:more\s+than|at\s+least|over)|of\s+at\s+least)\s+"
    + r"(?P<wnum>\d{1,3})\s*(?P<wunit>months?|weeks?|years?)|"
    + r"(?:more\s+than|at\s+least|over|≥)\s*(?P<wnum2>\d{1,3})\s*(?P<wunit2>months?|weeks?|years?)"
    + r"\s+of\s+"
    + _REGIMEN,
    re.IGNORECASE,
)


# The referring words with their duration, which the regimen read from the definition carries.
_REFERENCE_WITH_DURATION = re.compile(
    _REGIMEN_DURATION.pattern
    + r"|(?:more\s+than|at\s+least|over|≥)?\s*\d{1,3}\s*(?:months?|weeks?|years?)\s+of\s+"
    + _REGIMEN
    + r"|"
    + _REFERENCE.pattern,
    re.IGNORECASE,
)


def _regimen_duration(text: str) -> dict[str, int] | None:
    """The duration the referring clause gives the conventional regimen, if it gives one."""
    found = list(_REGIMEN_DURATION.finditer(text))
    if len(found) != 1:
        return None
    match = found[0]
    amount = match.group("wnum") or match.group("wnum2")
    unit = (match.group("wunit") or match.group("wunit2")).casefold().rstrip("s") + "s"
    return {unit: int(amount)}


def _with_definition(reference: str, definition: Rule) -> Rule:
    """The referring clause with the regimen it names required where it names it.

    "Conventional treatment over 6 months remains ineffective, or disease recurrence after
    remission": the regimen belongs to the first alternative only, so the result is
    any(all(review, regimen), review) and a relapsed patient is never ruled out by it.
    """
    alternatives = _pieces(reference, top_level_cuts(reference, re.compile(r",?\s+or\s+")))
    if len(alternatives) > 1:
        parts: list[Rule] = []
        for alternative in alternatives:
            if _REFERENCE.search(alternative):
                parts.append({"all": [_review(alternative), definition]})
            else:
                parts.append(_review(alternative))
        if sum(1 for part in parts if "all" in part) != 1:
            return _review(reference)
        return {"any": parts}
    return {"all": [_review(reference), definition]}


def read_criterion(
    text: str, kind: str, *, section_known: bool, condition: str | None = None
) -> Reading:
    """Read one criterion; its rule is None unless some part of it is understood.

    ``condition``: the condition id of the criterion's cohort, if its heading names one; a
    refractory/relapsed/progressive definition is read as that diagnosis's status
    (engine/parser/status.py).
    """
    stated = _stated_structure(text, kind, section_known=section_known, condition=condition)
    if stated is not None:
        return stated
    if section_known and kind != EXCLUSION and len(text) <= MAX_CLAUSE_CHARS:
        # Read before the judgement check: "(evaluated by the researcher)" stays inside the
        # alternative that is left for review.
        label = _ITEM_LABEL.match(text)
        retreatment = read_retreatment(
            text[label.end() if label else 0 :], lambda part: read_clause(part, kind)
        )
        if retreatment is not None:
            return Reading(retreatment, *_count(retreatment))
    local_review = _local_review_lines(text)
    if (
        not section_known
        or _NOTE.match(text)
        or (_WHOLE_REVIEW.search(text) and not local_review)
        or len(text) > 20 * MAX_CLAUSE_CHARS
    ):
        return Reading(None, 0, 1)
    label = _ITEM_LABEL.match(text)
    if kind != EXCLUSION:
        body_text = text[label.end() if label else 0 :].strip()
        childbearing = read_childbearing(body_text) or read_childbearing_branches(body_text)
        if childbearing is not None:
            leaves, _ = _count(childbearing.rule)
            return Reading(childbearing.rule, leaves, 0, childbearing.applies_if)
    clauses = _clauses(text, label.end() if label else 0)
    parts: list[tuple[Rule, bool]] = []
    part_texts: list[str] = []
    alternative_leads: list[str] = []
    in_list = False  # a clause opened a list ("as follows:"); its items are not read one by one
    reviewed_lines: set[tuple[int, int]] = set()
    for number, clause in enumerate(clauses):
        clause_text = text[clause.start : clause.end]
        line = next(((s, e) for s, e in local_review if s < clause.end and clause.start < e), None)
        if line is not None:
            # "* INR or PT ≤ 1.5 × ULN unless ... anticoagulant therapy": the condition
            # belongs to its own sub-item, which is left for review as a whole.
            if line not in reviewed_lines:
                reviewed_lines.add(line)
                line_text = _SUB_BULLET.sub("", text[line[0] : line[1]], count=1)
                parts.append((_review(line_text), False))
                part_texts.append(line_text)
            continue
        defined = (
            read_status_definition(clause_text, condition, lambda rest: _read_history(rest, kind))
            if condition is not None and kind != EXCLUSION and not in_list
            else None
        )
        if defined is not None:
            parts.append((defined, clause.joined_by_or))
            part_texts.append(clause_text)
            continue
        listed = _positive_for_one_of(clause_text, kind)
        if listed is not None:
            parts.append((listed, clause.joined_by_or))
            part_texts.append(clause_text)
            continue
        definition = _DEFINITION.match(clause_text) if kind != EXCLUSION else None
        if definition is not None:
            referring = [i for i, t in enumerate(part_texts) if _REFERENCE.search(t)]
            if len(referring) != 1:
                parts.append((_review(clause_text), False))
                part_texts.append(clause_text)
                continue
            index = referring[0]
            # Only a leading bullet is dropped (an unanchored "o " would eat "to screening").
            reference_text = part_texts[index]
            bullet = _SUB_BULLET.match(reference_text)
            if bullet is not None and bullet.end() < len(reference_text):
                reference_text = reference_text[bullet.end() :]
            hint = _regimen_duration(reference_text)
            regimen = read_treatment_definition(
                definition.group("body"), hint
            ) or read_definition_history(definition.group("body"), hint)
            if regimen is None:
                parts.append((_review(clause_text), False))
                part_texts.append(clause_text)
                continue
            if condition is not None and status_lead(reference_text) is not None:
                # The status alternative naming the conventional treatment requires it.
                with_regimen = read_status_definition(
                    reference_text,
                    condition,
                    lambda rest: _read_history(rest, kind),
                    regimen=regimen,
                    reference=_REFERENCE_WITH_DURATION,
                )
                if with_regimen is not None:
                    parts[index] = (with_regimen, parts[index][1])
                    continue
            reference_rule = parts[index][0]
            combined = _with_definition(reference_text, regimen)
            if "review" not in reference_rule and "any" not in combined:
                # The referring clause has readable parts (a diagnosis with its duration):
                # keep them and require the regimen beside them.
                combined = {"all": [reference_rule, regimen]}
                if _count(reference_rule)[1] == 0:
                    combined = _review(clause_text)
            parts[index] = (combined, parts[index][1])
            continue
        named = (
            read_named_count(clause_text, lambda lead: _read_lead(lead, kind))
            if not in_list and find_counted(clause_text) is not None
            else None
        )
        if named is not None:
            # "hydroxychloroquine and at least 2 of the following treatments (A, B, ...)".
            parts.append((named, clause.joined_by_or))
            part_texts.append(clause_text)
            continue
        history = None
        if not in_list and list_lead(clause_text) and number < len(clauses) - 1:
            # "… as follows: item; item; item": how the items combine is in the lead's words.
            in_list = True
            later = [text[c.start : c.end] for c in clauses[number + 1 :]]
            history = read_listed_regimens(clause_text, later, kind)
            if history is not None:
                parts.append((history, clause.joined_by_or))
                part_texts.append(text[clause.start : clauses[-1].end])
                break
        elif not in_list:
            history = _read_history(clause_text, kind)
        if history is not None:
            parts.append((history, clause.joined_by_or))
            part_texts.append(clause_text)
            continue
        if find_counted(clause_text) is not None:
            # "at least two of the following ...": read to the end of the criterion when every
            # listed item is readable (engine/parser/counted.py), else left for review.
            rest = text[clause.start : clauses[-1].end]
            parts.append((_counted_rule(rest, kind), clause.joined_by_or and number > 0))
            part_texts.append(rest)
            break
        if _ALTERNATIVES_FOLLOW.search(clause_text):
            rest = text[clause.start : clauses[-1].end]
            parts.append((_review(rest), clause.joined_by_or and number > 0))
            part_texts.append(rest)
            break
        bullet = _SUB_BULLET.match(clause_text)
        if bullet is not None and bullet.end() < len(clause_text):
            clause_text = clause_text[bullet.end() :]
        body = _LEADING_AND.sub("", _LEADING_OR.sub("", clause_text))
        if body.rstrip().endswith(":") and read_clause(body, kind) is None:
            if _ALTERNATIVE_LEAD.search(body):
                alternative_leads.append(body.strip())
            continue  # a lead-in such as "Bone marrow function must meet:"
        parts.append((_organ_part(body, kind) or _read_split(body, kind), clause.joined_by_or))
        part_texts.append(body)
    if not parts:
        return Reading(None, 0, 1)
    computable, _ = _count({"all": [rule for rule, _ in parts]})
    if computable == 0:
        return Reading(None, 0, 1)
    rule = _combine(parts, kind)
    if alternative_leads and kind != EXCLUSION:
        # "Meet the definition of refractory or progressive disease:": the items below may
        # define only one of the alternatives; the others are for the study team.
        rule = {
            "any": [
                rule,
                *(
                    (condition is not None and undefined_statuses(lead, rule, condition))
                    or _review(lead)
                    for lead in alternative_leads
                ),
            ]
        }
    leaves, reviews = _count(rule)
    facts = _fact_names(rule)
    if facts <= PREGNANCY_FACTS and all(is_womans_plan(r) for r in _review_texts(rule)):
        # "Pregnancy", "Pregnant or breastfeeding women", "Pregnant women or women planning to
        # conceive": only a woman can be pregnant, breastfeed or plan a pregnancy, so the
        # criterion concerns women (as the curated rules write it); a man gets "not
        # applicable" instead of an unanswerable question.
        return Reading(rule, leaves, reviews, _female_only())
    if kind == EXCLUSION and facts & PREGNANCY_FACTS:
        # The criterion also concerns men ("partners of male patients who plan ..."): the
        # parts said of women carry "sex is female" themselves.
        parts = [
            (scoped_to_women(part, wording) if names_women_only(wording) else part, joined)
            for (part, joined), wording in zip(parts, part_texts, strict=True)
        ]
        rule = _combine(parts, kind)
        leaves, reviews = _count(rule)
    return Reading(rule, leaves, reviews)


def _stated_structure(
    text: str, kind: str, *, section_known: bool, condition: str | None = None
) -> Reading | None:
    """A criterion that states how its items combine (engine/parser/alternatives.py).

    "Meet (1) and any one of (2)-(5): ...", "One of the following: A; B", "Either A or B":
    each item is read as a criterion of its own and is a review part when not understood.
    None when the text does not state such a structure; the caller reads it as before.
    """
    if not section_known or _NOTE.match(text) or len(text) > 20 * MAX_CLAUSE_CHARS:
        return None
    label = _ITEM_LABEL.match(text)
    body = text[label.end() if label else 0 :].strip()

    def read_item(item: str) -> Rule | None:
        reading = read_criterion(item, kind, section_known=True, condition=condition)
        # An item concerning only some patients cannot stand as a member of the structure.
        return reading.rule if reading.applies_if is None else None

    rule = read_numbered_structure(body, read_item) or read_one_of(body, read_item)
    if rule is None:
        return None
    leaves, reviews = _count(rule)
    if leaves == 0:
        return Reading(None, 0, 1)
    return Reading(rule, leaves, reviews)


def _read_lead(lead: str, kind: str) -> Rule:
    """The words before a counted choice: a treatment history, else any clause."""
    return _read_history(lead, kind) or _read_split(lead, kind)


def _read_history(clause_text: str, kind: str) -> Rule | None:
    """A clause that is a treatment history or the current glucocorticoid dose (regimens.py)."""
    bullet = _SUB_BULLET.match(clause_text)
    if bullet is not None and bullet.end() < len(clause_text):
        clause_text = clause_text[bullet.end() :]
    body = _LEADING_AND.sub("", _LEADING_OR.sub("", clause_text))
    history = read_gc_dose(body) or read_regimen(body, kind)
    if history is None and kind != EXCLUSION:
        # "Patients who are intolerant or unresponsive to glucocorticoids and …" (intolerance.py).
        history = read_intolerant_history(body, lambda drugs: read_regimen(drugs, kind))
    return history


def _review_texts(rule: Rule) -> list[str]:
    if "review" in rule:
        return [str(rule["review"])]
    if "not" in rule:
        return _review_texts(rule["not"])
    return [
        text for child in rule.get("all") or rule.get("any") or [] for text in _review_texts(child)
    ]


# Conditions that, inside one sub-item line, qualify that line only ("... unless receiving
# anticoagulants"); a line ending in ":" introduces the lines below and is never local.
_LOCAL_CONDITION = re.compile(r"(?<![\w-])(?:unless|if|whichever)(?![\w-])", re.IGNORECASE)
_SUB_ITEM_LINE = re.compile(r"\s*(?:[*•‣⁃∙◦▪·\-–]|o(?=\s)|\d{1,2}[.)]|[a-z][.)]|\(\w\))\s+")


def _local_review_lines(text: str) -> list[tuple[int, int]]:
    """Sub-item lines holding every whole-review word ("unless", "if", "investigator").

    In a criterion with sub-items (an organ-function table) such a word qualifies its own
    line only; the other lines are read. Empty when a word sits in the lead line, outside a
    sub-item, or spans lines.
    """
    lines: list[tuple[int, int]] = []
    cursor = 0
    for line in text.splitlines(keepends=True):
        lines.append((cursor, cursor + len(line.rstrip("\r\n"))))
        cursor += len(line)
    flagged = [
        (s, e)
        for s, e in lines[1:]
        if _LOCAL_CONDITION.search(text, s, e)
        and _SUB_ITEM_LINE.match(text, s, e)
        and not text[s:e].rstrip().endswith(":")
    ]
    if not flagged:
        return []
    for match in _WHOLE_REVIEW.finditer(text):
        inside = any(s <= match.start() and match.end() <= e for s, e in flagged)
        if not inside or not _LOCAL_CONDITION.fullmatch(match.group(0)):
            return []  # judgement or counted choices ("meet (1) and any one of") stay whole
    return flagged


def _organ_part(body: str, kind: str) -> Rule | None:
    """Organ-function wording of an inclusion (engine/parser/organ.py); None when absent."""
    if kind == EXCLUSION:
        return None
    sentence = read_not_used_sentence(body)
    if sentence is not None:
        return sentence
    tail = split_support_tail(body)
    if tail is None:
        return None
    main_text, tail_rule = tail
    main = _read_split(main_text, kind)
    if _count(main)[1] > 0:
        return None  # the threshold itself is not fully read: the clause stays as it was
    return {"all": [main, tail_rule]}


def _counted_rule(rest: str, kind: str) -> Rule:
    """A counted choice with the words before it (read as any clause), or one review part."""
    counted = read_counted(rest, kind)
    if counted is None:
        return _review(rest)
    if not counted.lead:
        return counted.rule
    # Both are required in an exclusion too: "X and at least two of ..." excludes only when
    # X holds and the count is reached.
    return {"all": [_read_split(counted.lead, kind), counted.rule]}


def _female_only() -> Rule:
    return {"fact": "sex", "op": "in", "value": ["female"]}


def _fact_names(rule: Rule) -> set[str]:
    if "fact" in rule:
        return {str(rule["fact"])}
    if "not" in rule:
        return _fact_names(rule["not"])
    names: set[str] = set()
    for child in rule.get("all") or rule.get("any") or rule.get("of") or []:
        names |= _fact_names(child)
    return names


_ALTERNATIVE_LEAD = re.compile(r"(?<![\w-])(?:or|and/or|either)(?![\w-])", re.IGNORECASE)


def _combine(parts: list[tuple[Rule, bool]], kind: str) -> Rule:
    if len(parts) == 1:
        return parts[0][0]
    if kind == EXCLUSION:
        # Each clause of an exclusion names something that excludes on its own.
        return {"any": [rule for rule, _ in parts]}
    groups: list[list[Rule]] = []
    for rule, joined_by_or in parts:
        if joined_by_or and groups:
            groups[-1].append(rule)
        else:
            groups.append([rule])
    nodes = [g[0] if len(g) == 1 else {"any": g} for g in groups]
    return nodes[0] if len(nodes) == 1 else {"all": nodes}
