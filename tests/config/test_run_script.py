"""`make run`'s script stops its web server and its worker (with the worker's pool and beat) on
SIGTERM and on Ctrl-C, leaving no process behind. (How fast is measured by hand, in the README.)"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(state[2]) == pgid and state[0] != "Z":
            members.append(int(entry))
    return members


def worker_group(script_pid: int) -> int:
    """The worker's process group: the script starts it in a group of its own (setsid)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                cmdline = Path(f"/proc/{entry}/cmdline").read_text()
            except OSError:
                continue
            if int(fields[1]) == script_pid and "celery" in cmdline:
                return int(fields[2])
    raise AssertionError("the script started no celery worker")


def wait_until(check: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds:.0f} s")


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1)
    except OSError:
        return False
    return True


def default_signals() -> None:
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)  # as a terminal's shell would start it


@pytest.mark.parametrize("stop", ["SIGTERM to the script", "Ctrl-C to its process group"])
def test_run_stops_the_web_server_and_the_worker_and_leaves_nothing_behind(tmp_path: Path, stop: str) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")},
        "LEADLOOP_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LEADLOOP_STOP_GRACE": "2",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    log = (tmp_path / "run.log").open("w")
    script = subprocess.Popen(
        ["bash", "scripts/run.sh", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=default_signals,
    )
    workers = 0
    try:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/accounts/login/"), 60, "the web server answers")
        workers = worker_group(script.pid)
        wait_until(lambda: len(group_members(workers)) >= 3, 60, "the worker forks its pool")

        if stop.startswith("SIGTERM"):
            os.kill(script.pid, signal.SIGTERM)
        else:
            os.killpg(script.pid, signal.SIGINT)
        script.wait(timeout=60)

        wait_until(lambda: not group_members(workers) and not group_members(script.pid), 10, "every process is gone")
        assert not answers(f"http://127.0.0.1:{port}/accounts/login/")
        assert "Stopped." in (tmp_path / "run.log").read_text()
    finally:
        for group in (script.pid, workers):
            if group and group_members(group):
                os.killpg(group, signal.SIGKILL)


@pytest.mark.parametrize("grace", ["2.5", "0", "soon", "-3"])
def test_a_stop_grace_that_is_not_a_whole_number_of_seconds_stops_the_script_before_it_starts(grace: str) -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "run.sh"), str(free_port())],
        env={**os.environ, "LEADLOOP_STOP_GRACE": grace},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert done.returncode == 2
    assert f"LEADLOOP_STOP_GRACE must be a whole number of seconds, 1 or more (got '{grace}')" in done.stderr
