"""`sirisma`: one command for every process of the system (server, workers, maintenance, demo)."""

from __future__ import annotations

import click

from services.audit.cli import audit as audit_cli
from services.config import ConfigError, documented_settings, load_settings, shown_value
from services.identity.cli import users
from services.notification import cli as notification_cli
from services.submission.cli import blobs as blobs_cli
from projections import cli as projection_cli


@click.group()
def main() -> None:
    """SI-RISMA: inovasi daerah dari usulan sampai laporan IGA."""
    try:  # a malformed SIRISMA_* value: one plain line naming it, not a traceback
        load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.option("--host", default=None, help="Alamat (default SIRISMA_HOST, 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default SIRISMA_PORT, 8000).")
@click.option("--demo", is_flag=True, help="Isi data demo bila penyimpanan masih kosong.")
@click.option("--workers", default=1, show_default=True, help="Jumlah proses HTTP.")
def serve(host: str | None, port: int | None, demo: bool, workers: int) -> None:
    """Run the HTTP server (embedded SQLite unless SIRISMA_DATABASE_URL is set)."""
    import uvicorn

    settings = load_settings()
    if demo or settings.demo:  # SIRISMA_DEMO=true does what --demo does (containers)
        from services.demo import seed_if_empty

        seed_if_empty(settings)
    uvicorn.run(
        "services.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level="info",
        timeout_graceful_shutdown=20,
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
    """Create the event tables and every read-side table (idempotent; the one-shot `migrate`)."""
    from services.runtime import Runtime

    runtime = Runtime(load_settings())
    runtime.close()
    click.echo("Skema basis data siap.")


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

# sirisma relay | worker | beat | dead-letters list|retry | digests seal|verify | notifications
for _command in notification_cli.COMMANDS:
    main.add_command(_command)

# sirisma project | rebuild [NAME…] [--until --into] | projections status|verify
for _command in projection_cli.COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":
    main()
