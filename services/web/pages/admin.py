"""Administration pages for the Bappeda Litbang admin: calls (open, change the deadline, close),
accounts (create, role, organisation, disable/enable, reset password) and organisations.

Each form builds the JSON API's own request Struct (``form_input.convert``) and calls the same
service function the API and the ``sirisma`` CLI call (``AccountAdmin``, ``Commands``), so the
bounds, the rules and the events are theirs. A refusal re-shows the page with the message in
Bahasa Indonesia and what was typed (never the password); it changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery

from projections import queries as rm
from services.domain import labels
from services.domain.actor import Role
from services.domain.call import JAKARTA
from services.domain.errors import DomainError
from services.domain.rubric import DOCUMENT_KIND_LABELS, available_years
from services.domain.values import CallKind, OrganisationKind
from services.eventstore.store import NotFound
from services.http import limits
from services.http.context import principal_of, runtime_of
from services.identity import policy
from services.identity.accounts import AccountAdmin
from services.identity.admin import (
    AccountCreate,
    OrganisationCreate,
    PasswordResetRequest,
    RoleChange,
)
from services.submission import routes as submission_routes
from services.submission.schemas import CallCreate
from services.web.pages.common import now, parse_uuid, run_command, settle
from services.web.pages.form_input import FormError, convert, many, text
from services.web.pages.rendering import query, redirect, render

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

ACCOUNTS_PER_PAGE = 25

ORGANISATION_KIND_LABELS: dict[str, str] = {
    OrganisationKind.OPD: "Perangkat Daerah (OPD)",
    OrganisationKind.PUSKESMAS: "Puskesmas",
    OrganisationKind.BUMD: "BUMD",
    OrganisationKind.UPTD: "UPTD",
    OrganisationKind.KECAMATAN: "Kecamatan",
}
SUBMITTER_LABELS: dict[str, str] = {
    **ORGANISATION_KIND_LABELS,
    "masyarakat": "Masyarakat (Krenova)",
}
CALL_KIND_LABELS = {CallKind.ANNUAL: "Inovasi Daerah (tahunan)", CallKind.KRENOVA: "Krenova"}
CALL_STATE_LABELS = {"upcoming": "Belum dibuka", "open": "Dibuka", "closed": "Ditutup"}
# Roles an admin may give (``system`` is the machine's own).
GRANTABLE = [r for r in Role if r != Role.SYSTEM]

CALL_LABELS = {
    "kind": "Jenis panggilan",
    "title": "Judul",
    "budget_year": "Tahun anggaran",
    "opens_at": "Dibuka pada",
    "deadline": "Batas waktu",
    "eligible_kinds": "Pengusul yang boleh ikut",
    "rubric_year": "Tahun rubrik",
    "required_documents": "Dokumen wajib",
    "threshold": "Ambang nilai kematangan",
    "description": "Keterangan",
    "reason": "Alasan",
}
ACCOUNT_LABELS = {
    "username": "Nama pengguna",
    "full_name": "Nama lengkap",
    "role": "Peran",
    "password": "Kata sandi",
    "email": "Email",
    "organisation_id": "Organisasi",
    "phone": "Nomor telepon",
}
ORGANISATION_LABELS = {"kind": "Jenis organisasi", "code": "Kode", "name": "Nama organisasi"}


def _admin_only(request: Request[Any, Any, Any]) -> None:
    policy.ensure_role(principal_of(request), Role.ADMIN)


def _local(moment: datetime) -> str:
    """A moment as a ``datetime-local`` input's value, in WIB."""
    return moment.astimezone(JAKARTA).strftime("%Y-%m-%dT%H:%M")


def _moment(raw: str, label: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise FormError("deadline", f"{label} harus berupa tanggal dan jam.") from None
    return value.replace(tzinfo=JAKARTA) if value.tzinfo is None else value


# ---------------------------------------------------------------------------------------------
# calls


def _seconds(raw: str) -> str:
    """``datetime-local`` sends minutes only ("2026-03-01T08:00"); ISO 8601 for msgspec."""
    return f"{raw}:00" if len(raw) == 16 and raw[10:11] == "T" else raw


def _calls_page(
    request: Request[Any, Any, Any],
    *,
    values: dict[str, Any] | None = None,
    error: str = "",
    error_field: str = "",
    row_error: tuple[str, str] = ("", ""),
    status_code: int = 200,
) -> Any:
    runtime = runtime_of(request)
    moment = now()
    calls = rm.directory.calls(runtime.db, now=moment)
    calls.sort(key=lambda c: (c.state != "open", c.state != "upcoming", c.deadline or ""))
    defaults = {
        "kind": "annual",
        "title": "",
        "budget_year": str(moment.astimezone(JAKARTA).year),
        "opens_at": _local(moment),
        "deadline": "",
        "eligible_kinds": [str(k) for k in OrganisationKind],
        "rubric_year": str(max(available_years())),
        "required_documents": [],
        "threshold": "0",
        "description": "",
    }
    return render(
        request,
        "admin/calls.html",
        status_code=status_code,
        calls=calls,
        deadlines={str(c.id): _local(datetime.fromisoformat(c.deadline or "")) for c in calls},
        values={**defaults, **(values or {})},
        error=error,
        error_field=error_field,
        row_error=row_error,
        kinds=CALL_KIND_LABELS,
        states=CALL_STATE_LABELS,
        submitters=SUBMITTER_LABELS,
        documents=DOCUMENT_KIND_LABELS,
        rubric_years=available_years(),
    )


@get("/admin/panggilan", sync_to_thread=True, name="page:admin-calls")
def calls_page(request: Request[Any, Any, Any]) -> Any:
    _admin_only(request)
    return _calls_page(request)


@post("/admin/panggilan", sync_to_thread=True, status_code=303, name="page:admin-call-open")
def open_call(request: Request[Any, Any, Any], data: Form) -> Any:
    _admin_only(request)
    values: dict[str, Any] = {
        "kind": text(data, "kind"),
        "title": text(data, "title"),
        "budget_year": text(data, "budget_year"),
        "opens_at": text(data, "opens_at"),
        "deadline": text(data, "deadline"),
        "eligible_kinds": many(data, "eligible_kinds"),
        "rubric_year": text(data, "rubric_year"),
        "required_documents": many(data, "required_documents"),
        "threshold": text(data, "threshold") or "0",
        "description": text(data, "description"),
    }
    try:
        if not values["deadline"]:
            raise FormError("deadline", "Batas waktu wajib diisi.")
        if not values["eligible_kinds"]:
            raise FormError("eligible_kinds", "Pilih paling sedikit satu jenis pengusul.")
        request_body = convert(
            CallCreate,
            {
                **values,
                "opens_at": _seconds(values["opens_at"]),
                "deadline": _seconds(values["deadline"]),
            },
            CALL_LABELS,
        )
        response = submission_routes._create_call(request, request_body)
    except FormError as exc:
        return _calls_page(
            request, values=values, error=exc.message, error_field=exc.field, status_code=422
        )
    except DomainError as exc:
        field = str(exc.details.get("field") or getattr(exc, "field", "") or "")
        return _calls_page(
            request, values=values, error=exc.message, error_field=field, status_code=exc.status
        )
    settle(runtime_of(request), response.content.notification_id)
    return redirect("/admin/panggilan", "panggilan_dibuka")


def _deadline_change(
    request: Request[Any, Any, Any], id: UUID, deadline: datetime, reason: str
) -> Any:
    runtime = runtime_of(request)
    try:
        outcome = run_command(
            request, lambda ctx: runtime.commands.change_deadline(ctx, id, deadline, reason)
        )
    except DomainError as exc:
        return _calls_page(request, row_error=(str(id), exc.message), status_code=exc.status)
    settle(runtime, outcome)
    return None


@post("/admin/panggilan/{call_id:str}/batas-waktu", sync_to_thread=True, status_code=303)
def change_deadline(request: Request[Any, Any, Any], call_id: FromPath[str], data: Form) -> Any:
    _admin_only(request)
    id = parse_uuid(call_id)
    reason = text(data, "reason")
    try:
        deadline = _moment(text(data, "deadline"), "Batas waktu baru")
        if len(reason) > limits.NOTE_MAX:
            raise FormError("reason", f"Alasan {limits.limits_text(limits.NOTE_MAX)}.")
    except FormError as exc:
        return _calls_page(request, row_error=(str(id), exc.message), status_code=422)
    return _deadline_change(request, id, deadline, reason) or redirect(
        "/admin/panggilan", "batas_waktu_diubah"
    )


@post("/admin/panggilan/{call_id:str}/tutup", sync_to_thread=True, status_code=303)
def close_call(request: Request[Any, Any, Any], call_id: FromPath[str], data: Form) -> Any:
    """Closing is the deadline moved to now (a DeadlineChanged event with the reason): the
    countdowns end and every later submission is refused by the same rule as a passed deadline."""
    _admin_only(request)
    id = parse_uuid(call_id)
    reason = text(data, "reason")
    runtime = runtime_of(request)
    try:
        call = runtime.commands.call(id)
    except NotFound:
        return _calls_page(
            request, row_error=(str(id), "Panggilan tidak ditemukan."), status_code=404
        )
    moment = now()
    if call.deadline <= moment:
        return _calls_page(
            request, row_error=(str(id), "Panggilan ini sudah ditutup."), status_code=409
        )
    if not reason or len(reason) > limits.NOTE_MAX:
        message = "Alasan penutupan wajib diisi." if not reason else "Alasan terlalu panjang."
        return _calls_page(request, row_error=(str(id), message), status_code=422)
    return _deadline_change(request, id, moment, f"Ditutup oleh admin: {reason}") or redirect(
        "/admin/panggilan", "panggilan_ditutup"
    )


# ---------------------------------------------------------------------------------------------
# accounts


def _accounts_page(
    request: Request[Any, Any, Any],
    *,
    q: str = "",
    role: str = "",
    organisation: UUID | None = None,
    page_no: int = 1,
    values: dict[str, Any] | None = None,
    error: str = "",
    error_field: str = "",
    row_error: tuple[str, str] = ("", ""),
    status_code: int = 200,
) -> Any:
    db = runtime_of(request).db
    page = rm.directory.accounts(
        db,
        role=role or None,
        organisation=organisation,
        q=q or None,
        limit=ACCOUNTS_PER_PAGE,
        offset=(page_no - 1) * ACCOUNTS_PER_PAGE,
    )
    pages = max(1, -(-page.total // ACCOUNTS_PER_PAGE))
    defaults = {
        "username": "",
        "full_name": "",
        "role": "operator",
        "email": "",
        "organisation_id": "",
        "phone": "",
    }
    return render(
        request,
        "admin/accounts.html",
        status_code=status_code,
        page=page,
        page_no=page_no,
        pages=pages,
        filters=filters_of(q, role, organisation, None),
        current_back="/admin/akun" + query(filters_of(q, role, organisation, page_no)),
        organisations=rm.directory.organisations(db),
        roles=[(str(r), labels.ROLE_TITLE.get(r, str(r))) for r in GRANTABLE],
        values={**defaults, **(values or {})},
        error=error,
        error_field=error_field,
        row_error=row_error,
        me=principal_of(request).account_id,
    )


def filters_of(q: str, role: str, organisation: UUID | None, page_no: int | None) -> dict[str, str]:
    """The list's filters as query parameters (the pager and the forms' way back)."""
    return {
        "q": q,
        "peran": role,
        "organisasi": str(organisation or ""),
        "halaman": str(page_no) if page_no and page_no > 1 else "",
    }


@get("/admin/akun", sync_to_thread=True, name="page:admin-accounts")
def accounts_page(
    request: Request[Any, Any, Any],
    q: FromQuery[str | None] = None,
    peran: FromQuery[str | None] = None,
    organisasi: FromQuery[str | None] = None,
    halaman: FromQuery[str | None] = None,
) -> Any:
    _admin_only(request)
    search = (q or "").strip()[: limits.QUERY_TEXT_MAX]
    role = peran if peran in {str(r) for r in GRANTABLE} else ""
    try:
        organisation = UUID(organisasi) if organisasi else None
    except ValueError:
        organisation = None
    page_no = limits.page_int(halaman, 1, limits.PAGE_MAX) or 1
    return _accounts_page(request, q=search, role=role, organisation=organisation, page_no=page_no)


def _organisation_id(raw: str) -> str | None:
    return raw or None


@post("/admin/akun", sync_to_thread=True, status_code=303, name="page:admin-account-create")
def create_account(request: Request[Any, Any, Any], data: Form) -> Any:
    _admin_only(request)
    values = {
        "username": text(data, "username"),
        "full_name": text(data, "full_name"),
        "role": text(data, "role"),
        "email": text(data, "email"),
        "organisation_id": text(data, "organisation_id"),
        "phone": text(data, "phone"),
    }
    password = str(data.get("password", ""))
    try:
        body = convert(
            AccountCreate,
            {
                **values,
                "organisation_id": _organisation_id(values["organisation_id"]),
                "password": password,
            },
            ACCOUNT_LABELS,
        )
        outcome = run_command(
            request,
            lambda ctx: AccountAdmin(runtime_of(request)).create(
                ctx,
                username=body.username,
                full_name=body.full_name,
                email=body.email,
                role=body.role,
                organisation_id=body.organisation_id,
                password=body.password,
                phone=body.phone,
            ),
        )
    except FormError as exc:
        return _accounts_page(
            request, values=values, error=exc.message, error_field=exc.field, status_code=422
        )
    except DomainError as exc:
        field = str(exc.details.get("field") or getattr(exc, "field", "") or "")
        field = "username" if field == "id" else field
        return _accounts_page(
            request, values=values, error=exc.message, error_field=field, status_code=exc.status
        )
    settle(runtime_of(request), outcome)
    return redirect(f"/admin/akun?q={body.username}", "akun_dibuat")


ACCOUNT_ACTIONS = ("peran", "organisasi", "nonaktifkan", "aktifkan", "sandi")


@post("/admin/akun/{account_id:str}/{action:str}", sync_to_thread=True, status_code=303)
def change_account(
    request: Request[Any, Any, Any], account_id: FromPath[str], action: FromPath[str], data: Form
) -> Any:
    _admin_only(request)
    if action not in ACCOUNT_ACTIONS:
        raise NotFound("Halaman", action)
    id = parse_uuid(account_id)
    admin = AccountAdmin(runtime_of(request))
    back = text(data, "back")
    back = back if back.startswith("/admin/akun") and "//" not in back else "/admin/akun"
    try:
        if action == "peran":
            role = convert(RoleChange, {"role": text(data, "role")}, ACCOUNT_LABELS).role
            outcome = run_command(request, lambda ctx: admin.set_role(ctx, id, role))
        elif action == "organisasi":
            raw = text(data, "organisation_id")
            organisation = UUID(raw) if raw else None
            outcome = run_command(
                request, lambda ctx: admin.set_organisation(ctx, id, organisation)
            )
        elif action == "nonaktifkan":
            reason = text(data, "reason")[: limits.NOTE_MAX]
            outcome = run_command(request, lambda ctx: admin.disable(ctx, id, reason))
        elif action == "aktifkan":
            outcome = run_command(request, lambda ctx: admin.enable(ctx, id))
        else:
            password = convert(
                PasswordResetRequest, {"password": str(data.get("password", ""))}, ACCOUNT_LABELS
            ).password
            outcome = run_command(request, lambda ctx: admin.reset_password(ctx, id, password))
    except ValueError:
        return _accounts_page(
            request, row_error=(str(id), "Organisasi tidak dikenal."), status_code=422
        )
    except FormError as exc:
        return _accounts_page(request, row_error=(str(id), exc.message), status_code=422)
    except DomainError as exc:
        return _accounts_page(request, row_error=(str(id), exc.message), status_code=exc.status)
    settle(runtime_of(request), outcome)
    return redirect(back, f"akun_{action}")


# ---------------------------------------------------------------------------------------------
# organisations


def _organisations_page(
    request: Request[Any, Any, Any],
    *,
    values: dict[str, Any] | None = None,
    error: str = "",
    error_field: str = "",
    status_code: int = 200,
) -> Any:
    db = runtime_of(request).db
    return render(
        request,
        "admin/organisations.html",
        status_code=status_code,
        organisations=rm.directory.organisations(db),
        kinds=ORGANISATION_KIND_LABELS,
        values={"kind": "opd", "code": "", "name": "", **(values or {})},
        error=error,
        error_field=error_field,
    )


@get("/admin/organisasi", sync_to_thread=True, name="page:admin-organisations")
def organisations_page(request: Request[Any, Any, Any]) -> Any:
    _admin_only(request)
    return _organisations_page(request)


@post("/admin/organisasi", sync_to_thread=True, status_code=303, name="page:admin-org-create")
def create_organisation(request: Request[Any, Any, Any], data: Form) -> Any:
    _admin_only(request)
    values = {"kind": text(data, "kind"), "code": text(data, "code"), "name": text(data, "name")}
    try:
        body = convert(OrganisationCreate, values, ORGANISATION_LABELS)
        outcome = run_command(
            request,
            lambda ctx: AccountAdmin(runtime_of(request)).register_organisation(
                ctx, kind=body.kind, code=body.code, name=body.name
            ),
        )
    except FormError as exc:
        return _organisations_page(
            request, values=values, error=exc.message, error_field=exc.field, status_code=422
        )
    except DomainError as exc:
        field = str(exc.details.get("field") or getattr(exc, "field", "") or "")
        field = "code" if field == "id" else field
        return _organisations_page(
            request, values=values, error=exc.message, error_field=field, status_code=exc.status
        )
    settle(runtime_of(request), outcome)
    return redirect("/admin/organisasi", "organisasi_dibuat")


route_handlers: list[Any] = [
    calls_page,
    open_call,
    change_deadline,
    close_call,
    accounts_page,
    create_account,
    change_account,
    organisations_page,
    create_organisation,
]
