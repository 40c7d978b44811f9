"""HTTP routes of the audit context (mounted by services.app).

Auditors (and admins) read everything and change nothing: every route here is guarded by
``requires(AUDITOR, ADMIN)`` (other roles get 403 before any record is touched), except the
public key, which is public. The one POST signs a checkpoint: a derived, signed record, not a
change of the log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Stream

from services.audit.history import (
    DiffView,
    HistoryView,
    StateView,
    TrailFilter,
    diff,
    history,
    state_view,
    trail,
)
from services.audit.integrity import Report, verify_store
from services.audit.keys import SigningKeyMissing, key_history, public_pem, signer_of
from services.audit.seals import Seal, all_seals, checkpoint, live_inputs, trusted_keys
from services.audit.timeline import NotYetExisting, Timeline
from services.commands import account_id_for
from services.domain.actor import Role
from services.domain.call import JAKARTA
from services.http import limits
from services.http.context import runtime_of
from services.http.problems import problem
from services.http.what_if import what_if_rubric
from services.identity.policy import requires
from services.spreadsheet import csv_row

if TYPE_CHECKING:
    from services.runtime import Runtime

TAG = "audit"
AUDIT: dict[str, Any] = {
    "tags": [TAG],
    "guards": [requires(Role.AUDITOR, Role.ADMIN)],
    "sync_to_thread": True,
}


def timeline_of(runtime: Runtime) -> Timeline:
    """One Timeline per process (it owns the snapshot recorder and a small call cache)."""
    timeline = runtime.extensions.get("audit.timeline")
    if timeline is None:
        timeline = runtime.extensions.setdefault("audit.timeline", Timeline(runtime.store))
    return timeline  # type: ignore[no-any-return]


def parse_moment(value: str, name: str) -> datetime:
    """ISO 8601; a time without an offset is read as Asia/Jakarta (what users see)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise problem(
            400,
            f"Parameter '{name}' harus berupa waktu ISO 8601, misalnya 2025-03-05T14:00:00+07:00.",
            "validation",
            errors=[{"field": name, "message": "format waktu tidak dikenal", "source": "query"}],
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=JAKARTA)


def _version_or_time(timeline: Timeline, id: UUID, value: str, name: str) -> int:
    """'12' is a version; anything else a moment, turned into the version in force then."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    moment = parse_moment(text, name)
    version = timeline.version_at(id, moment)
    if version == 0:
        raise NotYetExisting(id, moment)
    return version


# ``from``/``to``/``at``: ISO 8601 times (a date alone is read as its start, in WIB).
ISO_TIME_SCHEMA: dict[str, Any] = {
    "max_length": 40,
    "description": "Waktu ISO 8601, mis. 2025-12-31T23:59:00+07:00 (tanggal saja juga boleh).",
}
ISO_TIME = QueryParameter(**ISO_TIME_SCHEMA)


@get("/api/innovations/{id:uuid}/history", summary="Riwayat lengkap inovasi (auditor)", **AUDIT)
def innovation_history(request: Request[Any, Any, Any], id: FromPath[UUID]) -> HistoryView:
    """Every event with actor, role, time (WIB), correlation id and field-level changes; each
    decision links to the state its decider saw."""
    runtime = runtime_of(request)
    return history(runtime.store, timeline_of(runtime), id)


@get("/api/innovations/{id:uuid}/state", summary="Keadaan inovasi pada suatu waktu", **AUDIT)
def innovation_state(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    at: Annotated[str | None, ISO_TIME] = None,
    version: Annotated[int | None, QueryParameter(ge=1, le=limits.POSITION_MAX)] = None,
    rubric: Annotated[int | None, QueryParameter(ge=2000, le=2100)] = None,
) -> StateView:
    """The full record rebuilt from the log, with score and completeness computed by the rubric
    of the innovation's year, or by another year's (``rubric``, what-if). ``at`` (ISO time) or
    ``version``; neither gives the latest."""
    runtime = runtime_of(request)
    what_if = what_if_rubric(rubric)
    timeline = timeline_of(runtime)
    if at is not None and version is not None:
        raise problem(400, "Pilih salah satu: 'at' atau 'version', bukan keduanya.", "validation")
    moment = parse_moment(at, "at") if at is not None else None
    if moment is not None:
        version = timeline.version_at(id, moment)
        if version == 0:
            if not runtime.store.exists(id):
                raise problem(404, f"Inovasi {id} tidak ditemukan.", "not-found")
            raise NotYetExisting(id, moment)
    if version is None:
        version = runtime.store.current_version(id)
        if version == 0:
            raise problem(404, f"Inovasi {id} tidak ditemukan.", "not-found")
    return state_view(timeline, id, version, moment, what_if)


@get("/api/innovations/{id:uuid}/diff", summary="Perbedaan dua versi atau waktu", **AUDIT)
def innovation_diff(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    from_: Annotated[str, QueryParameter(name="from", max_length=limits.CODE_MAX)],
    to: Annotated[str | None, QueryParameter(max_length=limits.CODE_MAX)] = None,
) -> DiffView:
    """Field changes between two versions or times (``from``/``to``: a version number or an
    ISO time; ``to`` defaults to the latest) and the events in between."""
    runtime = runtime_of(request)
    timeline = timeline_of(runtime)
    current = runtime.store.current_version(id)
    if current == 0:
        raise problem(404, f"Inovasi {id} tidak ditemukan.", "not-found")
    a = _version_or_time(timeline, id, from_, "from")
    b = _version_or_time(timeline, id, to, "to") if to is not None else current
    return diff(runtime.store, timeline, id, a, b)


@get("/api/audit/verify", summary="Periksa keutuhan rantai hash seluruh log", **AUDIT)
def audit_verify(request: Request[Any, Any, Any]) -> Report:
    """Recomputes every link of every stream and the daily roots; reports the first broken link
    (stream id, version and notification id) and up to 100 findings."""
    return live_report(runtime_of(request))


def live_report(runtime: Runtime) -> Report:
    """The live log's chain, held to the server's signed day roots and checkpoints."""
    try:
        signer = signer_of(runtime.settings, runtime.extensions)
    except SigningKeyMissing:
        signer = None  # the keys the log records as activated still check the seals
    keys = trusted_keys(runtime.store, signer)
    return verify_store(runtime.store, seals=live_inputs(runtime.db, keys))


class KeyView(msgspec.Struct, frozen=True, kw_only=True):
    key_id: str  # sha256 of the raw public key: the fingerprint auditors pin
    valid_from: str
    public_key: str  # raw Ed25519 public key, hex


class PublicKeyView(msgspec.Struct, frozen=True, kw_only=True):
    algorithm: str
    key_id: str
    public_key: str
    public_key_pem: str
    history: list[KeyView]  # every key the log records as activated, oldest first


def _signer(runtime: Runtime) -> Any:
    try:
        return signer_of(runtime.settings, runtime.extensions)
    except SigningKeyMissing as exc:
        raise problem(503, str(exc), "signing-key-missing") from None


@get(
    "/api/audit/public-key",
    summary="Kunci publik Ed25519 penanda tangan audit (untuk dipatok pemeriksa)",
    tags=[TAG],
    sync_to_thread=True,
)
def audit_public_key(request: Request[Any, Any, Any]) -> PublicKeyView:
    """Public: verifying needs only this key, and it cannot sign. Pin it (or its ``key_id``)
    from a trusted channel; a signature by any other key then fails."""
    runtime = runtime_of(request)
    history = [
        KeyView(key_id=k.key_id, valid_from=k.valid_from.isoformat(), public_key=k.public_key)
        for k in key_history(runtime.store)
    ]
    try:
        signer = signer_of(runtime.settings, runtime.extensions)
    except SigningKeyMissing:
        if not history:
            raise problem(
                503, "Belum ada kunci penanda tangan audit yang aktif.", "signing-key-missing"
            ) from None
        # This process holds no private key (only the signing worker needs it): the key the
        # log last recorded as activated is the one in use.
        current = history[-1]
        raw = bytes.fromhex(current.public_key)
        return PublicKeyView(
            algorithm="Ed25519",
            key_id=current.key_id,
            public_key=current.public_key,
            public_key_pem=public_pem(raw),
            history=history,
        )
    return PublicKeyView(
        algorithm="Ed25519",
        key_id=signer.key_id,
        public_key=signer.public_raw.hex(),
        public_key_pem=signer.public_pem(),
        history=history,
    )


class SealsView(msgspec.Struct, frozen=True, kw_only=True):
    key_id: str | None
    seals: list[Seal]  # newest first


@get("/api/audit/roots", summary="Akar harian dan titik periksa bertanda tangan", **AUDIT)
def audit_roots(
    request: Request[Any, Any, Any],
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 60,
) -> SealsView:
    """The signed day roots and checkpoints, newest first: each ``payload`` is the signed text."""
    runtime = runtime_of(request)
    try:
        key_id: str | None = signer_of(runtime.settings, runtime.extensions).key_id
    except SigningKeyMissing:
        key_id = None
    return SealsView(key_id=key_id, seals=list(reversed(all_seals(runtime.db)))[:limit])


@post(
    "/api/audit/checkpoints",
    summary="Buat titik periksa bertanda tangan atas log sampai sekarang",
    status_code=201,
    **AUDIT,
)
def audit_checkpoint(request: Request[Any, Any, Any]) -> Seal:
    """Signs a root over every event since the last day root, up to the log's last event now,
    so what an auditor takes away today is verifiable today."""
    runtime = runtime_of(request)
    return checkpoint(runtime.store, runtime.db, _signer(runtime))


CSV_COLUMNS = (
    "notification_id",
    "recorded_at",
    "actor_id",
    "actor_username",
    "actor_role",
    "correlation_id",
    "stream_type",
    "stream_id",
    "version",
    "event",
    "summary",
    "changes",
)
_json = msgspec.json.Encoder()


def _csv_chunks(rows: Iterator[Any]) -> Iterator[bytes]:
    """Text a spreadsheet would run as a formula (a title, a username, a note) is neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode()  # BOM: spreadsheet programs read UTF-8
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        values = msgspec.to_builtins(row)
        values["changes"] = _json.encode(row.changes).decode()
        writer.writerow(csv_row(values[c] for c in CSV_COLUMNS))
        yield buffer.getvalue().encode()


def _json_chunks(rows: Iterator[Any]) -> Iterator[bytes]:
    yield b"["
    first = True
    for row in rows:
        yield (b"\n" if first else b",\n") + _json.encode(row)
        first = False
    yield b"\n]\n"


@get("/api/audit/trail", summary="Jejak audit (CSV/JSON, dialirkan)", **AUDIT)
def audit_trail(
    request: Request[Any, Any, Any],
    from_: Annotated[str | None, QueryParameter(name="from", **ISO_TIME_SCHEMA)] = None,
    to: Annotated[str | None, ISO_TIME] = None,
    actor: Annotated[
        str | None, QueryParameter(max_length=limits.CODE_MAX, pattern=limits.CLEAN_PATTERN)
    ] = None,
    innovation: FromQuery[UUID | None] = None,
    format: FromQuery[Literal["csv", "json"]] = "json",
) -> Stream:
    """Every matching event described in Bahasa Indonesia, streamed in log order: the log is read
    page by page, never loaded whole. ``actor`` is a username or an account id."""
    runtime = runtime_of(request)
    actor_id: UUID | None = None
    if actor:
        try:
            actor_id = UUID(actor)
        except ValueError:
            actor_id = account_id_for(actor)
    flt = TrailFilter(
        start=parse_moment(from_, "from") if from_ else None,
        end=parse_moment(to, "to") if to else None,
        actor=actor_id,
        innovation=innovation,
    )
    if flt.start and flt.end and flt.start > flt.end:
        raise problem(400, "'from' harus sebelum 'to'.", "validation")
    rows = trail(runtime.store, timeline_of(runtime), flt)
    stamp = datetime.now(JAKARTA).strftime("%Y%m%d-%H%M%S")
    if format == "csv":
        return Stream(
            _csv_chunks(rows),
            media_type="text/csv",  # Litestar adds "; charset=utf-8" to text/*
            headers={"Content-Disposition": f'attachment; filename="jejak-audit-{stamp}.csv"'},
        )
    return Stream(
        _json_chunks(rows),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="jejak-audit-{stamp}.json"'},
    )


route_handlers: list[Any] = [
    innovation_history,
    innovation_state,
    innovation_diff,
    audit_verify,
    audit_trail,
    audit_public_key,
    audit_roots,
    audit_checkpoint,
]
