"""`duban run` as a user starts it: every part in one process, /healthz answering, a clean stop
on SIGTERM, and one clear message when the web port is taken."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from db.migrate import upgrade
from tests.test_email_channel import free_port


def start(db_url: str, tmp_path, port: int, *args: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db_url, "DUBAN_WEB_PORT": str(port),
           "DUBAN_SECRET_KEY": "run-tests-secret-key-0123456789abcdef",
           "DUBAN_LOG_LEVEL": "INFO"}
    env.pop("DUBAN_TELEGRAM_TOKEN", None)
    return subprocess.Popen([sys.executable, "-m", "duban", "run", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_healthy(proc: subprocess.Popen, port: int) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"duban run did not answer /healthz: {proc.communicate(timeout=10)}")


def test_duban_run_serves_health_and_stops_cleanly_on_sigterm(db_url, tmp_path):
    upgrade(db_url)
    port = free_port()
    proc = start(db_url, tmp_path, port)
    try:
        health = wait_healthy(proc, port)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert health.status_code == 200 and health.json()["checks"]["database"] == "ok"
    assert proc.returncode == 0, err
    assert "duban service stopped" in err and "Traceback" not in err


@pytest.mark.parametrize("only", [(), ("--only", "web")])
def test_a_taken_web_port_is_one_clear_message(db_url, tmp_path, only):
    upgrade(db_url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = start(db_url, tmp_path, port, *only)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert f"could not listen on 127.0.0.1:{port}" in err and "Traceback" not in err
