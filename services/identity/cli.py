"""``sirisma users …``: account administration from the server's shell.

For the first admin account and for recovery when no admin can sign in. Every change is the same
command (and event) the admin API records; the actor is ``system`` and the correlation id names
the shell user, so the audit trail shows the change came from the command line.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar
from uuid import uuid4

import click

from services.commands import account_id_for, organisation_id_for
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.errors import DomainError
from services.domain.organisation import Account
from services.eventstore.store import NotFound
from services.identity.accounts import AccountAdmin
from services.starter import start_runtime

if TYPE_CHECKING:
    from services.runtime import Runtime

T = TypeVar("T")
ROLES = [r.value for r in Role if r != Role.SYSTEM]


@contextmanager
def _admin() -> Iterator[tuple[Runtime, AccountAdmin, Context]]:
    runtime = start_runtime()
    try:
        ctx = Context(actor=Actor.system(), correlation_id=f"cli:{_shell_user()}:{uuid4().hex[:8]}")
        yield runtime, AccountAdmin(runtime), ctx
    finally:
        runtime.close()


def _shell_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def _run(action: Callable[[], T]) -> T:
    """Domain refusals become a readable error and exit status 1, not a traceback."""
    try:
        return action()
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    except NotFound as exc:
        raise click.ClickException(str(exc)) from None


def _account(runtime: Runtime, username: str) -> Account:
    try:
        return runtime.store.load(Account, account_id_for(username))
    except NotFound:
        raise click.ClickException(f"Akun '{username}' tidak ditemukan.") from None


def _describe(account: Account) -> str:
    state = "nonaktif" if account.disabled else "aktif"
    return f"{account.username} ({account.role}, {state}, versi {account.version})"


@click.group()
def users() -> None:
    """Kelola akun pengguna (tambah, nonaktifkan, aktifkan, ubah peran, atur ulang sandi)."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="Peran akun.")
@click.option("--organisation", "organisation_code", default=None, help="Kode organisasi.")
@click.option("--full-name", default="", help="Nama lengkap (default: nama pengguna).")
@click.option("--email", default="", help="Alamat surel.")
@click.password_option(
    "--password", prompt="Kata sandi", help="Kata sandi awal (ditanyakan bila tidak diberikan)."
)
def add(
    username: str,
    role: str,
    organisation_code: str | None,
    full_name: str,
    email: str,
    password: str,
) -> None:
    """Create an account."""
    with _admin() as (runtime, admin, ctx):
        organisation_id = None
        if organisation_code:
            organisation_id = organisation_id_for(organisation_code)
            if not runtime.store.exists(organisation_id):
                raise click.ClickException(f"Organisasi '{organisation_code}' tidak ditemukan.")
        outcome = _run(
            lambda: admin.create(
                ctx,
                username=username,
                full_name=full_name or username,
                email=email,
                role=Role(role),
                organisation_id=organisation_id,
                password=password,
            )
        )
        account = runtime.store.load(Account, outcome.id)
        click.echo(f"Akun dibuat: {_describe(account)}")


@users.command("disable")
@click.argument("username")
@click.option("--reason", default="", help="Alasan (tercatat di jejak audit).")
def disable(username: str, reason: str) -> None:
    """Disable an account; its sessions end at once."""
    with _admin() as (runtime, admin, ctx):
        account = _account(runtime, username)
        _run(lambda: admin.disable(ctx, account.id, reason))
        click.echo(f"Akun dinonaktifkan: {_describe(_account(runtime, username))}")


@users.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Enable a disabled account again."""
    with _admin() as (runtime, admin, ctx):
        account = _account(runtime, username)
        _run(lambda: admin.enable(ctx, account.id))
        click.echo(f"Akun diaktifkan: {_describe(_account(runtime, username))}")


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
def set_role(username: str, role: str) -> None:
    """Change an account's role (recorded as RoleChanged)."""
    with _admin() as (runtime, admin, ctx):
        account = _account(runtime, username)
        _run(lambda: admin.set_role(ctx, account.id, Role(role)))
        click.echo(f"Peran diubah: {_describe(_account(runtime, username))}")


@users.command("reset-password")
@click.argument("username")
@click.password_option("--password", prompt="Kata sandi baru", help="Kata sandi baru.")
def reset_password(username: str, password: str) -> None:
    """Set a new password; every session of the account ends."""
    with _admin() as (runtime, admin, ctx):
        account = _account(runtime, username)
        _run(lambda: admin.reset_password(ctx, account.id, password))
        click.echo(f"Kata sandi diatur ulang: {_describe(_account(runtime, username))}")
