"""LetterDialog: which trials go into the referral letter, de-identified or not, who signs it."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.outcomes import Verdict
from models.letter import verdict_text
from models.matching import MatchReport
from models.settings import ClinicSettings

DEIDENTIFIED_LABEL = "De-identified pre-screen summary (HIPAA Safe Harbor: age and sex only)"
CONSENT_NOTE = (
    "The patient's agreement to be contacted by a study team is not recorded. Only the "
    "de-identified pre-screen summary may be sent until the patient agrees."
)
TRIAL_ID_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True, slots=True)
class LetterChoices:
    """What the physician chose for one letter (the arguments of models.letter.export_letter)."""

    trial_ids: tuple[str, ...]
    deidentified: bool
    physician: str


class LetterDialog(QDialog):
    """Asks which trials to refer to (all not ruled out are ticked), the form and the signer."""

    def __init__(
        self, report: MatchReport, settings: ClinicSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Referral letter")
        self._consent_recorded = report.profile.consent_to_contact is True

        self.trial_list = QListWidget()
        self.trial_list.setAccessibleName("Trials in the letter")
        for match in report.trials:
            trial_id = match.trial_id
            title = match.title or "(no title)"
            item = QListWidgetItem(f"{trial_id} — {verdict_text(match.outcome)}\n{title}")
            item.setData(TRIAL_ID_ROLE, trial_id)
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsUserCheckable
                | Qt.ItemFlag.ItemIsSelectable
            )
            ruled_out = match.outcome.verdict is Verdict.NOT_ELIGIBLE
            item.setCheckState(Qt.CheckState.Unchecked if ruled_out else Qt.CheckState.Checked)
            self.trial_list.addItem(item)

        self.deidentified_box = QCheckBox(DEIDENTIFIED_LABEL)
        # Without recorded consent an identified letter may not leave the clinic.
        self.deidentified_box.setChecked(not self._consent_recorded)
        self.consent_label = QLabel(CONSENT_NOTE)
        self.consent_label.setWordWrap(True)
        self.consent_label.setVisible(not self._consent_recorded)
        self.physician_edit = QLineEdit(settings.physician_name)
        self.physician_edit.setPlaceholderText("Name of the signing physician")
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)

        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Signing physician:", self.physician_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Trials to refer to (ruled-out trials are not ticked):"))
        layout.addWidget(self.trial_list)
        layout.addWidget(self.deidentified_box)
        layout.addWidget(self.consent_label)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.button_box)
        self.resize(640, 420)

        self.trial_list.itemChanged.connect(self._on_trial_list_item_changed)
        self.deidentified_box.toggled.connect(self._on_deidentified_box_toggled)
        self.physician_edit.textChanged.connect(self._on_physician_edit_text_changed)
        self._update_ok()

    @classmethod
    def ask(
        cls, parent: QWidget | None, report: MatchReport, settings: ClinicSettings
    ) -> LetterChoices | None:
        """The physician's choices, or None when cancelled."""
        dialog = cls(report, settings, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.choices()

    def choices(self) -> LetterChoices:
        return LetterChoices(
            trial_ids=self.checked_trial_ids(),
            deidentified=self.deidentified_box.isChecked(),
            physician=self.physician_edit.text().strip(),
        )

    def checked_trial_ids(self) -> tuple[str, ...]:
        items = (self.trial_list.item(row) for row in range(self.trial_list.count()))
        return tuple(
            str(item.data(TRIAL_ID_ROLE))
            for item in items
            if item.checkState() == Qt.CheckState.Checked
        )

    def problem(self) -> str:
        """Why the letter cannot be written as chosen now; empty when it can."""
        if not self.checked_trial_ids():
            return "Tick at least one trial."
        if not self.physician_edit.text().strip():
            return "Enter the signing physician."
        if not self.deidentified_box.isChecked() and not self._consent_recorded:
            return "An identified letter needs the patient's recorded agreement to be contacted."
        return ""

    def _update_ok(self) -> None:
        problem = self.problem()
        self.problem_label.setText(problem)
        ok_button = self.button_box.button(QDialogButtonBox.StandardButton.Ok)
        ok_button.setEnabled(not problem)

    @Slot(QListWidgetItem)
    def _on_trial_list_item_changed(self, _item: QListWidgetItem) -> None:
        self._update_ok()

    @Slot(bool)
    def _on_deidentified_box_toggled(self, _checked: bool) -> None:
        self._update_ok()

    @Slot(str)
    def _on_physician_edit_text_changed(self, _text: str) -> None:
        self._update_ok()
