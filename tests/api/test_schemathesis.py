"""Property-based checks against /openapi.json: no 5xx, responses match the schema.

Bounded: a fixed number of generated cases per operation, against the in-process app on
the fake embedder. Ingest jobs are left out (generated parameters could ingest arbitrary
server paths); their route has its own tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from api_helpers import API_KEY, seeded_kb
from hypothesis import HealthCheck, settings
from schemathesis import checks

from api import create_app

# schemathesis' in-process ASGI client leaves anyio streams for the GC to close
pytestmark = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)

CHECKS = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.status_code_conformance,
    checks.content_type_conformance,
]


@pytest.fixture(scope="module")
def served_app(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    cfg, kb = seeded_kb(seeded_template, tmp_path_factory.mktemp("schemathesis") / "home")
    # schemathesis runs the app's lifespan itself, and calls it as Host "testserver",
    # which an app bound to loopback refuses (tests/api/test_hosts.py covers that).
    yield create_app(cfg, kb=kb, host="0.0.0.0")
    kb.close()


@pytest.fixture(scope="module")
def api_schema(served_app: object) -> object:
    return schemathesis.openapi.from_asgi("/openapi.json", served_app)


# Filtered here: a filter on the fixture's schema is not seen by the lazy one.
schema = schemathesis.pytest.from_fixture("api_schema").exclude(operation_id="start_ingest")


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"X-API-Key": API_KEY}, checks=CHECKS)
