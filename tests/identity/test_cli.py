"""``sirisma users``: the same commands and events as the admin API, from the shell."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from services.cli import main
from services.commands import account_id_for, organisation_id_for
from services.config import load_settings
from services.domain.actor import Actor
from services.domain.aggregate import Context
from services.domain.events import AccountCreated, AccountDisabled, RoleChanged
from services.domain.organisation import Account
from services.domain.values import OrganisationKind
from services.identity.passwords import verify_password
from services.startup import start_runtime


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    for name in ("SIRISMA_DATABASE_URL", "SIRISMA_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SIRISMA_DATA_DIR", str(path))
    runtime = start_runtime(load_settings())
    try:
        runtime.commands.register_organisation(
            Context(actor=Actor.system()), kind=OrganisationKind.OPD, code="DINKES", name="Dinkes"
        )
    finally:
        runtime.close()
    return path


def _account(username: str) -> tuple[Account, list[object]]:
    runtime = start_runtime(load_settings())
    try:
        account_id = account_id_for(username)
        return runtime.store.load(Account, account_id), runtime.store.events(account_id)
    finally:
        runtime.close()


def test_users_add_disable_and_set_role(data_dir: Path) -> None:
    runner = CliRunner()
    added = runner.invoke(
        main,
        [
            "users", "add", "op.dinkes", "--role", "operator", "--organisation", "dinkes",
            "--full-name", "Operator Dinkes", "--password", "sandi-cli-2025",
        ],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "op.dinkes (operator, aktif" in added.output
    account, events = _account("op.dinkes")
    assert account.organisation_id == organisation_id_for("DINKES")
    assert verify_password(account.password_hash, "sandi-cli-2025")
    created = events[0]
    assert isinstance(created, AccountCreated)
    assert created.actor.role == "system" and created.correlation_id.startswith("cli:")

    role = runner.invoke(main, ["users", "set-role", "op.dinkes", "reviewer"])
    assert role.exit_code == 0, role.output
    disabled = runner.invoke(main, ["users", "disable", "op.dinkes", "--reason", "mutasi"])
    assert disabled.exit_code == 0, disabled.output
    assert "nonaktif" in disabled.output

    account, events = _account("op.dinkes")
    assert account.role == "reviewer" and account.disabled
    assert isinstance(events[-2], RoleChanged) and events[-2].previous == "operator"
    assert isinstance(events[-1], AccountDisabled) and events[-1].reason == "mutasi"

    enabled = runner.invoke(main, ["users", "enable", "op.dinkes"])
    assert enabled.exit_code == 0 and not _account("op.dinkes")[0].disabled
    reset = runner.invoke(
        main, ["users", "reset-password", "op.dinkes"], input="sandi-baru-99\n" * 2
    )
    assert reset.exit_code == 0, reset.output
    assert verify_password(_account("op.dinkes")[0].password_hash, "sandi-baru-99")


def test_users_errors_are_messages_not_tracebacks(data_dir: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(main, ["users", "disable", "tidak.ada"])
    assert unknown.exit_code == 1
    assert "Akun 'tidak.ada' tidak ditemukan." in unknown.output
    no_org = runner.invoke(
        main, ["users", "add", "op.baru", "--role", "operator", "--password", "sandi-cli-2025"]
    )
    assert no_org.exit_code == 1
    assert "Operator harus terikat pada satu organisasi." in no_org.output
    weak = runner.invoke(
        main, ["users", "add", "auditor.baru", "--role", "auditor", "--password", "pendek"]
    )
    assert weak.exit_code == 1 and "minimal 8 karakter" in weak.output
    runner.invoke(
        main, ["users", "add", "auditor.baru", "--role", "auditor", "--password", "sandi-cli-2025"]
    )
    duplicate = runner.invoke(
        main, ["users", "add", "auditor.baru", "--role", "auditor", "--password", "sandi-cli-2025"]
    )
    assert duplicate.exit_code == 1 and "sudah terdaftar" in duplicate.output
