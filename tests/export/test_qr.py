"""The letter's QR codes: the modules, and the mask scores that choose them, are ReportLab's."""

from __future__ import annotations

import random
import string

import pytest
from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel, QRUtil

from ui.export.qr import _lost_points, _row_bits, qr_modules

_RANDOM = random.Random(2026)
REGISTRY_URLS = [
    f"https://clinicaltrials.gov/study/NCT{_RANDOM.randrange(10**8):08d}" for _ in range(40)
]
# Other lengths reach versions 1 to 11 (7 and up carry a version block).
OTHER_TEXTS = [
    "".join(_RANDOM.choice(string.printable) for _ in range(length))
    for length in (1, 20, 33, 61, 75, 90, 115, 130, 160, 200, 240)
]


def _reportlab(data: str) -> QRCode:
    code = QRCode(None, QRErrorCorrectLevel.M)
    code.addData(data)
    code.make()
    return code


@pytest.mark.parametrize("data", REGISTRY_URLS + OTHER_TEXTS)
def test_the_modules_are_those_reportlab_makes(data: str) -> None:
    assert qr_modules(data) == _reportlab(data).modules


def test_versions_one_to_eleven_are_covered() -> None:
    versions = {_reportlab(text).version for text in OTHER_TEXTS}
    assert set(range(1, 12)) <= versions | {_reportlab(url).version for url in REGISTRY_URLS}


@pytest.mark.parametrize("data", REGISTRY_URLS[:4] + OTHER_TEXTS[-2:])
def test_every_masks_score_is_reportlabs(data: str) -> None:
    code = _reportlab(data)
    size = len(code.modules)
    scores = []
    for mask in range(8):
        code.makeImpl(True, mask)
        expected = QRUtil.getLostPoint(code)
        assert _lost_points([_row_bits(row) for row in code.modules], size) == expected
        scores.append(expected)
    assert len(set(scores)) > 1  # the masks really score differently
