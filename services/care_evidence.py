"""The care records an innovation's indicators may use as evidence (bimtek sessions, monev
reports), loaded for one innovation; the rule is ``services.domain.care_evidence``. Read by the
assessment picker, the reviewer's page and ``GET /api/innovations/{id}/care-evidence``."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from litestar import Request, get
from litestar.params import FromPath

from services.domain.call import jakarta_today
from services.domain.care_evidence import CareEvidence, offers
from services.domain.errors import AuthenticationRequired
from services.domain.innovation import Innovation
from services.http.context import principal_of, runtime_of
from services.identity import policy
from services.mentoring.service import MentoringCommands
from services.monev.service import MonevCommands
from services.runtime import Runtime
from services.submission.common import problems


def care_offers(runtime: Runtime, innovation: Innovation, today: date) -> dict[int, CareEvidence]:
    mentoring = MentoringCommands(runtime.store, runtime.commands).load(innovation)
    monev = MonevCommands(runtime.store, runtime.commands).load(innovation)
    rubric = runtime.commands.rubric_for(innovation)
    return offers(rubric, mentoring, monev, today)


@get(
    "/api/innovations/{id:uuid}/care-evidence",
    summary="Bukti dari pendampingan (bimtek) dan monev per indikator",
    tags=["monev"],
    sync_to_thread=True,
    responses=problems(401, 403, 404),
)
def care_evidence(request: Request[Any, Any, Any], id: FromPath[UUID]) -> list[CareEvidence]:
    """Per indicator the rubric marks: the level the sessions or reports point to, and each
    record with its files (download them from the mentoring or monev routes)."""
    runtime = runtime_of(request)
    innovation = runtime.commands.innovation(id)
    principal = principal_of(request)
    if principal.role is None:
        raise AuthenticationRequired()
    policy.ensure_record(principal, innovation)
    return list(care_offers(runtime, innovation, jakarta_today()).values())


route_handlers: list[Any] = [care_evidence]
