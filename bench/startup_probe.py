"""Start the real window offscreen on a database, print the wall-clock time it is shown, and exit.

Run as ``python -m bench.startup_probe SQLITE_PATH``; the parent notes the time before starting
the process, so the difference is start-up to the window shown, interpreter start included.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer

    from models.database import sqlite_url
    from models.operations import open_database
    from ui.app import create_application
    from ui.main_window import MainWindow

    database = open_database(sqlite_url(Path(sys.argv[1])), bundled_files=())
    application = create_application(sys.argv[:1])
    window = MainWindow(database.session_factory)
    window.show()

    def report_shown() -> None:
        # Runs from the event loop once the show event has been processed.
        print(f"shown {time.time():.6f}", flush=True)
        window.close()
        application.quit()

    QTimer.singleShot(0, report_shown)
    return application.exec()


if __name__ == "__main__":
    sys.exit(main())
