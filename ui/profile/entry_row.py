"""The base of the form's rows that each read and write one entry of a profile list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from ui.profile.field_box import FieldBox
from ui.profile.form_values import text_of

DATE_PLACEHOLDER = "YYYY-MM-DD"


def make_line_edit(accessible_name: str, width_chars: int, placeholder: str = "") -> QLineEdit:
    """A line edit sized in characters of the current font (high-DPI safe)."""
    edit = QLineEdit()
    edit.setAccessibleName(accessible_name)
    edit.setPlaceholderText(placeholder)
    metrics = edit.fontMetrics()
    edit.setMinimumWidth(metrics.horizontalAdvance("0") * width_chars + metrics.height())
    return edit


def make_date_edit(accessible_name: str) -> QLineEdit:
    """Dates are typed as text, so a half-typed or impossible date is kept and explained."""
    edit = make_line_edit(accessible_name, 10, DATE_PLACEHOLDER)
    edit.setToolTip("Date as YYYY-MM-DD")
    return edit


class EntryRow(FieldBox):
    """One entry (a lab, a test, a score …): the title, its inputs and its problems.

    Keys of a loaded entry that the row does not edit are kept and written back, and so are
    other entries for the same item (earlier results): nothing read from a file is dropped.
    """

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.title_label = QLabel(title)
        self.title_label.setWordWrap(True)
        metrics = self.title_label.fontMetrics()
        self.title_label.setMinimumWidth(metrics.horizontalAdvance("0") * 15)
        self.title_label.setMaximumWidth(metrics.horizontalAdvance("0") * 26)
        self.editor_layout.addWidget(self.title_label)
        self.kept_note = QLabel()
        self.kept_note.setWordWrap(True)
        self.kept_note.hide()
        layout = self.layout()
        assert layout is not None
        layout.addWidget(self.kept_note)
        self.extra: dict[str, Any] = {}
        self.kept_entries: list[Any] = []

    def to_entry(self) -> dict[str, Any] | None:
        """The profile entry the row holds; None when nothing is entered."""
        raise NotImplementedError

    def load_entry(self, entry: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def clear_row(self) -> None:
        raise NotImplementedError

    def set_kept_entries(self, entries: list[Any]) -> None:
        self.kept_entries = list(entries)
        if not entries:
            self.kept_note.hide()
            return
        described = []
        for entry in entries:
            if isinstance(entry, Mapping):
                parts = [text_of(entry.get(k)) for k in ("value", "unit", "result") if k in entry]
                day = entry.get("date") or entry.get("start")
                described.append(" ".join(p for p in parts if p) + (f" on {day}" if day else ""))
        count = len(entries)
        self.kept_note.setText(
            f"{count} other entr{'y' if count == 1 else 'ies'} from the file kept unchanged: "
            + "; ".join(d for d in described if d)
        )
        self.kept_note.show()

    def _with_extra(self, entry: dict[str, Any]) -> dict[str, Any]:
        merged = dict(self.extra)
        merged.update(entry)
        return merged

    def _remember_extra(self, entry: Mapping[str, Any], edited_keys: set[str]) -> None:
        self.extra = {k: v for k, v in entry.items() if k not in edited_keys}
