"""RFC 9457 problem responses for every error the API can give, in one place.

Domain errors keep their Indonesian message as ``detail`` and their slug as ``type``; a stale
write gets 409 with the current version; schema errors list each field; a database that cannot be
reached (a PostgreSQL restart or outage) gets 503 with ``Retry-After``.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from eventsourcing.persistence import OperationalError as EventStoreOperationalError
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

from services.domain import labels
from services.domain.errors import DomainError
from services.domain.rubric import UnknownRubricYear
from services.eventstore.store import ConcurrencyConflict, NotFound
from services.http.explain import explain

log = logging.getLogger("sirisma.web")

TYPE_BASE = "https://sirisma.local/problems/"
RETRY_AFTER_UNAVAILABLE = "5"  # seconds; a PostgreSQL restart takes a few
# The database cannot be reached: 503 (also how services.ops.http counts them).
UNAVAILABLE: tuple[type[Exception], ...] = (psycopg.OperationalError, EventStoreOperationalError)

TITLES = {
    400: "Permintaan tidak valid",
    401: "Perlu masuk",
    403: "Tidak diizinkan",
    404: "Tidak ditemukan",
    405: "Metode tidak diizinkan",
    409: "Konflik",
    412: "Prasyarat gagal",
    413: "Berkas terlalu besar",
    415: "Jenis berkas tidak didukung",
    422: "Data tidak dapat diproses",
    428: "Prasyarat diperlukan",
    429: "Terlalu banyak permintaan",
    500: "Kesalahan server",
    503: "Layanan belum siap",
}


def problem(
    status: int,
    detail: str,
    slug: str = "",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=status,
        type_=TYPE_BASE + (slug or str(status)),
        title=TITLES.get(status, "Kesalahan"),
        detail=detail,
        headers=headers,
        extra=extra or None,
    )


def _jsonable(value: Any) -> Any:
    import msgspec

    return msgspec.to_builtins(value, str_keys=True)


def from_domain(exc: DomainError) -> ProblemDetailsException:
    return problem(exc.status, exc.message, exc.code, **_jsonable(exc.details))


def from_conflict(exc: ConcurrencyConflict) -> ProblemDetailsException:
    return problem(
        409,
        str(exc),
        "stale-version",
        headers={"ETag": f'"{exc.current_version}"'},
        current_version=exc.current_version,
    )


KIND_LABELS = labels.RECORD_KIND


def from_not_found(exc: NotFound | NotFoundException) -> ProblemDetailsException:
    if isinstance(exc, NotFound):
        detail = f"{KIND_LABELS.get(exc.kind, exc.kind)} {exc.id} tidak ditemukan."
    else:
        detail = "Data tidak ditemukan."
    return problem(404, detail, "not-found")


def from_validation(exc: ValidationException) -> ProblemDetailsException:
    """Each field error in Indonesian, naming the field; text with a control character is 422
    (well-formed, but not text this system stores), any other schema error 400."""
    errors = []
    refused_text = False
    for item in exc.extra or []:
        if isinstance(item, dict):
            field = str(item.get("key") or item.get("source") or "")
            raw_source = item.get("source", "")
            source = str(getattr(raw_source, "value", raw_source))
            explained = explain(str(item.get("message", "")), field, source)
            refused_text = refused_text or explained.refused_text
            errors.append(
                {"field": explained.field, "message": explained.message, "source": source}
            )
    if errors:
        first = errors[0]
        detail = f"Data yang dikirim tidak valid: `{first['field']}` {first['message']}"
    else:
        detail = f"Data yang dikirim tidak valid: {explain(exc.detail or '', '', '').message}"
    if refused_text:
        return problem(422, detail, "invalid-text", errors=errors)
    return problem(400, detail, "validation", errors=errors)


def from_recursion(exc: RecursionError) -> ProblemDetailsException:
    """JSON nested past the decoder's recursion limit (``[`` × 100,000): a 400, not a 500."""
    return problem(
        400,
        "JSON terlalu dalam bersarang; tidak ada isian API yang memerlukan lebih dari beberapa "
        "tingkat.",
        "validation",
    )


def from_http(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, ProblemDetailsException):
        return exc
    detail = exc.detail or TITLES.get(exc.status_code, "")
    if exc.status_code == 400:
        detail = explain(detail, "", "").message  # msgspec's decode errors, in Indonesian
    return problem(
        exc.status_code,
        detail,
        str(exc.status_code),
        headers=exc.headers,
    )


def from_rubric(exc: UnknownRubricYear) -> ProblemDetailsException:
    return problem(422, str(exc), "unknown-rubric-year")


def from_database_unavailable(exc: Exception) -> ProblemDetailsException:
    """PostgreSQL could not be reached or dropped the connection (``psycopg.OperationalError``,
    including the pool's ``PoolTimeout``; the event store's ``OperationalError``): a 503 the
    client may retry after ``Retry-After``, not a 500 with a traceback. As with any 5xx, a write
    that lost its connection while committing has an unknown outcome: the client re-reads the
    record (its version) before repeating a command (services/http/idempotency.py)."""
    log.warning("database unavailable: %s: %s", type(exc).__name__, str(exc).strip()[:200])
    return problem(
        503,
        "Basis data sedang tidak dapat dihubungi. Coba lagi beberapa saat lagi.",
        "database-unavailable",
        headers={"Retry-After": RETRY_AFTER_UNAVAILABLE},
    )


def plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            enable_for_all_http_exceptions=False,
            exception_to_problem_detail_map={
                DomainError: from_domain,
                ConcurrencyConflict: from_conflict,
                NotFound: from_not_found,
                NotFoundException: from_not_found,
                ValidationException: from_validation,
                UnknownRubricYear: from_rubric,
                HTTPException: from_http,
                RecursionError: from_recursion,
                **dict.fromkeys(UNAVAILABLE, from_database_unavailable),
            },
        )
    )
