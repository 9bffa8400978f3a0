"""Every failure a reader can cause becomes a clear 4xx: a page for browsers, JSON for the API.

Handled here: our own BadRequest and NotFound, a search query the engines cannot take
(QueryError), request parameters FastAPI could not validate, unknown paths, and a read that
ran past its time limit (503, so a client can retry later).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from aggregator.errors import AggregatorError, QueryError
from aggregator.web.context import BadRequest

__all__ = ["NotFound", "install_error_handlers"]

log = logging.getLogger(__name__)


class NotFound(AggregatorError):
    """No such story, source or page of results."""

    stage = "web"


def install_error_handlers(app: FastAPI, templates: Jinja2Templates) -> None:
    def respond(request: Request, status: int, message: str) -> Response:
        path = request.url.path
        if path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status)
        if path.endswith((".atom", ".json")) or path in ("/metrics", "/healthz"):
            return PlainTextResponse(message + "\n", status_code=status)
        return templates.TemplateResponse(
            request, "error.html", {"status": status, "message": message}, status_code=status
        )

    async def bad_request(request: Request, exc: Exception) -> Response:
        return respond(request, 400, _reason(exc))

    async def not_found(request: Request, exc: Exception) -> Response:
        return respond(request, 404, _reason(exc))

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        return respond(request, 400, _validation_message(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = "there is no such page" if exc.status_code == 404 else str(exc.detail)
        response = respond(request, exc.status_code, message)
        response.headers.update(exc.headers or {})
        return response

    async def database_error(request: Request, exc: Exception) -> Response:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        log.warning("stage=web path=%s database error: %s", request.url.path, reason)
        return respond(request, 503, "the database did not answer in time; try again shortly")

    app.add_exception_handler(BadRequest, bad_request)
    app.add_exception_handler(QueryError, bad_request)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(OperationalError, database_error)


def _reason(exc: Exception) -> str:
    """Our message without its stage prefix: a reader does not need ``web:``."""
    stage = getattr(exc, "stage", "")
    return str(exc).removeprefix(f"{stage}: ")


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for error in exc.errors()[:3]:
        where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(problems) or "the request's parameters are not valid"
