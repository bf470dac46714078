"""The API fuzzed against its own OpenAPI schema (schemathesis, in process over WSGI): no 500s.

Every operation of /api/v1/schema/ gets a bounded number of generated requests (schemathesis's fuzzing and
examples phases; its coverage phase, some 2,300 more requests per persona, is for a manual run: turn it on
in CONFIG), derandomized so CI sends the same ones each time. They go with the API token of an admin
(connections, reruns, approvals) and of RevOps (drafts, rules, exception actions), over the same world as
the access walks: nothing leaves the process (queued tasks are dropped, connections point at a closed port).

It runs on PostgreSQL, once per CI run (its PostgreSQL stage): the stricter database answers more inputs
with an error of its own (a NUL character in text, an integer out of range, a value longer than its
column), which the API must turn into a 400, never a 500. ``API_FUZZ_ON_SQLITE=1`` runs it on SQLite too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.case import Case
from schemathesis.schemas import BaseSchema

from governance.models import ApiToken
from governance.services import token_create, token_hash
from tests.console.test_url_access import world  # noqa: F401 - a fixture, used by name

pytestmark = [
    pytest.mark.skipif(
        connection.vendor == "sqlite" and os.environ.get("API_FUZZ_ON_SQLITE") != "1",
        reason="fuzzed on PostgreSQL, once per CI run (API_FUZZ_ON_SQLITE=1 runs it here too)",
    ),
    pytest.mark.database,  # kept by CI's PostgreSQL stage (tests/database_stage.py)
]
EXAMPLES_PER_OPERATION = 10
CONFIG = {
    "phases": {"coverage": {"enabled": False}},
    "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True},
}


@pytest.fixture(params=["admin", "revops"])
def api_headers(request: pytest.FixtureRequest, world: None) -> Callable[[], dict[str, str]]:  # noqa: F811
    """The persona's ``Authorization`` header; a new token when the fuzzer has revoked the last one."""
    user = User.objects.get(username=request.param)
    current = {"secret": ""}

    def headers() -> dict[str, str]:
        if not ApiToken.objects.filter(key_hash=token_hash(current["secret"]), revoked_at=None).exists():
            current["secret"] = token_create(user=user, name="fuzz")[1]
        return {"Authorization": f"Bearer {current['secret']}"}

    return headers


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's WSGI application, keeping the test's database connection open between requests (as
    Django's test client does): each request's end would otherwise close it, transaction and all."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app: WSGIHandler, api_headers: Callable[[], dict[str, str]]) -> BaseSchema:
    return schemathesis.openapi.from_wsgi(
        "/api/v1/schema/",
        wsgi_app,
        config=SchemathesisConfig.from_dict(CONFIG),
        headers=api_headers(),
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_it_never_answers_a_server_error(case: Case, api_headers: Callable[[], dict[str, str]]) -> None:
    case.call_and_validate(headers=api_headers(), checks=[not_a_server_error])
