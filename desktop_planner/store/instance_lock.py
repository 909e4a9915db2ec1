"""The project's writer lock: one process at a time writes a project (the app or a command); readers never wait.

`NAME.tplan.lock` beside the project carries an OS lock (`fcntl.flock` on POSIX, `msvcrt.locking` on Windows)
for as long as the writer runs. The kernel drops it when the process ends, however it ends, so a lock left behind
by a crash is recognised even when its process id has since been given to an unrelated process. The file also
names the holder (user, host, process, what it runs, since when) for the message a second writer gets.

Within one process the lock is shared and counted: the window and the worker thread that caches the account
graph write the same project under the same lock. SQLite's own locking keeps each transaction consistent; this
lock is about whole sessions: a writer works from the plan it loaded, and two of them would overwrite each other.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from desktop_planner.store.opening import ProjectError

WINDOWS_LOCK_OFFSET = 1 << 30  # msvcrt locks a byte range; one far past the holder's note keeps the note readable


class ProjectInUse(ProjectError):
    """The project is being written by another process; `holder` says who has it."""

    def __init__(self, path: Path, holder: dict) -> None:
        self.path = path
        self.holder = holder
        if not holder:  # it has the lock, but has not written its name yet
            ProjectError.__init__(self, f"{path}: another process is opening it for writing just now. Open it "
                                        f"read-only, or try again in a moment.")
            return
        who = holder.get("user") or "someone"
        where = holder.get("host") or "another computer"
        since = str(holder.get("since", ""))[:16].replace("T", " ")
        what = f" {holder['program']!r}," if holder.get("program") else ""
        super().__init__(f"{path}: already open by {who} on {where} (process {holder.get('pid')},"
                         f"{what} since {since} UTC). Open it read-only, or close it there first.")


class ProjectFolderReadOnly(ProjectInUse):
    """The project's folder cannot be written, so the project can only be read (a ProjectInUse, so that the
    app offers to open it read-only)."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.holder = {}
        ProjectError.__init__(self, f"{path}: its folder cannot be written ({reason}), so the project can only be "
                              f"opened read-only. Copy it to a folder you can write to in order to edit it.")


def lock_path(project: Path) -> Path:
    return project.with_name(project.name + ".lock")


def _key(project: Path) -> str:
    return os.path.normcase(str(Path(project).resolve()))


def _os_lock(fd: int) -> bool:
    """Take the OS lock without waiting; False when another process has it."""
    if os.name == "nt":
        import msvcrt
        try:
            os.lseek(fd, WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _os_unlock(fd: int) -> None:
    if os.name == "nt":
        import msvcrt
        try:
            os.lseek(fd, WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
    # POSIX: closing the descriptor drops the flock


@dataclass
class _Held:
    fd: int
    path: Path
    count: int


_held: dict[str, _Held] = {}
_guard = threading.Lock()


def held_here(project: Path) -> bool:
    """Whether this process holds the project's writer lock."""
    with _guard:
        return _key(project) in _held


def _holder_note(user: str) -> dict:
    program = " ".join([Path(sys.argv[0]).name] + sys.argv[1:2]) if sys.argv and sys.argv[0] else ""
    return {"pid": os.getpid(), "host": socket.gethostname(), "user": user, "program": program[:80],
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds"), "os_lock": True}


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None  # unreadable, or being written this instant


@dataclass
class InstanceLock:
    """The writer lock of one project, held by this process until `release` (counted within the process)."""
    project: Path
    path: Path | None

    @classmethod
    def acquire(cls, project: Path, user: str) -> "InstanceLock":
        """Take the lock, or raise ProjectInUse naming the holder (ProjectFolderReadOnly when no lock file can
        be written beside the project: nobody can write the project there)."""
        project = Path(project)
        key = _key(project)
        with _guard:
            held = _held.get(key)
            if held is not None:
                held.count += 1
                return cls(project, held.path)
            path = lock_path(project)
            for _ in range(10):
                try:
                    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
                except OSError as exc:
                    raise ProjectFolderReadOnly(project, exc.strerror or str(exc)) from None
                if not _os_lock(fd):
                    os.close(fd)
                    holder = _read(path)
                    if not holder:  # taken this instant: its note follows within a moment
                        time.sleep(0.05)
                        holder = _read(path)
                    raise ProjectInUse(project, holder or {})
                try:  # the previous holder may have removed the file between our open and our lock: retry
                    same = os.path.samestat(os.fstat(fd), os.stat(path))
                except OSError:
                    same = False
                if not same:
                    os.close(fd)
                    continue
                previous = _read(path)
                if previous and previous.get("host") not in (None, socket.gethostname()) and \
                        not previous.get("os_lock"):
                    # Written by an older version on another computer, which held no OS lock: cannot tell.
                    _os_unlock(fd)
                    os.close(fd)
                    raise ProjectInUse(project, previous)
                note = _holder_note(user)
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
                os.write(fd, json.dumps(note).encode())
                _held[key] = _Held(fd, path, 1)
                return cls(project, path)
            raise ProjectInUse(project, _read(path) or {})

    @classmethod
    def try_acquire(cls, project: Path, user: str) -> "InstanceLock | None":
        try:
            return cls.acquire(project, user)
        except ProjectError:
            return None

    def release(self) -> None:
        if self.path is None:
            return
        key = _key(self.project)
        with _guard:
            held = _held.get(key)
            self.path = None
            if held is None:
                return
            held.count -= 1
            if held.count > 0:
                return
            del _held[key]
            if os.name == "nt":  # an open file cannot be removed there: unlock, close, then remove
                _os_unlock(held.fd)
                os.close(held.fd)
                held.path.unlink(missing_ok=True)
                return
            try:  # remove it while still holding it, so nobody locks a file that is about to vanish
                if os.path.samestat(os.fstat(held.fd), os.stat(held.path)):
                    held.path.unlink()
            except OSError:
                pass
            os.close(held.fd)


WriterLock = InstanceLock
