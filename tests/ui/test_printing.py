"""Printing: print_pdf into a PDF-format QPrinter, and Print… from the window logging kind print."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot

import ui.main_window
from engine.profile import PatientProfile
from models.matching import match_patient
from models.operations import OpenedDatabase, list_referrals
from models.referral import ReferralKind
from models.settings import ClinicSettings
from ui import dialogs
from ui.letter_dialog import LetterChoices, LetterDialog
from ui.printing import PrintError, print_pdf, write_letter_pdf

# The offscreen platform cannot size or raise windows; these warnings say only that.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

SETTINGS = ClinicSettings(clinic_name="Riverside Rheumatology", physician_name="Dr. Ada Byron")


def page_count(path: Path) -> int:
    document = QPdfDocument()
    assert document.load(str(path)) == QPdfDocument.Error.None_
    return document.pageCount()


def pdf_printer(out_path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(out_path))
    return printer


def test_print_pdf_prints_every_page_of_the_letter(
    qtbot: QtBot,
    bundled_database: OpenedDatabase,
    golden_profile: Callable[[str], PatientProfile],
    tmp_path: Path,
) -> None:
    profile = golden_profile("adult_refractory_sle")
    report = match_patient(
        bundled_database.session_factory,
        profile,
        screening_date=profile.screening_date or dt.date(2026, 11, 23),
        settings=SETTINGS,
    )
    trial_ids = tuple(m.detail.summary.trial_id for m in report.trials)
    letter_path = tmp_path / "letter.pdf"
    write_letter_pdf(
        report, SETTINGS, trial_ids, letter_path, deidentified=False, physician="Dr. Ada Byron"
    )
    source_pages = page_count(letter_path)
    assert source_pages >= 2  # every trial has its own section: more than one page

    printed_path = tmp_path / "printed.pdf"
    pages = print_pdf(letter_path, pdf_printer(printed_path))

    assert pages == source_pages
    assert page_count(printed_path) == source_pages


def test_print_pdf_refuses_a_file_that_is_not_a_pdf(tmp_path: Path) -> None:
    not_pdf = tmp_path / "letter.pdf"
    not_pdf.write_text("not a PDF\n")
    with pytest.raises(PrintError, match="could not be read"):
        print_pdf(not_pdf, pdf_printer(tmp_path / "out.pdf"))
    assert not (tmp_path / "out.pdf").exists()


@pytest.fixture
def matched_window(
    qtbot: QtBot, make_window: Callable[..., Any], golden_profile: Callable[[str], PatientProfile]
) -> Any:
    window = make_window(settings=SETTINGS)
    window.profile_panel.set_profile(golden_profile("adult_refractory_sle"))
    qtbot.waitUntil(lambda: window.report is not None and not window.matching, timeout=15000)
    return window


def test_print_action_prints_the_letter_logs_print_and_removes_the_temporary_pdf(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    matched_window: Any,
    bundled_database: OpenedDatabase,
    tmp_path: Path,
) -> None:
    trial_ids = tuple(m.detail.summary.trial_id for m in matched_window.report.trials[:2])
    printed_path = tmp_path / "printed.pdf"
    printed_from: list[tuple[Path, int]] = []
    errors: list[str] = []

    def ask_printer(_parent: object, printer: QPrinter) -> bool:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed_path))
        return True

    def recording_print_pdf(path: Path, printer: QPrinter) -> int:
        pages = print_pdf(path, printer)
        printed_from.append((path, page_count(path)))
        return pages

    monkeypatch.setattr(LetterDialog, "ask", lambda *_: LetterChoices(trial_ids, True, "Dr. A"))
    monkeypatch.setattr(dialogs, "ask_printer", ask_printer)
    monkeypatch.setattr(dialogs, "show_error", lambda _p, _t, text, *_: errors.append(text))
    monkeypatch.setattr(ui.main_window, "print_pdf", recording_print_pdf)
    matched_window.print_action.trigger()
    qtbot.waitUntil(lambda: bool(list_referrals(bundled_database.session_factory)), timeout=15000)

    assert errors == []
    ((temporary, source_pages),) = printed_from
    assert not temporary.exists()  # it held patient data
    assert page_count(printed_path) == source_pages
    (record,) = list_referrals(bundled_database.session_factory)
    assert record.kind is ReferralKind.PRINT
    assert record.trial_ids == trial_ids
    assert record.file_name is None
    assert record.patient_identifier.endswith("[de-identified letter]")
    qtbot.waitUntil(lambda: "printer" in matched_window.statusBar().currentMessage())


def test_cancelled_print_dialog_logs_nothing(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    matched_window: Any,
    bundled_database: OpenedDatabase,
) -> None:
    trial_id = matched_window.report.trials[0].detail.summary.trial_id
    asked: list[bool] = []
    monkeypatch.setattr(LetterDialog, "ask", lambda *_: LetterChoices((trial_id,), False, "Dr."))

    def ask_printer(*_: object) -> bool:
        asked.append(True)
        return False

    monkeypatch.setattr(dialogs, "ask_printer", ask_printer)
    matched_window.print_action.trigger()
    qtbot.waitUntil(lambda: bool(asked) and not matched_window._letter_running, timeout=15000)
    assert list_referrals(bundled_database.session_factory) == ()
    assert "cancelled" in matched_window.statusBar().currentMessage()
