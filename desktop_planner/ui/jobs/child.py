"""The child side of a ProcessJob (no Qt here: the child never loads it).

The child runs `target(*args, progress=progress, **kwargs)`. `progress(fraction, message)` sends the pair to the
parent (at most every `PROGRESS_INTERVAL_S`, so a chatty optimizer cannot flood the pipe) and returns False once
the parent asked to cancel; the target then returns its best result so far. Messages to the parent, in order:
("started", pid), ("progress", fraction, message)*, then ("result", pickled value) or ("error", summary, trace).
The result is pickled here, inside the try, so a value that cannot be pickled is reported as an error instead of
failing in a pipe's feeder thread where nobody would see it.
"""

from __future__ import annotations

import os
import pickle
import time
import traceback

PROGRESS_INTERVAL_S = 0.05


def child_main(target, args: tuple, kwargs: dict, conn, cancel_event) -> None:
    last = [0.0]

    def progress(fraction: float, message: str) -> bool:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_INTERVAL_S or fraction >= 1.0:
            last[0] = now
            try:
                conn.send(("progress", float(fraction), str(message)))
            except (OSError, ValueError):  # the parent is gone: stop as soon as the target listens
                return False
        return not cancel_event.is_set()

    try:
        conn.send(("started", os.getpid()))
        value = target(*args, progress=progress, **kwargs)
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:  # the process boundary: every failure must reach the parent
        summary = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        try:
            conn.send(("error", summary, traceback.format_exc()))
        except (OSError, ValueError):
            pass
        conn.close()
        return
    conn.send(("result", payload))
    conn.close()
