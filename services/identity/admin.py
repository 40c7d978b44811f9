"""Admin-only routes: register organisations, create accounts, change role/organisation,
disable/enable, reset a password. Every change is an event with the admin as actor.

Lists (``GET /api/organisations``, ``GET /api/accounts``) come from the directory read model in
``projections/``; these routes only write, and answer with the record as it now is.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Request, post
from litestar.concurrency import sync_to_thread
from litestar.params import FromPath, JSONBody

from services.commands import Outcome
from services.domain.actor import Role
from services.domain.organisation import Account, Organisation
from services.domain.values import OrganisationKind
from services.http.context import command_context, runtime_of
from services.http.limits import Code, Name, Note, Password, RequiredCode, RequiredName
from services.identity.accounts import AccountAdmin
from services.identity.policy import admin_only


class OrganisationCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: OrganisationKind
    code: RequiredCode = msgspec.field()
    name: RequiredName = msgspec.field()


class OrganisationView(msgspec.Struct):
    id: UUID
    kind: OrganisationKind
    code: str
    name: str
    version: int


class AccountCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: RequiredCode
    full_name: RequiredName
    role: Role
    password: Password
    email: Name = ""
    organisation_id: UUID | None = None
    phone: Code = ""


class AccountRecord(msgspec.Struct):
    id: UUID
    username: str
    full_name: str
    email: str
    role: Role
    organisation_id: UUID | None
    disabled: bool
    version: int


class DisableRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Note = ""


class RoleChange(msgspec.Struct, forbid_unknown_fields=True):
    role: Role


class OrganisationAssignment(msgspec.Struct, forbid_unknown_fields=True):
    organisation_id: UUID | None


class PasswordResetRequest(msgspec.Struct, forbid_unknown_fields=True):
    password: Password


def _admin(request: Request[Any, Any, Any]) -> AccountAdmin:
    return AccountAdmin(runtime_of(request))


def _record(request: Request[Any, Any, Any], outcome: Outcome) -> AccountRecord:
    a = runtime_of(request).store.load(Account, outcome.id)
    return AccountRecord(
        id=a.id,
        username=a.username,
        full_name=a.full_name,
        email=a.email,
        role=a.role,
        organisation_id=a.organisation_id,
        disabled=a.disabled,
        version=a.version,
    )


ADMIN: dict[str, Any] = {"tags": ["admin"], "guards": [admin_only], "sync_to_thread": True}


# /api/organisations and /api/accounts also have a GET (services/reads/routes.py): handlers on a
# shared path are async and hand their work to a thread themselves (Litestar 2.25 would wrap a
# ``sync_to_thread`` handler there twice; tests/test_app.py checks).
SHARED_PATH = {k: v for k, v in ADMIN.items() if k != "sync_to_thread"}


@post("/api/organisations", status_code=201, summary="Daftarkan organisasi", **SHARED_PATH)
async def create_organisation(
    request: Request[Any, Any, Any], data: JSONBody[OrganisationCreate]
) -> OrganisationView:
    def register() -> OrganisationView:
        outcome = _admin(request).register_organisation(
            command_context(request), kind=data.kind, code=data.code, name=data.name
        )
        org = runtime_of(request).store.load(Organisation, outcome.id)
        return OrganisationView(
            id=org.id, kind=org.kind, code=org.code, name=org.name, version=org.version
        )

    return await sync_to_thread(register)


@post("/api/accounts", status_code=201, summary="Buat akun", **SHARED_PATH)
async def create_account(
    request: Request[Any, Any, Any], data: JSONBody[AccountCreate]
) -> AccountRecord:
    def create() -> AccountRecord:
        outcome = _admin(request).create(
            command_context(request),
            username=data.username,
            full_name=data.full_name,
            email=data.email,
            role=data.role,
            organisation_id=data.organisation_id,
            password=data.password,
            phone=data.phone,
        )
        return _record(request, outcome)

    return await sync_to_thread(create)


@post("/api/accounts/{id:uuid}/disable", status_code=200, summary="Nonaktifkan akun", **ADMIN)
def disable_account(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[DisableRequest | None] = None,
) -> AccountRecord:
    """The account's sessions are revoked at once; its history stays."""
    reason = data.reason if data else ""
    return _record(request, _admin(request).disable(command_context(request), id, reason))


@post("/api/accounts/{id:uuid}/enable", status_code=200, summary="Aktifkan akun", **ADMIN)
def enable_account(request: Request[Any, Any, Any], id: FromPath[UUID]) -> AccountRecord:
    return _record(request, _admin(request).enable(command_context(request), id))


@post("/api/accounts/{id:uuid}/role", status_code=200, summary="Ubah peran akun", **ADMIN)
def change_role(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[RoleChange]
) -> AccountRecord:
    return _record(request, _admin(request).set_role(command_context(request), id, data.role))


@post(
    "/api/accounts/{id:uuid}/organisation",
    status_code=200,
    summary="Pindahkan akun ke organisasi lain",
    **ADMIN,
)
def change_organisation(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[OrganisationAssignment]
) -> AccountRecord:
    outcome = _admin(request).set_organisation(command_context(request), id, data.organisation_id)
    return _record(request, outcome)


@post(
    "/api/accounts/{id:uuid}/reset-password",
    status_code=200,
    summary="Atur ulang kata sandi",
    **ADMIN,
)
def reset_password(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[PasswordResetRequest]
) -> AccountRecord:
    """The new password replaces the old one and every session of the account ends."""
    outcome = _admin(request).reset_password(command_context(request), id, data.password)
    return _record(request, outcome)


route_handlers: list[Any] = [
    create_organisation,
    create_account,
    disable_account,
    enable_account,
    change_role,
    change_organisation,
    reset_password,
]
