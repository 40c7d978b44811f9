"""The served OpenAPI document says what the server enforces (issue 15, item 13).

Schemathesis against every operation of ``/schema/openapi.json`` on PostgreSQL, authenticated
(admin, operator, reviewer, anonymous), bounded and derandomised: no 5xx, every answer's status,
content type and body as documented. Then a short stateful run (schemathesis follows the links it
infers from ``Location`` headers and the documented parameters). Plus direct checks of what the
document must state: security schemes, problem+json errors, bounds and headers.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from services.app import create_app
from tests.submission.conftest import Api, api  # noqa: F401  (the seeded PostgreSQL app)

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
CALLERS = ("admin", "op.dukcapil", "rev.satu", None)
# Calls that would end the shared sessions the other cases use are made without credentials.
NO_CREDENTIALS = {"POST /api/auth/logout"}


@pytest.fixture(scope="module")
def document(api: Api) -> dict[str, Any]:  # noqa: F811
    response = api.client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def schema(api: Api) -> Any:  # noqa: F811
    app = create_app(runtime=api.runtime)
    app.on_shutdown.clear()  # the runtime is the module's; schemathesis keeps the app open
    return schemathesis.openapi.from_asgi("/schema/openapi.json", app)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_the_document_states_security_problems_bounds_and_headers(
    document: dict[str, Any],
) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["sessionCookie"]["in"] == "cookie"
    for method, path, op in _operations(document):
        for code, response in op["responses"].items():
            if int(code) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (path, code)
        assert "422" in op["responses"], (method, path)
        if method in ("post", "put", "patch", "delete") and not path.startswith("/api/auth"):
            assert {"401", "403"} <= set(op["responses"]) or {} in op.get("security", []), path
    login = document["paths"]["/api/auth/login"]["post"]
    assert "429" in login["responses"] and {} in login["security"]
    propose = document["paths"]["/api/innovations"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in propose["parameters"])
    assert "X-Notification-Id" in propose["responses"]["201"]["headers"]
    components = document["components"]["schemas"]
    assert components["ProposeRequest"]["additionalProperties"] is False
    assert components["ProfileInput"]["properties"]["title"]["maxLength"] == 300
    params = {p["name"]: p for p in document["paths"]["/api/innovations"]["get"]["parameters"]}
    assert params["offset"]["schema"]["maximum"] == 1_000_000
    assert (params["year"]["schema"]["minimum"], params["year"]["schema"]["maximum"]) == (
        2000,
        2100,
    )
    assert params["after"]["schema"]["minimum"] == 0  # Litestar leaves a 0 bound out


def test_options_lists_every_method_of_a_path(api: Api) -> None:  # noqa: F811
    allow = api.client.options("/api/innovations").headers["allow"]
    assert {"GET", "POST", "OPTIONS"} <= set(allow.replace(" ", "").split(","))
    allow = api.client.options("/api/iga/reports").headers["allow"]
    assert {"GET", "POST"} <= set(allow.replace(" ", "").split(","))


def test_text_answers_carry_one_charset(api: Api) -> None:  # noqa: F811
    metrics = api.client.get("/metrics")
    assert metrics.headers["content-type"].count("charset") == 1
    trail = api.call("GET", "/api/audit/trail?format=csv", as_="auditor")
    assert trail.status_code == 200
    assert trail.headers["content-type"] == "text/csv; charset=utf-8"


@pytest.mark.slow
def test_every_operation_answers_as_documented(schema: Any, api: Api) -> None:  # noqa: F811
    """Each operation, 6 derandomised cases, callers drawn from the four kinds: no 5xx, every
    status code, content type and body as the document says."""
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 68
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        try:
            _fuzz(operation, api, anonymous_only=label in NO_CREDENTIALS)
        except Exception as exc:
            exc.add_note(f"operation: {label}")
            raise


def _fuzz(operation: Any, api: Api, anonymous_only: bool) -> None:  # noqa: F811
    @given(case=operation.as_strategy(), data=st.data())
    @settings(
        max_examples=6,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any, data: Any) -> None:
        caller = None if anonymous_only else data.draw(st.sampled_from(CALLERS), label="caller")
        case.call_and_validate(headers=api.auth(caller), checks=CHECKS)

    run()


@pytest.mark.slow
def test_stateful_runs_answer_as_documented(schema: Any, api: Api) -> None:  # noqa: F811
    """Schemathesis's state machine chains calls through the links of the document."""
    machine = schema.as_state_machine()
    headers = api.auth("admin")

    class Admin(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            if f"{case.method.upper()} {case.path}" in NO_CREDENTIALS:
                return {}
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Admin.run(
        settings=settings(
            max_examples=8,
            stateful_step_count=6,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
