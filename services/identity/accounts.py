"""Account administration shared by the admin API and the ``sirisma users`` CLI.

Every change is a command on the Account/Organisation aggregate (so it is an event with the
acting admin, in the audit trail). What is not domain state is done here next to it: passwords
are hashed before they reach a command, and disabling an account or resetting its password also
revokes its live sessions (the disabled flag alone already stops them on the next request; the
revocation makes it explicit in the session table too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from services.commands import Outcome
from services.domain.actor import Role
from services.domain.aggregate import Context
from services.domain.errors import InvalidValue, NotAllowed
from services.domain.values import OrganisationKind
from services.identity.passwords import MIN_LENGTH, hash_password

if TYPE_CHECKING:
    from services.runtime import Runtime

MAX_PASSWORD_LENGTH = 256


def check_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise InvalidValue("password", f"Kata sandi minimal {MIN_LENGTH} karakter.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidValue("password", f"Kata sandi paling panjang {MAX_PASSWORD_LENGTH} karakter.")
    if not password.strip():
        raise InvalidValue("password", "Kata sandi tidak boleh hanya spasi.")
    return password


def _not_self(ctx: Context, account_id: UUID, what: str) -> None:
    """An admin cannot lock themselves out; another admin has to do it."""
    if ctx.actor.account_id == account_id:
        raise NotAllowed(f"Anda tidak dapat {what} akun Anda sendiri; minta admin lain.")


class AccountAdmin:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.commands = runtime.commands

    def register_organisation(
        self, ctx: Context, *, kind: OrganisationKind, code: str, name: str
    ) -> Outcome:
        return self.commands.register_organisation(ctx, kind=kind, code=code, name=name)

    def create(
        self,
        ctx: Context,
        *,
        username: str,
        full_name: str,
        email: str,
        role: Role,
        organisation_id: UUID | None,
        password: str,
        phone: str = "",
    ) -> Outcome:
        return self.commands.create_account(
            ctx,
            username=username,
            full_name=full_name,
            email=email,
            role=role,
            organisation_id=organisation_id,
            password_hash=hash_password(check_password(password)),
            phone=phone,
        )

    def disable(self, ctx: Context, account_id: UUID, reason: str = "") -> Outcome:
        _not_self(ctx, account_id, "menonaktifkan")
        outcome = self.commands.disable_account(ctx, account_id, reason.strip())
        self.runtime.sessions.revoke_all(account_id)
        return outcome

    def enable(self, ctx: Context, account_id: UUID) -> Outcome:
        return self.commands.enable_account(ctx, account_id)

    def set_role(self, ctx: Context, account_id: UUID, role: Role) -> Outcome:
        _not_self(ctx, account_id, "mengubah peran")
        return self.commands.change_role(ctx, account_id, role)

    def set_organisation(
        self, ctx: Context, account_id: UUID, organisation_id: UUID | None
    ) -> Outcome:
        return self.commands.change_account_organisation(ctx, account_id, organisation_id)

    def reset_password(self, ctx: Context, account_id: UUID, password: str) -> Outcome:
        outcome = self.commands.reset_password(
            ctx, account_id, hash_password(check_password(password))
        )
        self.runtime.sessions.revoke_all(account_id)
        return outcome
