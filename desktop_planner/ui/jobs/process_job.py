"""ProcessJob: one module-level function run in a separate process, driven from the GUI thread by a QTimer.

Why a process: numpy and the LP solver hold the GIL for up to ~2 s at a time, so a worker THREAD stalls the
window; a process cannot. The child gets only picklable arguments (no Qt object, no open file: it opens what it
needs itself) and is started with the "spawn" method, which is safe with Qt on every platform (a forked child
would inherit the Qt state of the GUI).

Protocol (see child.py): a one-way Pipe from the child, polled every `poll_ms` by a QTimer in the GUI thread (a
poll costs microseconds when nothing came), and a multiprocessing Event the child's progress callback reads to
learn that Cancel was pressed. Signals, exactly one of the last three per job:
  started(pid)         the child is running (its pid, not ours)
  progress(f, text)    fraction done and what it is doing; the latest of a burst only
  finished(value)      what the target returned (after a cancel: its best so far; `cancel_requested` says so)
  failed(text)         the target raised, the result could not be sent, or the process died (exit code or signal)
  cancelled(text)      Cancel was pressed and the child did not answer within `cancel_grace_s`: it was ended
"""

from __future__ import annotations

import multiprocessing
import signal
import time

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_planner.ui.jobs.child import child_main

DEFAULT_POLL_MS = 50
DEFAULT_CANCEL_GRACE_S = 1.0
_REAP_TRIES = 20  # join(0) attempts, POLL apart, for a child that reported and is exiting


def describe_exit(exitcode: int | None) -> str:
    if exitcode is None:
        return "it stopped responding"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"it was killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
    return f"it exited with code {exitcode}"


class ProcessJob(QObject):
    started = Signal(int)
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str)

    def __init__(self, target, args: tuple = (), kwargs: dict | None = None, *, name: str = "job",
                 poll_ms: int = DEFAULT_POLL_MS, cancel_grace_s: float = DEFAULT_CANCEL_GRACE_S,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.target, self.args, self.kwargs = target, tuple(args), dict(kwargs or {})
        self.name = name
        self.cancel_grace_s = cancel_grace_s
        self.child_pid: int | None = None  # as the child reported it
        self.cancel_requested = False
        self.cancel_answered_s: float | None = None  # Cancel to the end of the job, for the record
        self.traceback = ""  # the child's, when it raised
        self._process = None
        self._conn = None
        self._cancel_event = None
        self._cancel_at: float | None = None
        self._done = False
        self._polling = False
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self._poll)

    # -- control ------------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._process is not None:
            raise RuntimeError("a ProcessJob runs once; make another")
        context = multiprocessing.get_context("spawn")
        self._conn, sender = context.Pipe(duplex=False)
        self._cancel_event = context.Event()
        self._process = context.Process(target=child_main, name=f"desktop_planner {self.name}", daemon=True,
                                        args=(self.target, self.args, self.kwargs, sender, self._cancel_event))
        try:
            self._process.start()
        except Exception as exc:  # arguments that do not pickle, no resources for a process...
            self._conn.close()
            sender.close()
            self._process = None
            self._done = True
            text = f"the {self.name} process could not be started ({exc})"
            QTimer.singleShot(0, lambda: self.failed.emit(text))
            return
        sender.close()  # the child holds the only writer now: its death shows here as end of file
        self._timer.start()

    def cancel(self) -> None:
        """Ask the child to stop; it has `cancel_grace_s` to hand over its best result, else it is ended."""
        if self._done or self.cancel_requested:
            return
        self.cancel_requested = True
        self._cancel_at = time.monotonic()
        if self._cancel_event is not None:
            self._cancel_event.set()

    def is_running(self) -> bool:
        return self._process is not None and not self._done

    @property
    def pid(self) -> int | None:
        """The child process's id as the parent started it."""
        return None if self._process is None else self._process.pid

    def kill(self) -> None:
        """End the child now without any signal (the window closes)."""
        if not self._done:
            self._end()
            self._terminate()

    # -- polling ------------------------------------------------------------------------------------------
    def _poll(self) -> None:
        if self._polling or self._done:
            return  # a modal progress dialog's setValue runs events, which may tick this timer again
        self._polling = True
        try:
            self._drain()
            if not self._done and self._cancel_at is not None and \
                    time.monotonic() - self._cancel_at > self.cancel_grace_s:
                self._end()
                self._terminate()
                self.cancelled.emit(f"the {self.name} did not stop within {self.cancel_grace_s:g} s of Cancel, so "
                                    f"its process was ended")
        finally:
            self._polling = False

    def _drain(self) -> None:
        latest = None
        try:
            while self._conn.poll():
                message = self._conn.recv()
                kind = message[0]
                if kind == "progress":
                    latest = message[1:]
                elif kind == "started":
                    self.child_pid = int(message[1])
                    self.started.emit(self.child_pid)
                elif kind == "result":
                    if latest is not None:
                        self.progress.emit(*latest)
                    self._end()
                    self._reap()
                    try:
                        value = _loads(message[1])
                    except Exception as exc:
                        self.failed.emit(f"the {self.name}'s result could not be read ({exc})")
                        return
                    self.finished.emit(value)
                    return
                elif kind == "error":
                    if latest is not None:
                        self.progress.emit(*latest)
                    self._end()
                    self._reap()
                    self.traceback = message[2]
                    self.failed.emit(message[1])
                    return
        except (EOFError, OSError):
            # The pipe closed without a result: the process died (a crash, a kill, running out of memory).
            self._end()
            self._process.join(timeout=0.5)
            self.failed.emit(f"the {self.name} process ended unexpectedly: {describe_exit(self._process.exitcode)}")
            return
        if latest is not None and not self._done:
            self.progress.emit(*latest)

    def _end(self) -> None:
        self._done = True
        self._timer.stop()
        if self._cancel_at is not None:
            self.cancel_answered_s = time.monotonic() - self._cancel_at
        if self._conn is not None:
            self._conn.close()

    def _terminate(self) -> None:
        process = self._process
        if process is None or not process.is_alive():
            return
        process.terminate()
        process.join(timeout=0.2)
        if process.is_alive():
            process.kill()
            process.join(timeout=0.2)

    def _reap(self) -> None:
        """Collect the child's exit status once it has gone, without blocking the GUI thread waiting for it."""
        _exiting.append((self._process, _REAP_TRIES))
        _reap_exited()


_exiting: list = []  # (process, tries left) of children that reported and are exiting


def _reap_exited() -> None:
    """A plain function, not a method: it may run after the job (and its QObject parent) is gone."""
    still = []
    for process, tries in _exiting:
        process.join(timeout=0)
        if process.exitcode is None and tries > 0:
            still.append((process, tries - 1))
    _exiting[:] = still
    if still:
        QTimer.singleShot(DEFAULT_POLL_MS, _reap_exited)


def _loads(payload: bytes):
    import pickle
    return pickle.loads(payload)
