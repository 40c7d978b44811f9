"""Property-based API tests: schemathesis generates valid and invalid requests for every submission
route from the served OpenAPI document and checks that no answer is a 5xx or breaks the schema.

Bounded and deterministic: 30 examples per route, derandomised. Half of the time the path ids
are real records of the seeded world (a fresh draft of the operator's OPD per route and one of
its documents, the open call), so requests get past 404 into the handlers; the caller is drawn
from an operator of the owning OPD, one of another OPD, a reviewer, an admin and anonymous.
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
from tests.submission.conftest import Api

SUBMISSION_PATHS = (
    r"^/api/(calls/\{id\}|calls$|innovations$|innovations/\{id\}($|/(documents|indicators|submit"
    r"|withdraw|resubmit))|krenova/participants$)"
)
MINE = {
    "POST /api/calls",
    "GET /api/calls/{id}",
    "POST /api/innovations",
    "GET /api/innovations/{id}",
    "PATCH /api/innovations/{id}",
    "POST /api/innovations/{id}/documents",
    "GET /api/innovations/{id}/documents/{doc_id}",
    "DELETE /api/innovations/{id}/documents/{doc_id}",
    "PUT /api/innovations/{id}/indicators/{no}",
    "POST /api/innovations/{id}/submit",
    "POST /api/innovations/{id}/withdraw",
    "POST /api/innovations/{id}/resubmit",
    "POST /api/krenova/participants",
}
CALLERS = ("op.dukcapil", "op.dinkes", "rev.satu", "admin", None)
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def real_ids(api: Api) -> dict[str, str]:
    """A fresh draft (with one document) per operation, so every route meets a draft."""
    draft = api.propose("Sasaran Schemathesis")
    up = api.upload(draft["id"], indicator=1)
    assert up.status_code == 201
    return {
        "id": draft["id"],
        "doc_id": up.json()["document"]["doc_id"],
        "call": str(api.world.call_id),
        "no": "1",
    }


@pytest.fixture(scope="module")
def submission_schema(api: Api) -> Any:
    # A second app over the same runtime; schemathesis keeps its lifespan open for the process,
    # so its shutdown must not close the runtime the other tests share.
    app = create_app(runtime=api.runtime)
    app.on_shutdown.clear()
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    return schema.include(path_regex=SUBMISSION_PATHS)


def test_submission_routes_never_fail_or_break_their_schema(
    submission_schema: Any, api: Api
) -> None:
    """One hypothesis run per operation (``operation.as_strategy()``; schemathesis's lazy
    ``from_fixture`` does not work with pytest 9)."""
    operations = [
        op
        for op in (result.ok() for result in submission_schema.get_all_operations())
        if f"{op.method.upper()} {op.path}" in MINE  # GET /api/calls is the read models'
    ]
    assert len(operations) == len(MINE)
    for operation in operations:
        try:
            fuzz(operation, real_ids(api), api)
        except Exception as exc:
            exc.add_note(f"operation: {operation.method.upper()} {operation.path}")
            raise


def fuzz(operation: Any, real: dict[str, str], api: Api) -> None:
    @given(case=operation.as_strategy(), data=st.data())
    @settings(
        max_examples=30,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any, data: Any) -> None:
        params = case.path_parameters or {}
        if params and data.draw(st.booleans(), label="real ids"):
            for name in params:
                if name == "id" and case.path.startswith("/api/calls"):
                    params[name] = real["call"]
                elif name in real:
                    params[name] = real[name]
        caller = data.draw(st.sampled_from(CALLERS), label="caller")
        case.call_and_validate(headers=api.auth(caller), checks=CHECKS)

    run()


def test_every_submission_route_is_in_the_fuzzed_schema(submission_schema: Any) -> None:
    """The include filter really covers the routes (a renamed path would silently drop out)."""
    operations = {
        f"{op.ok().method.upper()} {op.ok().path}" for op in submission_schema.get_all_operations()
    }
    assert operations >= MINE, MINE - operations
