"""Riset pages for the steps that had only the API: the draft edit of a proposal's whole TOR
(``/riset/usulan/{id}/ubah``), the year's agenda (``/riset/agenda``: themes, priority, RPJMD/RKPD
links, status), follow-ups (which organisation adopts which recommendation; which innovations
the study led to) and output files.

Each form posts without JavaScript; a refused save answers the same page with the reason in
Bahasa Indonesia beside the form and everything typed still in it (as ``/inovasi/{id}/isian``
does), and records nothing. Commands go through the same service and policy as the API.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get, post
from litestar.concurrency import sync_to_thread
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, FromPath

from services.domain.actor import Role
from services.domain.errors import DomainError
from services.domain.research.lifecycle import Command, next_status
from services.domain.research.proposal import ResearchProposal
from services.domain.research.values import (
    AGENDA_STATUS_LABELS,
    KIND_LABELS,
    AgendaStatus,
    FollowUpStatus,
    LinkKind,
    Priority,
    Theme,
)
from services.eventstore.store import ConcurrencyConflict
from services.http.context import command_context, principal_of, runtime_of
from services.identity import policy
from services.research import access, files
from services.research.service import ResearchCommands
from services.research.views import agenda_view, proposal_view
from services.web.pages import research_body, uploads
from services.web.pages.common import parse_uuid, settle, version_of
from services.web.pages.rendering import redirect, render
from services.web.pages.research import _detail, _year

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
PRIORITY_LABELS = {Priority.TINGGI: "Tinggi", Priority.SEDANG: "Sedang", Priority.RENDAH: "Rendah"}
STALE = (
    "Usulan ini telah diubah orang lain sejak halaman dibuka. Isian Anda masih di bawah; "
    "periksa perubahan mereka di halaman usulan, lalu simpan lagi."
)


def _research(request: Request[Any, Any, Any]) -> ResearchCommands:
    return ResearchCommands(runtime_of(request).store)


# ==== draft edit ==================================================================================


def _edit_page(
    request: Request[Any, Any, Any],
    proposal: ResearchProposal,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> Any:
    agenda = agenda_view(proposal.year, _research(request).agenda(proposal.year))
    shown = values if values is not None else research_body.values_of(proposal.body)
    return render(
        request,
        "research/edit.html",
        status_code=status,
        p=proposal_view(proposal, principal_of(request), record=True),
        values=shown,
        rows=research_body.row_counts(shown),
        errors=errors or {},
        error=error,
        kinds=KIND_LABELS,
        themes=agenda.themes,
        version=shown.get("version") or proposal.version,
    )


def _editable(request: Request[Any, Any, Any], id: UUID) -> ResearchProposal:
    """The proposal, once the caller may edit it now (404/403, 409 naming what is allowed)."""
    proposal = _research(request).proposal(id)
    access.ensure_command(principal_of(request), Command.UPDATE, proposal)
    next_status(proposal.status, Command.UPDATE, command_context(request).actor.role)
    return proposal


@get("/riset/usulan/{id:str}/ubah", sync_to_thread=True, name="page:research-edit")
def research_edit(request: Request[Any, Any, Any], id: FromPath[str]) -> Any:
    return _edit_page(request, _editable(request, parse_uuid(id)))


@post(
    "/riset/usulan/{id:str}/ubah", sync_to_thread=True, name="page:research-save", status_code=303
)
def research_save(request: Request[Any, Any, Any], id: FromPath[str], data: Form) -> Any:
    proposal = _editable(request, parse_uuid(id))
    body, errors, raw = research_body.parse(data)
    if body is None:
        message = "Usulan belum tersimpan: perbaiki isian yang ditandai."
        return _edit_page(request, proposal, raw, errors, message, 422)
    try:
        outcome = _research(request).update(
            command_context(request), proposal.id, body, expected_version=version_of(data)
        )
    except ConcurrencyConflict:
        raw["version"] = str(_research(request).proposal(proposal.id).version)
        return _edit_page(request, proposal, raw, {}, STALE, 409)
    except DomainError as exc:
        named = str(exc.details.get("field", ""))
        field = research_body.DOMAIN_FIELDS.get(named, named)
        marks = {field: exc.message} if field in raw or field in research_body.TEXTS else {}
        return _edit_page(request, proposal, raw, marks, exc.message, exc.status)
    settle(runtime_of(request), outcome)
    return redirect(f"/riset/usulan/{proposal.id}", "disimpan")


# ==== the year's agenda ===========================================================================


def _agenda_page(
    request: Request[Any, Any, Any],
    year: int,
    typed: dict[str, str] | None = None,
    form: str = "",
    error: str = "",
    status: int = 200,
) -> Any:
    principal = principal_of(request)
    policy.ensure_role(principal, *access.LIST_ROLES)
    agenda = agenda_view(year, _research(request).agenda(year))
    typed = dict(typed or {})
    editing = request.query_params.get("tema", "")
    theme = next((t for t in agenda.themes if t.code == editing), None)
    if theme is not None and not form:  # "Ubah" on a theme: the theme form filled with it
        typed |= {
            "theme_code": theme.code,
            "theme_title": theme.title,
            "theme_priority": str(theme.priority),
            "theme_rpjmd_goal": theme.rpjmd_goal,
            "theme_rkpd_goal": theme.rkpd_goal,
            "theme_urusan": theme.urusan,
            "theme_description": theme.description,
        }
    return render(
        request,
        "research/agenda.html",
        status_code=status,
        year=year,
        agenda=agenda,
        can_edit=principal.role == Role.ADMIN,
        typed=typed,
        form=form,
        form_error=error,
        priorities=PRIORITY_LABELS,
        statuses=AGENDA_STATUS_LABELS,
    )


@get("/riset/agenda", sync_to_thread=True, name="page:research-agenda")
def research_agenda(request: Request[Any, Any, Any]) -> Any:
    return _agenda_page(request, _year(request))


def _agenda_command(
    request: Request[Any, Any, Any], data: Form, form: str, run: Any, anchor: str
) -> Any:
    """Run ``run(commands, ctx, typed)`` for the admin; a refusal re-renders with ``typed``."""
    policy.ensure_role(principal_of(request), Role.ADMIN)
    year = _year(request)
    typed = research_body.raw_values(data)
    try:
        run(_research(request), command_context(request), year, typed)
    except DomainError as exc:
        return _agenda_page(request, year, typed, form, exc.message, exc.status)
    return redirect(f"/riset/agenda?tahun={year}#{anchor}", "disimpan")


def _checked(typed: dict[str, str], name: str, label: str, most: int, required: bool) -> str:
    from services.domain.errors import InvalidValue

    value = typed.get(name, "").strip()
    if required and not value:
        raise InvalidValue(name, f"{label} wajib diisi.")
    if len(value) > most:
        raise InvalidValue(name, f"{label} paling banyak {most} karakter.")
    return value


@post("/riset/agenda/buka", sync_to_thread=True, name="page:research-agenda-open", status_code=303)
def agenda_open(request: Request[Any, Any, Any], data: Form) -> Any:
    def run(r: ResearchCommands, ctx: Any, year: int, t: dict[str, str]) -> None:
        title = _checked(t, "title", "Judul agenda", 300, True)
        r.open_agenda(ctx, year, title, _checked(t, "rpjmd_period", "Periode RPJMD", 200, False))

    return _agenda_command(request, data, "buka", run, "agenda-h")


@post("/riset/agenda/tema", sync_to_thread=True, name="page:research-theme", status_code=303)
def agenda_theme(request: Request[Any, Any, Any], data: Form) -> Any:
    def run(r: ResearchCommands, ctx: Any, year: int, t: dict[str, str]) -> None:
        from services.domain.errors import InvalidValue

        priority = t.get("theme_priority", "sedang")
        if priority not in set(Priority):
            raise InvalidValue("theme_priority", "Pilih prioritas dari daftar.")
        urusan = _checked(t, "theme_urusan", "Kode urusan", 20, False)
        if urusan and not all(c.isdigit() or c == "." for c in urusan):
            raise InvalidValue("theme_urusan", "Kode urusan berupa angka dan titik, mis. 1.02.")
        theme = Theme(
            code=_checked(t, "theme_code", "Kode tema", 20, True).upper(),
            title=_checked(t, "theme_title", "Judul tema", 300, True),
            priority=Priority(priority),
            rpjmd_goal=_checked(t, "theme_rpjmd_goal", "Sasaran RPJMD", 4000, False),
            rkpd_goal=_checked(t, "theme_rkpd_goal", "Prioritas RKPD", 4000, False),
            urusan=urusan,
            description=_checked(t, "theme_description", "Uraian", 4000, False),
        )
        r.set_theme(ctx, year, theme)

    return _agenda_command(request, data, "tema", run, "tema-h")


@post(
    "/riset/agenda/tema/hapus",
    sync_to_thread=True,
    name="page:research-theme-remove",
    status_code=303,
)
def agenda_theme_remove(request: Request[Any, Any, Any], data: Form) -> Any:
    def run(r: ResearchCommands, ctx: Any, year: int, t: dict[str, str]) -> None:
        reason = _checked(t, "reason", "Alasan", 4000, True)
        r.remove_theme(ctx, year, _checked(t, "code", "Kode tema", 20, True), reason)

    return _agenda_command(request, data, "hapus", run, "tema-h")


@post(
    "/riset/agenda/status",
    sync_to_thread=True,
    name="page:research-agenda-status",
    status_code=303,
)
def agenda_status(request: Request[Any, Any, Any], data: Form) -> Any:
    def run(r: ResearchCommands, ctx: Any, year: int, t: dict[str, str]) -> None:
        from services.domain.errors import InvalidValue

        status = t.get("status", "")
        if status not in set(AgendaStatus):
            raise InvalidValue("status", "Pilih status agenda dari daftar.")
        perkada = _checked(t, "perkada", "Nomor Perkada", 200, False)
        r.agenda_status(ctx, year, AgendaStatus(status), perkada)

    return _agenda_command(request, data, "status", run, "status-h")


# ==== follow-up and innovation links ==============================================================


def _proposal_command(
    request: Request[Any, Any, Any], id: str, data: Form, command: Command, form: str, run: Any
) -> Any:
    pid = parse_uuid(id)
    research = _research(request)
    proposal = research.proposal(pid)
    access.ensure_command(principal_of(request), command, proposal)
    typed = research_body.raw_values(data)
    try:
        outcome = run(research, command_context(request), proposal, typed)
    except DomainError as exc:
        return _detail(request, pid, exc.message, exc.status, typed, form)
    settle(runtime_of(request), outcome)
    return redirect(f"/riset/usulan/{pid}#{form}-h", "disimpan")


def _uuid_field(typed: dict[str, str], name: str, message: str) -> UUID:
    from services.domain.errors import InvalidValue

    try:
        return UUID(typed.get(name, ""))
    except ValueError:
        raise InvalidValue(name, message) from None


@post(
    "/riset/usulan/{id:str}/tindak-lanjut",
    sync_to_thread=True,
    name="page:research-follow-up",
    status_code=303,
)
def research_follow_up(request: Request[Any, Any, Any], id: FromPath[str], data: Form) -> Any:
    def run(r: ResearchCommands, ctx: Any, p: ResearchProposal, t: dict[str, str]) -> Any:
        from services.domain.errors import InvalidValue

        output, _, number = t.get("recommendation", "").partition(":")
        if not number.isdigit():
            raise InvalidValue("recommendation", "Pilih rekomendasi yang ditindaklanjuti.")
        output_id = _uuid_field({"recommendation": output}, "recommendation", "Pilih rekomendasi.")
        organisation = _uuid_field(t, "organisation_id", "Pilih organisasi yang mengadopsi.")
        status = t.get("status", "")
        if status not in set(FollowUpStatus):
            raise InvalidValue("status", "Pilih status tindak lanjut dari daftar.")
        note = _checked(t, "note", "Catatan", 4000, False)
        known = {
            row["id"] for row in runtime_of(request).db.rows("SELECT id FROM rm_organisations")
        }
        if str(organisation) not in known:
            raise InvalidValue("organisation_id", "Organisasi yang dipilih tidak dikenal.")
        return r.record_follow_up(
            ctx, p.id, output_id, int(number), organisation, FollowUpStatus(status), note
        )

    return _proposal_command(request, id, data, Command.RECORD_FOLLOW_UP, "tindak-lanjut", run)


@post(
    "/riset/usulan/{id:str}/tautan-inovasi",
    sync_to_thread=True,
    name="page:research-link",
    status_code=303,
)
def research_link(request: Request[Any, Any, Any], id: FromPath[str], data: Form) -> Any:
    def run(r: ResearchCommands, ctx: Any, p: ResearchProposal, t: dict[str, str]) -> Any:
        from services.domain.errors import InvalidValue
        from services.web.pages.research import linkable_innovations

        innovation = _uuid_field(t, "innovation_id", "Pilih inovasi yang ditautkan.")
        choices = linkable_innovations(runtime_of(request).db, principal_of(request))
        if str(innovation) not in {row["id"] for row in choices}:
            raise InvalidValue("innovation_id", "Inovasi yang dipilih tidak ditemukan.")
        link = t.get("link", "")
        if link not in set(LinkKind):
            raise InvalidValue("link", "Pilih jenis tautan dari daftar.")
        note = _checked(t, "note", "Catatan", 4000, False)
        return r.link_innovation(ctx, p.id, innovation, LinkKind(link), note)

    return _proposal_command(request, id, data, Command.LINK_INNOVATION, "tautan-inovasi", run)


# ==== output files ================================================================================


@post(
    "/riset/usulan/{id:str}/berkas-luaran/{output_id:str}",
    name="page:research-output-file",
    status_code=303,
    request_max_body_size=None,  # enforced while streaming (settings.max_upload_mb)
)
async def research_output_file(
    request: Request[Any, Any, Any], id: FromPath[str], output_id: FromPath[str]
) -> Any:
    """Streams the file into the blob store by the API's own checks (``services.research.files``
    and the page upload reader): never into memory, type from the bytes, size limited."""
    pid, oid = parse_uuid(id), parse_uuid(output_id)
    proposal = await sync_to_thread(_research(request).proposal, pid)
    form_key = f"berkas-{oid}"
    try:
        files.check_before_reading(request, proposal, oid)
        form = await uploads.read_form(request)
    except HTTPException as exc:
        message = str(exc.detail or "Unggahan tidak dapat dibaca.")
        return await sync_to_thread(_detail, request, pid, message, exc.status_code, {}, form_key)
    try:
        return await sync_to_thread(_keep_file, request, proposal, oid, form, form_key)
    finally:
        form.abort()  # no-op after a commit


def _keep_file(
    request: Request[Any, Any, Any],
    proposal: ResearchProposal,
    output_id: UUID,
    form: uploads.UploadForm,
    form_key: str,
) -> Any:
    research, ctx = _research(request), command_context(request)
    try:
        file = files.output_file(form, uploads.PAGE_FIELDS)
        files.keep(research, ctx, proposal, output_id, form, file)
        outcome = research.attach_output_file(ctx, proposal.id, output_id, file)
    except HTTPException as exc:
        message = str(exc.detail or "Unggahan ditolak.")
        return _detail(request, proposal.id, message, exc.status_code, {}, form_key)
    except DomainError as exc:
        return _detail(request, proposal.id, exc.message, exc.status, {}, form_key)
    settle(runtime_of(request), outcome)
    return redirect(f"/riset/usulan/{proposal.id}#luaran-h", "diunggah")


route_handlers: list[Any] = [
    research_edit,
    research_save,
    research_agenda,
    agenda_open,
    agenda_theme,
    agenda_theme_remove,
    agenda_status,
    research_follow_up,
    research_link,
    research_output_file,
]
