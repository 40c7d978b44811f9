"""HTTP routes of the read models (mounted by services.app).

Every route reads read-model tables only, scoped to the caller by ``services.identity.policy``.
Read-your-writes: a command response carries the notification id it produced; a read with
``?after=<notification id>`` (or the header ``X-After-Notification``) waits, at most
``READ_WAIT_SECONDS``, until the read models it uses have applied that notification. Every
answer says how fresh it is: ``X-Read-Position`` (the lowest position of the models read) and,
when the wait ran out first, ``X-Read-Stale: true``. The busiest lists (innovations and search,
status board, review queue, public catalogue) read that position in their own statement
(``projections.queries.common.ReadPosition``); the others read it just before their query.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Litestar, MediaType, Request, get, post
from litestar.concurrency import sync_to_thread
from litestar.params import FromQuery, Parameter, QueryParameter
from litestar.response import Response
from litestar.serialization import encode_json

from projections import as_of as as_of_models
from projections import metrics as _metrics  # noqa: F401  (registers the lag gauges' hook)
from projections import queries
from projections.queries.common import QueryError, ReadPosition, marks_in, read_marks
from projections.regency import rescorer
from services import quarantine
from services.domain.actor import Role
from services.domain.call import JAKARTA
from services.domain.lifecycle import Status
from services.domain.values import CallKind, OrganisationKind
from services.http import limits
from services.http.context import principal_of, runtime_of
from services.http.problems import problem
from services.identity import session_pool
from services.identity.policy import REGENCY_READERS, STAFF, admin_only, requires, signed_in
from services.reads import requeue
from services.reads.answers import Answers

READ_WAIT_SECONDS = 5.0
AFTER_HEADER = "x-after-notification"

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="Jumlah baris per halaman.")]
Offset = Annotated[
    int, QueryParameter(ge=0, le=limits.OFFSET_MAX, description="Lewati sejumlah baris.")
]
Year = Annotated[int | None, QueryParameter(ge=limits.YEAR_MIN, le=limits.YEAR_MAX)]
Text = Annotated[
    str | None, QueryParameter(max_length=limits.QUERY_TEXT_MAX, pattern=limits.CLEAN_PATTERN)
]


def one_of(values: Any, description: str = "") -> Any:
    """A query parameter that must be one of ``values`` (enforced; an ``enum`` in the schema)."""
    names = [str(getattr(v, "value", v)) for v in values]
    return QueryParameter(
        pattern=f"^({'|'.join(re.escape(n) for n in names)})$",
        schema_extra={"enum": names},
        description=description or None,
    )


def list_of(values: Any, description: str = "") -> Any:
    """A comma-separated list of ``values`` (enforced by a pattern the schema states)."""
    alt = "|".join(re.escape(str(getattr(v, "value", v))) for v in values)
    return QueryParameter(pattern=f"^(|({alt})(,({alt}))*)$", description=description or None)


Statuses = Annotated[str | None, list_of(Status, "Satu atau beberapa status, dipisah koma.")]
After = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        le=limits.POSITION_MAX,
        description="Tunggu (paling lama 5 detik) sampai model baca memuat notifikasi ini.",
    ),
]

AsOf = Annotated[
    str | None,
    QueryParameter(
        max_length=10,
        description="Data per tanggal ini (TTTT-BB-HH, akhir hari WIB), dibangun dari log; "
        "khusus verifikator, admin dan auditor.",
    ),
]

INNOVATION_MODELS = ("innovations", "directory")
SEARCH_MODELS = ("innovations", "directory", "catalogue")


def _after(request: Request[Any, Any, Any], after: int | None) -> int | None:
    if after is not None:
        return after
    header = request.headers.get(AFTER_HEADER)
    if header is None:
        return None
    try:
        value = int(header) if len(header) <= 20 else -1
    except ValueError:
        value = -1
    if not 0 <= value <= limits.POSITION_MAX:
        raise problem(400, "Header X-After-Notification harus bilangan bulat ≥ 0.", "validation")
    return value


def _respond(
    request: Request[Any, Any, Any],
    after: int | None,
    models: Sequence[str],
    build: Callable[[ReadPosition], Any],
    *,
    folded: bool = False,
    kept: Hashable | None = None,
    checked: bool = False,
) -> Response[Any]:
    """Wait (bounded) for read-your-writes, ``build`` the answer, and say how fresh it is.

    ``folded``: ``build`` passes the ``ReadPosition`` to its query, which reads it in its own
    statement; otherwise the position is read first (so it never claims more than the answer
    shows). ``kept`` (folded only): the key under which the encoded answer is kept and served
    again while its models' marks stand (``services.reads.answers``): everything the answer
    depends on besides the read models (the route's arguments, the caller's scope, the day);
    ``checked``: the caller already found none kept at the current marks (``_respond_kept``)."""
    runtime = runtime_of(request)
    wanted = _after(request, after)
    caught_up = True
    if wanted is not None:
        caught_up = runtime.read_models.wait_for(wanted, READ_WAIT_SECONDS, list(models))
    seen = ReadPosition(models)
    answers: Answers | None = None
    if kept is not None and folded:
        answers = answers_of(request.app)
        kept = _key(request, seen.models, kept)
        fresh = checked or asks_fresh(request)
        found = None if fresh else answers.get(kept, read_marks(runtime.db, seen.models))
        if found is not None:
            return _answer(found.body, found.position, caught_up)
    if not folded:
        seen.value = min(runtime.read_models.positions(list(models)).values())
    try:
        body = build(seen)
    except QueryError as exc:
        raise problem(
            400, exc.message, "validation", errors=[{"field": exc.field, "message": exc.message}]
        ) from None
    if answers is not None and seen.marks is not None:
        encoded = encode_json(body)
        answers.put(kept, seen.marks, seen.value or 0, encoded)
        return _answer(encoded, seen.value or 0, caught_up)
    headers = {"X-Read-Position": str(seen.value or 0)}
    if not caught_up:
        headers["X-Read-Stale"] = "true"
    return Response(body, headers=headers)


async def _respond_kept(
    request: Request[Any, Any, Any],
    after: int | None,
    models: Sequence[str],
    build: Callable[[ReadPosition], Any],
    kept: Hashable,
) -> Response[Any]:
    """``_respond`` (folded, ``kept``) from an async handler. When the session lookup read the
    read models' marks (a signed-in GET on PostgreSQL: ``auth["rider"]``) and no
    read-your-writes wait is asked, a kept answer is checked on the event loop: served without
    a worker thread or a statement of its own when it stands. A miss reads it in a thread,
    once per key at a time: concurrent misses of the same key wait for that one (16 clients
    asking for a new answer at once otherwise all ran its query). Anything else, in a thread."""
    auth = request.scope.get("auth")
    rider = auth.get("rider") if isinstance(auth, dict) else None
    waits = _after(request, after) is not None
    if rider is None and auth is None and not waits and not asks_fresh(request):
        # No session to look up (the public catalogue): the marks alone, on the event loop.
        rider = await session_pool.read_rider(request.app)
    if rider is None or waits or asks_fresh(request):
        return await sync_to_thread(_respond, request, after, models, build, folded=True, kept=kept)
    names = ReadPosition(models).models
    answers, key = answers_of(request.app), _key(request, names, kept)
    marks = marks_in(rider, names)
    found = answers.get(key, marks)
    pending = answers.flights.get(key)
    if found is None and pending is not None:
        # The same answer is being read by another request of this process: wait for it and
        # take it if it shows the marks this request was authenticated at.
        await pending.wait()
        found = answers.get(key, marks)
    if found is not None:
        return _answer(found.body, found.position, True)
    if pending is not None:
        return await sync_to_thread(
            _respond, request, after, models, build, folded=True, kept=kept, checked=True
        )
    answers.flights[key] = flight = asyncio.Event()
    try:
        return await sync_to_thread(
            _respond, request, after, models, build, folded=True, kept=kept, checked=True
        )
    finally:
        del answers.flights[key]
        flight.set()


def asks_fresh(request: Request[Any, Any, Any]) -> bool:
    """``Cache-Control: no-cache`` (RFC 9111): the caller wants the answer read afresh, not a
    kept one (it is kept again for the next caller). The bench measures the uncached path so."""
    return "no-cache" in request.headers.get("cache-control", "").lower()


def _key(request: Request[Any, Any, Any], models: tuple[str, ...], kept: Hashable) -> Hashable:
    """A kept answer's key: the route's path and query string, its models and ``kept``."""
    return (request.scope["path"], request.scope["query_string"], models, kept)


def _answer(body: bytes, position: int, caught_up: bool) -> Response[Any]:
    """An encoded answer with its freshness headers."""
    headers = {"X-Read-Position": str(position)}
    if not caught_up:
        headers["X-Read-Stale"] = "true"
    return Response(body, headers=headers, media_type=MediaType.JSON)


def answers_of(app: Litestar) -> Answers:
    """This app's kept answers (one map per app, made on first use)."""
    state = app.state
    found = state.get("answers")
    if found is None:
        found = state.setdefault("answers", Answers())
    return found  # type: ignore[no-any-return]


def as_of_day(request: Request[Any, Any, Any], raw: str | None) -> date | None:
    """The validated ``as_of`` date, for staff only: a past state can show what has since been
    withdrawn or unpublished, and every new date costs a rebuild from the log."""
    if raw is None or raw == "":
        return None
    if principal_of(request).role not in STAFF:
        raise problem(
            403,
            "Data per tanggal lampau hanya untuk verifikator, admin dan auditor.",
            "forbidden",
        )
    try:
        return as_of_models.of(runtime_of(request)).check(as_of_models.parse_day(raw))
    except as_of_models.AsOfError as exc:
        raise problem(
            400, exc.message, "validation", errors=[{"field": "as_of", "message": exc.message}]
        ) from None


def _respond_as_of(
    request: Request[Any, Any, Any],
    day: date | None,
    after: int | None,
    models: Sequence[str],
    query: Callable[[Any, datetime | None, ReadPosition | None], Any],
    *,
    folded: bool = False,
    kept: Hashable | None = None,
) -> Response[Any]:
    """``query(db, now, position)`` on the live read models, or on those as of ``day`` (``now``
    then is the end of that day, so ages and deadlines are as they were; no position);
    ``X-As-Of`` says which."""
    runtime = runtime_of(request)
    if day is None:
        return _respond(
            request,
            after,
            models,
            lambda seen: query(runtime.db, None, seen),
            folded=folded,
            kept=kept,
        )
    moment = as_of_models.end_of_day(day)
    try:
        body = as_of_models.of(runtime).run(day, lambda db: query(db, moment, None))
    except as_of_models.AsOfBusy as exc:
        raise problem(503, exc.message, "busy", headers={"Retry-After": "30"}) from None
    except QueryError as exc:
        raise problem(
            400, exc.message, "validation", errors=[{"field": exc.field, "message": exc.message}]
        ) from None
    return Response(body, headers={"X-As-Of": day.isoformat()})


def _statuses(status: str | None) -> list[str]:
    return [s.strip() for s in status.split(",") if s.strip()] if status else []


# --- innovations ----------------------------------------------------------------------------------


@get(
    "/api/innovations",
    tags=["read models"],
    summary="Daftar inovasi",
)
async def list_innovations(
    request: Request[Any, Any, Any],
    status: Statuses = None,
    organisation: FromQuery[UUID | None] = None,
    call: FromQuery[UUID | None] = None,
    year: Year = None,
    stage: Text = None,
    q: Annotated[str | None, QueryParameter(max_length=limits.QUERY_TEXT_MAX)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    after: After = None,
) -> Response[queries.common.Page]:
    """Innovations the caller may see: staff all, operators their organisation's, participants
    their own, anonymous callers published ones. ``status`` may list several (comma-separated);
    ``q`` searches title and narrative (all words, word prefixes)."""
    principal = principal_of(request)
    runtime = runtime_of(request)
    models = SEARCH_MODELS if q else INNOVATION_MODELS
    return await _respond_kept(
        request,
        after,
        models,
        lambda seen: queries.innovations.list_innovations(
            runtime.db,
            principal,
            status=_statuses(status),
            organisation=organisation,
            call=call,
            year=year,
            stage=stage,
            q=q,
            limit=limit,
            offset=offset,
            position=seen,
        ),
        principal,  # what it may see follows from the principal alone
    )


@get(
    "/api/status-board",
    tags=["read models"],
    summary="Papan status inovasi organisasi",
    guards=[signed_in],
)
async def status_board(
    request: Request[Any, Any, Any],
    organisation: FromQuery[UUID | None] = None,
    status: Statuses = None,
    limit: Limit = 100,
    offset: Offset = 0,
    after: After = None,
) -> Response[queries.board.StatusBoard]:
    """An operator's own organisation (a participant: their own entries; staff: any
    ``organisation``): status, completeness, what is missing, what the reviewer asked for,
    score, and days to the call's deadline."""
    principal = principal_of(request)
    runtime = runtime_of(request)
    submitter: UUID | None = None
    if principal.role in (Role.OPERATOR, Role.KEPALA_OPD):
        if organisation is not None and organisation != principal.organisation_id:
            raise problem(
                403, "Operator hanya dapat melihat papan status organisasinya sendiri.", "forbidden"
            )
        organisation = principal.organisation_id
        if organisation is None:
            raise problem(403, "Akun operator belum terikat organisasi.", "forbidden")
    elif principal.role == Role.PARTICIPANT:
        if organisation is not None:
            raise problem(403, "Peserta hanya dapat melihat usulannya sendiri.", "forbidden")
        submitter = principal.account_id
    # Days and seconds to a call's deadline are as of this whole second: an answer is kept
    # for the second it was read in.
    second = int(time.time())
    return await _respond_kept(
        request,
        after,
        INNOVATION_MODELS,
        lambda seen: queries.board.status_board(
            runtime.db,
            organisation_id=organisation,
            submitter_id=submitter,
            status=_statuses(status),
            now=datetime.fromtimestamp(second, UTC),
            limit=limit,
            offset=offset,
            position=seen,
        ),
        (organisation, submitter, second),
    )


@get(
    "/api/review/queue",
    tags=["read models"],
    summary="Antrean verifikasi",
    guards=[requires(Role.REVIEWER, Role.ADMIN, Role.AUDITOR)],
)
async def review_queue(
    request: Request[Any, Any, Any],
    status: Statuses = None,
    organisation: FromQuery[UUID | None] = None,
    call: FromQuery[UUID | None] = None,
    reviewer: Annotated[
        str | None,
        QueryParameter(
            max_length=limits.CODE_MAX,
            description="me, id akun verifikator, atau none (belum ditugaskan)",
        ),
    ] = None,
    sla: Annotated[str | None, one_of(queries.queue.SLA_STATES)] = None,
    kind: Annotated[str | None, one_of(CallKind)] = None,
    sort: Annotated[str, one_of(queries.queue.QUEUE_SORTS)] = "age",
    order: Annotated[str, QueryParameter(pattern="^(asc|desc)$")] = "asc",
    limit: Limit = 50,
    offset: Offset = 0,
    after: After = None,
    as_of: AsOf = None,
) -> Response[queries.queue.Queue]:
    """Items waiting for review work (submitted, under review, resubmitted, scored) with their
    age in working days (Mon–Fri) and SLA state against ``SIRISMA_SLA_WORKING_DAYS``. Reviewers
    never see their own organisation's innovations."""
    principal = principal_of(request)
    runtime = runtime_of(request)
    # Ages and SLA states follow from the day in Jakarta: an answer is kept for that day.
    today = datetime.now(UTC)

    def query(db: Any, now: datetime | None, seen: ReadPosition | None) -> Any:
        return queries.queue.review_queue(
            db,
            principal,
            now=now or today,
            sla_working_days=runtime.settings.sla_working_days,
            status=_statuses(status),
            organisation=organisation,
            call=call,
            reviewer=reviewer,
            sla=sla,
            kind=kind,
            sort=sort,
            descending=order == "desc",
            limit=limit,
            offset=offset,
            position=seen,
        )

    if as_of:  # a past day's models: built from the log, never kept
        return await sync_to_thread(
            lambda: _respond_as_of(
                request, as_of_day(request, as_of), after, INNOVATION_MODELS, query, folded=True
            )
        )
    return await _respond_kept(
        request,
        after,
        INNOVATION_MODELS,
        lambda seen: query(runtime.db, None, seen),
        (principal, today.astimezone(JAKARTA).date()),
    )


# --- dashboards -----------------------------------------------------------------------------------


def _this_year() -> int:
    return datetime.now(UTC).astimezone(JAKARTA).year


@get(
    "/api/dashboard/compliance",
    tags=["read models"],
    summary="Kepatuhan Perbup 87/2021 pasal 38",
    guards=[requires(*REGENCY_READERS, Role.OPERATOR, Role.KEPALA_OPD)],
    sync_to_thread=True,
)
def compliance(
    request: Request[Any, Any, Any],
    year: Year = None,
    which: Annotated[
        str | None,
        QueryParameter(
            name="state",
            pattern=f"^({'|'.join(queries.compliance.COMPLIANCE_LABELS)})$",
            schema_extra={"enum": list(queries.compliance.COMPLIANCE_LABELS)},
        ),
    ] = None,
    kind: Text = None,
    after: After = None,
    as_of: AsOf = None,
) -> Response[queries.compliance.ComplianceReport]:
    """Per organisation for a budget year: innovations by state, who has none, days left in the
    year and to the annual call's deadline. Operators see their own organisation's row."""
    principal = principal_of(request)
    organisation = None if principal.role in STAFF else principal.organisation_id
    if principal.role in (Role.OPERATOR, Role.KEPALA_OPD) and organisation is None:
        raise problem(403, "Akun ini belum terikat organisasi.", "forbidden")
    day = as_of_day(request, as_of)
    return _respond_as_of(
        request,
        day,
        after,
        ("compliance", "directory"),
        lambda db, now, _seen: queries.compliance.compliance(
            db,
            year or (day.year if day else _this_year()),
            organisation_id=organisation,
            state=which,
            kind=kind,
            now=now,
        ),
    )


RubricYear = Annotated[
    int | None,
    QueryParameter(
        ge=2000,
        le=2100,
        description="Hitung dengan aturan tahun lain (what-if), mis. 2026.",
    ),
]
SpdWhatIf = Annotated[
    float | None,
    QueryParameter(
        ge=0,
        le=1000,
        description="Nilai SPD what-if yang menggantikan lembar SPD; bawaan: lembar SPD tahun itu.",
    ),
]


@get(
    "/api/dashboard/index",
    tags=["read models"],
    summary="Indeks Inovasi Daerah (klaim dan terverifikasi) dan peringkat kematangan",
    guards=[requires(*REGENCY_READERS)],
    sync_to_thread=True,
)
def index_dashboard(
    request: Request[Any, Any, Any],
    year: Year = None,
    rubric: RubricYear = None,
    spd: SpdWhatIf = None,
    limit: Limit = 20,
    after: After = None,
    as_of: AsOf = None,
) -> Response[queries.index.IndexDashboard]:
    """The regency index as Kemendagri computes it, "klaim" and "terverifikasi": SPD, SID over
    MAX(k, n), the count score and its urusan gate, total, band and the innovations in n, with
    the year file's rules (``services/domain/index_years``) or another year's (``rubric``)."""
    runtime = runtime_of(request)
    day = as_of_day(request, as_of)
    return _respond_as_of(
        request,
        day,
        after,
        INNOVATION_MODELS,
        lambda db, _now, _seen: queries.index.index_dashboard(
            db,
            year or (day.year if day else _this_year()),
            spd=spd,
            limit=limit,
            rubric=rubric,
            rescore=rescorer(runtime.commands),
        ),
    )


@get(
    "/api/dashboard/index/plan",
    tags=["read models"],
    summary="Perencana laporan IGA: inovasi mana yang dilaporkan agar indeks tertinggi",
    guards=[requires(*REGENCY_READERS)],
    sync_to_thread=True,
)
def index_plan(
    request: Request[Any, Any, Any],
    year: Annotated[int | None, QueryParameter(ge=2000, le=2100)] = None,
    rubric: RubricYear = None,
    spd: SpdWhatIf = None,
    after: After = None,
) -> Response[queries.index.IndexPlan]:
    """The subset of the year's approved or reported innovations that maximises the verified
    index, and for each innovation the index with and without it."""
    runtime = runtime_of(request)
    return _respond(
        request,
        after,
        INNOVATION_MODELS,
        lambda _seen: queries.index.index_plan(
            runtime.db,
            year or _this_year(),
            rubric=rubric,
            spd=spd,
            rescore=rescorer(runtime.commands),
        ),
    )


# --- public ---------------------------------------------------------------------------------------


@get(
    "/api/public/innovations",
    tags=["public"],
    summary="Katalog inovasi yang dipublikasikan",
)
async def public_innovations(
    request: Request[Any, Any, Any],
    q: Annotated[str | None, QueryParameter(max_length=limits.QUERY_TEXT_MAX)] = None,
    organisation: FromQuery[UUID | None] = None,
    year: Year = None,
    stage: Text = None,
    kind: Text = None,
    form: Text = None,
    theme: Text = None,
    call_kind: Text = None,
    limit: Limit = 24,
    offset: Offset = 0,
    after: After = None,
    as_of: AsOf = None,
) -> Response[queries.common.Page]:
    """Published innovations for everyone, with full-text search (best matches first);
    ``as_of``: as published at the end of that day (staff only)."""
    models = ("catalogue", "directory")

    def query(db: Any, _now: datetime | None, seen: ReadPosition | None) -> Any:
        return queries.catalogue.public_catalogue(
            db,
            q=q,
            organisation=organisation,
            year=year,
            stage=stage,
            kind=kind,
            form=form,
            theme=theme,
            call_kind=call_kind,
            limit=limit,
            offset=offset,
            position=seen,
        )

    if as_of:  # a past day (staff only): the models as of then, in a worker thread
        return await sync_to_thread(
            lambda: _respond_as_of(
                request, as_of_day(request, as_of), after, models, query, folded=True
            )
        )
    db = runtime_of(request).db
    return await _respond_kept(
        request, after, models, lambda seen: query(db, None, seen), "public"
    )  # the same answer for every caller


@get(
    "/api/organisations",
    tags=["read models"],
    summary="Daftar organisasi",
    sync_to_thread=True,
)
def organisations(
    request: Request[Any, Any, Any],
    kind: Annotated[str | None, one_of(OrganisationKind)] = None,
    q: Annotated[str | None, QueryParameter(max_length=100, pattern=limits.CLEAN_PATTERN)] = None,
    after: After = None,
) -> Response[list[queries.directory.OrganisationItem]]:
    """Organisations (OPD, Puskesmas, BUMD, UPTD, Kecamatan): public names and codes."""
    runtime = runtime_of(request)
    return _respond(
        request,
        after,
        ("directory",),
        lambda _seen: queries.directory.organisations(runtime.db, kind=kind, q=q),
    )


@get(
    "/api/accounts",
    tags=["read models"],
    summary="Daftar akun",
    guards=[admin_only],
    sync_to_thread=True,
)
def accounts(
    request: Request[Any, Any, Any],
    role: Text = None,
    organisation: FromQuery[UUID | None] = None,
    disabled: FromQuery[bool | None] = None,
    q: Annotated[str | None, QueryParameter(max_length=100, pattern=limits.CLEAN_PATTERN)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    after: After = None,
) -> Response[queries.common.Page]:
    """Accounts with role, organisation and whether they are disabled (never password hashes)."""
    runtime = runtime_of(request)
    return _respond(
        request,
        after,
        ("directory",),
        lambda _seen: queries.directory.accounts(
            runtime.db,
            role=role,
            organisation=organisation,
            disabled=disabled,
            q=q,
            limit=limit,
            offset=offset,
        ),
    )


@get("/api/calls", tags=["read models"], summary="Daftar panggilan", sync_to_thread=True)
def calls(
    request: Request[Any, Any, Any],
    kind: Annotated[str | None, one_of(CallKind)] = None,
    year: Year = None,
    which: Annotated[
        str | None,
        QueryParameter(
            name="state",
            pattern="^(upcoming|open|closed)$",
            schema_extra={"enum": ["upcoming", "open", "closed"]},
        ),
    ] = None,
    after: After = None,
) -> Response[list[queries.directory.CallItem]]:
    """Calls with their deadline in Asia/Jakarta and the seconds remaining (for countdowns)."""
    runtime = runtime_of(request)
    return _respond(
        request,
        after,
        ("directory",),
        lambda _seen: queries.directory.calls(runtime.db, kind=kind, year=year, state=which),
    )


# --- quarantine (issue 15, item 1b): events a read model or the relay skipped ------------------


@get(
    "/api/admin/quarantine",
    tags=["read models"],
    summary="Peristiwa dikarantina (dilewati model baca atau relai)",
    guards=[admin_only],
    sync_to_thread=True,
)
def list_quarantine(request: Request[Any, Any, Any]) -> list[quarantine.Item]:
    """Events a follower of the log gave up on after bounded retries, with the error. The
    follower is inconsistent for that one stream until the event is retried successfully."""
    return requeue.pending(runtime_of(request).settings)


@post(
    "/api/admin/quarantine/{follower:str}/{notification_id:int}/retry",
    tags=["read models"],
    summary="Terapkan ulang peristiwa yang dikarantina",
    guards=[admin_only],
    sync_to_thread=True,
    status_code=200,
)
def retry_quarantined(
    request: Request[Any, Any, Any],
    follower: Annotated[str, Parameter(max_length=100)],
    notification_id: Annotated[int, Parameter(ge=1)],
) -> quarantine.RetryOutcome:
    """Apply the event again; it leaves quarantine when that succeeds (``released``)."""
    runtime = runtime_of(request)
    outcomes = requeue.retry(
        runtime.settings, [follower], notification_id=notification_id, store=runtime.store
    )
    if not outcomes:
        raise problem(404, "Peristiwa itu tidak ada dalam karantina.", "not-found")
    return outcomes[0]


route_handlers: list[Any] = [
    list_quarantine,
    retry_quarantined,
    list_innovations,
    status_board,
    review_queue,
    compliance,
    index_dashboard,
    index_plan,
    public_innovations,
    organisations,
    accounts,
    calls,
]
