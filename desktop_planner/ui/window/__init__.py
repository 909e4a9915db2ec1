"""The main window and what hangs off it: menus, tool bar, scenario bar, status bar, layout."""
