"""The main window's status bar: passing messages on the left, the standing figures on the right.

QStatusBar paints a message from showMessage() only in the room its permanent widgets leave; a hover label that
stretched over the whole bar left none, so no message was ever seen. Here the message has a label of its own,
the first permanent widget with all the stretch, fed by the bar's messageChanged signal (so every
`statusBar().showMessage(...)` in the app lands there, and the bar's own painting gets no room and draws nothing
twice). The hover text sits on the right in a label of limited width.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy

HOVER_WIDTH = (120, 320)  # pixels: the account under the pointer, at least and at most
FIGURES = ("accounts", "selected", "active")


class ElidedLabel(QLabel):
    """A one-line label that never widens the window for a long text: it shows what fits, ending in "…", and
    the whole text as its tooltip."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setMinimumWidth(1)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text if self.fontMetrics().horizontalAdvance(text) > self.contentsRect().width() else "")

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        rect = self.contentsRect().adjusted(self.margin(), 0, -self.margin(), 0)
        shown = self.fontMetrics().elidedText(self.text(), Qt.ElideRight, rect.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(Qt.AlignLeft | Qt.AlignVCenter), shown)


def install(window) -> tuple[ElidedLabel, dict[str, QLabel]]:
    """Build the bar; returns (the message label, {"accounts", "selected", "active", "hover": label})."""
    bar = window.statusBar()
    message = ElidedLabel(bar)
    message.setObjectName("status_message")
    bar.addPermanentWidget(message, 1)
    bar.messageChanged.connect(message.setText)
    labels: dict[str, QLabel] = {key: QLabel(bar) for key in FIGURES}
    for label in labels.values():
        bar.addPermanentWidget(label)
    hover = ElidedLabel(bar)
    hover.setObjectName("status_hover")
    hover.setMinimumWidth(HOVER_WIDTH[0])
    hover.setMaximumWidth(HOVER_WIDTH[1])
    hover.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
    bar.addPermanentWidget(hover)
    labels["hover"] = hover
    return message, labels
