import json
import os
import socket
import subprocess
import sys

import pytest

from desktop_planner.store.instance_lock import InstanceLock, ProjectInUse, lock_path


def test_second_instance_is_told_who_holds_the_project(tmp_path):
    project = tmp_path / "p.tplan"
    # Another live process on this host holds the lock.
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        lock_path(project).write_text(json.dumps({"pid": holder.pid, "host": socket.gethostname(), "user": "ann",
                                                  "since": "2026-11-23T09:15:00+00:00"}))
        with pytest.raises(ProjectInUse, match="already open by ann") as info:
            InstanceLock.acquire(project, "bob")
        assert "read-only" in str(info.value)
    finally:
        holder.kill()
        holder.wait()


def test_stale_lock_of_a_crashed_process_is_taken_over(tmp_path):
    project = tmp_path / "p.tplan"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_path(project).write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "user": "ann"}))
    lock = InstanceLock.acquire(project, "bob")
    assert json.loads(lock_path(project).read_text())["pid"] == os.getpid()
    lock.release()
    assert not lock_path(project).exists()


def test_lock_from_another_computer_is_respected(tmp_path):
    project = tmp_path / "p.tplan"
    lock_path(project).write_text(json.dumps({"pid": 1, "host": "other-laptop", "user": "ann"}))
    with pytest.raises(ProjectInUse, match="other-laptop"):
        InstanceLock.acquire(project, "bob")
