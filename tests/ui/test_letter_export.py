"""Export letter… in the window: dialog choices, the PDF, the referral log, errors, recovery."""

from __future__ import annotations

import csv
import dataclasses
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from engine.outcomes import Verdict
from engine.profile import PatientProfile
from models.letter import DEIDENTIFIED_MARK, REFERRAL_CSV_COLUMNS, verdict_text
from models.operations import OpenedDatabase, list_referrals, log_referral
from models.referral import ReferralKind
from models.settings import ClinicSettings
from ui import dialogs
from ui.dialogs import UnsavedChoice
from ui.letter_dialog import LetterChoices, LetterDialog
from ui.referral_log_dialog import ReferralLogDialog
from ui.referral_log_model import ReferralLogModel

# The offscreen platform cannot size or raise windows; these warnings say only that.
pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", "This plugin does not support raise"
)

MakeWindow = Callable[..., Any]
SETTINGS = ClinicSettings(clinic_name="Riverside Rheumatology", physician_name="Dr. Ada Byron")


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def matched_window(
    qtbot: QtBot, make_window: MakeWindow, golden_profile: Callable[[str], PatientProfile]
) -> Any:
    """The window showing the ranked trials for the adult SLE patient (consent recorded)."""
    window = make_window(settings=SETTINGS)
    window.show()
    window.profile_panel.set_profile(golden_profile("adult_refractory_sle"))
    qtbot.waitUntil(lambda: window.report is not None and not window.matching, timeout=15000)
    return window


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any message box or chooser not patched by the test fails it; errors are recorded."""
    errors: list[str] = []

    def fail(*_args: object) -> None:
        raise AssertionError("an unexpected dialog was opened")

    for name in ("ask_save_path", "ask_yes_no", "ask_printer", "open_externally"):
        monkeypatch.setattr(dialogs, name, fail)
    monkeypatch.setattr(LetterDialog, "ask", fail)
    monkeypatch.setattr(
        dialogs, "show_error", lambda _parent, _title, text, *_: errors.append(text)
    )
    return errors


def two_trial_ids(window: Any) -> tuple[str, str]:
    ids = [match.detail.summary.trial_id for match in window.report.trials]
    assert len(ids) >= 2
    return ids[0], ids[1]


def export_with(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    window: Any,
    choices: LetterChoices,
    out_path: Path,
) -> list[str]:
    """Trigger Export letter… with the given choices; the questions asked afterwards."""
    asked: list[str] = []
    monkeypatch.setattr(LetterDialog, "ask", lambda *_: choices)
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *_: out_path)

    def ask_yes_no(_parent: object, title: str, *_: object) -> bool:
        asked.append(title)
        return False

    monkeypatch.setattr(dialogs, "ask_yes_no", ask_yes_no)
    assert window.export_action.isEnabled()
    window.export_action.trigger()
    qtbot.waitUntil(lambda: not window._letter_running, timeout=15000)
    return asked


def test_export_writes_both_trials_and_logs_the_referral(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    matched_window: Any,
    bundled_database: OpenedDatabase,
    no_dialogs: list[str],
    tmp_path: Path,
) -> None:
    first, second = two_trial_ids(matched_window)
    out_path = tmp_path / "letters" / "referral.pdf"
    choices = LetterChoices((first, second), deidentified=False, physician="Dr. Ada Byron")

    asked = export_with(qtbot, monkeypatch, matched_window, choices, out_path)

    assert no_dialogs == []
    assert asked == ["Referral letter written"]
    text = pdf_text(out_path)
    assert first in text
    assert second in text
    assert "Lena Adult-SLE" in text
    assert "Dr. Ada Byron" in text
    records = list_referrals(bundled_database.session_factory)
    assert len(records) == 1
    assert records[0].kind is ReferralKind.EXPORT
    assert set(records[0].trial_ids) == {first, second}
    assert records[0].patient_identifier == "GOLDEN-LENA"
    assert records[0].file_name == "referral.pdf"
    assert str(out_path) in matched_window.statusBar().currentMessage()
    assert matched_window.export_action.isEnabled()


def test_accepting_the_offer_opens_the_pdf_in_the_system_viewer(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    matched_window: Any,
    no_dialogs: list[str],
    tmp_path: Path,
) -> None:
    first, _ = two_trial_ids(matched_window)
    opened: list[Path] = []
    out_path = tmp_path / "referral.pdf"
    monkeypatch.setattr(LetterDialog, "ask", lambda *_: LetterChoices((first,), False, "Dr. A"))
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *_: out_path)
    monkeypatch.setattr(dialogs, "ask_yes_no", lambda *_: True)

    def open_externally(path: Path) -> bool:
        opened.append(path)
        return True

    monkeypatch.setattr(dialogs, "open_externally", open_externally)
    matched_window.export_action.trigger()
    qtbot.waitUntil(lambda: bool(opened), timeout=15000)
    assert opened == [out_path]


def test_deidentified_letter_has_no_name_and_is_marked_in_the_log(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    matched_window: Any,
    bundled_database: OpenedDatabase,
    no_dialogs: list[str],
    tmp_path: Path,
) -> None:
    first, second = two_trial_ids(matched_window)
    out_path = tmp_path / "summary.pdf"
    choices = LetterChoices((first, second), deidentified=True, physician="Dr. Ada Byron")

    export_with(qtbot, monkeypatch, matched_window, choices, out_path)

    assert no_dialogs == []
    text = pdf_text(out_path)
    assert first in text
    assert second in text
    assert "Lena" not in text
    assert "GOLDEN-LENA" not in text
    assert "De-identified" in text
    (record,) = list_referrals(bundled_database.session_factory)
    assert record.patient_identifier == "GOLDEN-LENA" + DEIDENTIFIED_MARK


def test_unwritable_folder_is_reported_without_logging(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    matched_window: Any,
    bundled_database: OpenedDatabase,
    no_dialogs: list[str],
    tmp_path: Path,
) -> None:
    first, _ = two_trial_ids(matched_window)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be\n")
    out_path = blocker / "referral.pdf"
    monkeypatch.setattr(LetterDialog, "ask", lambda *_: LetterChoices((first,), False, "Dr. A"))
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *_: out_path)
    matched_window.export_action.trigger()
    qtbot.waitUntil(lambda: bool(no_dialogs), timeout=15000)

    assert no_dialogs[0].startswith(f"{out_path} could not be written (")
    assert "Traceback" not in no_dialogs[0]
    assert not out_path.exists()
    assert list_referrals(bundled_database.session_factory) == ()
    assert matched_window.export_action.isEnabled()


def test_cancelled_letter_dialog_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
    matched_window: Any,
    bundled_database: OpenedDatabase,
    no_dialogs: list[str],
) -> None:
    monkeypatch.setattr(LetterDialog, "ask", lambda *_: None)
    matched_window.export_action.trigger()  # ask_save_path would fail the test if reached
    assert matched_window.runner.active_count == 0
    assert list_referrals(bundled_database.session_factory) == ()


def test_letter_actions_follow_the_report(
    qtbot: QtBot, make_window: MakeWindow, golden_profile: Callable[[str], PatientProfile]
) -> None:
    window = make_window(settings=SETTINGS)
    assert not window.export_action.isEnabled()
    assert not window.print_action.isEnabled()
    window.profile_panel.set_profile(golden_profile("adult_refractory_sle"))
    qtbot.waitUntil(lambda: window.report is not None and not window.matching, timeout=15000)
    assert window.export_action.isEnabled()
    assert window.print_action.isEnabled()
    file_items = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert "&Referral log…" in file_items


def test_letter_dialog_ticks_trials_not_ruled_out_and_needs_consent_for_identified_letters(
    qtbot: QtBot, matched_window: Any, golden_profile: Callable[[str], PatientProfile]
) -> None:
    report = matched_window.report
    dialog = LetterDialog(report, SETTINGS)
    qtbot.addWidget(dialog)
    expected = tuple(
        m.detail.summary.trial_id
        for m in report.trials
        if m.evaluation.verdict is not Verdict.NOT_ELIGIBLE
    )
    assert dialog.checked_trial_ids() == expected
    assert dialog.trial_list.count() == len(report.trials)
    first_text = dialog.trial_list.item(0).text()
    assert report.trials[0].detail.summary.trial_id in first_text
    assert verdict_text(report.trials[0].evaluation) in first_text
    assert dialog.physician_edit.text() == "Dr. Ada Byron"
    # Consent is recorded for this patient: the identified letter is the default.
    assert not dialog.deidentified_box.isChecked()
    assert dialog.consent_label.isHidden()
    ok = dialog.button_box.button(dialog.button_box.StandardButton.Ok)
    assert ok.isEnabled()
    dialog.physician_edit.clear()
    assert not ok.isEnabled()
    dialog.physician_edit.setText("Dr. B")
    for row in range(dialog.trial_list.count()):
        dialog.trial_list.item(row).setCheckState(Qt.CheckState.Unchecked)
    assert not ok.isEnabled()
    assert dialog.problem() == "Tick at least one trial."

    without_consent = dataclasses.replace(
        report, profile=dataclasses.replace(report.profile, consent_to_contact=None)
    )
    guarded = LetterDialog(without_consent, SETTINGS)
    qtbot.addWidget(guarded)
    assert guarded.deidentified_box.isChecked()
    assert not guarded.consent_label.isHidden()
    guarded_ok = guarded.button_box.button(guarded.button_box.StandardButton.Ok)
    assert guarded_ok.isEnabled()
    guarded.deidentified_box.setChecked(False)
    assert not guarded_ok.isEnabled()
    assert "agreement to be contacted" in guarded.problem()
    assert guarded.choices().trial_ids == guarded.checked_trial_ids()


def test_referral_log_dialog_lists_the_export_and_writes_the_cli_csv(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    matched_window: Any,
    no_dialogs: list[str],
    tmp_path: Path,
    qtmodeltester: Any,
) -> None:
    first, second = two_trial_ids(matched_window)
    export_with(
        qtbot,
        monkeypatch,
        matched_window,
        LetterChoices((first, second), deidentified=False, physician="Dr. Ada Byron"),
        tmp_path / "referral.pdf",
    )
    log = matched_window.open_referral_log()
    assert isinstance(log, ReferralLogDialog)
    qtbot.waitUntil(lambda: not log.loading and log.model.rowCount() == 1, timeout=15000)
    qtmodeltester.check(log.model)
    texts = [log.model.index(0, column).data() for column in range(log.model.columnCount())]
    assert texts[1] == "export"
    assert texts[2] == f"{first} {second}"
    assert texts[3] == "GOLDEN-LENA"
    assert texts[4] == "Dr. Ada Byron"
    assert texts[5] == "referral.pdf"
    assert log.export_button.isEnabled()

    csv_path = tmp_path / "log.csv"
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *_: tmp_path / "log")
    log.export_button.click()
    qtbot.waitUntil(lambda: csv_path.exists() and log.export_button.isEnabled(), timeout=15000)
    with csv_path.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert tuple(rows[0]) == REFERRAL_CSV_COLUMNS
    assert rows[1] == texts
    assert no_dialogs == []


def test_referral_log_model_passes_modeltester_empty_and_filled(
    qtmodeltester: Any, bundled_database: OpenedDatabase
) -> None:
    model = ReferralLogModel()
    qtmodeltester.check(model)
    assert model.rowCount() == 0
    record = log_referral(
        bundled_database.session_factory,
        trial_ids=["NCT00000001"],
        patient_identifier="MRN-1",
        physician="Dr. A",
        kind=ReferralKind.PRINT,
        file_name=None,
    )
    model.set_rows([record])
    qtmodeltester.check(model)
    assert model.row_at(0) == record
    assert model.index(0, 1).data() == "print"
    assert model.index(0, 5).data() == ""
    assert model.index(0, 3).data(Qt.ItemDataRole.ToolTipRole) == "MRN-1"
    assert model.headerData(0, Qt.Orientation.Horizontal) == "When (UTC)"
    assert model.headerData(0, Qt.Orientation.Vertical) == "1"
    assert model.records == (record,)
    model.set_rows([])
    qtmodeltester.check(model)
    assert model.records == ()


def test_crash_recovery_is_offered_once_the_window_is_shown(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    make_window: MakeWindow,
    golden_profile: Callable[[str], PatientProfile],
) -> None:
    crashed = make_window()
    crashed.profile_panel.set_profile(golden_profile("adult_refractory_sle"))
    crashed.patient_files.write_recovery()
    assert crashed.patient_files.recovery_path.exists()

    asked: list[str] = []

    def restore(_parent: object, title: str, *_: object) -> bool:
        asked.append(title)
        return True

    monkeypatch.setattr(dialogs, "ask_yes_no", restore)
    # Both windows hold unsaved edits when the test closes them: discard, do not ask.
    monkeypatch.setattr(dialogs, "ask_save_discard_cancel", lambda *_: UnsavedChoice.DISCARD)
    restarted = make_window()
    assert asked == []  # not before the window is on screen
    restarted.show()
    qtbot.waitUntil(lambda: bool(asked))
    assert asked == ["Restore unsaved patient profile?"]
    profile = restarted.profile_panel.current_profile()
    assert profile is not None
    assert profile.patient.name == "Lena Adult-SLE"
    restarted.hide()
    restarted.show()
    qtbot.wait(1)  # a second show must not ask again (the offer is made once)
    assert len(asked) == 1
