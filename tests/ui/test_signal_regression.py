"""PySide6 6.12.0 aborts Python 3.11 after thousands of Signal(bool) emissions; we pin < 6.12."""

from __future__ import annotations

import subprocess
import sys
import textwrap

EMISSIONS = 20_000

# In a child process: an abort there fails this test instead of killing the whole test run.
SCRIPT = textwrap.dedent(
    f"""
    from PySide6.QtCore import QCoreApplication, QObject, Signal

    class Emitter(QObject):
        toggled = Signal(bool)

    app = QCoreApplication([])
    received = []
    emitter = Emitter()
    emitter.toggled.connect(received.append)
    for _ in range({EMISSIONS}):
        emitter.toggled.emit(True)
    assert all(value is True for value in received)
    print(len(received))
    """
)


def test_signal_bool_survives_many_emissions() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(EMISSIONS)
