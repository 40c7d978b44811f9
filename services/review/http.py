"""What the review routes share: preconditions, the caller's checks, write responses.

Every write names the version it acted on when the client sends ``If-Match`` (a stale one gets
409 with the current version and records nothing) and answers with ``version``, ``ETag`` and
``X-Notification-Id``. ``Idempotency-Key`` on every POST is handled app-wide by
``services.web.idempotency``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter

from services.domain.actor import Role
from services.domain.errors import ConflictOfInterest
from services.domain.innovation import Innovation
from services.domain.lifecycle import Command
from services.identity.policy import ensure_command, ensure_role, ensure_view
from services.identity.principal import Principal
from services.runtime import Runtime
from services.submission.blobs import BlobStore
from services.web.problems import problem

TAG = "review"
IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        required=False,
        description=(
            'Versi yang Anda periksa, dari ETag respons terakhir (mis. "7"). Bila dikirim dan '
            "sudah usang, perintah ditolak dengan 409 beserta versi terkini."
        ),
    ),
]
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,12})"?\s*$')


class Problem(msgspec.Struct, kw_only=True):
    """RFC 9457 problem details (other members, e.g. ``errors`` or ``items``, may be present)."""

    type: str
    title: str
    status: int
    detail: str


_PROBLEM_TEXT = {
    400: "Permintaan tidak valid (kolom salah atau hilang)",
    401: "Perlu masuk",
    403: "Peran tidak berwenang atau konflik kepentingan",
    404: "Tidak ditemukan (atau tidak terlihat oleh Anda)",
    409: "Konflik: versi usang atau status tidak mengizinkan perintah ini",
    422: "Melanggar aturan (mis. alasan kosong, indikator tidak dikenal)",
}


def problems(*codes: int) -> dict[int, ResponseSpec]:
    return {
        code: ResponseSpec(
            data_container=Problem,
            description=_PROBLEM_TEXT[code],
            media_type="application/problem+json",
            generate_examples=False,
        )
        for code in codes
    }


WRITE_PROBLEMS = problems(400, 401, 403, 404, 409, 422)


def if_match(request: Request[Any, Any, Any]) -> int | None:
    """The version named by ``If-Match`` (``"5"``, ``W/"5"`` or ``5``); ``*`` means any."""
    raw = request.headers.get("if-match")
    if raw is None or raw.strip() == "*":
        return None
    match = _ETAG.match(raw)
    if match is None:
        raise problem(
            400,
            'If-Match harus berisi satu versi, mis. "3" (nilai ETag dari respons terakhir).',
            "invalid-if-match",
        )
    return int(match.group(1))


def write_headers(version: int | None, notification_id: int | None) -> dict[str, str]:
    headers = {}
    if version is not None:
        headers["ETag"] = f'"{version}"'
    if notification_id:
        headers["X-Notification-Id"] = str(notification_id)
    return headers


def blob_store(runtime: Runtime) -> BlobStore:
    """The process's blob store, shared with the submission context through the runtime."""
    blobs = runtime.extensions.get("blobs")
    if blobs is None:
        blobs = runtime.extensions.setdefault("blobs", BlobStore(runtime.settings.blob_path))
    return blobs  # type: ignore[no-any-return]


def load_for_command(
    runtime: Runtime, principal: Principal, id: UUID, command: Command
) -> Innovation:
    """Checked by the policy (404 hidden, 403 role, 403 conflict of interest) before any work."""
    innovation = runtime.store.load(Innovation, id)
    ensure_command(principal, command, innovation)
    return innovation


def load_for_review(runtime: Runtime, principal: Principal, id: UUID) -> Innovation:
    """Review staff only; a reviewer never sees the review of their own organisation's item."""
    innovation = runtime.store.load(Innovation, id)
    ensure_view(principal, innovation)
    ensure_role(principal, Role.ADMIN, Role.REVIEWER, Role.AUDITOR)
    if (
        principal.role == Role.REVIEWER
        and principal.organisation_id is not None
        and principal.organisation_id == innovation.organisation_id
    ):
        raise ConflictOfInterest(
            "Konflik kepentingan: verifikator berasal dari organisasi pengusul inovasi ini."
        )
    return innovation
