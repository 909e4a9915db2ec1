"""Dialogs of the main window that do more than ask one question: auto-balance (options, the run in a
separate process, the preview on the map with Apply/Discard, the trade-off chart)."""
