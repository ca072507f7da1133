"""schemathesis against the API's served OpenAPI document (issue 17): for every operation,
generated requests (valid and not) never get a 500, and every answer has a documented status,
content type and body. Its own desk: generated calls trip the kill switch and place orders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from tests.e2e.api_desk import ApiDesk, api_desk

pytestmark = pytest.mark.e2e
EXAMPLES = 12
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def desk(tmp_path_factory) -> Iterator[ApiDesk]:
    with api_desk(tmp_path_factory.mktemp("schema")) as running:
        yield running


def test_the_api_keeps_to_its_document(desk: ApiDesk):
    schema = schemathesis.openapi.from_url(f"{desk.api}/openapi.json")
    headers = {"Authorization": f"Bearer {desk.tokens['admin']}"}
    checked = []
    for found in schema.get_all_operations():
        operation = found.ok()
        if operation.path == "/stream":  # a WebSocket: test_api.py covers it
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)  # fmt: skip
        def keeps_to_it(case) -> None:
            case.call_and_validate(base_url=desk.api, headers=headers, checks=CHECKS)

        keeps_to_it()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert len(checked) >= 12, checked  # every operation was exercised
