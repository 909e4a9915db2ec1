"""Detecting a project that is already open in another instance of the app.

A small lock file beside the project (`NAME.tplan.lock`) names the process, host and user that hold it. It is
created atomically; one left behind by a crashed process on this host is recognised (its process is gone)
and taken over. SQLite's own locking keeps the file consistent anyway; this lock is about people: two planners
editing one plan at once would overwrite each other's thinking.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from desktop_planner.store.opening import ProjectError


class ProjectInUse(ProjectError):
    """The project is open elsewhere; `holder` says who has it."""

    def __init__(self, path: Path, holder: dict) -> None:
        self.path = path
        self.holder = holder
        who = holder.get("user") or "someone"
        where = holder.get("host") or "another computer"
        since = holder.get("since", "")[:16].replace("T", " ")
        super().__init__(f"{path}: already open by {who} on {where} (process {holder.get('pid')}, since {since} "
                         f"UTC). Open it read-only, or close it there first.")


def lock_path(project: Path) -> Path:
    return project.with_name(project.name + ".lock")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


@dataclass
class InstanceLock:
    path: Path | None  # None: no lock could be written (read-only folder)

    @classmethod
    def acquire(cls, project: Path, user: str) -> "InstanceLock":
        """Take the lock or raise ProjectInUse. A stale lock (dead process on this host) is replaced."""
        path = lock_path(project)
        me = {"pid": os.getpid(), "host": socket.gethostname(), "user": user,
              "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = cls._read(path)
                if holder is not None and not cls._stale(holder):
                    raise ProjectInUse(project, holder) from None
                path.unlink(missing_ok=True)
                continue
            except OSError:
                return cls(path=None)  # a read-only folder: nobody else can write there either
            with os.fdopen(fd, "w") as fh:
                json.dump(me, fh)
            return cls(path=path)
        raise ProjectInUse(project, cls._read(path) or {})

    @staticmethod
    def _read(path: Path) -> dict | None:
        try:
            data = json.loads(path.read_text())
            return data if isinstance(data, dict) else None
        except (OSError, ValueError):
            return None  # unreadable or half-written: treated as stale

    @staticmethod
    def _stale(holder: dict) -> bool:
        if holder.get("host") != socket.gethostname():
            return False  # cannot tell for another computer (a shared folder): assume it is in use
        pid = holder.get("pid")
        return not isinstance(pid, int) or pid == os.getpid() or not _process_alive(pid)

    def release(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None
