"""Fixtures of every UI test: settings and data folders that never touch the user's, and message boxes
captured instead of shown."""

import pytest
from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QMessageBox


@pytest.fixture(autouse=True)
def isolated_settings(qapp, tmp_path):
    """Recent files, view options and the data folder of the tests never touch the user's."""
    qapp.setOrganizationName("desktop_planner_tests")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    QStandardPaths.setTestModeEnabled(True)


@pytest.fixture
def messages(monkeypatch):
    """Every message box's text, instead of a modal dialog."""
    shown: list[str] = []

    def capture(parent, title, text, *args, **kwargs):
        shown.append(text)
        return QMessageBox.Ok

    for kind in ("critical", "warning", "information"):
        monkeypatch.setattr(QMessageBox, kind, capture)
    return shown


@pytest.fixture(autouse=True)
def no_stuck_modifiers():
    """A test whose key release went to an inactive window leaves Qt believing Ctrl is held, and the next
    test's lasso then only selects. Clear the state after every test."""
    yield
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget
    if QApplication.keyboardModifiers() != Qt.NoModifier:
        sink = QWidget()
        sink.show()
        QTest.keyClick(sink, Qt.Key_A)
        sink.close()
