"""Write PNGs of the main window states to docs/screenshots/ (under Xvfb: make screenshots)."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from models.operations import open_database  # noqa: E402
from models.profile_io import load_profile  # noqa: E402
from models.settings import ClinicSettings  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
GOLDEN = ROOT / "tests" / "golden" / "adult_refractory_sle.json"
EXAMPLE = ROOT / "docs" / "examples" / "patient-sle.json"
SCREENING_DATE = dt.date(2026, 11, 23)
# A clinic in Beijing, so distances to the bundled trials' Chinese sites are shown.
CLINIC = ClinicSettings(clinic_name="Example clinic", clinic_latitude=39.9, clinic_longitude=116.4)


def wait_until(app: QApplication, condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not reach the expected state")
        app.processEvents()
        time.sleep(0.01)
    for _ in range(20):
        app.processEvents()


def grab(widget: QWidget, name: str) -> None:
    path = OUT / name
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as folder:
        database = open_database(f"sqlite:///{Path(folder) / 'screens.sqlite3'}")
        qsettings = QSettings(str(Path(folder) / "window.ini"), QSettings.Format.IniFormat)
        window = MainWindow(
            database.session_factory,
            settings=CLINIC,
            database_label="trialmatch.sqlite3",
            today=lambda: SCREENING_DATE,
            qsettings=qsettings,
        )
        window.resize(1366, 768)
        window.show()
        wait_until(app, lambda: "in the database" in window.trial_count_label.text())
        grab(window, "01-empty-form.png")

        profile = load_profile(GOLDEN if GOLDEN.exists() else EXAMPLE, today=SCREENING_DATE)
        window.profile_panel.set_profile(profile)
        wait_until(app, lambda: window.report is not None and not window.matching)
        grab(window, "02-results.png")

        window.results_panel.select_trial(window.results_panel.model.row_at(0).trial_id)
        wait_until(app, lambda: window.detail_panel.shown_trial_id is not None)
        grab(window, "03-trial-detail.png")

        browser = window.open_browser()
        wait_until(app, lambda: browser.model.rowCount() > 0)
        browser.table.selectRow(0)
        wait_until(app, lambda: "Sponsor" in browser.summary_view.toPlainText())
        grab(browser, "04-trials-browser.png")
        browser.close()
        window.close()
        window.runner.pool.waitForDone(20_000)
        database.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
