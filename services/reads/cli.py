"""CLI of the read models: ``sirisma project``, ``sirisma rebuild``, ``sirisma projections …``.

Mounted on the ``sirisma`` group by ``services.cli``.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from datetime import datetime
from typing import Any

import click
import msgspec

from services.config import load_settings
from services.domain.call import JAKARTA


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _parse_until(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"'{value}' bukan waktu ISO 8601 (contoh 2025-12-31T23:59:59+07:00).",
            param_hint="--until",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=JAKARTA)


@click.command("project")
@click.option("--model", "names", multiple=True, help="Hanya model baca ini (boleh berulang).")
@click.option("--once", is_flag=True, help="Terapkan semua yang ada di log, lalu berhenti.")
@click.option("--batch", default=500, show_default=True, help="Notifikasi per transaksi.")
@click.option(
    "--metrics-port", type=int, default=None, help="Sajikan /metrics Prometheus di port ini."
)
def project(names: tuple[str, ...], once: bool, batch: int, metrics_port: int | None) -> None:
    """Run the projection runner: follow the event log and keep the read models up to date.

    Several instances may run: for each read model one applies the log, the others wait as hot
    standbys and take over within a second or two when it stops.
    """
    from projections import registry
    from projections.runner import LIVE_CAPACITY, Runner

    _logging()
    settings = load_settings()
    try:
        projections = registry.select(names, LIVE_CAPACITY)
    except registry.UnknownProjection as exc:
        raise click.UsageError(str(exc)) from None
    runner = Runner(settings, projections, batch_size=batch)
    try:
        if once:
            count = runner.catch_up()
            click.echo(f"{count} notifikasi diterapkan; model baca mutakhir.")
            return
        if metrics_port:
            from projections import metrics as _lag  # noqa: F401  (registers the lag hook)
            from services import metrics
            from services.starter import start_runtime

            metrics.serve(metrics_port, start_runtime(background=False))
        stop = threading.Event()

        def _stop(signum: int, _: Any) -> None:
            logging.getLogger("sirisma.projections").info("signal %d: stopping", signum)
            stop.set()
            runner.nudge()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        logging.getLogger("sirisma.projections").info(
            "projection runner %s: %s", runner.owner, ", ".join(runner.names)
        )
        runner.run(stop)
    finally:
        runner.close()


@click.command("rebuild")
@click.argument("names", nargs=-1)
@click.option(
    "--until", default=None, help="Bangun seperti pada waktu ini (ISO 8601; tanpa zona = WIB)."
)
@click.option(
    "--into", "schema", default=None, help="Bangun ke skema lain, bukan model baca aktif."
)
@click.option(
    "--checkpoint",
    type=int,
    default=None,
    help="Titik simpan tiap sekian notifikasi (bawaan: tiap 30 dtk kerja; SQLite 2 dtk).",
)
@click.option("--quiet", is_flag=True, help="Tanpa bilah kemajuan.")
def rebuild_command(
    names: tuple[str, ...],
    until: str | None,
    schema: str | None,
    checkpoint: int | None,
    quiet: bool,
) -> None:
    """Rebuild read models from the whole log into shadow tables, then swap them in.

    Readers keep the old tables until the swap. A rebuild that is stopped resumes from its last
    checkpoint. With --until and --into, builds the models as they stood at that moment into
    another schema (for auditors), leaving the live ones alone.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from projections import registry
    from projections.rebuild import RebuildBusy, rebuild
    from projections.target import InvalidSchema

    _logging()
    settings = load_settings()
    moment = _parse_until(until)
    console = Console(stderr=True)
    started = time.monotonic()
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>9,.0f} peristiwa/dtk"),
        TextColumn("sisa"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, disable=quiet, transient=False) as bar:
        task = bar.add_task("Membangun ulang", total=None, rate=0.0)

        def progress(done: int, total: int) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            bar.update(task, completed=done, total=total, rate=done / elapsed)

        try:
            report = rebuild(
                settings,
                list(names) or None,
                until=moment,
                schema=schema,
                checkpoint_events=checkpoint,
                progress=progress,
            )
        except (registry.UnknownProjection, InvalidSchema, RebuildBusy) as exc:
            raise click.ClickException(str(exc)) from None
    target = f"skema {schema}" if schema else "model baca aktif"
    click.echo(
        f"{report.notifications} notifikasi dalam {report.seconds:.1f} dtk "
        f"({report.rate:,.0f}/dtk) → {target}, posisi {report.position}"
        + (f", sampai {report.until}" if report.until else "")
    )
    for model in report.models:
        resumed = f" (dilanjutkan dari {model.resumed_from})" if model.resumed_from else ""
        held = (
            f", {model.quarantined} dikarantina (lihat `sirisma projections status`)"
            if model.quarantined
            else ""
        )
        click.echo(f"  {model.name}: {model.applied} peristiwa diterapkan{resumed}{held}")


@click.group("projections")
def projections_group() -> None:
    """Read models: status, verification against a fresh rebuild."""


@projections_group.command("status")
@click.option("--schema", default=None, help="Model baca di skema lain (hasil --into).")
@click.option("--json", "as_json", is_flag=True, help="Keluaran JSON.")
def status_command(schema: str | None, as_json: bool) -> None:
    """Position, lag in events and seconds, and the active runner of each read model."""
    from rich.console import Console
    from rich.table import Table

    from projections.status import status
    from services.reads.requeue import pending

    settings = load_settings()
    rows = status(settings, schema=schema)
    if as_json:
        click.echo(msgspec.json.encode(rows).decode())
        return
    held = pending(settings) if not schema else []
    table = Table(title="Model baca" + (f" (skema {schema})" if schema else ""))
    for heading in (
        "model",
        "posisi",
        "kepala log",
        "tertinggal",
        "detik",
        "diperbarui",
        "pelaksana",
        "karantina",
    ):
        table.add_column(heading)
    for s in rows:
        table.add_row(
            s.name,
            str(s.position),
            str(s.head),
            str(s.lag_events),
            f"{s.lag_seconds:.1f}",
            s.updated_at or "-",
            s.owner or "-",
            str(s.quarantined),
        )
    console = Console()
    console.print(table)
    if held:
        quarantined = Table(
            title="Peristiwa dikarantina (dilewati; model itu tidak konsisten untuk aliran "
            "peristiwa tersebut sampai dicoba ulang: sirisma projections retry-quarantined)"
        )
        for heading in ("pengikut", "notifikasi", "topik", "aliran", "galat", "sejak"):
            quarantined.add_column(heading)
        for item in held:
            quarantined.add_row(
                item.follower,
                str(item.notification_id),
                item.topic,
                item.originator_id or "-",
                item.retry_error or item.error,
                item.quarantined_at,
            )
        console.print(quarantined)


@projections_group.command("retry-quarantined")
@click.option(
    "--follower", "followers", multiple=True, help="Hanya model baca ini, atau 'relay' (berulang)."
)
@click.option("--notification", type=int, default=None, help="Hanya notifikasi ini.")
def retry_quarantined_command(followers: tuple[str, ...], notification: int | None) -> None:
    """Apply quarantined events again (after the cause was fixed); those that succeed leave
    quarantine, the others stay with their new error. Exits 1 if any still fails."""
    from services.reads.requeue import retry

    _logging()
    outcomes = retry(load_settings(), list(followers) or None, notification_id=notification)
    if not outcomes:
        click.echo("Tidak ada peristiwa dalam karantina.")
        return
    for o in outcomes:
        if o.released:
            click.echo(f"{o.follower} #{o.notification_id}: berhasil diterapkan, keluar karantina")
        else:
            click.echo(f"{o.follower} #{o.notification_id}: masih gagal: {o.error}")
    if not all(o.released for o in outcomes):
        raise SystemExit(1)


@projections_group.command("verify")
@click.argument("names", nargs=-1)
def verify_command(names: tuple[str, ...]) -> None:
    """Rebuild into a scratch schema and compare with the live read models, row for row."""
    from projections.verify import compare

    _logging()
    result = compare(load_settings(), list(names) or None)
    for name, (live, rebuilt) in result.positions.items():
        click.echo(f"{name}: posisi aktif {live}, bangun ulang {rebuilt}")
    for d in result.differences:
        click.echo(
            f"BEDA {d.model}.{d.table}: {d.only_live} baris hanya di model aktif, "
            f"{d.only_rebuilt} hanya di hasil bangun ulang"
        )
    if not result.equal:
        raise click.ClickException("Model baca tidak sama dengan hasil bangun ulang.")
    click.echo(f"Sama: {sum(result.rows.values())} baris di {len(result.rows)} tabel.")


COMMANDS = [project, rebuild_command, projections_group]
