"""`sirisma relay | worker | beat | dead-letters | digests | notifications`: the notification
service's processes and maintenance commands (added to the main ``sirisma`` group)."""

from __future__ import annotations

import json
import signal
import threading
from typing import Any

import click
import msgspec

from services.config import load_settings


def _runtime() -> Any:
    from services.starter import start_runtime

    return start_runtime(background=False)


@click.command()
@click.option("--once", is_flag=True, help="Satu putaran saja (rencana + kirim), lalu keluar.")
@click.option("--poll", default=0.5, show_default=True, help="Jeda saat tidak ada pekerjaan (s).")
@click.option(
    "--replan",
    is_flag=True,
    help="Bangun ulang direktori relay dari awal log (tidak ada yang terkirim dua kali).",
)
def relay(once: bool, poll: float, replan: bool) -> None:
    """Follow the event log and hand notification/audit tasks to the Celery workers."""
    import logging

    from services.notification.celery_app import make_app
    from services.notification.redis_broker import RedisBroker
    from services.notification.relay import Relay
    from services.notification.relay import replan as replan_log

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    if not settings.redis_url:
        raise click.ClickException(
            "SIRISMA_REDIS_URL kosong: pada mode tertanam relay berjalan di dalam `sirisma serve`."
        )
    rt = _runtime()
    try:
        if replan:
            replan_log(rt)
        broker = RedisBroker(make_app(settings), settings.redis_url)
        loop = Relay(rt, broker, poll_interval=poll)
        if once:
            click.echo(f"{loop.step()} event/tugas diproses")
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        loop.run(stop)
    finally:
        rt.close()


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--concurrency", "-c", default=4, show_default=True, help="Tugas bersamaan.")
@click.option("--pool", default="threads", show_default=True, help="threads | prefork | solo")
@click.option("--loglevel", "-l", default="INFO", show_default=True)
@click.pass_context
def worker(ctx: click.Context, concurrency: int, pool: str, loglevel: str) -> None:
    """Run a Celery worker for notifications and audit-trail records (extra args go to Celery)."""
    from services.notification.celery_app import app

    if not load_settings().redis_url:
        raise click.ClickException("SIRISMA_REDIS_URL wajib diisi untuk menjalankan worker.")
    app.worker_main(
        ["worker", f"--concurrency={concurrency}", f"--pool={pool}", f"--loglevel={loglevel}"]
        + list(ctx.args)
    )


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--loglevel", "-l", default="INFO", show_default=True)
@click.pass_context
def beat(ctx: click.Context, loglevel: str) -> None:
    """Run Celery beat: deadline reminders, the Perbup art. 38 reminder, SLA escalation and the
    daily audit digest. Running two by mistake is harmless: every reminder is sent once."""
    from services.notification.celery_app import app

    settings = load_settings()
    if not settings.redis_url:
        raise click.ClickException("SIRISMA_REDIS_URL wajib diisi untuk menjalankan beat.")
    settings.data_path.mkdir(parents=True, exist_ok=True)
    schedule = settings.data_path / "celerybeat-schedule"
    app.start(["beat", f"--loglevel={loglevel}", f"--schedule={schedule}", *ctx.args])


# ==== dead letters ==============================================================================


@click.group("dead-letters")
def dead_letters() -> None:
    """Tasks that exhausted their retries."""


@dead_letters.command("list")
@click.option("--all", "include_retried", is_flag=True, help="Sertakan yang sudah dicoba ulang.")
@click.option("--json", "as_json", is_flag=True, help="Keluaran JSON.")
def list_letters(include_retried: bool, as_json: bool) -> None:
    """List dead letters, newest first."""
    from services.notification import outbox

    rt = _runtime()
    try:
        letters = outbox.dead_letters(rt.db, include_retried=include_retried)
    finally:
        rt.close()
    if as_json:
        click.echo(json.dumps(msgspec.to_builtins(letters), indent=2, ensure_ascii=False))
        return
    if not letters:
        click.echo("Tidak ada dead letter.")
        return
    for d in letters:
        target = f"{d.source_key}/{d.recipient_id or '-'}/{d.channel}" if d.source_key else "-"
        retried = f"  dicoba ulang {d.retried_at} oleh {d.retried_by}" if d.retried_at else ""
        click.echo(f"{d.id}  {d.failed_at}  {d.task}  {target}  x{d.attempts}{retried}")
        click.echo(f"    {d.error.splitlines()[0] if d.error else ''}")


@dead_letters.command("retry")
@click.argument("ids", nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Semua dead letter yang belum dicoba ulang.")
def retry_letters(ids: tuple[str, ...], retry_all: bool) -> None:
    """Put dead letters back in line (by id, or --all)."""
    import getpass

    from services.notification import operations, outbox

    if not ids and not retry_all:
        raise click.UsageError("Sebutkan id dead letter atau --all.")
    rt = _runtime()
    try:
        targets = list(ids) or [d.id for d in outbox.dead_letters(rt.db, limit=100_000)]
        retried = 0
        for letter_id in targets:
            if operations.retry(rt, letter_id, f"cli:{getpass.getuser()}") is None:
                click.echo(f"{letter_id}: tidak ditemukan atau sudah dicoba ulang", err=True)
            else:
                retried += 1
        click.echo(f"{retried} dead letter dicoba ulang.")
    finally:
        rt.close()


# ==== audit digests =============================================================================


@click.group()
def digests() -> None:
    """Daily signed digests of the audit trail."""


@digests.command("seal")
def seal_digests() -> None:
    """Seal every complete day not yet sealed."""
    from services.notification import audit_trail

    rt = _runtime()
    try:
        days = audit_trail.seal(rt)
    finally:
        rt.close()
    click.echo(f"{len(days)} hari disegel" + (f": {days[0]} … {days[-1]}" if days else "."))


@digests.command("verify")
def verify_digests() -> None:
    """Recompute the digest chain and the signed event-chain day roots; exit 1 at the first
    broken day (or changed event)."""
    from services.notification import audit_trail

    rt = _runtime()
    try:
        report = audit_trail.verify(rt.db, rt.settings.secret_key, rt.store)
    finally:
        rt.close()
    click.echo(json.dumps(msgspec.to_builtins(report), indent=2, ensure_ascii=False))
    if not report.ok:
        raise SystemExit(1)


@click.command("notifications")
@click.option(
    "--check",
    is_flag=True,
    help="Periksa tidak ada yang tertahan (exit 1 bila ada tugas terbuka/audit hilang).",
)
def notifications_status(check: bool) -> None:
    """Relay position and lag, outbox counts and open dead letters (--check: anything in limbo?)."""
    from services.notification import operations

    rt = _runtime()
    try:
        result: Any = operations.check(rt) if check else operations.status(rt)
    finally:
        rt.close()
    click.echo(json.dumps(msgspec.to_builtins(result), indent=2, ensure_ascii=False))
    if check and not result.ok:
        raise SystemExit(1)


COMMANDS: list[click.Command] = [
    relay,
    worker,
    beat,
    dead_letters,
    digests,
    notifications_status,
]
