"""Stores the parser's reading of trials without rules on a thread of its own, with progress."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from typing_extensions import override

from models.database import SessionFactory
from models.parsed_rules import ParsedRulesReport, store_parsed_rules

# Trials per transaction here: closing the window waits for the batch under way (about 25 ms
# a trial), so it is smaller than the command line's.
WINDOW_BATCH = 40


class _Signals(QObject):
    progress = Signal(int, int)
    done = Signal(object)
    failed = Signal(Exception)


class _ParseRun(QRunnable):
    def __init__(self, session_factory: SessionFactory, stop: threading.Event) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self._session_factory = session_factory
        self._stop = stop
        self.signals = _Signals()

    @override
    def run(self) -> None:
        try:
            report = store_parsed_rules(
                self._session_factory,
                progress=self.signals.progress.emit,
                should_stop=self._stop.is_set,
                batch_size=WINDOW_BATCH,
            )
        except Exception as error:  # reported to the window, never allowed to kill the thread
            self.signals.failed.emit(error)
        else:
            self.signals.done.emit(report)


class RuleParser(QObject):
    """Runs ``models.parsed_rules.store_parsed_rules`` in the background, one run at a time.

    Signals: ``status`` (a line for the status bar while it reads), ``stored`` (the report,
    when a run ends), ``failed`` (why a run stopped).
    """

    status = Signal(str)
    stored = Signal(object)
    failed = Signal(Exception)

    def __init__(self, session_factory: SessionFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session_factory = session_factory
        # Its own thread: a run takes minutes for a large import, and the window's database
        # jobs (matches, lists) must not queue behind it.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._stop = threading.Event()
        self._run: _ParseRun | None = None

    @property
    def running(self) -> bool:
        return self._run is not None

    def start(self) -> bool:
        """Start a run unless one is under way; True when one was started."""
        if self._run is not None:
            return False
        self._stop.clear()
        run = _ParseRun(self._session_factory, self._stop)
        run.signals.progress.connect(self._on_progress)
        run.signals.done.connect(self._on_done)
        run.signals.failed.connect(self._on_failed)
        self._run = run
        self._pool.start(run)
        return True

    def stop(self, wait_ms: int = 30_000) -> None:
        """Stop after the batch under way (what is stored stays) and wait for the thread."""
        self._stop.set()
        self._pool.waitForDone(wait_ms)

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.status.emit(f"Reading the criteria texts of new trials: {done:,} of {total:,}")

    @Slot(object)
    def _on_done(self, report: ParsedRulesReport) -> None:
        self._run = None
        self.stored.emit(report)

    @Slot(Exception)
    def _on_failed(self, error: Exception) -> None:
        self._run = None
        self.failed.emit(error)
