"""Organisations (OPD, Puskesmas, BUMD, UPTD, Kecamatan) and accounts, event-sourced so that
every role grant and revocation is part of the audit trail."""

from __future__ import annotations

import re
from uuid import UUID

from services.domain.actor import Role
from services.domain.aggregate import Aggregate, Context, applies
from services.domain.errors import InvalidValue
from services.domain.events import (
    AccountCreated,
    AccountDisabled,
    AccountEnabled,
    OrganisationChanged,
    OrganisationRegistered,
    OrganisationRenamed,
    PasswordReset,
    RoleChanged,
)
from services.domain.values import OrganisationKind

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
#: Roles bound to one organisation: its operators and its head (kepala OPD).
ORGANISATION_ROLES = frozenset({Role.OPERATOR, Role.KEPALA_OPD})


class Organisation(Aggregate):
    kind: OrganisationKind
    code: str
    name: str

    @classmethod
    def register(
        cls, ctx: Context, id: UUID, *, kind: OrganisationKind, code: str, name: str
    ) -> Organisation:
        if not code.strip():
            raise InvalidValue("code", "Kode organisasi wajib diisi.")
        if not name.strip():
            raise InvalidValue("name", "Nama organisasi wajib diisi.")
        org = cls(id)
        org._record(ctx, OrganisationRegistered, kind=kind, code=code.strip(), name=name.strip())
        return org

    def rename(self, ctx: Context, name: str) -> None:
        if not name.strip():
            raise InvalidValue("name", "Nama organisasi wajib diisi.")
        if name.strip() != self.name:
            self._record(ctx, OrganisationRenamed, name=name.strip())

    @applies(OrganisationRegistered)
    def _registered(self, e: OrganisationRegistered) -> None:
        self.kind, self.code, self.name = e.kind, e.code, e.name

    @applies(OrganisationRenamed)
    def _renamed(self, e: OrganisationRenamed) -> None:
        self.name = e.name


class Account(Aggregate):
    username: str
    full_name: str
    email: str
    role: Role
    organisation_id: UUID | None
    password_hash: str
    phone: str
    members: tuple[str, ...]
    disabled: bool

    @classmethod
    def create(
        cls,
        ctx: Context,
        id: UUID,
        *,
        username: str,
        full_name: str,
        email: str,
        role: Role,
        organisation_id: UUID | None,
        password_hash: str,
        phone: str = "",
        members: tuple[str, ...] = (),
    ) -> Account:
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise InvalidValue(
                "username",
                "Nama pengguna 3–64 karakter: huruf kecil, angka, titik, garis bawah atau strip.",
            )
        if role == Role.SYSTEM:
            raise InvalidValue("role", "Peran 'system' tidak dapat diberikan.")
        cls._check_organisation(role, organisation_id)
        if len(members) > 5:
            raise InvalidValue("members", "Kelompok Krenova paling banyak 5 orang.")
        account = cls(id)
        account._record(
            ctx,
            AccountCreated,
            username=username,
            full_name=full_name.strip(),
            email=email.strip(),
            role=role,
            organisation_id=organisation_id,
            password_hash=password_hash,
            phone=phone.strip(),
            members=tuple(m.strip() for m in members if m.strip()),
        )
        return account

    @staticmethod
    def _check_organisation(role: Role, organisation_id: UUID | None) -> None:
        if role in ORGANISATION_ROLES and organisation_id is None:
            raise InvalidValue("organisation_id", "Operator harus terikat pada satu organisasi.")

    def change_role(self, ctx: Context, role: Role) -> None:
        if role == Role.SYSTEM:
            raise InvalidValue("role", "Peran 'system' tidak dapat diberikan.")
        self._check_organisation(role, self.organisation_id)
        if role != self.role:
            self._record(ctx, RoleChanged, role=role, previous=self.role)

    def change_organisation(self, ctx: Context, organisation_id: UUID | None) -> None:
        self._check_organisation(self.role, organisation_id)
        if organisation_id != self.organisation_id:
            self._record(
                ctx,
                OrganisationChanged,
                organisation_id=organisation_id,
                previous=self.organisation_id,
            )

    def disable(self, ctx: Context, reason: str = "") -> None:
        if not self.disabled:
            self._record(ctx, AccountDisabled, reason=reason)

    def enable(self, ctx: Context) -> None:
        if self.disabled:
            self._record(ctx, AccountEnabled)

    def reset_password(self, ctx: Context, password_hash: str) -> None:
        self._record(ctx, PasswordReset, password_hash=password_hash)

    @applies(AccountCreated)
    def _created(self, e: AccountCreated) -> None:
        self.username, self.full_name, self.email = e.username, e.full_name, e.email
        self.role, self.organisation_id = e.role, e.organisation_id
        self.password_hash, self.phone, self.members = e.password_hash, e.phone, e.members
        self.disabled = False

    @applies(RoleChanged)
    def _role_changed(self, e: RoleChanged) -> None:
        self.role = e.role

    @applies(OrganisationChanged)
    def _organisation_changed(self, e: OrganisationChanged) -> None:
        self.organisation_id = e.organisation_id

    @applies(AccountDisabled)
    def _disabled(self, e: AccountDisabled) -> None:
        self.disabled = True

    @applies(AccountEnabled)
    def _enabled(self, e: AccountEnabled) -> None:
        self.disabled = False

    @applies(PasswordReset)
    def _password_reset(self, e: PasswordReset) -> None:
        self.password_hash = e.password_hash
