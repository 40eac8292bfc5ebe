"""Message boxes and file choosers behind small functions, so tests patch one function each."""

from __future__ import annotations

import enum
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

PROFILE_FILE_FILTER = "TrialMatch patient profiles (*.tmprofile.json *.json);;All files (*)"


class UnsavedChoice(enum.Enum):
    """What to do with unsaved changes before they would be lost."""

    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


def show_error(parent: QWidget | None, title: str, text: str, details: str = "") -> None:
    """A modal error message; ``details`` go behind the "Show Details…" button."""
    box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.exec()


def show_information(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def ask_yes_no(
    parent: QWidget | None, title: str, text: str, yes_text: str = "Yes", no_text: str = "No"
) -> bool:
    """A question with two named answers; True for ``yes_text``. Escape answers no."""
    box = QMessageBox(
        QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent
    )
    yes_button = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    no_button = box.addButton(no_text, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes_button)
    box.setEscapeButton(no_button)
    box.exec()
    return box.clickedButton() is yes_button


def ask_save_discard_cancel(parent: QWidget | None, title: str, text: str) -> UnsavedChoice:
    """The unsaved-changes question with the platform's Save / Discard / Cancel buttons."""
    buttons = (
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    answer = QMessageBox.warning(parent, title, text, buttons, QMessageBox.StandardButton.Save)
    if answer == QMessageBox.StandardButton.Save:
        return UnsavedChoice.SAVE
    if answer == QMessageBox.StandardButton.Discard:
        return UnsavedChoice.DISCARD
    return UnsavedChoice.CANCEL


def ask_open_path(
    parent: QWidget | None, title: str, directory: str, name_filter: str = PROFILE_FILE_FILTER
) -> Path | None:
    """The file the user chose to open; None when cancelled."""
    chosen, _ = QFileDialog.getOpenFileName(parent, title, directory, name_filter)
    return Path(chosen) if chosen else None


def ask_save_path(
    parent: QWidget | None, title: str, suggested: str, name_filter: str = PROFILE_FILE_FILTER
) -> Path | None:
    """The file the user chose to save to (the dialog confirms overwriting); None when cancelled."""
    chosen, _ = QFileDialog.getSaveFileName(parent, title, suggested, name_filter)
    return Path(chosen) if chosen else None


TRIAL_FILE_FILTER = "ClinicalTrials.gov records (*.json *.zip);;All files (*)"


def ask_open_paths(
    parent: QWidget | None, title: str, directory: str, name_filter: str = TRIAL_FILE_FILTER
) -> list[Path]:
    """The files the user chose to open (several allowed); empty when cancelled."""
    chosen, _ = QFileDialog.getOpenFileNames(parent, title, directory, name_filter)
    return [Path(name) for name in chosen]


PDF_FILE_FILTER = "PDF documents (*.pdf);;All files (*)"
CSV_FILE_FILTER = "CSV files (*.csv);;All files (*)"


def ask_printer(parent: QWidget | None, printer: QPrinter) -> bool:
    """The platform print dialog set up on ``printer``; True when the user chose to print."""
    dialog = QPrintDialog(printer, parent)
    return dialog.exec() == QDialog.DialogCode.Accepted


def open_externally(path: Path) -> bool:
    """Open ``path`` in the system's viewer for its type; False when no viewer took it."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
