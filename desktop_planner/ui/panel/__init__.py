"""The side panel: per-territory figures, the balance chart, live during gestures."""
