"""The referral letter PDF: content, escaping, fonts, page furniture, the de-identified variant."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from models.letter import ReferralLetter, build_referral_letter
from tests.letter_inputs import (
    BIRTH_DATE,
    CLINIC,
    GENERATED_AT,
    INJECTED_TEXTS,
    PATIENT_NAME,
    RECORD_NUMBER,
    criteria_dict,
    make_detail,
    make_match,
    make_profile,
    make_report,
    make_site,
    pdf_pages,
    pdf_text,
    standard_report,
)
from ui.export import render_referral_letter


def _letter(*, deidentified: bool = False, **profile_changes: object) -> ReferralLetter:
    return build_referral_letter(
        standard_report(**profile_changes),
        CLINIC,
        None,
        deidentified=deidentified,
        physician=None,
        generated_at=GENERATED_AT,
    )


def _render(letter: ReferralLetter, path: Path) -> Path:
    with path.open("wb") as stream:
        render_referral_letter(letter, stream)
    return path


def _flat(text: str) -> str:
    """Text with line breaks and hyphenless wraps joined, for phrases a line break may split."""
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def identified_pdf(tmp_path: Path) -> Path:
    return _render(_letter(), tmp_path / "letter.pdf")


def test_letter_names_patient_trials_sites_and_contacts(identified_pdf: Path) -> None:
    text = _flat(pdf_text(identified_pdf))
    for expected in (
        PATIENT_NAME,
        BIRTH_DATE,
        RECORD_NUMBER,
        "NCT06691152",
        "NCT06941129",
        "https://clinicaltrials.gov/study/NCT06691152",
        "Tianjin First Central Hospital",
        "+86-571-86670076",
        "+8615088688407",
        "022-2362 6600 ext. 12",
        "maojh@zju.example",
        "liwei@tj.example",
        "jing.pan@example.org",
        "Phase 1",
        "Zhejiang University",
        "Dr Ada Lovelace",
        "ada.lovelace@riverside.example",
        "Riverside Rheumatology & <Lupus> Clinic",
        "The patient has agreed to be contacted",
        "Eligibility is decided by the study team",
        "record version 2025-04-24",
    ):
        assert expected in text, expected


def test_letter_prints_symbols_and_chinese_characters(identified_pdf: Path) -> None:
    text = pdf_text(identified_pdf)
    for symbol in ("≥", "≤", "×", "µ", "⁹", "浙江大学医学院附属儿童医院", "毛建华"):
        assert symbol in text, symbol
    fonts = subprocess.run(
        ["pdffonts", str(identified_pdf)], check=True, capture_output=True, text=True
    ).stdout
    # Both bundled faces are embedded (subset) in the file itself.
    embedded = {line.split()[0].split("+")[-1] for line in fonts.splitlines() if " yes " in line}
    assert {"DejaVuSans", "DejaVuSans-Bold", "DroidSansFallback"} <= embedded


def test_verdict_in_words_and_what_is_left_to_confirm(identified_pdf: Path) -> None:
    text = _flat(pdf_text(identified_pdf))
    assert (
        "Potentially eligible — 2 criteria unknown — 4 criteria for the study team to judge — "
        "to be confirmed by the study team" in text
    )
    assert "Still to confirm" in text
    assert "needs: Absolute neutrophil count" in text
    assert "Unknown — to be confirmed" in text
    # The second trial rests on automatic rules nobody checked, and the letter says so.
    assert "have not been checked by a person" in text
    assert text.count("have not been checked by a person") == 1


def test_lab_uln_is_the_labs_or_marked_assumed(identified_pdf: Path) -> None:
    text = _flat(pdf_text(identified_pdf))
    assert "ULN 35 U/L (the lab's)" in text  # AST with the lab's own ULN
    assert "ULN 40 U/L assumed" in text  # ALT without one
    assert "required ≤ 2.5 × ULN; ULN 40 U/L assumed" in text  # and in the criteria table


def test_every_page_says_page_x_of_y(identified_pdf: Path) -> None:
    pages = pdf_pages(identified_pdf)
    total = len(pages)
    assert total >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page


def test_markup_in_data_prints_literally_and_pulls_nothing_in(identified_pdf: Path) -> None:
    text = _flat(pdf_text(identified_pdf))
    for payload in INJECTED_TEXTS:
        assert payload in text, payload
    images = subprocess.run(
        ["pdfimages", "-list", str(identified_pdf)], check=True, capture_output=True, text=True
    ).stdout
    # Header and separator lines only: no <img> was interpreted (QR codes are vector drawings).
    assert len(images.strip().splitlines()) == 2


def test_markup_does_not_change_the_layout(tmp_path: Path) -> None:
    """A criterion with tags lays out like one with the same characters as plain text."""
    plain = standard_report()
    harmless = tuple(text.replace("<", "(").replace(">", ")") for text in INJECTED_TEXTS)
    profile = plain.profile
    variants: list[str] = []
    for texts in (INJECTED_TEXTS, harmless):
        match = make_match(
            profile,
            make_detail("NCT06691152", "Trial"),
            criteria_dict("NCT06691152", extra_review_texts=texts),
        )
        letter = build_referral_letter(
            make_report(profile, (match,)),
            CLINIC,
            None,
            deidentified=False,
            physician=None,
            generated_at=GENERATED_AT,
        )
        path = _render(letter, tmp_path / f"v{len(variants)}.pdf")
        variants.append(pdf_text(path, layout=True))
    injected, harmless_text = variants
    assert len(injected.splitlines()) == len(harmless_text.splitlines())
    assert injected.count("\f") == harmless_text.count("\f")


def test_long_unbroken_strings_wrap_inside_the_page(tmp_path: Path) -> None:
    token = "X" * 60 + "Y" * 60 + "Z" * 60 + "W" * 60
    profile = make_profile(patient={"name": "Jane " + token})
    match = make_match(
        profile,
        make_detail("NCT00000001", "T" * 250, (make_site("F" * 200, "Hangzhou"),)),
        criteria_dict("NCT00000001", extra_review_texts=(token,)),
    )
    letter = build_referral_letter(
        make_report(profile, (match,)),
        CLINIC,
        None,
        deidentified=False,
        physician=None,
        generated_at=GENERATED_AT,
    )
    path = _render(letter, tmp_path / "long.pdf")
    text = pdf_text(path)
    assert token not in text  # never on one line: it would run off the page
    assert token in text.replace("\n", "")  # but all of it is there, wrapped
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    page_width = float(re.search(r'<page width="([\d.]+)"', bbox).group(1))  # type: ignore[union-attr]
    right_edges = [float(value) for value in re.findall(r'xMax="([\d.]+)"', bbox)]
    assert max(right_edges) <= page_width


def test_many_trials_and_long_tables_split_with_repeated_headers(tmp_path: Path) -> None:
    profile = make_profile()
    long_texts = tuple(f"Exclusion criterion {n}: " + "lorem ipsum " * 25 for n in range(40))
    matches = tuple(
        make_match(
            profile,
            make_detail(f"NCT0000{index:04d}", f"Trial number {index}"),
            criteria_dict(f"NCT0000{index:04d}", extra_review_texts=long_texts),
        )
        for index in range(6)
    )
    letter = build_referral_letter(
        make_report(profile, matches),
        CLINIC,
        None,
        deidentified=False,
        physician=None,
        generated_at=GENERATED_AT,
    )
    pages = pdf_pages(_render(letter, tmp_path / "many.pdf"))
    assert len(pages) >= 12
    header = "Criterion (verbatim from the trial record)"
    pages_with_header = [page for page in pages if header in page]
    # Each trial's table spans more than one page and its header comes back on each of them.
    assert len(pages_with_header) > len(matches)
    for index in range(6):
        assert f"NCT0000{index:04d}" in "".join(pages)
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    assert "Dr Ada Lovelace" in pages[-1]


def test_deidentified_letter_carries_no_identifier(tmp_path: Path) -> None:
    path = _render(_letter(deidentified=True), tmp_path / "deid.pdf")
    text = pdf_text(path)
    flat = _flat(text)
    for identifier in (PATIENT_NAME, "O'Brien", RECORD_NUMBER, BIRTH_DATE, "1978"):
        assert identifier not in flat, identifier
    # No exact patient date at all: every date of the patient is relative to screening.
    patient_dates = {
        "2026-11-01",
        "2026-11-15",
        "2026-11-18",
        "2026-10-31",
        "2026-10-01",
        "2019-03-01",
        "2024-01-10",
        "2024-01-24",
        "2026-11-23",
    }
    assert not patient_dates & set(re.findall(r"\d{4}-\d{2}-\d{2}", flat))
    assert "23 November" not in flat
    assert re.search(r"Age at screening\s+48 years", pdf_text(path, layout=True))
    assert "5 days before screening" in flat  # ALT of 2026-11-18
    assert "De-identified pre-screening summary" in flat
    # The sites' and physician's contacts stay: they are not the patient's.
    assert "+86-571-86670076" in flat
    assert "Dr Ada Lovelace" in flat


def test_deidentified_age_over_89_is_90_plus(tmp_path: Path) -> None:
    path = _render(
        _letter(deidentified=True, patient={"birth_date": "1931-01-05"}), tmp_path / "old.pdf"
    )
    layout = pdf_text(path, layout=True)
    assert re.search(r"Age at screening\s+90\+ years", layout)
    assert "95" not in re.findall(r"\b\d+\b", layout)  # the real age (95) is nowhere


def test_same_letter_gives_the_same_bytes() -> None:
    letter = _letter()
    first, second = io.BytesIO(), io.BytesIO()
    render_referral_letter(letter, first)
    render_referral_letter(letter, second)
    assert first.getvalue() == second.getvalue()
    assert first.getvalue().startswith(b"%PDF")


def test_chinese_patient_name_prints_in_the_footer(tmp_path: Path) -> None:
    letter = replace(_letter(patient={"name": "张伟"}), footer="Referral letter · 张伟")
    pages = pdf_pages(_render(letter, tmp_path / "cjk.pdf"))
    assert all("Referral letter · 张伟" in page for page in pages)
