"""Stand-alone treatment histories and the current glucocorticoid dose, read from one clause."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from engine.parser.quantities import COMPARATOR, COUNT, NUMBER, comparator, number
from engine.parser.treatments import treatment_id
from engine.vocabulary import CLASSES, DRUGS, class_closure, find_drug

Rule = dict[str, Any]

_UNIT = r"(?P<unit>months?|mo|M|weeks?|wks?|W|years?|days?)"
_DURATION_WORDS = r"(?:at\s+least|more\s+than|over|≥|>=|>|a\s+minimum\s+of|no\s+less\s+than)"
# "≥3M of high dose glucocorticoids", "at least 12 weeks of treatment with methotrexate".
_DURATION_BEFORE = re.compile(
    rf"^{_DURATION_WORDS}\s*(?P<num>{COUNT})\s*{_UNIT}\s+of\s+"
    r"(?P<words>(?:(?:stable|continuous|oral|high[-\s]dose|adequate|consecutive|"
    r"treatment|therapy|use|administration)\s+)*(?:(?:with|of)\s+)?)",
    re.IGNORECASE,
)
# "glucocorticoids for at least 3 months", "biological agents for ≥ 3 months".
_DURATION_AFTER = re.compile(
    rf"\s+(?:for\s+)?{_DURATION_WORDS}\s*(?P<num>{COUNT})\s*{_UNIT}"
    r"(?:\s+of\s+(?:treatment|therapy|use))?\s*$",
    re.IGNORECASE,
)
# "TNF inhibitor after at least 12 weeks of treatment".
_AFTER_DURATION = re.compile(
    rf"\s+after\s+{_DURATION_WORDS}\s*(?P<num>{COUNT})\s*{_UNIT}"
    r"(?:\s+of\s+(?:treatment|therapy|use))?\s*$",
    re.IGNORECASE,
)
_WITHIN = re.compile(
    rf"\s+within\s+(?:the\s+)?(?:(?:past|last|previous|preceding|prior)\s+)?(?P<num>{COUNT})\s*"
    r"(?P<unit>days?|weeks?|months?|years?)\s*$",
    re.IGNORECASE,
)
_HALF_LIVES = re.compile(
    rf"\s+within\s+(?P<num>{COUNT})\s*half[-\s]?li(?:fe|ves)\s*$",
    re.IGNORECASE,
)
# Where a requirement's time reference ends: "prior to screening", "at any time".
_REFERENCE_POINT = re.compile(
    r"\s*(?:(?:prior\s+to|before)\s+(?:the\s+)?(?:first\s+)?(?:screening|enrol(?:l)?ment|"
    r"randomi[sz]ation|baseline|inclusion|study\s+entry|first\s+dose|dosing|day\s*1|day\s+one)"
    r"(?:\s+visit)?|at\s+any\s+time|in\s+the\s+past|ever)\s*$",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^(?P<pre>.*?)(?<![\w-])(?:(?:have|has|had|must\s+have|should\s+have)\s+)?"
    r"(?:(?:previously|currently|already)\s+)?"
    r"(?:received|receiving|been\s+(?:treated|receiving)\s+with|treated\s+with|taken|used|"
    r"(?:(?:stable|prior|previous|current)\s+)?(?:treatment|therapy)\s+with|(?:the\s+)?use\s+of|"
    r"exposure\s+to|after|on(?=\s+(?:an?\s+)?stable\s+dos))\s+",
    re.IGNORECASE,
)
_USE_OF = re.compile(
    r"^(?:(?:the\s+)?(?:(?:prior|previous|stable)\s+)?(?:treatment|therapy|use)\s+(?:with|of)\s+)",
    re.IGNORECASE,
)
# Words that may stand before the lead verb without adding a condition of their own.
_PRE_FILLER = frozenset(
    {
        *("a", "an", "the", "who", "must", "should", "have", "has", "had", "be", "been"),
        *("patients", "patient", "subjects", "subject", "participants", "participant"),
        *("before", "screening", "prior", "to", "at", "least"),
    }
)
# Response wording before a regimen: the regimen was given, the response is for the team.
_RESPONSE = re.compile(
    r"(?<![\w-])(?P<lead>(?:(?:an?\s+)?(?:inadequate|insufficient|incomplete|poor|unsatisfactory)\s+"
    r"(?:response|responders?)\s+to|(?:lack\s+of|loss\s+of)\s+(?:response|efficacy)\s+to|"
    r"(?:have\s+|has\s+)?failed|failure\s+of|refractory\s+to|despite))\s+",
    re.IGNORECASE,
)
_REFUSED = re.compile(
    r"(?<![\w-])(?:no|not|never|without|except|excluding|unless|other\s+than|any\s+other|"
    r"another|only|may|might|could|can|intoleran\w*|contraindicat\w*|allerg\w*|either|if|whichever|"
    r"respectively|same|prohibited|permitted|allowed)(?![\w-])",
    re.IGNORECASE,
)
# Separators of a drug list at the top level. "combined with" / "as well as" bind loosest.
_COMBINED = re.compile(
    r"\s*,?\s+(?:combined\s+with|in\s+combination\s+with|as\s+well\s+as|plus)\s+", re.IGNORECASE
)
_SEPARATOR = re.compile(r"\s*,\s*(?:and/or|and|or)?\s*|\s+(?:and/or|and|or)\s+", re.IGNORECASE)
_COUNT_BEFORE = re.compile(
    rf"^(?:(?:at\s+least|≥|>=|a\s+minimum\s+of)\s*(?P<a>{COUNT})|(?P<b>{COUNT})\s+or\s+more)\s+",
    re.IGNORECASE,
)
_ANY = re.compile(r"^(?:any|a|an)\s+", re.IGNORECASE)
# "(including cyclophosphamide, ...)", "(e.g., tofacitinib)", "(tofacitinib, baricitinib)".
_EXAMPLES = re.compile(
    r"^\s*(?:including|such\s+as|e\.g\.?,?|for\s+example,?|i\.e\.?,?)?\s*(?P<items>.+?)"
    r"\s*(?:,?\s*etc\.?)?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_DOSE = re.compile(r"\d\s*(?:mg|g|µg|mcg)\b|\bdose|/kg|/d(?:ay)?\b", re.IGNORECASE)
# Class words the shared treatment names do not hold ("traditional DMARDs" = csDMARDs).
_MORE_CLASS_WORDS: tuple[tuple[str, str], ...] = (
    (r"(?:traditional|conventional(?:\s+synthetic)?|cs)\s*-?\s*DMARDs?(?:\s*\(s\))?", "csdmard"),
    (
        r"(?:anti-?TNF(?:-?α|-?alpha)?|TNF(?:-?α|-?alpha)?)\s+"
        r"(?:inhibitors?|agents?|therap(?:y|ies))",
        "tnf_inhibitor",
    ),
    (r"JAK\s+inhibitors?", "jak_inhibitor"),
    (
        r"(?:non-?steroidal\s+)?immunosuppressive\s+"
        r"(?:agents?|drugs?|therap(?:y|ies)|medications?)",
        "immunosuppressant",
    ),
    (r"immunosuppressants?", "immunosuppressant"),
    (r"biologic(?:al)?s?(?:\s+(?:agents?|drugs?|therap(?:y|ies)|DMARDs?))?", "biologic"),
    (r"(?:gluco)?corticosteroids?|glucocorticoids?|steroids?", "glucocorticoid"),
)
_MORE_CLASS_RE = [(re.compile(rf"^(?:{p})$", re.IGNORECASE), c) for p, c in _MORE_CLASS_WORDS]


@lru_cache(maxsize=1)
def _any_treatment_word() -> re.Pattern[str]:
    """One search for any drug or class word: clauses without one are not histories."""
    terms = {t for drug in DRUGS.values() for t in (drug.id, drug.label, *drug.synonyms)}
    words = sorted((re.escape(t).replace(r"\ ", r"\s+") for t in terms if t), key=len)
    stems = (
        r"glucocortic|corticoster|steroid|antimalarial|biologic|immunosuppress|DMARD|inhibitor|"
        r"TNF|JAK|prednis"
    )
    return re.compile(rf"(?<![\w-])(?:{'|'.join(reversed(words))})(?![\w-])|{stems}", re.IGNORECASE)


def names_a_treatment(text: str) -> bool:
    """Whether ``text`` holds a drug or drug-class word of the vocabulary."""
    return _any_treatment_word().search(text) is not None


def _window(num: str, unit: str) -> dict[str, int] | None:
    unit = unit.casefold()
    amount = int(number(num))
    if amount <= 0:
        return None
    if unit in ("m", "mo") or unit.startswith("month"):
        return {"months": amount}
    if unit in ("w", "wk", "wks") or unit.startswith("week"):
        return {"weeks": amount}
    if unit.startswith("year"):
        return {"years": amount}
    if unit.startswith("day"):
        return {"days": amount}
    return None


# Medicines this reader names. Vaccines, transfusions, CSF, cell therapies and transplants have
# their own patterns (rules.py), which read them as their classes ("any vaccine" is every
# vaccine, not the inactivated-vaccine entry a synonym points to).
_REGIMEN_CLASSES = frozenset(
    {"glucocorticoid", "immunosuppressant", "biologic", "ivig", "plasma_exchange"}
)


_OR_EQUIVALENT = re.compile(r"(?<![\w-])or\s+(?:an?\s+)?equivalent(?![\w-])", re.IGNORECASE)


def _name(text: str) -> str | None:
    """The drug or class id of one written medicine name, or None."""
    cleaned = re.sub(r"\s+", " ", text.strip(" .,;:"))
    found = treatment_id(cleaned)
    if found is None:
        found = next(
            (c for p, c in _MORE_CLASS_RE if p.match(cleaned) and c in CLASSES),
            None,
        )
    if found is None:
        return None
    drug = DRUGS.get(found)
    classes = class_closure(drug.classes if drug is not None else (found,))
    return found if classes & _REGIMEN_CLASSES else None


def _is_class(treatment: str) -> bool:
    return treatment in CLASSES


def _examples_fit(class_id: str, inner: str) -> tuple[bool, list[str]]:
    """Whether a bracket only lists examples of ``class_id``; unknown names are returned."""
    match = _EXAMPLES.match(inner)
    if match is None:
        return False, []
    unknown: list[str] = []
    for piece in _SEPARATOR.split(match.group("items")):
        name = piece.strip(" .")
        if not name:
            continue
        found = _name(name)
        if found is None:
            unknown.append(name)
            continue
        drug = find_drug(name)
        classes = class_closure(drug.classes) if drug is not None else class_closure((found,))
        if class_id not in classes:
            return False, []
    return True, unknown


_ITEM_DOSE = re.compile(
    r"\s+(?:(?:at|in)\s+)?(?:an?\s+)?(?:stable\s+)?(?:doses?|dosage)\b.*$|"
    r"\s+\d[\d.,]*\s*(?:(?:-|–|to)\s*\d[\d.,]*\s*)?(?:mg|g|µg|mcg)\b.*$",
    re.IGNORECASE,
)
_STABLE_DOSE = re.compile(
    r"^(?:an?\s+)?(?:stable|constant|unchanged)\s+(?:doses?|dosage)\s+of\s+", re.IGNORECASE
)
_STABLE_LEAD = re.compile(r"^(?:(?:stable|oral|continuous)\s+)+", re.IGNORECASE)
_ROUTE = (
    r"(?:intra-?articular|intravenous|i\.?v\.?|oral|parenteral|intramuscular|systemic|topical|"
    r"inhaled|subcutaneous|pulse)"
)
# "Intra-articular or parenteral glucocorticoids": the route narrows the history (for the team).
_ROUTES = re.compile(
    rf"^(?P<routes>{_ROUTE}(?:\s*(?:,|or|and|and/or)\s*{_ROUTE})*)\s+(?P<rest>.+)$", re.IGNORECASE
)
_INDICATION = re.compile(
    r"\s+(?:with\s+therapeutic\s+effects?\s+)?for\s+(?:any\s+)?(?:indications?|reasons?)"
    r"(?=\s|$)",
    re.IGNORECASE,
)


class _UnreadError(Exception):
    """The clause holds something the reader does not structure."""


def _item(text: str) -> tuple[Rule, list[Rule], bool]:
    """One listed treatment: its rule, review parts beside it, whether it carries a time."""
    reviews: list[Rule] = []
    body = text.strip(" ,.;")
    duration: dict[str, int] | None = None
    before = _DURATION_BEFORE.match(body)
    if before is not None:
        duration = _window(before.group("num"), before.group("unit"))
        body = body[before.end() :]
        if re.search(r"high[-\s]dose", before.group("words"), re.IGNORECASE):
            reviews.append({"review": text.strip(" ,.;")})
    elif re.match(r"^high[-\s]dose\s+", body, re.IGNORECASE):
        reviews.append({"review": body})
        body = re.sub(r"^high[-\s]dose\s+", "", body, flags=re.IGNORECASE)
    stable_dose = _STABLE_DOSE.match(body)
    if stable_dose is not None:
        # "a stable dose of methotrexate": the history is read, the stable dose is for the team.
        reviews.append({"review": text.strip(" ,.;")})
        body = body[stable_dose.end() :]
    body = re.sub(r"^other\s+", "", body, flags=re.IGNORECASE)
    dose = _ITEM_DOSE.search(body)
    if dose is not None and dose.start() > 0:
        # "hydroxychloroquine doses of ≤400 mg/d": the dose of the past regimen is for the team.
        reviews.append({"review": text.strip(" ,.;")})
        body = body[: dose.start()]
    count = 1
    counted = _COUNT_BEFORE.match(body)
    if counted is not None:
        count = int(number(counted.group("a") or counted.group("b")))
        body = body[counted.end() :]
    else:
        body = _ANY.sub("", body)
    body = _STABLE_LEAD.sub("", body)
    # Brackets: examples of a class, a dose of the past regimen ("≥0.5 mg/kg/d"), "(s)".
    brackets = re.findall(r"\(([^()]*)\)", body)
    plain = re.sub(r"\s*\((?:s|or\s+equivalent(?:\s+\w+)?)\)", "", body, flags=re.IGNORECASE)
    plain = re.sub(r"\s*\([^()]*\)", " ", plain).strip()
    treatment = _name(plain)
    if treatment is None:
        treatment = _name(re.sub(r"\s+(?:treatment|therapy|use)$", "", plain, flags=re.IGNORECASE))
    if treatment is None or count < 1:
        raise _UnreadError
    drug = DRUGS.get(treatment)
    if drug is not None and len(drug.classes) == 1 and _OR_EQUIVALENT.search(body):
        # "Prednisone (or equivalent)": any drug of its class will do, not prednisone alone.
        treatment = drug.classes[0]
    examples_unknown: list[str] = []
    for inner in brackets:
        if re.fullmatch(r"\s*(?:s|or\s+equivalent(?:\s+\w+)?)\s*", inner, re.IGNORECASE):
            continue
        if _DOSE.search(inner):
            # The dose of a past regimen is not the current dose: for the team.
            reviews.append({"review": text.strip(" ,.;")})
            continue
        if not _is_class(treatment) or _REFUSED.search(inner):
            raise _UnreadError
        fits, unknown = _examples_fit(treatment, inner)
        if not fits:
            raise _UnreadError
        examples_unknown.extend(unknown)
    if count > 1 and not _is_class(treatment):
        raise _UnreadError
    leaf: Rule = {"fact": f"treatment.{treatment}", "op": "ever", "text": text.strip(" ,.;")}
    if count > 1:
        if duration is not None:
            raise _UnreadError  # "3 months of at least 2 drugs" has no leaf
        leaf = {**leaf, "op": "count_at_least", "value": count}
    elif duration is not None:
        leaf = {**leaf, "op": "duration_at_least", "window": duration}
    rule: Rule = leaf
    if examples_unknown:
        # Examples the vocabulary does not know may lie outside the class: the team decides.
        rule = {"any": [leaf, {"review": ", ".join(examples_unknown)}]}
    return rule, reviews, duration is not None or count > 1


def _with_time(rule: Rule, window: dict[str, int], op: str) -> Rule:
    if rule.get("op") == "ever":
        return {**rule, "op": op, "window": dict(window)}
    if "any" in rule:
        return {**rule, "any": [_with_time(child, window, op) for child in rule["any"]]}
    return rule


def _listed(text: str, kind: str) -> tuple[Rule, list[Rule]]:
    """A list of treatments joined by one kind of separator (or "combined with")."""
    segments = _pieces(text, _COMBINED)
    tail_time = _DURATION_AFTER.search(text)
    if len(segments) > 1 and tail_time is not None:
        # "glucocorticoids combined with A and/or B for ≥ 3 months": the whole combination.
        window = _window(tail_time.group("num"), tail_time.group("unit"))
        rule, reviews = _listed(text[: tail_time.start()], kind)
        if window is None or _has_time(rule):
            raise _UnreadError
        return _with_time_all(rule, window, "duration_at_least"), reviews
    if len(segments) > 1:
        combined: list[Rule] = []
        notes: list[Rule] = []
        for segment in segments:
            rule, extra = _listed(segment, kind)
            combined.append(rule)
            notes.extend(extra)
        return {"all": combined}, notes
    separators = _separators(text)
    words = [m.group(0).strip(" ,").casefold() for m in separators]
    joiners = {"or" if "or" in w else "and" if "and" in w else "," for w in words}
    if "or" in joiners and "and" in joiners:
        raise _UnreadError
    pieces = _cut(text, separators)
    # A time written after the last item of a list applies to every item ("A and/or B for ≥ 3
    # months"); written after an earlier one it is that item's own.
    tail_time = _DURATION_AFTER.search(pieces[-1]) if len(pieces) > 1 else None
    time_pieces = [p for p in pieces[:-1] if _DURATION_AFTER.search(p)]
    rules = []
    reviews = []
    for index, piece in enumerate(pieces):
        own = _DURATION_AFTER.search(piece)
        name_part = piece[: own.start()] if own is not None else piece
        try:
            rule, extra, timed = _item(name_part)
        except _UnreadError:
            if kind == "exclusion" or "or" in joiners or len(pieces) < 2:
                raise
            # One required item the reader cannot name ("at least 2 of the following
            # treatments (…)"): the others are still required; that one is for the team.
            rules.append({"review": piece})
            continue
        if own is not None:
            if timed:
                raise _UnreadError
            window = _window(own.group("num"), own.group("unit"))
            if window is None:
                raise _UnreadError
            rule = _with_time(rule, window, "duration_at_least")
        elif tail_time is not None and not time_pieces and index < len(pieces) - 1 and not timed:
            window = _window(tail_time.group("num"), tail_time.group("unit"))
            if window is None:
                raise _UnreadError
            rule = _with_time(rule, window, "duration_at_least")
        rules.append(rule)
        reviews.extend(extra)
    if len(rules) == 1:
        return rules[0], reviews
    if "or" in joiners:
        return {"any": rules}, reviews
    if kind == "exclusion" and "and" in joiners:
        raise _UnreadError  # "received A and B" in an exclusion: both or either is not said
    return {"any" if kind == "exclusion" else "all": rules}, reviews


def _top_level(text: str, pattern: re.Pattern[str]) -> list[re.Match[str]]:
    found = []
    for match in pattern.finditer(text):
        before = text[: match.start()]
        if before.count("(") == before.count(")"):
            found.append(match)
    return found


def _pieces(text: str, pattern: re.Pattern[str]) -> list[str]:
    return _cut(text, _top_level(text, pattern))


_OR_MORE = re.compile(rf"(?<![\w-]){COUNT}\s+or\s+more\s", re.IGNORECASE)


def _separators(text: str) -> list[re.Match[str]]:
    """Top-level list separators, except the "or" of "2 or more"."""
    counted = [(m.start(), m.end()) for m in _OR_MORE.finditer(text)]
    return [
        m
        for m in _top_level(text, _SEPARATOR)
        if not any(start < m.start() and m.end() < end for start, end in counted)
    ]


def _cut(text: str, separators: list[re.Match[str]]) -> list[str]:
    pieces = []
    cursor = 0
    for match in separators:
        pieces.append(text[cursor : match.start()])
        cursor = match.end()
    pieces.append(text[cursor:])
    cleaned = [p.strip(" ,.") for p in pieces]
    if any(not p for p in cleaned):
        raise _UnreadError
    return cleaned


# "and at least one of the following non-steroidal immunosuppressive therapies: A, B, or C".
_ONE_OF_FOLLOWING = re.compile(
    r"^(?P<head>.*?)\s*,?\s*(?:and\s+|as\s+well\s+as\s+)?(?:at\s+least\s+one|any\s+one|one\s+or\s+more|"
    r"any)\s+of\s+the\s+following(?:\s+[\w-]+){0,4}?\s*:\s*(?P<items>.+)$",
    re.IGNORECASE | re.DOTALL,
)


def _regimen(text: str, kind: str) -> tuple[Rule, list[Rule]]:
    """The rule of the text after the lead verb ("glucocorticoids for at least 3 months, ...")."""
    following = _ONE_OF_FOLLOWING.match(text)
    if following is not None:
        items = _pieces(following.group("items"), _SEPARATOR)
        if len(items) < 2:
            raise _UnreadError
        choices = []
        reviews: list[Rule] = []
        for item in items:
            rule, extra, _ = _item(item)
            choices.append(rule)
            reviews.extend(extra)
        choice: Rule = {"any": choices, "text": following.group("items").strip(" .")}
        head = following.group("head").strip(" ,")
        if not head:
            return choice, reviews
        head_rule, head_reviews = _listed(head, kind)
        if kind == "exclusion":
            raise _UnreadError
        return {"all": [head_rule, choice]}, [*head_reviews, *reviews]
    return _listed(text, kind)


def _strip_reference(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = _REFERENCE_POINT.sub("", text).strip(" ,.;")
    return text


def read_regimen(text: str, kind: str) -> Rule | None:
    """A clause that only requires (or, in an exclusion, names) treatments given before.

    "Have received glucocorticoids for at least 3 months, and at least one of the following
    non-steroidal immunosuppressive therapies: azathioprine, …", "Previous treatment with at
    least 2 immunosuppressants", "Inadequate response to at least 3 months of treatment with
    traditional DMARDs", "Use of immunosuppressive agents or biologics within 5 half-lives
    prior to enrollment". Response wording ("inadequate response to", "despite") and doses of
    the past regimen become review parts beside the history; negations, exceptions, hedges,
    intolerance and unknown names give None. A trailing condition after a comma ("…, with a
    stable dose for ≥ 2 weeks, and the disease is still active") is a review part beside it.
    """
    clause = text.strip(" .;")
    if not clause or len(clause) > 400 or _any_treatment_word().search(clause) is None:
        return None
    whole = _read_whole(clause, kind)
    if whole is not None:
        return whole
    commas = [m.start() for m in _top_level(clause, re.compile(","))]
    for position in reversed(commas):
        tail = clause[position + 1 :].strip(" ,.;")
        if not _TAIL.match(tail) or _TAIL_REFUSED.search(tail):
            continue
        head = _read_whole(clause[:position], kind)
        if head is not None:
            parts = head["all"] if "all" in head and "text" not in head else [head]
            return {"all": [*parts, {"review": tail}]}
    return None


# What may follow a read history after a comma as a further condition for the team (never a
# list item: "A, B or C" is not cut).
_TAIL = re.compile(
    r"^(?:with|while|who|which|whose|where|but|stable|at\s+(?:a|the)|on\s+a|the\s+disease|"
    r"disease|and\s+(?:the|a|an|is|are|has|have|had|was|were|still|remain\w*|whose|disease))\b",
    re.IGNORECASE,
)
_TAIL_REFUSED = re.compile(
    r"(?<![\w-])(?:or|unless|except|if|whichever|otherwise|alternatively)(?![\w-])", re.IGNORECASE
)


def _read_whole(clause: str, kind: str) -> Rule | None:
    """``read_regimen`` on the whole clause, without cutting a tail."""
    if _REFUSED.search(re.sub(r"\([^()]*\)", " ", clause)):
        return None
    reviews: list[Rule] = []
    response = _RESPONSE.search(clause)
    body = clause
    if response is not None:
        reviews.append({"review": clause})
        body = _USE_OF.sub("", clause[response.end() :])
    else:
        lead = _LEAD.match(clause)
        if lead is not None:
            pre = re.findall(r"[^\W_]+", lead.group("pre"))
            if any(word.casefold() not in _PRE_FILLER for word in pre):
                return None
            body = _USE_OF.sub("", clause[lead.end() :])
    body = _strip_reference(_INDICATION.sub("", body))
    routes = _ROUTES.match(body)
    if (
        routes is not None
        and _name(routes.group("routes")) is None
        and not _top_level(routes.group("rest"), _SEPARATOR)
    ):
        reviews.append({"review": f"route: {routes.group('routes')}"})
        body = routes.group("rest")
    half_lives = _HALF_LIVES.search(body)
    within = _WITHIN.search(body)
    after = _AFTER_DURATION.search(body)
    time: tuple[str, dict[str, int]] | None = None
    if half_lives is not None:
        # "within 5 half-lives": the window depends on the drug; the history is read, the
        # window is for the team.
        reviews.append({"review": clause})
        body = body[: half_lives.start()]
    elif within is not None:
        window = _window(within.group("num"), within.group("unit"))
        if window is None:
            return None
        time = ("within", window)
        body = body[: within.start()]
    elif after is not None:
        window = _window(after.group("num"), after.group("unit"))
        if window is None:
            return None
        time = ("duration_at_least", window)
        body = body[: after.start()]
    body = _strip_reference(body)
    try:
        rule, extra = _regimen(body, kind)
    except _UnreadError:
        return None
    if time is not None:
        if _has_time(rule):
            return None
        rule = _with_time_all(rule, time[1], time[0])
    reviews.extend(extra)
    if not _has_fact(rule):
        return None
    if not reviews:
        return rule
    if response is not None:
        # The whole clause is already a review part: the pieces of it add nothing.
        reviews = [reviews[0]]
        parts = [
            p
            for p in (rule["all"] if "all" in rule and "text" not in rule else [rule])
            if "review" not in p
        ]
        return {"all": [*parts, *reviews]} if parts else None
    parts = rule["all"] if "all" in rule and "text" not in rule else [rule]
    return {"all": [*parts, *_unique_reviews(reviews)]}


def _has_time(rule: Rule) -> bool:
    if rule.get("op") in ("duration_at_least", "within", "count_at_least"):
        return True
    return any(_has_time(c) for k in ("all", "any") for c in rule.get(k, ()))


def _has_window(rule: Rule) -> bool:
    if rule.get("op") in ("duration_at_least", "within"):
        return True
    return any(_has_window(c) for k in ("all", "any") for c in rule.get(k, ()))


def _has_fact(rule: Rule) -> bool:
    if "fact" in rule:
        return True
    return any(_has_fact(c) for k in ("all", "any") for c in rule.get(k, ()))


def _with_time_all(rule: Rule, window: dict[str, int], op: str) -> Rule:
    if rule.get("op") == "ever":
        return {**rule, "op": op, "window": dict(window)}
    for key in ("all", "any"):
        if key in rule:
            return {**rule, key: [_with_time_all(c, window, op) for c in rule[key]]}
    return rule


def _unique_reviews(reviews: list[Rule]) -> list[Rule]:
    seen: list[Rule] = []
    for review in reviews:
        if review not in seen:
            seen.append(review)
    return seen


# ---------------------------------------------------------------------------------------------
# The current glucocorticoid dose
# ---------------------------------------------------------------------------------------------

_GC = (
    r"(?:oral\s+)?(?:prednisone|prednisolone|(?:gluco)?corticosteroids?|glucocorticoids?|steroids?|"
    r"hormones?)"
)
_EQUIVALENT = (
    r"(?:\s*\(\s*or\s+(?:an?\s+)?equivalent(?:\s+(?:drug|dose|steroid|glucocorticoid))?\s*\)|"
    r"\s+or\s+(?:an?\s+)?equivalent(?:\s+(?:drug|dose))?|\s+equivalents?|"
    r"\s*\(\s*prednisone\s*\))?"
)
_DOSE_VALUE = rf"(?P<num>{NUMBER})\s*(?P<unit>mg\s*/\s*kg\s*/\s*d(?:ay)?|mg\s*/\s*d(?:ay)?)"
_GC_DOSE = (
    re.compile(
        rf"^(?:(?:a|the)\s+)?(?:(?:current|daily|stable)\s+)*(?:dose\s+of\s+)?{_GC}{_EQUIVALENT}"
        rf"(?:\s+(?:daily\s+)?dose)?(?:\s+(?:of|is|must\s+be|at))?\s*{COMPARATOR}\s*{_DOSE_VALUE}"
        rf"(?:\s+(?:of\s+)?(?:prednisone|prednisolone)?{_EQUIVALENT})?$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^(?:(?:a|the)\s+)?(?:(?:current|daily|stable)\s+)*(?:{_GC}{_EQUIVALENT}\s+)?(?:daily\s+)?"
        rf"dose\s+(?:of\s+)?{COMPARATOR}\s*{_DOSE_VALUE}(?:\s+(?:of\s+)?(?:prednisone|prednisolone)"
        rf"{_EQUIVALENT})?$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^{COMPARATOR}\s*{_DOSE_VALUE}\s+(?:of\s+)?(?:prednisone|prednisolone|glucocorticoids?|"
        rf"corticosteroids?){_EQUIVALENT}$",
        re.IGNORECASE,
    ),
)
_RECEIVING = re.compile(
    r"^(?:(?:patients|subjects|participants)\s+)?(?:(?:must\s+be|are|is)\s+)?(?:currently\s+)?"
    r"(?:receiving|on|taking)\s+(?=.*?(?:prednisone|prednisolone|steroid|glucocorticoid))",
    re.IGNORECASE,
)
_AT_DOSE = re.compile(
    r"\s+at\s+(?:a\s+)?(?:stable\s+)?(?:daily\s+)?dose\s+(?:of\s+)?", re.IGNORECASE
)
_TAPER = re.compile(
    rf"^(?:an?\s+)?(?:inability|unable|failure|failed)\s+to\s+taper\s+{_GC}{_EQUIVALENT}\s+"
    rf"(?:to|below)\s+(?:less\s+than\s+|<\s*)?{_DOSE_VALUE}{_EQUIVALENT}$",
    re.IGNORECASE,
)
_STABLE_TAIL = re.compile(
    # Only a stated stability: "for more than 2 weeks within the past 3 months" is a past
    # exposure, not the current dose, and stays unread.
    r"\s+(?=(?:at\s+(?:a\s+)?stable\s+dose|stable)\b[^<>≤≥=]*$)",
    re.IGNORECASE,
)
_DOSE_TAIL = re.compile(
    r"\s*(?:at\s+(?:the\s+time\s+of\s+)?screening|at\s+baseline|currently)$", re.IGNORECASE
)


def _dose_fact(unit: str) -> str:
    return "derived.gc_dose_mg_kg_day" if "kg" in unit.casefold() else "derived.gc_dose_mg_day"


def _dose_unit(unit: str) -> str:
    return "mg/kg/d" if "kg" in unit.casefold() else "mg/d"


def read_gc_dose(text: str) -> Rule | None:
    """ "Prednisone (or equivalent) ≤ 10 mg/day" → the current prednisone-equivalent dose.

    "inability to taper prednisone to less than 7.5 mg/day" → the dose now is at least 7.5,
    with the failed taper for the team. A stability condition after a comma ("stable for at
    least 4 weeks") is a review part. Doses inside a treatment history are not read here.
    """
    clause = text.strip(" .;")
    if not clause or len(clause) > 300:
        return None
    head, _, tail = clause.partition(",")
    if not tail:
        # "Prednisone ≤ 10 mg/day (or equivalent) at a stable dose for at least 4 weeks": the
        # stability condition without a comma is the same review tail.
        stable = _STABLE_TAIL.search(head)
        if stable is not None:
            head, tail = head[: stable.start()], head[stable.start() :]
    head = _DOSE_TAIL.sub("", head.strip())
    reviews: list[Rule] = []
    if tail.strip():
        if re.search(r"(?<![\w-])(?:or|unless|except|if|other)(?![\w-])", tail, re.IGNORECASE):
            return None
        reviews.append({"review": tail.strip()})
    taper = _TAPER.match(head)
    if taper is not None:
        leaf: Rule = {
            "fact": _dose_fact(taper.group("unit")),
            "op": ">=",
            "value": _clean(number(taper.group("num"))),
            "unit": _dose_unit(taper.group("unit")),
            "text": head,
        }
        return {"all": [leaf, {"review": clause}]}
    written = head  # leaf texts stay verbatim
    receiving = _RECEIVING.match(head)
    if receiving is not None:
        # "Receiving oral prednisone at a dose of ≤ 20 mg/day": taking some now, at most that.
        head = _AT_DOSE.sub(" dose of ", head[receiving.end() :], count=1)
    match = next((m for m in (p.match(head) for p in _GC_DOSE) if m is not None), None)
    if match is None:
        return None
    op = comparator(match.group("cmp"))
    if op is None or op == "==":
        return None
    amount = _clean(number(match.group("num")))
    leaf = {
        "fact": _dose_fact(match.group("unit")),
        "op": op,
        "value": amount,
        "unit": _dose_unit(match.group("unit")),
        "text": written,
    }
    if receiving is not None and op in (">", ">=") and amount > 0:
        pass  # "receiving … > 20 mg/day": the threshold already says some is taken
    elif receiving is not None:
        if op not in ("<", "<="):
            return None
        taking = {
            "fact": leaf["fact"],
            "op": ">",
            "value": 0,
            "unit": leaf["unit"],
            "text": written,
        }
        return {"all": [taking, leaf, *reviews]}
    return leaf if not reviews else {"all": [leaf, *reviews]}


def _clean(value: float) -> float | int:
    return int(value) if value == int(value) else value


# "Stable treatment with 1 or 2 csDMARD(s) prior to enrollment as follows: at least 12 weeks of
# methotrexate …; at least 4 weeks of stable hydroxychloroquine …; …".
_LIST_LEAD = re.compile(
    r"^(?P<lead>[^:]*?(?:as\s+follows|the\s+following(?:\s+[\w-]+){0,3}))\s*:\s*(?P<first>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_LEAD_COUNT = re.compile(
    rf"(?<![\w-])(?:{COUNT}\s+or\s+{COUNT}|(?:at\s+least\s+)?(?:one|1)|any|either)\s+"
    r"(?:of\s+(?:the\s+)?)?(?:[\w-]+\s+){0,2}?(?:cs\s*)?(?:DMARDs?|drugs?|agents?|medications?|"
    r"treatments?|therap(?:y|ies)|immunosuppressants?)",
    re.IGNORECASE,
)


def list_lead(text: str) -> bool:
    """Whether a clause opens a list of items after a colon ("… as follows: item; item")."""
    return _LIST_LEAD.match(text.strip()) is not None


def read_listed_regimens(lead_clause: str, items: list[str], kind: str) -> Rule | None:
    """A lead naming a choice of treatments and one history per listed drug after it.

    Each item must read as a history; the patient needs one of them (the count and the
    doses the lead asks for stay a review part beside them), so the rule is
    ``all(any(items), review(lead))``. Exclusions and leads that do not name a choice give None.
    """
    if kind == "exclusion":
        return None
    match = _LIST_LEAD.match(lead_clause.strip())
    if match is None or _LEAD_COUNT.search(match.group("lead")) is None:
        return None
    texts = [match.group("first"), *items]
    if len(texts) < 2:
        return None
    choices: list[Rule] = []
    for text in texts:
        rule = read_regimen(text, kind)
        if rule is None:
            return None
        choices.append(rule)
    return {"all": [{"any": choices}, {"review": match.group("lead").strip()}]}


def read_definition_history(text: str, duration_hint: dict[str, int] | None) -> Rule | None:
    """A conventional-treatment definition written as a plain history.

    "Conventional therapy is defined as the use of glucocorticoids and at least 2
    immunosuppressants": read as an inclusion history; the duration the referring clause gives
    ("conventional treatment over 6 months") applies when the definition itself has none.
    """
    rule = read_regimen(text, "inclusion")
    if rule is None:
        return None
    if duration_hint is not None and not _has_window(rule):
        # Counted classes keep their count; the drugs without a time get the regimen's.
        rule = _with_time_all(rule, duration_hint, "duration_at_least")
    return rule


__all__ = [
    "list_lead",
    "read_definition_history",
    "read_gc_dose",
    "read_listed_regimens",
    "read_regimen",
]
