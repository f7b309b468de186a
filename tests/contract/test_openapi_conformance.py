"""Schemathesis keeps the OpenAPI document honest.

A real ``cap-portal run`` server (uvicorn, one process) on the test database is fuzzed from its own
``/schema/openapi.json``: every operation, with the API key and with a signed-in family's token, seeded so a
failure reproduces (``SCHEMATHESIS_SEED`` overrides the seed, ``SCHEMATHESIS_EXAMPLES`` the examples per
operation). Four checks must hold on every generated case: no 5xx, only documented statuses, only the
documented content type, and a body that matches the documented schema (the ``Error`` schema included).

Named exclusions (each one is deliberate):
- ``GET /sentry-test`` answers 500 by design: it exists to prove that Sentry receives errors.
- ``GET /schema*`` serves the document and its UI, not the API.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from litestar.serialization import encode_json
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.contract.server import RunningApi, running_api
from tests.fake_clerk import FakeClerk
from tests.tokens import AUTHORIZED_PARTY, ISSUER, TokenMinter

SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261203"))
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXCLUDED_PATHS = ("/sentry-test", "/schema")


@pytest.fixture(scope="module")
def api(
    migrated_database_url: str, redis_url: str, minter: TokenMinter, _fake_clerk_server: FakeClerk
) -> Iterator[RunningApi]:
    with running_api(migrated_database_url, redis_url, minter, _fake_clerk_server) as running:
        yield running


def _document() -> dict[str, object]:
    """The document the app serves, built in-process (nothing connects), so the cases can be collected
    before the server starts; `test_the_server_serves_this_document` proves they are the same."""
    settings = Settings(
        app_env="testing",
        database_url="postgresql+asyncpg://unused@127.0.0.1:1/unused",
        redis_url="redis://127.0.0.1:1/0",
        clerk_jwks_url="http://127.0.0.1:1/jwks.json",
        clerk_issuer=ISSUER,
        clerk_authorized_parties=(AUTHORIZED_PARTY,),
    )
    document = create_app(settings, configure_process=False).openapi_schema.to_schema()
    return dict(json.loads(encode_json(document)))  # as the server encodes it


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT).exclude(path_regex="^(" + "|".join(EXCLUDED_PATHS) + ")")


def test_the_server_serves_this_document(api: RunningApi) -> None:
    served = httpx.get(f"{api.base_url}/schema/openapi.json", timeout=30).json()
    assert served == DOCUMENT


FUZZING = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing carried between runs: the seed alone decides the cases
    suppress_health_check=list(hypothesis.HealthCheck),
)


# One operation of our document; schemathesis's operation type parameters say nothing more here.
FuzzedCase = schemathesis.Case[Any]


def _call(case: FuzzedCase, api: RunningApi, headers: dict[str, str]) -> None:
    api.count_case()
    case.call_and_validate(base_url=api.base_url, headers=headers, checks=CHECKS, timeout=30)


@schema.parametrize()
@FUZZING
@hypothesis.seed(SEED)
def test_with_the_api_key(case: FuzzedCase, api: RunningApi) -> None:
    _call(case, api, api.operator_headers)


@schema.parametrize()
@FUZZING
@hypothesis.seed(SEED)
def test_signed_in_as_a_family(case: FuzzedCase, api: RunningApi) -> None:
    _call(case, api, api.family_headers)


def test_enough_cases_were_generated(api: RunningApi) -> None:
    """Runs after the fuzzing in this module (pytest keeps file order): the issue asks for ≥ 1,000 cases."""
    print(f"schemathesis: {api.cases} cases")
    assert api.cases >= 1000, f"only {api.cases} cases were generated; raise SCHEMATHESIS_EXAMPLES"
