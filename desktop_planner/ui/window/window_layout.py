"""Where the main window sits and how its space is shared: opening within the screen, remembering the window's
geometry, docks and splitter between runs, and the side panel the user can collapse so the map dominates.

A window that always opened at 1600×1000 put the Dev % column, the status bar and the bottom of the map off a
1366×768 laptop screen. Now the first start fits the screen's available area (without the task bar), later
starts restore what the user left (Qt moves a restored window back onto a screen that is smaller now), and the
map keeps at least MAP_SHARE of the width when the panel is fitted to its columns. `--screenshot` neither
restores nor remembers anything: it renders at exactly the size asked for.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, Qt
from PySide6.QtGui import QAction, QKeySequence

from desktop_planner.ui.panel.balance_panel import DEVIATION_COLUMN

PREFERRED_SIZE = (1600, 1000)  # the first start's size on a screen with room for it
FRAME_ALLOWANCE = (16, 40)  # pixels of window frame and title bar beyond the window's own size, a typical guess
MAP_SHARE = 0.58  # of the splitter's width the map keeps when the panel is fitted to its columns
SIDE_PANEL_SHORTCUT = "Ctrl+Shift+P"
# QSettings keys
GEOMETRY, STATE, SPLITTER, PANEL_WIDTH = "window/geometry", "window/state", "window/splitter", "window/panel_width"


class WindowLayout:
    """Installed once per window: the splitter's behaviour, View > Side panel, placing and remembering."""

    def __init__(self, window) -> None:
        self.window = window
        self.splitter = window.splitter
        self.remember = True  # False for screenshots: nothing is written to the user's settings
        self.user_sized = False  # the user dragged the splitter, or it was restored: opening leaves it be
        self._panel_width = 0  # the panel's width before it was collapsed, to give it back
        self.splitter.setChildrenCollapsible(True)
        self.splitter.setCollapsible(0, False)  # the map never disappears
        self.splitter.setCollapsible(1, True)  # the panel may, dragged to the edge or from the View menu
        self.splitter.splitterMoved.connect(self._moved_by_user)
        # Dev % shown second, after the territory: a narrow panel still shows the balance without scrolling.
        header = window.panel.table.horizontalHeader()
        header.moveSection(header.visualIndex(DEVIATION_COLUMN), 1)
        self.action = QAction("Side &panel", window)
        self.action.setCheckable(True)
        self.action.setChecked(True)
        self.action.setShortcut(QKeySequence(SIDE_PANEL_SHORTCUT))
        self.action.setShortcutContext(Qt.ApplicationShortcut)  # works before the window was ever clicked
        self.action.setStatusTip("Show or hide the balance panel; the map takes the room")
        self.action.toggled.connect(self.set_panel_shown)
        window.addAction(self.action)
        window.named_actions["side_panel"] = self.action
        view = window.menus["view"]
        view.insertAction(view.actions()[0] if view.actions() else None, self.action)

    # -- the side panel ---------------------------------------------------------------------------------
    def panel_shown(self) -> bool:
        return self.splitter.sizes()[1] > 0

    def set_panel_shown(self, shown: bool) -> None:
        if shown == self.panel_shown():
            return
        total = sum(self.splitter.sizes()) or self.splitter.width()
        if shown:
            panel = self._panel_width or self.fitted_panel_width(total)
            self.splitter.setSizes([total - panel, panel])
        else:
            self._panel_width = self.splitter.sizes()[1]
            self.splitter.setSizes([total, 0])
        self._sync_action()

    def _moved_by_user(self, *_) -> None:
        self.user_sized = True
        self._sync_action()

    def _sync_action(self) -> None:
        shown = self.panel_shown()
        if shown:
            self._panel_width = 0
        if self.action.isChecked() != shown:
            self.action.blockSignals(True)
            self.action.setChecked(shown)
            self.action.blockSignals(False)

    def fitted_panel_width(self, total: int) -> int:
        """Wide enough for every column, but never more than leaves the map MAP_SHARE of `total`."""
        return max(0, min(self.window.panel.preferred_width(), int(total * (1.0 - MAP_SHARE))))

    def fit_panel(self) -> None:
        """Fit the panel to its columns (a project was opened), unless the user has sized or collapsed it."""
        sizes = self.splitter.sizes()
        total = sum(sizes) or self.window.width()
        if self.user_sized or (sum(sizes) and not self.panel_shown()):
            return
        panel = self.fitted_panel_width(total)
        self.splitter.setSizes([total - panel, panel])
        self._sync_action()

    # -- placing and remembering ------------------------------------------------------------------------
    def place(self, available: QRect | None = None) -> None:
        """Size the window for its first start: PREFERRED_SIZE, or less to fit `available` (the screen's area
        without task bars; by default that of the window's screen), centred in it."""
        if available is None:
            screen = self.window.screen()
            available = screen.availableGeometry() if screen is not None else QRect(0, 0, *PREFERRED_SIZE)
        width = max(1, min(PREFERRED_SIZE[0], available.width() - FRAME_ALLOWANCE[0]))
        height = max(1, min(PREFERRED_SIZE[1], available.height() - FRAME_ALLOWANCE[1]))
        self.window.resize(width, height)
        left = available.x() + (available.width() - width) // 2
        top = available.y() + max(0, (available.height() - FRAME_ALLOWANCE[1] - height) // 2)
        self.window.move(left, top)

    def restore(self, settings, available: QRect | None = None) -> bool:
        """Put the window, its docks and tool bars and the splitter back as the last run left them; else
        place() it. True when there was something to restore."""
        geometry = settings.value(GEOMETRY)
        if not isinstance(geometry, QByteArray) or not self.window.restoreGeometry(geometry):
            self.place(available)
            return False
        state = settings.value(STATE)
        if isinstance(state, QByteArray):
            self.window.restoreState(state)
        splitter = settings.value(SPLITTER)
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
            self.splitter.setCollapsible(0, False)
            self.user_sized = True
        self._panel_width = int(settings.value(PANEL_WIDTH, 0) or 0)
        self._sync_action()
        if self.panel_shown():
            self._panel_width = 0
        return True

    def save(self, settings) -> None:
        if not self.remember:
            return
        settings.setValue(GEOMETRY, self.window.saveGeometry())
        settings.setValue(STATE, self.window.saveState())
        settings.setValue(SPLITTER, self.splitter.saveState())
        settings.setValue(PANEL_WIDTH, self._panel_width)
