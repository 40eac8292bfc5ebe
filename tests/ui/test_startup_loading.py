"""Start-up loads neither ReportLab nor the parser; the shown window then warms the letter up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]

# A fresh process: what a real start-up imports, then what the window loads once shown.
_PROBE = """
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QTimer
from models.operations import open_database
from ui.app import create_application
import ui.main_window as main_window

def loaded():
    from reportlab.pdfbase import pdfmetrics  # only for the look; ReportLab is loaded by now
    return sorted(pdfmetrics.getRegisteredFontNames())

database = open_database("sqlite:///" + sys.argv[1])
application = create_application(sys.argv[:1])
main_window.LETTER_WARM_UP_DELAY_MS = 0
window = main_window.MainWindow(database.session_factory)
result = {
    "reportlab_at_start": any(name.startswith("reportlab") for name in sys.modules),
    "parser_at_start": "engine.parser" in sys.modules,
}
window.show()

def after_warm_up():
    assert window.background_pool.waitForDone(60_000)
    result["layout_loaded"] = "ui.export.letter_layout" in sys.modules
    result["fonts"] = loaded()
    print(json.dumps(result))
    window.close()
    application.quit()

QTimer.singleShot(200, after_warm_up)
application.exec()
"""


def test_start_up_defers_reportlab_and_the_parser_then_warms_the_letter(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path / "start.sqlite3")],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPOSITORY,
        timeout=180,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["reportlab_at_start"] is False
    assert result["parser_at_start"] is False
    assert result["layout_loaded"] is True
    # The body faces are ready for the first letter; the CJK face waits for a letter with CJK.
    assert "TrialMatchSans" in result["fonts"]
    assert "TrialMatchSans-Bold" in result["fonts"]
    assert "TrialMatchCJK" not in result["fonts"]
