"""The writer lock: one writing process per project, its holder named, a crashed holder recognised (issue 13)."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest

from desktop_planner.store.instance_lock import InstanceLock, ProjectFolderReadOnly, ProjectInUse, held_here, lock_path

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from desktop_planner.store.instance_lock import InstanceLock
    InstanceLock.acquire(Path(sys.argv[1]), "ann")
    print("holding", flush=True)
    time.sleep(60)
""")


def hold_in_another_process(project, script: str = HOLDER):
    """A live process holding the project's writer lock (as the app or a command would), by running `script`
    (which prints "holding" once it holds it)."""
    holder = subprocess.Popen([sys.executable, "-c", script, str(project)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_second_writer_is_told_who_holds_the_project(tmp_path):
    project = tmp_path / "p.tplan"
    holder = hold_in_another_process(project)
    try:
        with pytest.raises(ProjectInUse, match="already open by ann") as info:
            InstanceLock.acquire(project, "bob")
        assert f"process {holder.pid}" in str(info.value) and "read-only" in str(info.value)
    finally:
        holder.kill()
        holder.wait()


def test_lock_of_a_killed_process_is_taken_over(tmp_path):
    project = tmp_path / "p.tplan"
    holder = hold_in_another_process(project)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert lock_path(project).exists()  # left behind by the crash
    lock = InstanceLock.acquire(project, "bob")
    assert json.loads(lock_path(project).read_text())["pid"] == os.getpid()
    lock.release()
    assert not lock_path(project).exists()


def test_lock_naming_a_reused_pid_is_stale(tmp_path):
    """Defect: a lock file left by a crash whose PID now belongs to an unrelated live process blocked forever."""
    project = tmp_path / "p.tplan"
    unrelated = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        lock_path(project).write_text(json.dumps({"pid": unrelated.pid, "host": socket.gethostname(),
                                                  "user": "ann", "os_lock": True}))
        lock = InstanceLock.acquire(project, "bob")  # nobody holds the OS lock: stale, whatever the PID does
        assert json.loads(lock_path(project).read_text())["user"] == "bob"
        lock.release()
    finally:
        unrelated.kill()
        unrelated.wait()


def test_old_style_lock_from_another_computer_is_respected(tmp_path):
    project = tmp_path / "p.tplan"
    lock_path(project).write_text(json.dumps({"pid": 1, "host": "other-laptop", "user": "ann"}))
    with pytest.raises(ProjectInUse, match="other-laptop"):
        InstanceLock.acquire(project, "bob")


def test_the_lock_is_shared_within_a_process(tmp_path):
    project = tmp_path / "p.tplan"
    first = InstanceLock.acquire(project, "bob")
    second = InstanceLock.acquire(project, "bob")
    first.release()
    assert held_here(project) and lock_path(project).exists()
    second.release()
    second.release()  # twice: harmless
    assert not held_here(project) and not lock_path(project).exists()


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_read_only_folder_cannot_be_locked(tmp_path):
    from tests.cli.test_file_safety_cli import make_read_only
    folder = tmp_path / "ro"
    folder.mkdir()
    if not make_read_only(folder):
        pytest.skip("cannot make a folder read-only here")
    try:
        with pytest.raises(ProjectFolderReadOnly, match="read-only"):
            InstanceLock.acquire(folder / "p.tplan", "bob")
    finally:
        make_read_only(folder, writable=True)
