"""`sirisma`: one command for every process of the system (server, workers, maintenance, demo)."""

from __future__ import annotations

import os
import shutil
from typing import Any

import click

from services import starter
from services.audit.cli import audit as audit_cli
from services.config import (
    ConfigError,
    Settings,
    documented_settings,
    load_settings,
    shown_value,
)
from services.identity.cli import users
from services.notification import cli as notification_cli
from services.ops.cluster import cluster as cluster_cli
from services.reads import cli as projection_cli
from services.submission.cli import blobs as blobs_cli

# Long-running processes get the operations log set-up (JSON with SIRISMA_LOG_JSON, correlation
# ids); one-shot commands keep plain output. `serve` configures uvicorn's workers itself.
SERVICE_LOGS = {"project": "projector", "relay": "relay", "worker": "worker", "beat": "beat"}


def _start_runtime(settings: Settings, *, background: bool = True) -> Any:
    """Imported when a command needs it: a worker's process loads no schema owner's code."""
    from services.startup import start_runtime

    return start_runtime(settings, background=background)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """SI-RISMA: inovasi daerah dari usulan sampai laporan IGA."""
    try:  # a malformed SIRISMA_* value: one plain line naming it, not a traceback
        settings = load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    starter.provide(ctx, _start_runtime)  # the subcommands' Runtime (services/starter.py)
    service = SERVICE_LOGS.get(ctx.invoked_subcommand or "")
    if service:
        from services.ops import logs

        logs.configure(settings, service)
        ctx.call_on_close(logs.unconfigure)  # scoped to this command (CliRunner in tests)
        if service in ("worker", "beat"):
            from services.ops import tasks

            tasks.install(service)  # correlation ids and task metrics in Celery
            ctx.call_on_close(tasks.uninstall)


@main.command()
@click.option("--host", default=None, help="Alamat (default SIRISMA_HOST, 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default SIRISMA_PORT, 8000).")
@click.option("--demo", is_flag=True, help="Isi data demo bila penyimpanan masih kosong.")
@click.option("--workers", default=1, show_default=True, help="Jumlah proses HTTP.")
def serve(host: str | None, port: int | None, demo: bool, workers: int) -> None:
    """Run the HTTP server (embedded SQLite unless SIRISMA_DATABASE_URL is set)."""
    import uvicorn

    settings = load_settings()
    from services.ops import logs

    service = settings.service if settings.service != "all" else "http"
    logs.configure(settings, service)
    if demo or settings.demo:  # SIRISMA_DEMO=true does what --demo does (containers)
        from services.demo import seed_if_empty

        seed_if_empty(settings)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # N processes behind one port: /metrics must merge them (services/metrics.py).
        folder = settings.data_path / f"metrics-{port or settings.port}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    uvicorn.run(
        "services.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level="info",
        log_config=logs.uvicorn_config(settings, service),
        access_log=False,  # services.ops.http logs each request with its correlation id
        # The client's address (login throttles) comes from X-Forwarded-For only when the
        # connection is from the proxy in SIRISMA_TRUSTED_PROXIES; uvicorn then takes the
        # rightmost address no trusted proxy wrote. Without it, FORWARDED_ALLOW_IPS is ignored.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or "",
        timeout_graceful_shutdown=20,  # SIGTERM: in-flight requests finish (up to 20 s)
    )


@main.command()
@click.option("--force", is_flag=True, help="Isi walaupun penyimpanan sudah berisi data.")
def demo(force: bool) -> None:
    """Seed a realistic regency: organisations, one account per role, calls, innovations."""
    from services.demo import seed, seed_if_empty

    settings = load_settings()
    summary = seed(settings) if force else seed_if_empty(settings)
    if summary is None:
        click.echo("Penyimpanan sudah berisi data; tidak ada yang diisi (pakai --force).")
    else:
        click.echo(summary)


@main.command()
def migrate() -> None:
    """Create the event tables and every read-side table (idempotent; the one-shot `migrate`).

    With SIRISMA_MIGRATE_DATABASE_URL (the owner role) the log and audit tables are made and
    granted as the owner, the rest as the app role of SIRISMA_DATABASE_URL (services/db_roles.py).
    """
    from services import db_roles
    from services.migrate import migrate_as_owner
    from services.startup import start_runtime

    settings = load_settings()
    if db_roles.split(settings):
        migrate_as_owner(settings)
    start_runtime(settings, background=False).close()
    click.echo("Skema basis data siap.")


@main.group("db")
def db_group() -> None:
    """PostgreSQL roles for a least-privilege deployment (services/db_roles.py)."""


@db_group.command("roles")
@click.option("--owner", default="sirisma_owner", show_default=True, help="Peran pemilik skema.")
@click.option("--app", default="sirisma_app", show_default=True, help="Peran aplikasi.")
@click.option("--owner-password", envvar="PGOWNERPASSWORD", default=None, help="Kata sandi.")
@click.option("--app-password", envvar="PGAPPPASSWORD", default=None, help="Kata sandi.")
def db_roles_command(
    owner: str, app: str, owner_password: str | None, app_password: str | None
) -> None:
    """Run as a superuser (SIRISMA_DATABASE_URL): create the owner and app roles and give the
    owner the database. Then run `sirisma migrate` with SIRISMA_MIGRATE_DATABASE_URL (owner)
    and SIRISMA_DATABASE_URL (app)."""
    import psycopg

    from services.db_roles import create_role_statements

    settings = load_settings()
    if not settings.is_postgres:
        raise click.ClickException("Hanya untuk PostgreSQL (SIRISMA_DATABASE_URL).")
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        database = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        with conn.transaction():
            for statement in create_role_statements(
                database, owner, app, owner_password, app_password
            ):
                conn.execute(statement)
    click.echo(
        f"Peran {owner} (pemilik basis data {database}) dan {app} (aplikasi) siap. "
        "Jalankan `sirisma migrate` dengan SIRISMA_MIGRATE_DATABASE_URL sebagai "
        f"{owner} dan SIRISMA_DATABASE_URL sebagai {app}."
    )


@main.command("config")
def show_config() -> None:
    """Print every SIRISMA_ setting with its current value."""
    settings = load_settings()
    for variable, default in documented_settings():
        name = variable.removeprefix("SIRISMA_").lower()
        value = shown_value(name, getattr(settings, name))
        click.echo(f"{variable}={value}  (default: {shown_value(name, default)})")


main.add_command(users)  # sirisma users add|disable|enable|set-role|reset-password
main.add_command(audit_cli)  # sirisma audit verify [--bundle|--against] | export | grant
main.add_command(blobs_cli)  # sirisma blobs orphans | gc [--grace-hours]
main.add_command(cluster_cli)  # sirisma cluster: the distributed shape on one machine

# sirisma relay | worker | beat | dead-letters list|retry | digests seal|verify | notifications
for _command in notification_cli.COMMANDS:
    main.add_command(_command)

# sirisma project | rebuild [NAME…] [--until --into] | projections status|verify
for _command in projection_cli.COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":
    main()
