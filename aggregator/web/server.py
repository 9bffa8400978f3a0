"""Serve the web application with uvicorn, on loopback unless the operator says otherwise."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket

import uvicorn
from fastapi import FastAPI

from aggregator.errors import ConfigError

__all__ = ["check_bind", "serve_web"]

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def check_bind(host: str, *, public: bool) -> None:
    """Refuse a non-loopback address unless ``public``: the pages have no login."""
    if public or _is_loopback(host):
        return
    raise ConfigError(
        f"web: {host} is not a loopback address; pass --public (or set web.public = true) "
        "to serve everyone who can reach it"
    )


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name we would have to resolve: not provably loopback


def serve_web(app: FastAPI, host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted (SIGINT or SIGTERM), from ``workers`` processes.

    One process renders pages on one core at most (the GIL); several share one listening
    socket, opened before they fork (issue 11). Open no database connection before calling
    this with several workers: a connection cannot be shared by two processes.
    """
    config = uvicorn.Config(
        app,
        host=host.strip("[]"),
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    if workers <= 1:
        uvicorn.Server(config).run()
        return
    listening = config.bind_socket()
    children = [_fork_worker(config, listening) for _ in range(workers)]
    listening.close()
    _supervise(children)


def _fork_worker(config: uvicorn.Config, listening: socket.socket) -> int:
    pid = os.fork()
    if pid == 0:  # the worker: serve until told to stop, and never return into the caller
        code = 1
        try:
            uvicorn.Server(config).run(sockets=[listening])
            code = 0
        finally:
            os._exit(code)
    return pid


def _supervise(children: list[int]) -> None:
    """Pass SIGINT and SIGTERM on to the workers, and return when all of them have ended."""

    def forward(signum: int, _frame: object) -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for pid in children:
            os.waitpid(pid, 0)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
