"""The API against its own OpenAPI document: schemathesis finds no server error and no response
that breaks the schema, on generated requests for every operation."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import Engine

from aggregator.web.app import make_app
from tests.web.conftest import options


@pytest.fixture(scope="module")
def api_schema(filled: Engine) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", make_app(filled, options()))


def operations(api_schema: schemathesis.BaseSchema) -> list[schemathesis.APIOperation]:
    return [result.ok() for result in api_schema.get_all_operations()]


def test_every_operation_conforms(api_schema: schemathesis.BaseSchema) -> None:
    checked = 0
    for operation in operations(api_schema):
        # schemathesis' own pytest integration cannot take a module-scoped, parametrized
        # fixture, so each operation's cases run through Hypothesis here.
        @given(case=operation.as_strategy())
        @settings(
            max_examples=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        )
        def conforms(case: schemathesis.Case) -> None:
            # Every other default check runs (no 5xx, responses match the schema, documented
            # status codes and content types). This one expects any schema-valid request to
            # succeed, but a cursor is an opaque string that only we can mint, and a random
            # one is rightly a 400.
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        conforms()
        checked += 1
    assert checked == 6
