"""Patient profile files for the window: New, Open, Save, Save As, recent files, crash recovery."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtCore import QObject, QSettings, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from engine.profile import PatientProfile
from models.files import atomic_write_text
from models.profile_io import ProfileFileError, read_profile_dict, save_profile
from ui import dialogs
from ui.profile.profile_panel import ProfilePanel

PROFILE_SUFFIX = ".tmprofile.json"
RECENT_FILES_KEY = "patientFiles/recent"
LAST_DIRECTORY_KEY = "patientFiles/lastDirectory"
MAX_RECENT_FILES = 8
RECOVERY_FORMAT = "trialmatch-recovery/1"
RECOVERY_FILE_NAME = "profile-recovery.json"
# Long enough not to write on every keystroke, short enough to lose little after a power cut.
AUTOSAVE_DELAY_MS = 3000


def default_recovery_dir() -> Path:
    """The per-user folder for the autosave of the profile being edited."""
    return Path(platformdirs.user_data_dir("TrialMatch", appauthor=False)) / "recovery"


class PatientFileController(QObject):
    """Opens and saves the profile shown in a ProfilePanel, and autosaves it for recovery.

    The main window puts ``new_action``, ``open_action``, ``save_action``, ``save_as_action``
    and ``recent_menu`` in its File menu, calls ``offer_recovery()`` once it is shown, and
    asks ``maybe_close()`` before it closes.

    Signals:
        current_path_changed(object): the file being edited (a Path, or None for a new one).
    """

    current_path_changed = Signal(object)

    def __init__(
        self,
        panel: ProfilePanel,
        parent_widget: QWidget | None = None,
        settings_store: QSettings | None = None,
        recovery_dir: Path | None = None,
        autosave_delay_ms: int = AUTOSAVE_DELAY_MS,
    ) -> None:
        super().__init__(parent_widget)
        self._panel = panel
        self._parent_widget = parent_widget
        self._store = settings_store if settings_store is not None else QSettings()
        self._recovery_path = (recovery_dir or default_recovery_dir()) / RECOVERY_FILE_NAME
        self._current_path: Path | None = None

        self.new_action = QAction("&New Patient", self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.setStatusTip("Start an empty patient profile")
        self.new_action.triggered.connect(self._on_new_action_triggered)
        self.open_action = QAction("&Open Patient…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.setStatusTip("Open a saved patient profile")
        self.open_action.triggered.connect(self._on_open_action_triggered)
        self.save_action = QAction("&Save Patient", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.setStatusTip("Save the patient profile")
        self.save_action.triggered.connect(self._on_save_action_triggered)
        self.save_as_action = QAction("Save Patient &As…", self)
        self.save_as_action.setShortcut(QKeySequence.StandardKey.SaveAs)
        self.save_as_action.setStatusTip("Save the patient profile under a new name")
        self.save_as_action.triggered.connect(self._on_save_as_action_triggered)
        self.recent_menu = QMenu("Open &Recent", parent_widget)
        self.recent_menu.triggered.connect(self._on_recent_menu_triggered)
        self.clear_recent_action = QAction("Clear Recent Files", self)
        self.clear_recent_action.triggered.connect(self._on_clear_recent_action_triggered)
        self._rebuild_recent_menu()

        self._autosave_timer = QTimer(self)
        self._autosave_timer.setSingleShot(True)
        self._autosave_timer.setInterval(autosave_delay_ms)
        self._autosave_timer.timeout.connect(self._on_autosave_timer_timeout)
        panel.form_edited.connect(self._on_panel_form_edited)

    # Public API -----------------------------------------------------------------------------

    @property
    def current_path(self) -> Path | None:
        return self._current_path

    @property
    def recovery_path(self) -> Path:
        return self._recovery_path

    def recent_files(self) -> list[Path]:
        value = self._store.value(RECENT_FILES_KEY, [])
        if isinstance(value, str):  # QSettings gives a lone string for a one-item list
            value = [value]
        if not isinstance(value, list):
            return []
        return [Path(item) for item in value if isinstance(item, str) and item]

    def window_title(self, application_name: str) -> str:
        """A title with the file name and Qt's "[*]" modified placeholder."""
        name = self._current_path.name if self._current_path else "New patient"
        return f"{name}[*] — {application_name}"

    def new_profile(self) -> bool:
        """An empty form, after asking about unsaved changes; False when cancelled."""
        if not self._resolve_unsaved_changes("starting a new patient"):
            return False
        self._panel.clear()
        self._set_current_path(None)
        self._discard_recovery()
        return True

    def open_profile(self, path: Path | None = None) -> bool:
        """Open ``path`` (or ask for one) after asking about unsaved changes.

        A file with invalid fields still opens: the form shows every problem next to its field,
        so the physician can correct it rather than lose it.
        """
        if not self._resolve_unsaved_changes("opening another patient"):
            return False
        if path is None:
            path = dialogs.ask_open_path(self._parent_widget, "Open Patient Profile",
                                         self._last_directory())  # fmt: skip
            if path is None:
                return False
        try:
            data = read_profile_dict(path)
        except ProfileFileError as error:
            dialogs.show_error(self._parent_widget, "Cannot open the patient profile", str(error))
            self._forget_recent(path)
            return False
        self._panel.set_form_data(data)
        self._set_current_path(path)
        self._remember_recent(path)
        self._discard_recovery()
        return True

    def save(self) -> bool:
        """Save to the current file (or ask for one); False when not saved."""
        if self._current_path is None:
            return self.save_as()
        return self._save_to(self._current_path)

    def save_as(self) -> bool:
        """Ask for a file name and save there; False when cancelled or not saved."""
        if not self._can_save():
            return False
        path = dialogs.ask_save_path(self._parent_widget, "Save Patient Profile",
                                     str(self._suggested_path()))  # fmt: skip
        if path is None:
            return False
        if not path.name.endswith(".json"):
            path = path.with_name(path.name + PROFILE_SUFFIX)
        return self._save_to(path)

    def maybe_close(self) -> bool:
        """Before the window closes: True when it may (saved or discarded), False to stay open."""
        if not self._resolve_unsaved_changes("closing"):
            return False
        self._autosave_timer.stop()
        self._discard_recovery()
        return True

    def offer_recovery(self) -> bool:
        """At start-up: offer to restore an autosave left by a crash; True when restored."""
        try:
            text = self._recovery_path.read_text(encoding="utf-8")
            recovery = json.loads(text)
        except FileNotFoundError:
            return False
        except (OSError, ValueError):
            # An unreadable autosave cannot be offered; leave it for a person to look at.
            return False
        if not isinstance(recovery, dict) or recovery.get("format") != RECOVERY_FORMAT:
            return False
        form = recovery.get("form")
        if not isinstance(form, dict):
            return False
        source = recovery.get("file")
        saved_at = recovery.get("saved_at", "an unknown time")
        about = f"the profile of {source}" if source else "an unsaved new profile"
        restore = dialogs.ask_yes_no(
            self._parent_widget,
            "Restore unsaved patient profile?",
            f"TrialMatch was not closed normally. An automatic copy of {about}, "
            f"taken at {saved_at}, was found.\n\nRestore it? Discarding deletes the copy.",
            "Restore",
            "Discard",
        )
        if not restore:
            self._discard_recovery()
            return False
        self._panel.set_form_data(form)
        self._set_current_path(Path(source) if isinstance(source, str) and source else None)
        # Restored edits are not in any file yet: they stay "modified" until saved.
        self._panel.mark_modified()
        return True

    def write_recovery(self) -> None:
        """Write the form as it is now, even when invalid, to the recovery file."""
        recovery: dict[str, Any] = {
            "format": RECOVERY_FORMAT,
            "saved_at": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
            "file": str(self._current_path) if self._current_path else None,
            "form": self._panel.form_data(),
        }
        try:
            atomic_write_text(
                self._recovery_path, json.dumps(recovery, indent=2, ensure_ascii=False) + "\n"
            )
        except OSError:
            # Autosave is a safety net; failing to write it must not interrupt the physician.
            return

    # Internals ------------------------------------------------------------------------------

    def _can_save(self) -> bool:
        errors = self._panel.errors()
        if not errors:
            return True
        listed = "\n".join(f"• {error}" for error in errors[:10])
        more = f"\n… and {len(errors) - 10} more" if len(errors) > 10 else ""
        dialogs.show_error(
            self._parent_widget,
            "The profile cannot be saved yet",
            f"Some fields need correcting first (they are marked in the form):\n{listed}{more}",
        )
        return False

    def _save_to(self, path: Path) -> bool:
        if not self._can_save():
            return False
        profile: PatientProfile | None = self._panel.current_profile()
        if profile is None:
            return False
        try:
            save_profile(profile, path)
        except ProfileFileError as error:
            dialogs.show_error(self._parent_widget, "Cannot save the patient profile", str(error))
            return False
        self._set_current_path(path)
        self._remember_recent(path)
        self._store.setValue(LAST_DIRECTORY_KEY, str(path.parent))
        self._panel.mark_saved()
        self._autosave_timer.stop()
        self._discard_recovery()
        return True

    def _resolve_unsaved_changes(self, doing: str) -> bool:
        """True when it is fine to replace the form: nothing unsaved, saved, or discarded."""
        if not self._panel.is_modified():
            return True
        choice = dialogs.ask_save_discard_cancel(
            self._parent_widget,
            "Unsaved patient profile",
            f"The patient profile has changes that are not saved. Save them before {doing}?",
        )
        if choice is dialogs.UnsavedChoice.SAVE:
            return self.save()
        return choice is dialogs.UnsavedChoice.DISCARD

    def _discard_recovery(self) -> None:
        self._recovery_path.unlink(missing_ok=True)

    def _set_current_path(self, path: Path | None) -> None:
        if path != self._current_path:
            self._current_path = path
            self.current_path_changed.emit(path)

    def _last_directory(self) -> str:
        value = self._store.value(LAST_DIRECTORY_KEY, "")
        return value if isinstance(value, str) else ""

    def _suggested_path(self) -> Path:
        if self._current_path is not None:
            return self._current_path
        profile = self._panel.current_profile()
        stem = "patient"
        if profile is not None:
            named = profile.patient.record_number or profile.patient.name
            if named:
                stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in named).strip("_")
        return Path(self._last_directory() or Path.home()) / f"{stem or 'patient'}{PROFILE_SUFFIX}"

    def _remember_recent(self, path: Path) -> None:
        resolved = str(path.resolve())
        recent = [str(p) for p in self.recent_files() if str(p) != resolved]
        self._store.setValue(RECENT_FILES_KEY, [resolved, *recent][:MAX_RECENT_FILES])
        self._rebuild_recent_menu()

    def _forget_recent(self, path: Path) -> None:
        resolved = str(path.resolve())
        recent = [str(p) for p in self.recent_files() if str(p) not in (resolved, str(path))]
        self._store.setValue(RECENT_FILES_KEY, recent)
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        for number, path in enumerate(recent, start=1):
            action = self.recent_menu.addAction(f"&{number} {path.name}")
            action.setData(str(path))
            action.setStatusTip(str(path))
            action.setToolTip(str(path))
        if recent:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction(self.clear_recent_action)
        self.recent_menu.setEnabled(bool(recent))

    # Slots ----------------------------------------------------------------------------------

    @Slot()
    def _on_new_action_triggered(self) -> None:
        self.new_profile()

    @Slot()
    def _on_open_action_triggered(self) -> None:
        self.open_profile()

    @Slot()
    def _on_save_action_triggered(self) -> None:
        self.save()

    @Slot()
    def _on_save_as_action_triggered(self) -> None:
        self.save_as()

    @Slot(QAction)
    def _on_recent_menu_triggered(self, action: QAction) -> None:
        data = action.data()
        if isinstance(data, str) and data:
            self.open_profile(Path(data))

    @Slot()
    def _on_clear_recent_action_triggered(self) -> None:
        self._store.setValue(RECENT_FILES_KEY, [])
        self._rebuild_recent_menu()

    @Slot()
    def _on_panel_form_edited(self) -> None:
        self._autosave_timer.start()

    @Slot()
    def _on_autosave_timer_timeout(self) -> None:
        self.write_recovery()
