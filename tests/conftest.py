"""Shared test set-up: offscreen Qt before any QApplication exists."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.pyside.libpyside.warning=true")
