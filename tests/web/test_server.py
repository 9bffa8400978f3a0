"""`aggregator web --workers N`: processes that share one socket and stop together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from aggregator.store.engine import open_database


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in found.read_text().split()] if found.exists() else []


def test_workers_serve_and_stop_with_the_parent(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'web.db'}"
    open_database(database).dispose()
    port = _free_port()
    command = [sys.executable, "-m", "aggregator", "--database", database, "web"]
    server = subprocess.Popen([*command, "--port", str(port), "--workers", "2"])
    try:
        answers = [_get(f"http://127.0.0.1:{port}/healthz") for _ in range(10)]
        assert answers == [200] * 10
        workers = _children(server.pid)
        assert len(workers) == 2
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=15) == 0
    for pid in workers:
        assert not _alive(pid)


def _get(url: str) -> int:
    for _ in range(100):
        try:
            return httpx.get(url, timeout=5).status_code
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
