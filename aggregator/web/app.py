"""The reader's side: an ASGI application (FastAPI) over read-only store queries.

Pages are server-rendered from Jinja templates with autoescape and need no JavaScript; every
page that lists news has an Atom feed beside it and the same data under /api/v1/. Each request
reads through its own read-only session with a time limit, so a reader can neither write nor
hold the database for the daemon.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from sqlalchemy import Engine

from aggregator.web.api import api_routes, legacy_routes
from aggregator.web.context import Site
from aggregator.web.errors import install_error_handlers
from aggregator.web.feeds import feed_routes
from aggregator.web.ops import ops_routes
from aggregator.web.options import WebOptions
from aggregator.web.pages import page_routes
from aggregator.web.rendering import make_templates
from aggregator.web.security import SecurityHeaders

__all__ = ["make_app"]

STATIC = Path(__file__).parent / "static"


def make_app(engine: Engine, options: WebOptions | None = None) -> FastAPI:
    """The application serving ``engine``'s news; nothing is opened until a request."""
    held = Site(engine, options or WebOptions())
    app = FastAPI(
        title="aggregator",
        version="1",
        description="Stories, articles, search and sources of a self-hosted news aggregator.",
        # The interactive docs load scripts from elsewhere, which our CSP forbids.
        docs_url=None,
        redoc_url=None,
    )
    app.state.site = held
    templates = make_templates()
    install_error_handlers(app, templates)
    app.add_middleware(SecurityHeaders)
    # Order matters: /stories/5.json and /stories/5.atom before /stories/{story_id}.
    app.include_router(ops_routes(held))
    app.include_router(api_routes())
    app.include_router(legacy_routes())
    app.include_router(feed_routes())
    app.include_router(page_routes(templates))

    @app.get("/static/style.css", include_in_schema=False)
    def stylesheet() -> Response:
        return FileResponse(STATIC / "style.css", media_type="text/css", headers=_CACHE)

    # Browsers ask for /favicon.ico whatever the page says; answer rather than log a 404.
    @app.get("/favicon.ico", include_in_schema=False)
    @app.get("/static/favicon.svg", include_in_schema=False)
    def icon() -> Response:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml", headers=_CACHE)

    return app


_CACHE = {"Cache-Control": "public, max-age=3600"}
