"""A combo box of fixed answers with their profile values; yes/no/not known starts at not known."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox, QWidget

NOT_KNOWN = "not known"


class ChoiceCombo(QComboBox):
    """Fixed answers, each carrying the value the profile stores (None: nothing entered).

    A value read from a file that is none of the answers is kept as an extra item, so it is
    written back unchanged and validation can say what is wrong with it.
    """

    def __init__(
        self, choices: Sequence[tuple[str, object]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        for label, value in choices:
            self.addItem(label, value)
        self._choice_count = len(choices)

    def value(self) -> object:
        return self.currentData()

    def set_choice_count(self, count: int) -> None:
        """After the caller refilled the answers itself: how many of the items are answers."""
        self._choice_count = count

    def set_value(self, value: object, foreign_label: str | None = None) -> None:
        """Select the answer carrying ``value``; an unknown value is added as an extra item."""
        self._drop_foreign_items()
        for index in range(self.count()):
            stored = self.itemData(index)
            # bool is an int in Python: compare types too so True never matches 1.
            if type(stored) is type(value) and stored == value:
                self.setCurrentIndex(index)
                return
        label = foreign_label or f"{value!r} (from the file; not a valid answer)"
        self.addItem(label, value)
        self.setCurrentIndex(self.count() - 1)

    def reset(self) -> None:
        """Back to the first answer (not known / not done)."""
        self._drop_foreign_items()
        self.setCurrentIndex(0)

    def _drop_foreign_items(self) -> None:
        while self.count() > self._choice_count:
            self.removeItem(self.count() - 1)


def tri_state_combo(yes: str = "yes", no: str = "no", parent: QWidget | None = None) -> ChoiceCombo:
    """Yes / no / not known, starting at not known: an unanswered question is never "no"."""
    return ChoiceCombo([(NOT_KNOWN, None), (yes, True), (no, False)], parent)
