"""`sirisma audit …`: integrity verification, signed day roots and checkpoints, signed export
bundles, the signing key, and the app role's grants.

Exit codes of ``verify``: 0 intact; 1 a broken link (live log) or a bundle that is not authentic;
2 an authentic bundle whose exported log already had a broken link.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
import msgspec

from services.config import Settings, load_settings


def _pinned(public_key: str | None) -> bytes | None:
    from services.audit.verify_bundle import load_public

    if public_key is None:
        return None
    try:
        return load_public(public_key)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"Kunci publik yang dipatok tidak terbaca: {exc}") from None


def _signer(settings: Settings) -> Any:
    from services.audit.keys import SigningKeyMissing, load_signer

    try:
        return load_signer(settings)
    except SigningKeyMissing as exc:
        raise click.ClickException(str(exc)) from None


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
        ("segel", first.seal),
        ("hash seharusnya", first.expected),
        ("hash tersimpan", first.found),
    ):
        if value is not None:
            click.echo(f"    {label:17}: {value}")
    click.echo(f"    {first.message}")


def _print_key(signer: Any) -> None:
    click.echo(f"Sidik kunci (key_id): {signer.key_id}")
    click.echo(f"Kunci publik (hex)  : {signer.public_raw.hex()}")
    click.echo(signer.public_pem().rstrip())


@click.group("audit")
def audit() -> None:
    """Audit: periksa keutuhan log, akar harian bertanda tangan, bundel ekspor."""


PUBLIC_KEY_HELP = (
    "Kunci publik yang dipatok (64 hex, PEM, atau berkas PEM): segel/bundel yang "
    "ditandatangani kunci lain gagal."
)


@audit.command("verify")
@click.option(
    "--bundle",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Periksa bundel ekspor secara luring (tanpa basis data).",
)
@click.option(
    "--against",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Bundel lama: segel bertanda tangan dan akar hariannya dibandingkan dengan log sekarang.",
)
@click.option("--public-key", help=PUBLIC_KEY_HELP)
@click.option("--json", "as_json", is_flag=True, help="Cetak laporan lengkap sebagai JSON.")
def verify(
    bundle: Path | None, against: Path | None, public_key: str | None, as_json: bool
) -> None:
    """Recompute the hash chain of the live log (or of a bundle), hold it to the signed roots,
    and report the first event that differs."""
    from services.audit.bundle import seals_from

    settings = load_settings()
    pinned = _pinned(public_key)
    if pinned is None:
        click.echo(
            "PERINGATAN: tidak ada kunci publik yang dipatok (--public-key); tanda tangan "
            "diperiksa terhadap kunci yang dibawa server/bundel sendiri.",
            err=True,
        )
    if bundle is not None:
        _verify_bundle_file(bundle, pinned, as_json)

    from services.audit.integrity import SealInputs, verify_store
    from services.audit.seals import ensure_schema, live_inputs, trusted_keys
    from services.db import Database
    from services.eventstore.store import EventStore

    anchors: list[Any] = []
    store = EventStore(settings)
    db = Database(settings)
    try:
        ensure_schema(db)
        if against is not None:
            try:
                seals, sealed, keys, anchors = seals_from(against, pinned)
            except ValueError as exc:
                raise click.ClickException(f"Bundel pembanding tidak sah: {exc}") from None
            inputs = SealInputs(seals=seals, keys=keys, sealed=sealed)
        else:
            from services.audit.keys import SigningKeyMissing, key_id_of, load_signer

            try:
                signer = load_signer(settings)
            except SigningKeyMissing:
                signer = None
            keys = (
                {key_id_of(pinned): pinned} if pinned is not None else trusted_keys(store, signer)
            )
            inputs = live_inputs(db, keys)
        live = verify_store(store, anchors, inputs)
    finally:
        store.close()
        db.close()
    _print_live(live, against, as_json)
    sys.exit(0 if live.ok else 1)


def _verify_bundle_file(bundle: Path, pinned: Any, as_json: bool) -> NoReturn:
    """Verify a bundle file and exit: 0 intact, 2 signed but the log changed, 1 not valid."""
    from services.audit.bundle import verify_bundle

    report = verify_bundle(bundle, pinned)
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(report), indent=2))
    else:
        for check in report.checks:
            click.echo(f"  [{'OK' if check['ok'] else 'GAGAL'}] {check['name']}: {check['detail']}")
        click.echo(report.message)
        if report.first_change is not None:
            click.echo(f"  {report.first_change['message']}")
        first = (report.seals or {}).get("first_break")
        if first:
            click.echo(f"  Temuan segel pertama: {first['message']} {first}")
    sys.exit(0 if report.ok and report.log_intact else (2 if report.ok else 1))


def _print_live(live: Any, against: Path | None, as_json: bool) -> None:
    """The live log's verification report, as JSON or as lines for a person."""
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(live), indent=2))
    else:
        click.echo(live.message)
        click.echo(
            f"  {live.events} peristiwa, {live.streams} aliran, {len(live.days)} hari; "
            f"head {live.head}"
        )
        if live.seals is not None:
            click.echo(
                f"  {live.seals.days} akar harian dan {live.seals.checkpoints} titik periksa "
                f"bertanda tangan; tercakup sampai notifikasi {live.seals.sealed_through}"
            )
        if against is not None:
            held = live.seals.seals_checked if live.seals is not None else 0
            click.echo(
                f"  {held} segel bertanda tangan dan {live.anchors_checked} akar harian dari "
                f"{against} dibandingkan dengan log sekarang"
            )
        _print_break(live.first_break)


@audit.command("export")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--evidence",
    multiple=True,
    help="Sertakan dokumen bukti: 'semua', atau id inovasi (boleh berulang).",
)
def export(out: Path, evidence: tuple[str, ...]) -> None:
    """Write an Ed25519-signed bundle: every event, signed roots, a checkpoint made now, the
    rubrics, optionally the evidence documents, and the standalone verifier."""
    from uuid import UUID

    from services.audit.bundle import write_bundle
    from services.audit.seals import ensure_schema
    from services.blobs import BlobStore
    from services.db import Database
    from services.eventstore.store import EventStore

    settings = load_settings()
    signer = _signer(settings)
    scope: set[UUID] | None = None
    if evidence and "semua" not in evidence:
        try:
            scope = {UUID(value) for value in evidence}
        except ValueError:
            raise click.ClickException("--evidence: 'semua' atau id inovasi (UUID).") from None
    store = EventStore(settings)
    db = Database(settings)
    try:
        ensure_schema(db)
        blobs = BlobStore(settings.blob_path) if evidence else None
        manifest = write_bundle(store, db, out, signer, blobs=blobs, evidence_for=scope)
    finally:
        store.close()
        db.close()
    click.echo(
        f"Bundel ditulis ke {out}: {manifest.events} peristiwa, {len(manifest.days)} hari, "
        f"titik periksa {manifest.checkpoint['root']}, kunci {signer.key_id}, "
        f"{manifest.evidence['included']} berkas bukti."
    )
    if manifest.evidence["missing"]:
        click.echo(f"PERHATIAN: bukti tidak ditemukan: {manifest.evidence['missing']}", err=True)
    if not manifest.verification.get("ok"):
        click.echo(f"PERHATIAN: {manifest.verification.get('message')}", err=True)


@audit.command("keygen")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def keygen(out: Path) -> None:
    """Create the server's Ed25519 signing key (PEM, mode 0600); prints the public key to pin."""
    from services.audit.keys import generate

    try:
        signer = generate(out)
    except FileExistsError:
        raise click.ClickException(f"{out} sudah ada; kunci tidak ditimpa.") from None
    click.echo(f"Kunci privat ditulis ke {out} (0600). Set SIRISMA_SIGNING_KEY_FILE={out}.")
    click.echo("Kunci publik untuk dipatok auditor:")
    _print_key(signer)


@audit.command("public-key")
def public_key_cmd() -> None:
    """Print the configured signing key's public key and fingerprint (what auditors pin)."""
    _print_key(_signer(load_settings()))


@contextmanager
def _sealing() -> Iterator[tuple[Any, Any, Any]]:
    """The store, the database (seal tables ensured) and the signer a sealing command needs."""
    from services.audit.seals import ensure_schema
    from services.db import Database
    from services.eventstore.store import EventStore

    settings = load_settings()
    signer = _signer(settings)
    store, db = EventStore(settings), Database(settings)
    try:
        ensure_schema(db)
        yield store, db, signer
    finally:
        store.close()
        db.close()


@audit.command("checkpoint")
def checkpoint_cmd() -> None:
    """Sign a checkpoint over the log up to its last event now."""
    from services.audit.seals import checkpoint

    with _sealing() as (store, db, signer):
        seal = checkpoint(store, db, signer)
    click.echo(
        f"Titik periksa {seal.seal_id}: notifikasi {seal.after_notification_id + 1}"
        f"…{seal.last_notification_id}, akar {seal.root}, kunci {seal.key_id}."
    )


@audit.command("seal")
def seal_cmd() -> None:
    """Sign the root of every finished day not sealed yet (the beat does this at 00.15 WIB)."""
    from services.audit.seals import seal_days

    with _sealing() as (store, db, signer):
        sealed = seal_days(store, db, signer)
    if sealed:
        click.echo(f"Disegel {len(sealed)} hari: {sealed[0].day} … {sealed[-1].day}.")
    else:
        click.echo("Tidak ada hari yang siap disegel.")


@audit.command("grant")
@click.option("--app-role", required=True, help="Peran PostgreSQL yang dipakai aplikasi.")
def grant(app_role: str) -> None:
    """Run as the owner role: the app role may read and append events, never change them.

    Creates the event tables (and their triggers) if needed, then revokes everything on the
    event and chain tables from the app role and grants SELECT and INSERT only (plus the
    notification id sequence and the snapshot table). PostgreSQL only.
    """
    import psycopg

    from services.eventstore.store import EventStore

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
