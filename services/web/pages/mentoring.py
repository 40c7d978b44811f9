"""Pendampingan on the pages: an innovation's mentors, sessions and follow-ups, which the owning
organisation and the assigned mentor both see, and a mentor's own list of innovations.

The forms build the API's own request Structs (``services.mentoring.routes``) and call the same
``MentoringCommands``, so the bounds and rules are the API's; a refusal is shown on the same page
with what was typed kept.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from litestar import Request, get, post
from litestar.params import FromPath

from projections.mentoring import mentored_by
from services.domain.actor import Role
from services.domain.call import jakarta_today
from services.domain.care_files import ATTACHMENT_TYPES
from services.domain.errors import DomainError
from services.domain.events import FollowUpItem
from services.domain.innovation import Innovation
from services.domain.mentoring import MENTOR_ROLES, MODE_LABELS, MentoringCommand
from services.domain.organisation import Account
from services.eventstore.store import NotFound
from services.http.context import principal_of, runtime_of
from services.identity import policy
from services.mentoring.routes import DoneInput, MentorInput, SessionInput
from services.mentoring.service import MentoringCommands, mentoring_view
from services.web.pages.common import Names, parse_uuid, refusal, run_command, settle
from services.web.pages.form_input import FormError, convert, text
from services.web.pages.rendering import redirect, render
from services.web.pages.submission import Form

#: Follow-up rows offered on the session form (more are agreed in another session).
FOLLOW_UP_ROWS = 3
LABELS = {
    "mentor_id": "Pendamping",
    "note": "Catatan",
    "held_on": "Tanggal sesi",
    "mode": "Moda sesi",
    "attendees": "Daftar hadir",
    "topics": "Topik yang dibahas",
    "notes": "Catatan sesi",
    "indicators": "Indikator rubrik",
    "follow_ups": "Tindak lanjut",
}


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _visible(
    request: Request[Any, Any, Any], innovation_id: str, command: MentoringCommand | None = None
) -> tuple[MentoringCommands, Innovation]:
    """The API's visibility rule (``policy.ensure_mentoring``), then the command's role rule."""
    runtime = runtime_of(request)
    service = MentoringCommands(runtime.store, runtime.commands)
    innovation = runtime.commands.innovation(parse_uuid(innovation_id))
    principal = principal_of(request)
    policy.ensure_mentoring(principal, innovation, service.load(innovation).mentors.keys())
    if command is not None:
        policy.ensure_mentoring_command(principal, command)
    return service, innovation


def _candidates(request: Request[Any, Any, Any]) -> list[Account]:
    """Accounts an admin may assign: active mentors, reviewers and admins."""
    runtime = runtime_of(request)
    roles = sorted(str(r) for r in MENTOR_ROLES)
    rows = runtime.db.rows(
        f"SELECT id FROM rm_accounts WHERE role IN ({', '.join('?' for _ in roles)}) "
        "ORDER BY role, username",
        roles,
    )
    accounts = [runtime.store.load(Account, UUID(r["id"])) for r in rows]
    return [a for a in accounts if not a.disabled]


def _page(
    request: Request[Any, Any, Any],
    service: MentoringCommands,
    innovation: Innovation,
    status_code: int = 200,
    error: str = "",
    form: str = "",
    typed: dict[str, Any] | None = None,
) -> Any:
    principal = principal_of(request)
    role = principal.role
    mentoring = service.load(innovation)
    is_mentor = principal.account_id in mentoring.mentors
    may = {
        "assign": role == Role.ADMIN,
        "record": role == Role.ADMIN or (role in MENTOR_ROLES and is_mentor),
        "complete": (role == Role.ADMIN or is_mentor)
        or (
            role in (Role.OPERATOR, Role.KEPALA_OPD)
            and principal.organisation_id == innovation.organisation_id
        ),
        # services/domain/mentoring.py attach_file: the mentor, the admin, the owning operator
        "attach": role == Role.ADMIN
        or (role in MENTOR_ROLES and is_mentor)
        or (role == Role.OPERATOR and principal.organisation_id == innovation.organisation_id),
    }
    names = Names(runtime_of(request))
    return render(
        request,
        "mentoring/innovation.html",
        status_code=status_code,
        innovation=innovation,
        organisation=names.org_name(innovation.organisation_id),
        view=mentoring_view(mentoring, jakarta_today()),
        may=may,
        sees_record=policy.sees_record(principal, innovation),
        modes=MODE_LABELS,
        candidates=_candidates(request) if may["assign"] else [],
        today=jakarta_today().isoformat(),
        follow_up_rows=range(1, FOLLOW_UP_ROWS + 1),
        attach_accept=",".join(sorted(ATTACHMENT_TYPES)),
        attach_max_mb=runtime_of(request).settings.max_upload_mb,
        error=error,
        form=form,
        typed=typed or {},
    )


@get("/inovasi/{innovation_id:str}/pendampingan", sync_to_thread=True, name="page:mentoring")
def mentoring_page(request: Request[Any, Any, Any], innovation_id: FromPath[str]) -> Any:
    service, innovation = _visible(request, innovation_id)
    return _page(request, service, innovation)


def _refused(
    request: Request[Any, Any, Any],
    service: MentoringCommands,
    innovation: Innovation,
    exc: DomainError | FormError,
    form: str,
    data: dict[str, Any],
) -> Any:
    if isinstance(exc, FormError):
        status, message = 422, exc.message
    else:
        status, message = exc.status, refusal(exc).message
    typed = {k: text(data, k) for k in data if k != "_csrf_token"}
    return _page(request, service, innovation, status, message, form, typed)


@post(
    "/inovasi/{innovation_id:str}/pendampingan/pendamping",
    sync_to_thread=True,
    name="page:mentoring-assign",
    status_code=303,
)
def assign_mentor(request: Request[Any, Any, Any], innovation_id: FromPath[str], data: Form) -> Any:
    service, innovation = _visible(request, innovation_id, MentoringCommand.ASSIGN_MENTOR)
    try:
        values = {"mentor_id": text(data, "mentor_id"), "note": text(data, "note")}
        if not values["mentor_id"]:
            raise FormError("mentor_id", "Pilih pendamping yang ditugaskan.")
        given = convert(MentorInput, values, LABELS)
        outcome = run_command(
            request, lambda ctx: service.assign(ctx, innovation, given.mentor_id, given.note)
        )
    except (DomainError, FormError) as exc:
        return _refused(request, service, innovation, exc, "assign", data)
    settle(runtime_of(request), outcome)
    return redirect(f"/inovasi/{innovation.id}/pendampingan#pendamping", "pendamping_ditugaskan")


def _session_input(data: dict[str, Any]) -> SessionInput:
    raw_indicators = text(data, "indicators").replace(",", " ").split()
    follow_ups = []
    for n in range(1, FOLLOW_UP_ROWS + 1):
        item, due = text(data, f"follow_up_{n}"), text(data, f"follow_up_due_{n}")
        if item or due:
            if not item:
                raise FormError("follow_ups", f"Tindak lanjut {n}: uraian wajib diisi.")
            follow_ups.append({"text": item, **({"due": due} if due else {})})
    if not text(data, "held_on"):
        raise FormError("held_on", "Tanggal sesi wajib diisi.")
    values = {
        "held_on": text(data, "held_on"),
        "mode": text(data, "mode"),
        "attendees": _lines(text(data, "attendees")),
        "topics": _lines(text(data, "topics")),
        "notes": text(data, "notes"),
        "indicators": raw_indicators,
        "follow_ups": follow_ups,
    }
    return convert(SessionInput, values, LABELS)


@post(
    "/inovasi/{innovation_id:str}/pendampingan/sesi",
    sync_to_thread=True,
    name="page:mentoring-session",
    status_code=303,
)
def record_session(
    request: Request[Any, Any, Any], innovation_id: FromPath[str], data: Form
) -> Any:
    service, innovation = _visible(request, innovation_id, MentoringCommand.RECORD_SESSION)
    try:
        given = _session_input(data)
        outcome = run_command(
            request,
            lambda ctx: service.record_session(
                ctx,
                innovation,
                session_id=uuid4(),
                held_on=given.held_on,
                mode=str(given.mode),
                attendees=given.attendees,
                topics=given.topics,
                notes=given.notes,
                indicators=given.indicators,
                follow_ups=[
                    FollowUpItem(id=uuid4(), text=f.text, due=f.due) for f in given.follow_ups
                ],
            ),
        )
    except (DomainError, FormError) as exc:
        return _refused(request, service, innovation, exc, "session", data)
    settle(runtime_of(request), outcome)
    return redirect(f"/inovasi/{innovation.id}/pendampingan#sesi", "sesi_dicatat")


@post(
    "/inovasi/{innovation_id:str}/pendampingan/tindak-lanjut/{follow_up_id:str}/selesai",
    sync_to_thread=True,
    name="page:mentoring-done",
    status_code=303,
)
def complete_follow_up(
    request: Request[Any, Any, Any],
    innovation_id: FromPath[str],
    follow_up_id: FromPath[str],
    data: Form,
) -> Any:
    service, innovation = _visible(request, innovation_id, MentoringCommand.COMPLETE_FOLLOW_UP)
    try:
        target = parse_uuid(follow_up_id)
        given = convert(DoneInput, {"note": text(data, "note")}, LABELS)
        outcome = run_command(
            request, lambda ctx: service.complete(ctx, innovation, target, given.note)
        )
    except (DomainError, FormError) as exc:
        return _refused(request, service, innovation, exc, f"done-{follow_up_id}", data)
    settle(runtime_of(request), outcome)
    return redirect(f"/inovasi/{innovation.id}/pendampingan#sesi", "tindak_lanjut_selesai")


@get("/pendampingan", sync_to_thread=True, name="page:my-mentoring")
def my_mentoring(request: Request[Any, Any, Any]) -> Any:
    """The innovations this account mentors, with open follow-ups and the last session."""
    principal = principal_of(request)
    if principal.account_id is None:
        policy.ensure_mentoring_command(principal, MentoringCommand.RECORD_SESSION)  # 401
    runtime = runtime_of(request)
    names = Names(runtime)
    with runtime.db.transaction() as tx:
        rows = mentored_by(tx, str(principal.account_id))
    items = []
    for row in rows:
        try:
            innovation = runtime.commands.innovation(UUID(row["innovation_id"]))
        except NotFound:
            continue
        items.append(
            {
                **row,
                "title": innovation.profile.title,
                "organisation": names.org_name(innovation.organisation_id),
                "last_session": date.fromisoformat(row["last_session"])
                if row["last_session"]
                else None,
            }
        )
    return render(request, "mentoring/mine.html", items=items)


route_handlers: list[Any] = [
    mentoring_page,
    assign_mentor,
    record_session,
    complete_follow_up,
    my_mentoring,
]
