"""Serve the web application with uvicorn, on loopback unless the operator says otherwise."""

from __future__ import annotations

import ipaddress

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


def serve_web(app: FastAPI, host: str, port: int) -> None:
    """Serve until interrupted (SIGINT or SIGTERM)."""
    config = uvicorn.Config(
        app,
        host=host.strip("[]"),
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    uvicorn.Server(config).run()
