"""HTTP API of riset daerah under ``/api/research/``: the year's agenda, proposals, their
reviews (scores of the review board) and reports (progress, outputs), dissemination, follow-up
and the research evidence for SPD rows.

Guards come from the research lifecycle table (roles) and run before the body is read; which
proposal a caller may touch is ``services.research.access`` (the innovations' policy rules);
whether the status allows a command is the aggregate's answer (409 naming what is allowed).
Bodies are msgspec Structs with the bounds of ``services.http.limits``; refusals are problem
JSON in Bahasa Indonesia and change nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID, uuid4

import msgspec
from litestar import Request, Response, get, post, put
from litestar.concurrency import sync_to_thread
from litestar.params import FromPath, JSONBody, Parameter
from msgspec import Meta

from services.audit.describe import AuditLine, describe_stream
from services.commands import Outcome
from services.domain.actor import Role
from services.domain.research.lifecycle import Command
from services.domain.research.proposal import ResearchProposal
from services.domain.research.values import (
    AgendaStatus,
    BudgetLine,
    CriterionScore,
    FollowUpStatus,
    LinkKind,
    Output,
    OutputKind,
    Priority,
    ProposalBody,
    ResearchKind,
    Step,
    TeamMember,
    Theme,
)
from services.http import limits
from services.http.context import command_context, principal_of, runtime_of
from services.identity import policy
from services.research import access, files, queries
from services.research.service import ResearchCommands
from services.research.views import (
    AgendaView,
    ProposalView,
    ReportsView,
    ReviewView,
    agenda_view,
    proposal_view,
    reports_view,
    reviews_view,
)
from services.review.http import IfMatch, if_match, problems, write_headers

TAG = "research"
Year = limits.Year
QueryYear = Annotated[
    int | None, Parameter(ge=limits.YEAR_MIN, le=limits.YEAR_MAX, description="Tahun agenda.")
]
# msgspec has no bounds on Decimal: the aggregate checks amounts (positive, at most 10^15).
Amount = Decimal
Quantity = Decimal
ThemeCode = Annotated[str, Meta(min_length=1, max_length=20, pattern=r"^[A-Z0-9][A-Z0-9.\-]*$")]
Short = Annotated[str, Meta(max_length=limits.NAME_MAX, pattern=limits.CLEAN_PATTERN)]
WRITE = problems(400, 401, 403, 404, 409, 422)
COMMAND: dict[str, Any] = {"tags": [TAG], "status_code": 200, "sync_to_thread": True}
# On a path served by several methods the handlers are async (see ``get_proposal``).
SHARED_PATH: dict[str, Any] = {"tags": [TAG], "status_code": 200}


# ==== bodies ======================================================================================


class ThemeInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: ThemeCode
    title: limits.RequiredTitle
    priority: Priority = Priority.SEDANG
    rpjmd_goal: limits.Note = ""
    rkpd_goal: limits.Note = ""
    urusan: Annotated[str, Meta(max_length=20, pattern=r"^[0-9.]*$")] = ""
    description: limits.Note = ""


class AgendaInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: limits.RequiredTitle
    rpjmd_period: Short = ""
    themes: Annotated[list[ThemeInput], Meta(max_length=limits.LIST_MAX)] = []


class AgendaStatusInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: AgendaStatus
    perkada: limits.Name = ""


class TeamInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: limits.RequiredName
    role: Annotated[str, Meta(min_length=1, max_length=60, pattern=limits.CLEAN_PATTERN)]
    institution: limits.Name = ""


class BudgetInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    item: limits.RequiredTitle
    quantity: Quantity
    unit: Annotated[str, Meta(min_length=1, max_length=40, pattern=limits.CLEAN_PATTERN)]
    unit_cost: Amount


class StepInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: limits.RequiredTitle
    start: date
    end: date


class ProposalInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The TOR of the study. Submitting needs every part (the answer lists what is missing)."""

    title: limits.RequiredTitle
    kind: ResearchKind = ResearchKind.PENELITIAN
    theme_code: Annotated[str, Meta(max_length=20, pattern=r"^[A-Z0-9.\-]*$")] = ""
    partner: limits.Name = ""
    background: limits.LongText = ""
    legal_basis: limits.LongText = ""
    questions: Annotated[list[limits.Note], Meta(max_length=20)] = []
    method: limits.LongText = ""
    location: limits.Title = ""
    team: Annotated[list[TeamInput], Meta(max_length=limits.LIST_MAX)] = []
    budget: Annotated[list[BudgetInput], Meta(max_length=200)] = []
    schedule: Annotated[list[StepInput], Meta(max_length=limits.LIST_MAX)] = []

    def body(self) -> ProposalBody:
        return ProposalBody(
            title=self.title.strip(),
            kind=self.kind,
            theme_code=self.theme_code,
            partner=self.partner.strip(),
            background=self.background.strip(),
            legal_basis=self.legal_basis.strip(),
            questions=tuple(q.strip() for q in self.questions if q.strip()),
            method=self.method.strip(),
            location=self.location.strip(),
            team=tuple(TeamMember(**msgspec.structs.asdict(m)) for m in self.team),
            budget=tuple(BudgetLine(**msgspec.structs.asdict(b)) for b in self.budget),
            schedule=tuple(Step(**msgspec.structs.asdict(s)) for s in self.schedule),
        )


class NewProposalInput(ProposalInput, kw_only=True, forbid_unknown_fields=True):
    year: Year
    organisation_id: UUID | None = None  # admin only: the proposing organisation


class ReasonInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: limits.Reason


class NoteInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: limits.Note = ""


class RequiredNoteInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: limits.Reason


class AssignInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reviewer_id: UUID


class ScoreItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    key: limits.RequiredCode
    score: Annotated[int, Meta(ge=0, le=100)]


class ScoreInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    scores: Annotated[list[ScoreItem], Meta(min_length=1, max_length=20)]
    note: limits.Note = ""


class ApproveInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: limits.Note = ""
    budget_ceiling: Amount | None = None


class StartInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    mode: Annotated[str, Meta(min_length=1, max_length=100, pattern=limits.CLEAN_PATTERN)]
    started_on: date
    contract_number: limits.Name = ""


class ProgressInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    milestone: limits.RequiredTitle
    progress: Annotated[int, Meta(ge=0, le=100)]
    reported_on: date
    summary: limits.LongText = ""


class OutputInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: OutputKind
    title: limits.RequiredTitle
    summary: limits.LongText = ""
    url: Annotated[
        str, Meta(max_length=limits.URL_MAX, pattern=r"^(https?://[^\s\x00-\x1f\x7f-\x9f]+)?$")
    ] = ""
    recommendations: Annotated[list[limits.Note], Meta(max_length=limits.LIST_MAX)] = []


class DisseminateInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    forum: limits.RequiredTitle
    held_on: date
    recipients: Annotated[list[UUID], Meta(max_length=limits.LIST_MAX)] = []
    note: limits.Note = ""


class FollowUpInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    output_id: UUID
    recommendation: Annotated[int, Meta(ge=0, le=limits.LIST_MAX)]
    organisation_id: UUID
    status: FollowUpStatus
    note: limits.Note = ""


class LinkInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    innovation_id: UUID
    link: LinkKind
    note: limits.Note = ""


class HistoryEntry(msgspec.Struct, kw_only=True):
    version: int
    topic: str
    line: AuditLine


# ==== helpers =====================================================================================


def _research(request: Request[Any, Any, Any]) -> ResearchCommands:
    return ResearchCommands(runtime_of(request).store)


def _person(store: Any, account_id: UUID | None) -> str:
    """An account's display name for the history (its full name, else its username)."""
    from services.domain.organisation import Account
    from services.eventstore.store import NotFound

    if account_id is None:
        return "Sistem"
    try:
        account = store.load(Account, account_id)
    except (NotFound, TypeError):
        return str(account_id)[:8]
    return str(account.full_name or account.username)


def _load(request: Request[Any, Any, Any], id: UUID) -> ResearchProposal:
    return _research(request).proposal(id)


def _answer(
    request: Request[Any, Any, Any], outcome: Outcome, status: int = 200
) -> Response[ProposalView]:
    proposal = _research(request).proposal(outcome.id, outcome.version or None)
    view = proposal_view(proposal, principal_of(request), record=True)
    return Response(
        view, status_code=status, headers=write_headers(view.version, outcome.notification_id)
    )


def _command(
    request: Request[Any, Any, Any], id: UUID, command: Command, run: Any
) -> Response[ProposalView]:
    """Check the caller against the proposal, then run ``run(commands, ctx)``."""
    proposal = _load(request, id)
    access.ensure_command(principal_of(request), command, proposal)
    expected = if_match(request)
    if expected is not None and expected != proposal.version:
        from services.eventstore.store import ConcurrencyConflict

        raise ConcurrencyConflict(proposal.id, expected + 1, proposal.version)
    outcome = run(_research(request), command_context(request))
    return _answer(request, outcome)


# ==== agenda ======================================================================================


@get(
    "/api/research/agenda",
    tags=[TAG],
    summary="Agenda riset daerah tahun ini: tema, prioritas, tautan RPJMD/RKPD, status",
    guards=[policy.signed_in],
    sync_to_thread=True,
    responses=problems(400, 401),
)
def get_agenda(request: Request[Any, Any, Any], year: QueryYear = None) -> AgendaView:
    year = year or datetime.now(UTC).year
    return agenda_view(year, _research(request).agenda(year))


@put(
    "/api/research/agenda/{year:int}",
    tags=[TAG],
    summary="Susun agenda riset tahun ini beserta temanya (admin)",
    guards=[policy.admin_only],
    sync_to_thread=True,
    responses=WRITE,
)
def put_agenda(
    request: Request[Any, Any, Any], year: FromPath[Year], data: JSONBody[AgendaInput]
) -> AgendaView:
    """Opens the year's agenda (when new) and adds or changes each theme given; themes not
    named are kept (remove one with ``POST …/themes/{code}/remove``)."""
    r, ctx = _research(request), command_context(request)
    if r.agenda(year) is None:
        r.open_agenda(ctx, year, data.title, data.rpjmd_period)
    for theme in data.themes:
        r.set_theme(ctx, year, Theme(**msgspec.structs.asdict(theme)))
    return agenda_view(year, r.agenda(year))


@post(
    "/api/research/agenda/{year:int}/themes/{code:str}/remove",
    guards=[policy.admin_only],
    summary="Hapus tema dari agenda riset (admin)",
    responses=WRITE,
    **COMMAND,
)
def remove_theme(
    request: Request[Any, Any, Any],
    year: FromPath[Year],
    code: FromPath[ThemeCode],
    data: JSONBody[ReasonInput],
) -> AgendaView:
    r = _research(request)
    r.remove_theme(command_context(request), year, code, data.reason)
    return agenda_view(year, r.agenda(year))


@post(
    "/api/research/agenda/{year:int}/status",
    guards=[policy.admin_only],
    summary="Ubah status agenda / RIPJ PID: rancangan, disepakati, ditetapkan (bukti SPD 14)",
    responses=WRITE,
    **COMMAND,
)
def agenda_status(
    request: Request[Any, Any, Any], year: FromPath[Year], data: JSONBody[AgendaStatusInput]
) -> AgendaView:
    r = _research(request)
    r.agenda_status(command_context(request), year, data.status, data.perkada)
    return agenda_view(year, r.agenda(year))


# ==== proposals ===================================================================================


@get(
    "/api/research/proposals",
    tags=[TAG],
    summary="Daftar usulan riset (operator: organisasinya; Bappeda dan auditor: semua)",
    guards=[access.RESEARCH_READ],
    responses=problems(400, 401, 403),
)
async def list_proposals(
    request: Request[Any, Any, Any],
    year: QueryYear = None,
    status: Annotated[
        str | None, Parameter(max_length=40, pattern=r"^[a-z_]+$", description="Status.")
    ] = None,
    organisation: Annotated[UUID | None, Parameter(description="Organisasi pengusul.")] = None,
    limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    offset: Annotated[int, Parameter(ge=0, le=limits.OFFSET_MAX)] = 0,
) -> queries.ProposalPage:
    principal = principal_of(request)
    if principal.role in access.ORGANISATION_SCOPED:
        organisation = principal.organisation_id
    return await sync_to_thread(
        queries.proposals,
        runtime_of(request).db,
        year=year,
        status=status,
        organisation=organisation,
        limit=limit,
        offset=offset,
    )


@post(
    "/api/research/proposals",
    tags=[TAG],
    summary="Buat usulan riset (draf) untuk agenda tahun tertentu",
    guards=[policy.requires(Role.OPERATOR, Role.ADMIN)],
    status_code=201,
    responses=WRITE,
)
async def create_proposal(
    request: Request[Any, Any, Any], data: JSONBody[NewProposalInput]
) -> Response[ProposalView]:
    """Async like every handler on a path served by several methods (see
    ``services.submission.routes.get_call``), the work in a worker thread."""
    ctx = command_context(request)

    def run() -> Response[ProposalView]:
        outcome = _research(request).propose(
            ctx, year=data.year, body=data.body(), organisation_id=data.organisation_id, id=uuid4()
        )
        return _answer(request, outcome, 201)

    return await sync_to_thread(run)


@get(
    "/api/research/proposals/{id:uuid}",
    tags=[TAG],
    summary="Usulan riset: isi, tahap, nilai penelaah, laporan, diseminasi, tindak lanjut",
    responses=problems(403, 404),
)
async def get_proposal(
    request: Request[Any, Any, Any], id: FromPath[UUID]
) -> Response[ProposalView]:
    """Staff and the proposing organisation see the internal record; anyone sees disseminated
    research (without the review); a reviewer of the proposing organisation is refused (403)."""
    principal = principal_of(request)
    proposal = await sync_to_thread(_load, request, id)
    record = access.record_or_public(principal, proposal)
    view = proposal_view(proposal, principal, record=record)
    return Response(view, headers={"ETag": f'"{view.version}"'})


@put(
    "/api/research/proposals/{id:uuid}",
    guards=[access.guard(Command.UPDATE)],
    summary="Ubah usulan riset (draf atau perlu perbaikan; If-Match)",
    responses=WRITE,
    **SHARED_PATH,
)
async def update_proposal(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[ProposalInput],
    if_match_header: IfMatch = None,
) -> Response[ProposalView]:
    return await sync_to_thread(
        _command, request, id, Command.UPDATE, lambda r, ctx: r.update(ctx, id, data.body())
    )


@post(
    "/api/research/proposals/{id:uuid}/submit",
    guards=[access.guard(Command.SUBMIT)],
    summary="Ajukan (atau ajukan ulang) usulan riset; ditolak bila belum lengkap",
    responses=WRITE,
    **COMMAND,
)
def submit(request: Request[Any, Any, Any], id: FromPath[UUID]) -> Response[ProposalView]:
    proposal = _load(request, id)
    command = Command.RESUBMIT if proposal.status == "revision_requested" else Command.SUBMIT
    return _command(request, id, command, lambda r, ctx: r.submit(ctx, id))


@post(
    "/api/research/proposals/{id:uuid}/withdraw",
    guards=[access.guard(Command.WITHDRAW)],
    summary="Tarik usulan riset sebelum diputuskan",
    responses=WRITE,
    **COMMAND,
)
def withdraw(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[ReasonInput]
) -> Response[ProposalView]:
    return _command(request, id, Command.WITHDRAW, lambda r, ctx: r.withdraw(ctx, id, data.reason))


@post(
    "/api/research/proposals/{id:uuid}/assign",
    guards=[access.guard(Command.ASSIGN_REVIEWER)],
    summary="Tugaskan penelaah (tidak boleh dari organisasi pengusul)",
    responses=WRITE,
    **COMMAND,
)
def assign(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[AssignInput]
) -> Response[ProposalView]:
    return _command(
        request,
        id,
        Command.ASSIGN_REVIEWER,
        lambda r, ctx: r.assign_reviewer(ctx, id, data.reviewer_id),
    )


@get(
    "/api/research/proposals/{id:uuid}/reviews",
    tags=[TAG],
    summary="Nilai tim penelaah per kriteria (bobot dari berkas kriteria tahunan)",
    guards=[access.RESEARCH_READ],
    responses=problems(401, 403, 404),
)
async def get_reviews(request: Request[Any, Any, Any], id: FromPath[UUID]) -> list[ReviewView]:
    proposal = await sync_to_thread(_load, request, id)
    access.ensure_record(principal_of(request), proposal)
    return reviews_view(proposal)


@post(
    "/api/research/proposals/{id:uuid}/reviews",
    guards=[access.guard(Command.SCORE)],
    summary="Beri nilai usulan riset (penelaah yang ditugaskan; bukan dari organisasi pengusul)",
    responses=WRITE,
    **SHARED_PATH,
)
async def score(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[ScoreInput]
) -> Response[ProposalView]:
    scores = tuple(CriterionScore(key=s.key, score=s.score) for s in data.scores)
    return await sync_to_thread(
        _command, request, id, Command.SCORE, lambda r, ctx: r.score(ctx, id, scores, data.note)
    )


@post(
    "/api/research/proposals/{id:uuid}/request-revision",
    guards=[access.guard(Command.REQUEST_REVISION)],
    summary="Minta perbaikan usulan riset",
    responses=WRITE,
    **COMMAND,
)
def request_revision(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[RequiredNoteInput]
) -> Response[ProposalView]:
    return _command(
        request,
        id,
        Command.REQUEST_REVISION,
        lambda r, ctx: r.request_revision(ctx, id, data.note),
    )


@post(
    "/api/research/proposals/{id:uuid}/approve",
    guards=[access.guard(Command.APPROVE)],
    summary="Setujui usulan riset (minimal satu nilai penelaah), dengan pagu",
    responses=WRITE,
    **COMMAND,
)
def approve(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[ApproveInput]
) -> Response[ProposalView]:
    return _command(
        request,
        id,
        Command.APPROVE,
        lambda r, ctx: r.approve(ctx, id, data.note, data.budget_ceiling),
    )


@post(
    "/api/research/proposals/{id:uuid}/reject",
    guards=[access.guard(Command.REJECT)],
    summary="Tolak usulan riset dengan alasan",
    responses=WRITE,
    **COMMAND,
)
def reject(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[ReasonInput]
) -> Response[ProposalView]:
    return _command(request, id, Command.REJECT, lambda r, ctx: r.reject(ctx, id, data.reason))


@post(
    "/api/research/proposals/{id:uuid}/start",
    guards=[access.guard(Command.START)],
    summary="Mulai pelaksanaan: cara pelaksanaan dan nomor perjanjian",
    responses=WRITE,
    **COMMAND,
)
def start(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[StartInput]
) -> Response[ProposalView]:
    return _command(
        request,
        id,
        Command.START,
        lambda r, ctx: r.start(ctx, id, data.mode, data.started_on, data.contract_number),
    )


@get(
    "/api/research/proposals/{id:uuid}/reports",
    tags=[TAG],
    summary="Pelaksanaan: laporan kemajuan per tahapan dan luaran (laporan akhir, policy brief)",
    responses=problems(403, 404),
)
async def get_reports(request: Request[Any, Any, Any], id: FromPath[UUID]) -> ReportsView:
    proposal = await sync_to_thread(_load, request, id)
    access.record_or_public(principal_of(request), proposal)
    return reports_view(proposal)


@post(
    "/api/research/proposals/{id:uuid}/reports",
    guards=[access.guard(Command.REPORT_PROGRESS)],
    summary="Laporkan kemajuan satu tahapan (persen tidak boleh turun)",
    responses=WRITE,
    **SHARED_PATH,
)
async def report_progress(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[ProgressInput]
) -> Response[ProposalView]:
    return await sync_to_thread(
        _command,
        request,
        id,
        Command.REPORT_PROGRESS,
        lambda r, ctx: r.report_progress(
            ctx, id, data.milestone, data.progress, data.reported_on, data.summary
        ),
    )


@post(
    "/api/research/proposals/{id:uuid}/outputs",
    guards=[access.guard(Command.ADD_OUTPUT)],
    summary="Tambah luaran: laporan akhir, policy brief (dengan rekomendasi), data, HAKI",
    responses=WRITE,
    **COMMAND,
)
def add_output(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[OutputInput]
) -> Response[ProposalView]:
    output = Output(
        output_id=uuid4(),
        kind=data.kind,
        title=data.title.strip(),
        summary=data.summary.strip(),
        url=data.url,
        recommendations=tuple(r.strip() for r in data.recommendations if r.strip()),
    )
    return _command(request, id, Command.ADD_OUTPUT, lambda r, ctx: r.add_output(ctx, id, output))


@post(
    "/api/research/proposals/{id:uuid}/complete",
    guards=[access.guard(Command.COMPLETE)],
    summary="Terima laporan akhir (perlu laporan akhir dan policy brief)",
    responses=WRITE,
    **COMMAND,
)
def complete(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[NoteInput]
) -> Response[ProposalView]:
    return _command(request, id, Command.COMPLETE, lambda r, ctx: r.complete(ctx, id, data.note))


@post(
    "/api/research/proposals/{id:uuid}/disseminate",
    guards=[access.guard(Command.DISSEMINATE)],
    summary="Catat diseminasi (seminar, FGD, publikasi); riset tampil di katalog publik",
    responses=WRITE,
    **COMMAND,
)
def disseminate(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[DisseminateInput]
) -> Response[ProposalView]:
    return _command(
        request,
        id,
        Command.DISSEMINATE,
        lambda r, ctx: r.disseminate(
            ctx, id, data.forum, data.held_on, tuple(data.recipients), data.note
        ),
    )


@post(
    "/api/research/proposals/{id:uuid}/follow-ups",
    guards=[access.guard(Command.RECORD_FOLLOW_UP)],
    summary="Catat tindak lanjut: organisasi mana mengadopsi rekomendasi mana",
    responses=WRITE,
    **COMMAND,
)
def follow_up(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[FollowUpInput]
) -> Response[ProposalView]:
    return _command(
        request,
        id,
        Command.RECORD_FOLLOW_UP,
        lambda r, ctx: r.record_follow_up(
            ctx,
            id,
            data.output_id,
            data.recommendation,
            data.organisation_id,
            data.status,
            data.note,
        ),
    )


@post(
    "/api/research/proposals/{id:uuid}/innovations",
    guards=[access.guard(Command.LINK_INNOVATION)],
    summary="Tautkan riset dengan inovasi yang dilahirkannya atau didukungnya",
    responses=WRITE,
    **COMMAND,
)
def link_innovation(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[LinkInput]
) -> Response[ProposalView]:
    from services.domain.errors import InvalidValue
    from services.domain.innovation import Innovation
    from services.eventstore.store import NotFound

    def run(r: ResearchCommands, ctx: Any) -> Outcome:
        # After the policy check (``_command``), so a refused caller learns nothing of it.
        try:
            r.store.load(Innovation, data.innovation_id)
        except (NotFound, TypeError):
            raise InvalidValue("innovation_id", "Inovasi yang ditautkan tidak ditemukan.") from None
        return r.link_innovation(ctx, id, data.innovation_id, data.link, data.note)

    return _command(request, id, Command.LINK_INNOVATION, run)


@get(
    "/api/research/proposals/{id:uuid}/history",
    tags=[TAG],
    summary="Riwayat audit usulan riset (siapa, kapan, apa) dalam Bahasa Indonesia",
    guards=[access.RESEARCH_READ],
    sync_to_thread=True,
    responses=problems(401, 403, 404),
)
def history(request: Request[Any, Any, Any], id: FromPath[UUID]) -> list[HistoryEntry]:
    proposal = _load(request, id)
    access.ensure_record(principal_of(request), proposal)
    runtime = runtime_of(request)
    events = runtime.store.events(id)
    who = {e.actor.account_id: _person(runtime.store, e.actor.account_id) for e in events}
    return [
        HistoryEntry(version=e.originator_version, topic=e.TOPIC, line=line)
        for e, line in describe_stream(events, {k: v for k, v in who.items() if k})
    ]


@get(
    "/api/research/spd-evidence",
    tags=[TAG],
    summary="Luaran riset sebagai bukti baris SPD 13a, 14 dan 15, dengan level yang didukungnya",
    guards=[access.RESEARCH_READ],
    sync_to_thread=True,
    responses=problems(400, 401, 403),
)
def spd_evidence(
    request: Request[Any, Any, Any], year: QueryYear = None
) -> list[queries.SpdEvidenceRow]:
    return queries.spd_evidence(runtime_of(request).db, year or datetime.now(UTC).year)


@get(
    "/api/research/published",
    tags=[TAG],
    summary="Riset yang sudah didiseminasikan (publik), dengan pencarian kata",
    sync_to_thread=True,
    responses=problems(400),
)
def published(
    request: Request[Any, Any, Any],
    q: Annotated[
        str | None,
        Parameter(max_length=limits.QUERY_TEXT_MAX, pattern=limits.CLEAN_PATTERN),
    ] = None,
) -> list[queries.ResearchHit]:
    return queries.published_research(runtime_of(request).db, q, limit=50)


route_handlers: list[Any] = [
    get_agenda,
    put_agenda,
    remove_theme,
    agenda_status,
    list_proposals,
    create_proposal,
    get_proposal,
    update_proposal,
    submit,
    withdraw,
    assign,
    get_reviews,
    score,
    request_revision,
    approve,
    reject,
    start,
    get_reports,
    report_progress,
    add_output,
    complete,
    disseminate,
    follow_up,
    link_innovation,
    history,
    spd_evidence,
    published,
    *files.route_handlers,  # output files: upload, download
]
