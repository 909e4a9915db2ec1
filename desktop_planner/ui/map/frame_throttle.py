"""At most one preview a frame, and the first one at once.

A gesture's preview (the panel's figures, the dots' colours) used to wait for a 16 ms timer after every mouse
move. The stroke's outline then repainted the map at once and the preview painted it a second time a frame later:
two full map paints per step, and a frame of lag. Here a request runs the preview straight away when the last one
is at least a frame old, so the outline and the preview share one paint; requests within the frame are merged
into one run at its end, which sees the latest state.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QElapsedTimer, QObject, QTimer

FRAME_MS = 16  # one frame at 60 Hz


class FrameThrottle(QObject):
    def __init__(self, run: Callable[[], None], parent: QObject | None = None, frame_ms: int = FRAME_MS) -> None:
        super().__init__(parent)
        self._run = run
        self._frame_ms = frame_ms
        self._since_run = QElapsedTimer()
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._run_now)

    def request(self) -> None:
        """Run now if the last run is a frame old, else once at the end of this frame."""
        if self._timer.isActive():
            return
        waited = self._since_run.elapsed() if self._since_run.isValid() else self._frame_ms
        if waited >= self._frame_ms:
            self._run_now()
        else:
            self._timer.start(self._frame_ms - waited)

    def cancel(self) -> None:
        """Forget a pending run (the gesture ended or was cancelled)."""
        self._timer.stop()

    def pending(self) -> bool:
        return self._timer.isActive()

    def _run_now(self) -> None:
        self._since_run.start()
        self._run()
