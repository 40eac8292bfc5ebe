"""A row of input widgets with the problems found in them shown underneath (icon, text, tooltip)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStyle,
    QVBoxLayout,
    QWidget,
)

# Colour only repeats what the icon and the words already say (never colour alone).
_ERROR_COLOUR = "#c62828"
_WARNING_COLOUR = "#a15c00"


class ProblemLevel(enum.Enum):
    """How serious a problem is: an error blocks the profile, a warning only asks to check."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One problem with what was typed, worded for the physician."""

    level: ProblemLevel
    message: str


class FieldBox(QWidget):
    """Input widgets side by side, each under a key, with a problem line below them.

    Signals:
        edited: any of the input widgets changed (typed, chosen, toggled).
    """

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ""
        self._editors: dict[str, QWidget] = {}
        self._key_labels: dict[str, str] = {}
        self._marks: dict[QLineEdit, QAction] = {}
        self._problems: dict[str, FieldProblem] = {}

        self.editor_layout = QHBoxLayout()
        self.editor_layout.setContentsMargins(0, 0, 0, 0)
        self.problem_icon = QLabel()
        self.problem_text = QLabel()
        self.problem_text.setWordWrap(True)
        self.problem_text.setTextFormat(Qt.TextFormat.PlainText)
        problem_row = QHBoxLayout()
        problem_row.setContentsMargins(0, 0, 0, 0)
        problem_row.addWidget(self.problem_icon)
        problem_row.addWidget(self.problem_text, 1)
        self.problem_row_widget = QWidget()
        self.problem_row_widget.setLayout(problem_row)
        self.problem_row_widget.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self.editor_layout)
        layout.addWidget(self.problem_row_widget)

    # Building -----------------------------------------------------------------------------

    def add_editor(self, key: str, editor: QWidget, label: str, stretch: int = 0) -> None:
        """Put ``editor`` in the row under ``key``; ``label`` names it in messages and for screen
        readers."""
        self.register_editor(key, editor, label)
        self.editor_layout.addWidget(editor, stretch)

    def register_editor(self, key: str, editor: QWidget, label: str) -> None:
        """Track ``editor`` under ``key`` when the caller lays it out itself (a grid)."""
        self._editors[key] = editor
        self._key_labels[key] = label
        if not editor.accessibleName():
            editor.setAccessibleName(label)
        if isinstance(editor, QLineEdit):
            editor.textChanged.connect(self._on_editor_changed)
        elif isinstance(editor, QComboBox):
            editor.currentIndexChanged.connect(self._on_editor_changed)
            if editor.isEditable():
                editor.editTextChanged.connect(self._on_editor_changed)
        elif isinstance(editor, QAbstractButton):
            editor.toggled.connect(self._on_editor_changed)

    def add_text(self, text: str) -> QLabel:
        """A plain label inside the row (a unit, a separator word)."""
        label = QLabel(text)
        self.editor_layout.addWidget(label)
        return label

    def add_stretch(self) -> None:
        self.editor_layout.addStretch(1)

    # Reading ------------------------------------------------------------------------------

    def editor(self, key: str) -> QWidget:
        return self._editors[key]

    def editor_keys(self) -> tuple[str, ...]:
        return tuple(self._editors)

    def first_editor(self) -> QWidget | None:
        return next(iter(self._editors.values()), None)

    def key_label(self, key: str) -> str:
        return self._key_labels.get(key, "")

    def problems(self) -> Mapping[str, FieldProblem]:
        return dict(self._problems)

    # Problems -----------------------------------------------------------------------------

    def show_problems(self, problems: Mapping[str, FieldProblem]) -> None:
        """Show these problems (key "" or an unknown key: the row as a whole); clear the rest."""
        if dict(problems) == self._problems:
            return  # unchanged: restyling hundreds of fields on every keystroke is wasted work
        self._problems = dict(problems)
        for key, editor in self._editors.items():
            self._mark(editor, problems.get(key))
        if not problems:
            self.problem_row_widget.hide()
            self.problem_text.clear()
            return
        lines = []
        for key, problem in problems.items():
            prefix = "Error" if problem.level is ProblemLevel.ERROR else "Check"
            name = self._key_labels.get(key)
            lines.append(
                f"{prefix}: {name}: {problem.message}" if name else f"{prefix}: {problem.message}"
            )
        is_error = any(p.level is ProblemLevel.ERROR for p in problems.values())
        icon = (
            QStyle.StandardPixmap.SP_MessageBoxCritical
            if is_error
            else (QStyle.StandardPixmap.SP_MessageBoxWarning)
        )
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.problem_icon.setPixmap(self.style().standardIcon(icon).pixmap(size, size))
        self.problem_text.setText("\n".join(lines))
        colour = _ERROR_COLOUR if is_error else _WARNING_COLOUR
        self.problem_text.setStyleSheet(f"color: {colour};")
        self.problem_row_widget.show()

    def _mark(self, editor: QWidget, problem: FieldProblem | None) -> None:
        if isinstance(editor, QLineEdit):
            old_action = self._marks.pop(editor, None)
            if old_action is not None:
                editor.removeAction(old_action)
                old_action.deleteLater()
        if problem is None:
            editor.setToolTip("")
            editor.setAccessibleDescription("")
            editor.setStyleSheet("")
            return
        editor.setToolTip(problem.message)
        editor.setAccessibleDescription(problem.message)
        is_error = problem.level is ProblemLevel.ERROR
        colour = _ERROR_COLOUR if is_error else _WARNING_COLOUR
        if isinstance(editor, QLineEdit):
            icon = (
                QStyle.StandardPixmap.SP_MessageBoxCritical
                if is_error
                else (QStyle.StandardPixmap.SP_MessageBoxWarning)
            )
            action = editor.addAction(
                self.style().standardIcon(icon), QLineEdit.ActionPosition.TrailingPosition
            )
            action.setToolTip(problem.message)
            self._marks[editor] = action
            editor.setStyleSheet(f"QLineEdit {{ border: 2px solid {colour}; }}")

    # Slots --------------------------------------------------------------------------------

    @Slot()
    def _on_editor_changed(self) -> None:
        self.edited.emit()
