"""Background jobs: Worker(QRunnable) runs a Qt-free callable; start_job keeps it referenced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from typing_extensions import override


class WorkerSignals(QObject):
    """What a worker reports back to the UI thread (queued, since the worker runs elsewhere)."""

    succeeded = Signal(object)
    failed = Signal(Exception)
    finished = Signal()


class Worker(QRunnable):
    """Runs one plain callable on a pool thread and reports its result through ``signals``.

    The callable must never touch widgets: it comes from ``models/`` and returns frozen values.
    """

    def __init__(self, job: Callable[[], Any]) -> None:
        super().__init__()
        # The pool must not delete the runnable: its owner keeps it until ``finished``.
        self.setAutoDelete(False)
        self._job = job
        self.signals = WorkerSignals()

    @override
    def run(self) -> None:
        try:
            result = self._job()
        except Exception as error:  # reported to the UI, never allowed to kill the pool thread
            self.signals.failed.emit(error)
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.signals.finished.emit()


class JobRunner(QObject):
    """Starts jobs on one pool and keeps every running worker referenced until it finishes.

    A worker dropped while queued loses its results silently (seen with PySide6 6.11 and 6.12),
    so the bookkeeping lives here, in one place, rather than in every window.
    """

    def __init__(self, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self._active: set[Worker] = set()

    @property
    def active_count(self) -> int:
        return len(self._active)

    def start(
        self,
        job: Callable[[], Any],
        on_success: Callable[[Any], None],
        on_failure: Callable[[Exception], None] | None = None,
        on_finished: Callable[[], None] | None = None,
    ) -> Worker:
        """Run ``job`` on the pool; the callbacks run on the UI thread."""
        worker = Worker(job)
        self._active.add(worker)
        worker.signals.succeeded.connect(on_success)
        if on_failure is not None:
            worker.signals.failed.connect(on_failure)

        def finished() -> None:
            self._active.discard(worker)
            if on_finished is not None:
                on_finished()

        worker.signals.finished.connect(finished)
        self.pool.start(worker)
        return worker


def start_job(
    runner: JobRunner,
    job: Callable[[], Any],
    on_success: Callable[[Any], None],
    on_failure: Callable[[Exception], None] | None = None,
) -> Worker:
    """Shorthand for ``runner.start``: run ``job`` off the UI thread, keep the worker alive."""
    return runner.start(job, on_success, on_failure)


def make_database_pool(parent: QObject | None = None) -> QThreadPool:
    """The one pool for database work: a single thread serialises SQLite writes."""
    pool = QThreadPool(parent)
    pool.setMaxThreadCount(1)
    return pool
