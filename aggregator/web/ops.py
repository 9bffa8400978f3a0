"""Operator endpoints: /healthz for load balancers, /metrics for Prometheus.

Every figure is read from the database at scrape time (one read-only session per scrape), so
any number of web processes report the same numbers and none keeps counters of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from aggregator.store.health import Figures, figures, ping
from aggregator.store.readonly import read_only_session
from aggregator.web.context import Site, site

__all__ = ["DatabaseCollector", "ops_routes"]

log = logging.getLogger(__name__)


class DatabaseCollector(Collector):
    """Prometheus collector whose every sample is a database figure."""

    def __init__(self, held: Site) -> None:
        self.site = held

    def collect(self) -> Iterator[Metric]:
        options = self.site.options
        now = options.clock()
        with read_only_session(self.site.engine, options.time_limit) as session:
            found = figures(session, now)
        yield from _metrics(found, now)

    def describe(self) -> Iterator[Metric]:
        return iter(())  # figures need the database: nothing to describe up front


def _metrics(found: Figures, now: datetime) -> Iterator[Metric]:
    yield GaugeMetricFamily("aggregator_articles", "Stored articles", value=found.articles)
    yield GaugeMetricFamily("aggregator_stories", "Stories", value=found.stories)
    pages = GaugeMetricFamily("aggregator_pages", "Stored pages by outcome", labels=["outcome"])
    for outcome, count in sorted(found.pages_by_outcome.items()):
        pages.add_metric([outcome], count)
    yield pages
    errors = GaugeMetricFamily(
        "aggregator_fetch_errors_last_hour",
        "Failed fetches of the last hour by kind",
        labels=["kind"],
    )
    for kind, count in sorted(found.fetch_errors_last_hour.items()):
        errors.add_metric([kind], count)
    yield errors
    fresh = GaugeMetricFamily(
        "aggregator_source_seconds_since_success",
        "Seconds since each source was last read successfully (absent: never)",
        labels=["source"],
    )
    for source in found.sources:
        if source.last_success is not None:
            age = (now - source.last_success).total_seconds()
            fresh.add_metric([source.name], max(0.0, age))
    yield fresh
    pending = GaugeMetricFamily(
        "aggregator_pending_work", "Items waiting for a stage", labels=["stage"]
    )
    for stage, count in sorted(found.pending.items()):
        pending.add_metric([stage], count)
    yield pending


def ops_routes(held: Site) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(held))

    @router.get("/healthz")
    def healthz(request: Request) -> Response:
        options = site(request).options
        try:
            with read_only_session(site(request).engine, options.time_limit) as session:
                ping(session)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            log.warning("stage=web healthz failed: %s", reason)
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
        return JSONResponse({"status": "ok"})

    @router.get("/metrics")
    def metrics() -> Response:
        try:
            body = generate_latest(registry)
        except SQLAlchemyError as exc:
            log.warning("stage=web metrics failed: %s", exc)
            return Response("the database did not answer\n", status_code=503)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router
