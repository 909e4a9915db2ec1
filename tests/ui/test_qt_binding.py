"""Guards against a Qt binding that corrupts the interpreter (PySide6 6.12.0 under Python 3.11 drops a
reference to None on every call returning nothing; the app then aborts after a few lassos)."""

import sys

from PySide6.QtWidgets import QLabel


def test_qt_calls_keep_none_alive(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("x")
    assert sys.getrefcount(None) >= before - 50
