"""The letter's fonts: CJK runs get the CJK face, which is parsed and embedded only when needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.letter_inputs import pdf_text
from ui.export.fonts import CJK_FONT, has_cjk, markup

REPOSITORY = Path(__file__).resolve().parents[2]
CJK_SITE = "浙江大学医学院附属儿童医院"
CJK_NAME = "王芳"

# Renders a letter with no character DejaVu Sans lacks, then one naming a Chinese site and
# patient, in one fresh process, and says after each whether the CJK face was registered.
_TWO_LETTERS = f"""
import sys
from models.letter import build_referral_letter
from tests.letter_inputs import (
    CLINIC, GENERATED_AT, criteria_dict, make_detail, make_match, make_profile, make_report,
    make_site,
)
from ui.export import fonts, render_referral_letter

for path, site, name in (
    (sys.argv[1], "Riverside Hospital", "Ada Latin"),
    (sys.argv[2], "{CJK_SITE}", "{CJK_NAME}"),
):
    profile = make_profile(patient={{"name": name}})
    detail = make_detail("NCT06691152", "A trial", (make_site(site, "Hangzhou"),))
    match = make_match(profile, detail, criteria_dict("NCT06691152"))
    letter = build_referral_letter(
        make_report(profile, (match,)), CLINIC, None,
        deidentified=False, physician=None, generated_at=GENERATED_AT,
    )
    with open(path, "wb") as stream:
        render_referral_letter(letter, stream)
    print(fonts.cjk_font_registered())
"""


def _embedded_fonts(path: Path) -> set[str]:
    listing = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return {line.split()[0].split("+")[-1] for line in listing.splitlines() if " yes " in line}


def test_the_cjk_face_is_parsed_and_embedded_only_for_a_letter_with_cjk(tmp_path: Path) -> None:
    latin, chinese = tmp_path / "latin.pdf", tmp_path / "chinese.pdf"
    result = subprocess.run(
        [sys.executable, "-c", _TWO_LETTERS, str(latin), str(chinese)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPOSITORY,
        timeout=120,
    )
    assert result.stdout.split() == ["False", "True"]

    assert _embedded_fonts(latin) == {"DejaVuSans", "DejaVuSans-Bold"}
    assert "Riverside Hospital" in pdf_text(latin)

    assert _embedded_fonts(chinese) == {"DejaVuSans", "DejaVuSans-Bold", "DroidSansFallback"}
    text = pdf_text(chinese)
    assert CJK_SITE in text
    assert f"Referral letter · {CJK_NAME}" in text  # the footer, on every page
    assert text.count(CJK_NAME) >= 2  # the patient section and the footer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("Riverside & <Lupus> Clinic", "Riverside &amp; &lt;Lupus&gt; Clinic"),
        ("≥ 3×10⁹/L, µmol/L, Sjögren", "≥ 3×10⁹/L, µmol/L, Sjögren"),
        (
            "毛建华 <b>Tel.</b> 浙江",
            f'<font name="{CJK_FONT}">毛建华</font> &lt;b&gt;Tel.&lt;/b&gt; '
            f'<font name="{CJK_FONT}">浙江</font>',
        ),
        (
            "한국어 & カタカナ",
            f'<font name="{CJK_FONT}">한국어</font> &amp; <font name="{CJK_FONT}">カタカナ</font>',
        ),
        # Neither face has it: it stays in the body run (ReportLab prints its missing glyph).
        ("ok 🙂", "ok 🙂"),
    ],
)
def test_markup_escapes_and_sets_cjk_runs_in_the_cjk_face(text: str, expected: str) -> None:
    assert markup(text) == expected
    assert has_cjk(text) == (CJK_FONT in expected)


def test_a_face_remembers_widths_that_equal_reportlabs_and_keeps_a_bounded_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    from ui.export import fonts

    fonts.register_fonts()
    face = pdfmetrics.getFont(fonts.BODY_FONT)
    assert isinstance(face, fonts._MeasuringTTFont)
    monkeypatch.setattr(fonts, "_WIDTHS_KEPT", 3)
    face._widths.clear()
    texts = ["No patient data used", "≥ 3×10⁹/L", "", "Sjögren", "No patient data used"]
    for size in (7.6, 9, 12.5):
        for text in texts:
            assert face.stringWidth(text, size) == TTFont.stringWidth(face, text, size)
            assert pdfmetrics.stringWidth(text, fonts.BODY_FONT, size) == face.stringWidth(
                text, size
            )
            assert len(face._widths) <= 3
    assert face.stringWidth("Sjögren", 9) > face.stringWidth("Sjogren", 7.6) > 0
