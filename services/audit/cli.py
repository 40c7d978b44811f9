"""`sirisma audit …`: integrity verification, signed export bundles, and the app role's grants.

Exit codes of ``verify``: 0 intact; 1 a broken link (live log) or a bundle that is not authentic;
2 an authentic bundle whose exported log already had a broken link.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import msgspec

from services.config import Settings, load_settings

DEFAULT_SECRET_PREFIX = "dev-only"


def _key(settings: Settings, key_file: Path | None) -> bytes:
    if key_file is not None:
        key = key_file.read_bytes().strip()
        if not key:
            raise click.ClickException(f"Berkas kunci {key_file} kosong.")
        return key
    if settings.secret_key.startswith(DEFAULT_SECRET_PREFIX):
        click.echo(
            "PERINGATAN: SIRISMA_SECRET_KEY masih kunci bawaan pengembangan; tanda tangan "
            "bundel tidak bernilai sebagai bukti.",
            err=True,
        )
    return settings.secret_key.encode()


def _print_break(first: Any) -> None:
    if first is None:
        return
    click.echo("  Temuan pertama:")
    for label, value in (
        ("jenis", first.kind),
        ("aliran (stream)", first.originator_id),
        ("versi", first.originator_version),
        ("notifikasi", first.notification_id),
        ("topik", first.topic),
        ("hari", first.day),
        ("hash seharusnya", first.expected),
        ("hash tersimpan", first.found),
    ):
        if value is not None:
            click.echo(f"    {label:17}: {value}")
    click.echo(f"    {first.message}")


@click.group("audit")
def audit() -> None:
    """Audit: periksa keutuhan log dan ekspor bundel bertanda tangan."""


@audit.command("verify")
@click.option(
    "--bundle",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Periksa bundel ekspor secara luring (tanpa basis data).",
)
@click.option(
    "--against",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Bundel lama: akar hariannya dibandingkan dengan log sekarang.",
)
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Kunci HMAC (bawaan: SIRISMA_SECRET_KEY).",
)
@click.option("--json", "as_json", is_flag=True, help="Cetak laporan lengkap sebagai JSON.")
def verify(bundle: Path | None, against: Path | None, key_file: Path | None, as_json: bool) -> None:
    """Recompute the hash chain of the live log (or of a bundle) and report the first break."""
    from services.audit.bundle import anchors_from, verify_bundle

    settings = load_settings()
    key = _key(settings, key_file) if (bundle or against) else b""
    if bundle is not None:
        report = verify_bundle(bundle, key)
        if as_json:
            click.echo(msgspec.json.format(msgspec.json.encode(report), indent=2))
        else:
            for check in report.checks:
                click.echo(f"  [{'OK' if check.ok else 'GAGAL'}] {check.name}: {check.detail}")
            click.echo(report.message)
            if report.chain is not None:
                _print_break(report.chain.first_break)
        sys.exit(0 if report.ok and report.log_intact else (2 if report.ok else 1))

    from services.audit.integrity import verify_store
    from services.store import EventStore

    anchors = []
    if against is not None:
        try:
            anchors = anchors_from(against, key)
        except ValueError as exc:
            raise click.ClickException(f"Bundel pembanding tidak sah: {exc}") from None
    store = EventStore(settings)
    try:
        live = verify_store(store, anchors)
    finally:
        store.close()
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(live), indent=2))
    else:
        click.echo(live.message)
        click.echo(
            f"  {live.events} peristiwa, {live.streams} aliran, {len(live.days)} hari; "
            f"head {live.head}"
        )
        if against is not None:
            click.echo(f"  {live.anchors_checked} akar harian dibandingkan dengan {against}")
        _print_break(live.first_break)
    sys.exit(0 if live.ok else 1)


@audit.command("export")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Kunci HMAC (bawaan: SIRISMA_SECRET_KEY).",
)
def export(out: Path, key_file: Path | None) -> None:
    """Write a signed bundle: every event as JSON lines, the rubrics and a manifest of hashes."""
    from services.audit.bundle import key_id, write_bundle
    from services.store import EventStore

    settings = load_settings()
    key = _key(settings, key_file)
    store = EventStore(settings)
    try:
        manifest = write_bundle(store, out, key)
    finally:
        store.close()
    click.echo(
        f"Bundel ditulis ke {out}: {manifest.events} peristiwa, {len(manifest.days)} hari, "
        f"head {manifest.head}, kunci {key_id(key)}."
    )
    if not manifest.verification.get("ok"):
        click.echo(f"PERHATIAN: {manifest.verification.get('message')}", err=True)


@audit.command("grant")
@click.option("--app-role", required=True, help="Peran PostgreSQL yang dipakai aplikasi.")
def grant(app_role: str) -> None:
    """Run as the owner role: the app role may read and append events, never change them.

    Creates the event tables (and their triggers) if needed, then revokes everything on the
    event and chain tables from the app role and grants SELECT and INSERT only (plus the
    notification id sequence and the snapshot table). PostgreSQL only.
    """
    import psycopg

    from services.store import EventStore

    settings = load_settings()
    if not settings.is_postgres:
        raise click.ClickException("Hanya untuk PostgreSQL (SIRISMA_DATABASE_URL).")
    store = EventStore(settings)  # as the owner: creates the tables and triggers if needed
    try:
        recorder: Any = store.recorder
        statements = recorder.grant_statements(app_role)
    finally:
        store.close()
    with psycopg.connect(settings.database_url, autocommit=True) as conn, conn.transaction():
        for statement in statements:
            conn.execute(statement)
    click.echo(
        f"Peran {app_role}: SELECT dan INSERT pada log peristiwa; UPDATE/DELETE tidak diberikan "
        "(dan ditolak pemicu untuk semua peran)."
    )
