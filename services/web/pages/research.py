"""Riset daerah pages (``/riset``): the year's agenda and proposal list, a new-proposal form,
and a proposal's page with its step and the forms of the main path (submit, assign, score,
approve or reject, start, report progress, add outputs, accept the final report, disseminate).

Pages call the same service layer and policy as the API (``services.research``); a refused
command re-renders the page with the reason and records nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from uuid import UUID, uuid4

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath

from services.commands import Outcome
from services.domain.actor import Role
from services.domain.call import jakarta_today
from services.domain.errors import DomainError, InvalidValue
from services.domain.organisation import Account
from services.domain.research import criteria
from services.domain.research.lifecycle import Command
from services.domain.research.values import (
    FOLLOW_UP_LABELS,
    KIND_LABELS,
    LINK_LABELS,
    OUTPUT_LABELS,
    BudgetLine,
    CriterionScore,
    Output,
    OutputKind,
    ProposalBody,
    ResearchKind,
    Step,
    TeamMember,
)
from services.http.context import command_context, principal_of, runtime_of
from services.identity import policy
from services.research import access, queries
from services.research.service import ResearchCommands
from services.research.views import agenda_view, proposal_view
from services.web.pages.common import parse_uuid
from services.web.pages.rendering import redirect, render

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
PAGE_ROLES = access.LIST_ROLES


def _text(data: Form, name: str, limit: int = 4000) -> str:
    value = data.get(name, "")
    value = value[0] if isinstance(value, list) else value
    return str(value or "").strip()[:limit]


def _lines(data: Form, name: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in _text(data, name, 20_000).splitlines() if line.strip())


def _decimal(data: Form, name: str, label: str) -> Decimal:
    try:
        return Decimal(_text(data, name, 40).replace(".", "").replace(",", ".") or "x")
    except InvalidOperation:
        raise InvalidValue(name, f"{label} harus berupa angka.") from None


def _date(data: Form, name: str, label: str) -> date:
    try:
        return date.fromisoformat(_text(data, name, 10))
    except ValueError:
        raise InvalidValue(name, f"{label} harus berupa tanggal (TTTT-BB-HH).") from None


def _year(request: Request[Any, Any, Any]) -> int:
    raw = request.query_params.get("tahun", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else datetime.now(UTC).year


def _body(data: Form) -> ProposalBody:
    """The form's fields as a proposal body (one team leader, RAB lines and steps as rows)."""
    budget = []
    for n in range(1, 4):
        if _text(data, f"rab_item_{n}"):
            budget.append(
                BudgetLine(
                    item=_text(data, f"rab_item_{n}", 300),
                    quantity=_decimal(data, f"rab_qty_{n}", "Volume RAB"),
                    unit=_text(data, f"rab_unit_{n}", 40) or "paket",
                    unit_cost=_decimal(data, f"rab_cost_{n}", "Harga satuan RAB"),
                )
            )
    schedule = []
    for n in range(1, 3):
        if _text(data, f"step_name_{n}"):
            schedule.append(
                Step(
                    name=_text(data, f"step_name_{n}", 300),
                    start=_date(data, f"step_start_{n}", "Tanggal mulai"),
                    end=_date(data, f"step_end_{n}", "Tanggal selesai"),
                )
            )
    team = [
        TeamMember(
            name=_text(data, "leader", 200), role="ketua", institution=_text(data, "partner")
        )
    ]
    team += [TeamMember(name=m, role="anggota") for m in _lines(data, "members")]
    kind = _text(data, "kind", 40)
    return ProposalBody(
        title=_text(data, "title", 300),
        kind=ResearchKind(kind) if kind in set(ResearchKind) else ResearchKind.PENELITIAN,
        theme_code=_text(data, "theme_code", 20),
        partner=_text(data, "partner", 200),
        background=_text(data, "background", 20_000),
        legal_basis=_text(data, "legal_basis", 20_000),
        questions=_lines(data, "questions"),
        method=_text(data, "method", 20_000),
        location=_text(data, "location", 300),
        team=tuple(m for m in team if m.name),
        budget=tuple(budget),
        schedule=tuple(schedule),
    )


@get("/riset", sync_to_thread=True, name="page:research")
def research_home(request: Request[Any, Any, Any]) -> Any:
    principal = principal_of(request)
    policy.ensure_role(principal, *PAGE_ROLES)
    runtime = runtime_of(request)
    year = _year(request)
    organisation = (
        principal.organisation_id if principal.role in access.ORGANISATION_SCOPED else None
    )
    return render(
        request,
        "research/home.html",
        year=year,
        agenda=agenda_view(year, ResearchCommands(runtime.store).agenda(year)),
        page=queries.proposals(runtime.db, year=year, organisation=organisation, limit=200),
        can_propose=principal.role in (Role.OPERATOR, Role.ADMIN),
        kind_labels=KIND_LABELS,
    )


def _new_page(request: Request[Any, Any, Any], error: str = "", status: int = 200) -> Any:
    principal = principal_of(request)
    policy.ensure_role(principal, Role.OPERATOR, Role.ADMIN)
    year = _year(request)
    agenda = agenda_view(year, ResearchCommands(runtime_of(request).store).agenda(year))
    return render(
        request,
        "research/new.html",
        status_code=status,
        year=year,
        agenda=agenda,
        kinds=KIND_LABELS,
        error=error,
    )


@get("/riset/usulan/baru", sync_to_thread=True, name="page:research-new")
def research_new(request: Request[Any, Any, Any]) -> Any:
    return _new_page(request)


@post("/riset/usulan/baru", sync_to_thread=True, name="page:research-create", status_code=303)
def research_create(request: Request[Any, Any, Any], data: Form) -> Any:
    policy.ensure_role(principal_of(request), Role.OPERATOR, Role.ADMIN)
    try:
        outcome = ResearchCommands(runtime_of(request).store).propose(
            command_context(request), year=_year(request), body=_body(data), id=uuid4()
        )
    except DomainError as exc:
        return _new_page(request, exc.message, exc.status)
    return redirect(f"/riset/usulan/{outcome.id}")


def _detail(
    request: Request[Any, Any, Any],
    id: UUID,
    error: str = "",
    status: int = 200,
    typed: dict[str, str] | None = None,
    form: str = "",
) -> Any:
    """The proposal page; after a refused form (``form``: which one) its ``typed`` values are
    shown again in it, with ``error`` beside it."""
    principal = principal_of(request)
    runtime = runtime_of(request)
    research = ResearchCommands(runtime.store)
    proposal = research.proposal(id)
    record = access.record_or_public(principal, proposal)
    reviewers: list[Account] = []
    if (
        principal.role == Role.ADMIN
        and "assign_reviewer" in proposal_view(proposal, principal, record=record).allowed
    ):
        reviewers = [
            a
            for a in (
                runtime.store.load(Account, UUID(r["id"]))
                for r in runtime.db.rows(
                    "SELECT id FROM rm_accounts WHERE role = 'reviewer' ORDER BY username"
                )
            )
            if not a.disabled and a.organisation_id != proposal.organisation_id
        ]
    names = {r["id"]: r["name"] for r in runtime.db.rows("SELECT id, name FROM rm_organisations")}
    view = proposal_view(proposal, principal, record=record)
    return render(
        request,
        "research/proposal.html",
        status_code=status,
        p=view,
        typed=typed or {},
        form=form,
        innovations=linkable_innovations(runtime.db, principal)
        if "link_innovation" in view.allowed
        else [],
        linked_titles=_titles(runtime.db, [link.innovation_id for link in view.innovations]),
        follow_up_labels=FOLLOW_UP_LABELS,
        link_labels=LINK_LABELS,
        max_mb=runtime.settings.max_upload_mb,
        org_name=names.get(str(proposal.organisation_id), "—"),
        names=names,
        reviewers=reviewers,
        criteria=criteria.criteria(proposal.year),
        kinds=KIND_LABELS,
        output_kinds=OUTPUT_LABELS,
        is_reviewer=principal.role == Role.REVIEWER and principal.account_id in proposal.reviewers,
        error=error if not form else "",
        form_error=error if form else "",
        today=jakarta_today().isoformat(),
    )


def _titles(db: Any, ids: list[UUID]) -> dict[str, str]:
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = db.rows(
        f"SELECT id, title FROM rm_innovations WHERE id IN ({marks})", [str(i) for i in ids]
    )
    return {r["id"]: r["title"] for r in rows}


def linkable_innovations(db: Any, principal: Any) -> list[dict[str, Any]]:
    """Innovations a study may be linked to, as the caller may know them: Bappeda sees all;
    an organisation its own and the published ones."""
    if principal.role == Role.ADMIN:
        return db.rows("SELECT id, title FROM rm_innovations ORDER BY title, id LIMIT 500")
    return db.rows(
        "SELECT id, title FROM rm_innovations WHERE organisation_id = ? OR published = 1 "
        "ORDER BY title, id LIMIT 500",
        [str(principal.organisation_id)],
    )


@get("/riset/usulan/{id:str}", sync_to_thread=True, name="page:research-proposal")
def research_proposal(request: Request[Any, Any, Any], id: FromPath[str]) -> Any:
    return _detail(request, parse_uuid(id))


def _scores(data: Form, year: int) -> tuple[CriterionScore, ...]:
    out = []
    for c in criteria.criteria(year):
        raw = _text(data, f"score_{c.key}", 3)
        if not raw.isdigit():
            raise InvalidValue("scores", f"Nilai '{c.label}' harus angka 0–100.")
        out.append(CriterionScore(key=c.key, score=int(raw)))
    return tuple(out)


#: action in the URL → (command, what it does with the form)
ACTIONS: dict[str, tuple[Command, Callable[[ResearchCommands, Any, UUID, Form, int], Outcome]]] = {
    "ajukan": (Command.SUBMIT, lambda r, ctx, i, d, y: r.submit(ctx, i)),
    "tugaskan": (
        Command.ASSIGN_REVIEWER,
        lambda r, ctx, i, d, y: r.assign_reviewer(ctx, i, parse_uuid(_text(d, "reviewer_id"))),
    ),
    "nilai": (
        Command.SCORE,
        lambda r, ctx, i, d, y: r.score(ctx, i, _scores(d, y), _text(d, "note")),
    ),
    "perbaikan": (
        Command.REQUEST_REVISION,
        lambda r, ctx, i, d, y: r.request_revision(ctx, i, _text(d, "note")),
    ),
    "setujui": (
        Command.APPROVE,
        lambda r, ctx, i, d, y: r.approve(
            ctx,
            i,
            _text(d, "note"),
            _decimal(d, "budget_ceiling", "Pagu") if _text(d, "budget_ceiling") else None,
        ),
    ),
    "tolak": (Command.REJECT, lambda r, ctx, i, d, y: r.reject(ctx, i, _text(d, "reason"))),
    "mulai": (
        Command.START,
        lambda r, ctx, i, d, y: r.start(
            ctx,
            i,
            _text(d, "mode", 100),
            _date(d, "started_on", "Tanggal mulai"),
            _text(d, "contract_number", 200),
        ),
    ),
    "kemajuan": (
        Command.REPORT_PROGRESS,
        lambda r, ctx, i, d, y: r.report_progress(
            ctx,
            i,
            _text(d, "milestone", 300),
            int(_text(d, "progress", 3) or "-1") if _text(d, "progress", 3).isdigit() else -1,
            _date(d, "reported_on", "Tanggal laporan"),
            _text(d, "summary"),
        ),
    ),
    "luaran": (
        Command.ADD_OUTPUT,
        lambda r, ctx, i, d, y: r.add_output(
            ctx,
            i,
            Output(
                output_id=uuid4(),
                kind=OutputKind(_text(d, "kind", 40))
                if _text(d, "kind", 40) in set(OutputKind)
                else OutputKind.LAPORAN_AKHIR,
                title=_text(d, "title", 300),
                summary=_text(d, "summary"),
                url=_text(d, "url", 2048) if _text(d, "url", 8).startswith("http") else "",
                recommendations=_lines(d, "recommendations"),
            ),
        ),
    ),
    "selesai": (Command.COMPLETE, lambda r, ctx, i, d, y: r.complete(ctx, i, _text(d, "note"))),
    "diseminasi": (
        Command.DISSEMINATE,
        lambda r, ctx, i, d, y: r.disseminate(
            ctx, i, _text(d, "forum", 300), _date(d, "held_on", "Tanggal"), (), _text(d, "note")
        ),
    ),
}


@post(
    "/riset/usulan/{id:str}/{action:str}",
    sync_to_thread=True,
    name="page:research-command",
    status_code=303,
)
def research_command(
    request: Request[Any, Any, Any], id: FromPath[str], action: FromPath[str], data: Form
) -> Any:
    pid = parse_uuid(id)
    found = ACTIONS.get(action)
    if found is None:
        return _detail(request, pid, f"Perintah '{action[:40]}' tidak dikenal.", 404)
    command, run = found
    research = ResearchCommands(runtime_of(request).store)
    proposal = research.proposal(pid)
    if command == Command.SUBMIT and proposal.status == "revision_requested":
        command = Command.RESUBMIT
    access.ensure_command(principal_of(request), command, proposal)
    try:
        run(research, command_context(request), pid, data, proposal.year)
    except DomainError as exc:
        return _detail(request, pid, exc.message, exc.status)
    return redirect(f"/riset/usulan/{pid}")


route_handlers: list[Any] = [
    research_home,
    research_new,
    research_create,
    research_proposal,
    research_command,
]
