"""A database filled once per module from the fixtures (both backends), and clients over it.

Web tests only read, so one replay serves a whole module; tests that write make their own
database through the ``engine`` fixture.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from aggregator.dedup.cluster import ClusterSettings
from aggregator.listings import find_listings, saved_listing_dates
from aggregator.pipeline import Ingestor
from aggregator.replay import find_pages, replay
from aggregator.store.engine import normalize_url, open_database
from aggregator.web.app import make_app
from aggregator.web.options import WebOptions
from tests.conftest import BACKENDS, POSTGRES_ENV, _postgres_schema_url
from tests.support import FIXTURES, NOW


def options(**overrides: Any) -> WebOptions:
    return WebOptions(clock=lambda: NOW, **overrides)


@pytest.fixture(scope="module", params=BACKENDS)
def filled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The fixtures replayed into a database of this module's own."""
    with _database(request.param, tmp_path_factory) as url:
        engine = open_database(url)
        with Session(engine) as session:
            # As ``aggregator replay fixtures/`` does: the saved feeds date the undated pages.
            listed = saved_listing_dates(find_listings([FIXTURES]))
            replay(Ingestor(session, ClusterSettings()), find_pages([FIXTURES]), listed=listed)
        yield engine
        engine.dispose()


class _database:
    def __init__(self, backend: str, factory: pytest.TempPathFactory) -> None:
        self.backend, self.factory = backend, factory
        self.schema = f"test_{uuid.uuid4().hex[:12]}"

    def __enter__(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.factory.mktemp('web') / 'web.db'}"
        self._admin(f'CREATE SCHEMA "{self.schema}"')
        return _postgres_schema_url(self.schema)

    def __exit__(self, *exc: object) -> None:
        if self.backend != "sqlite":
            self._admin(f'DROP SCHEMA "{self.schema}" CASCADE')

    @staticmethod
    def _admin(statement: str) -> None:
        url = normalize_url(os.environ[POSTGRES_ENV])
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(statement))
        admin.dispose()


@pytest.fixture(scope="module")
def client(filled: Engine) -> TestClient:
    return TestClient(make_app(filled, options()))
