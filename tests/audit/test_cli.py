"""`sirisma audit verify | export | verify --bundle | grant`, run as an administrator would."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
from click.testing import CliRunner

from services.cli import main
from services.commands import Commands
from services.config import load_settings
from services.eventstore.store import EventStore
from tests.factories import World

KEY = "kunci-rahasia-cli-0123456789abcdef"


def _env(tmp_path: Path, url: str = "") -> dict[str, str]:
    return {
        "SIRISMA_DATA_DIR": str(tmp_path / "data"),
        "SIRISMA_SECRET_KEY": KEY,
        "SIRISMA_DATABASE_URL": url,
    }


def _seed(env: dict[str, str]) -> World:
    settings = load_settings(env=env)
    store = EventStore(settings)
    try:
        world = World(Commands(store))
        world.complete_draft()
        return world
    finally:
        store.close()


def test_verify_export_and_offline_bundle_check(tmp_path: Path) -> None:
    env = _env(tmp_path)
    _seed(env)
    runner = CliRunner(env=env)
    result = runner.invoke(main, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "Rantai utuh" in result.output

    bundle = tmp_path / "bundel.zip"
    result = runner.invoke(main, ["audit", "export", "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    assert "Bundel ditulis" in result.output

    result = runner.invoke(main, ["audit", "verify", "--bundle", str(bundle)])
    assert result.exit_code == 0, result.output
    assert "Bundel utuh" in result.output

    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bundle.write_bytes(bytes(data))
    result = runner.invoke(main, ["audit", "verify", "--bundle", str(bundle)])
    assert result.exit_code == 1
    assert "TIDAK utuh" in result.output

    # The auditor pins the public key the server prints; a bundle by any other key fails.
    printed = runner.invoke(main, ["audit", "public-key"])
    assert printed.exit_code == 0, printed.output
    public_hex = printed.output.split("Kunci publik (hex)  : ", 1)[1].split()[0]
    bundle2 = tmp_path / "bundel2.zip"
    assert runner.invoke(main, ["audit", "export", "--out", str(bundle2)]).exit_code == 0
    pinned = ["audit", "verify", "--bundle", str(bundle2), "--public-key"]
    result = runner.invoke(main, [*pinned, public_hex])
    assert result.exit_code == 0, result.output
    # A bundle made today already pins today: its signed checkpoint is held to the live log.
    against = runner.invoke(
        main, ["audit", "verify", "--against", str(bundle2), "--public-key", public_hex]
    )
    assert against.exit_code == 0, against.output
    assert "2 segel bertanda tangan dan 0 akar harian" in against.output  # 2 bundles, 2 points
    other = tmp_path / "lain.pem"
    assert runner.invoke(main, ["audit", "keygen", "--out", str(other)]).exit_code == 0
    other_public = tmp_path / "lain.pub"
    other_public.write_text(generate_public_pem(other))
    result = runner.invoke(main, [*pinned, str(other_public)])
    assert result.exit_code == 1
    assert "bukan kunci yang dipatok" in result.output


def test_keygen_writes_a_private_file_and_never_overwrites(tmp_path: Path) -> None:
    out = tmp_path / "kunci" / "audit.pem"
    runner = CliRunner(env=_env(tmp_path))
    result = runner.invoke(main, ["audit", "keygen", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert "BEGIN PUBLIC KEY" in result.output and "Sidik kunci" in result.output
    before = out.read_bytes()
    again = runner.invoke(main, ["audit", "keygen", "--out", str(out)])
    assert again.exit_code != 0 and "tidak ditimpa" in again.output
    assert out.read_bytes() == before


def test_checkpoint_and_seal_commands(tmp_path: Path) -> None:
    env = _env(tmp_path)
    _seed(env)
    runner = CliRunner(env=env)
    result = runner.invoke(main, ["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert "Titik periksa" in result.output
    assert runner.invoke(main, ["audit", "seal"]).exit_code == 0
    result = runner.invoke(main, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "1 titik periksa" in result.output


def generate_public_pem(private_pem: Path) -> str:
    from services.audit.keys import _from_pem

    return _from_pem(private_pem.read_bytes(), str(private_pem)).public_pem()


def test_verify_names_the_tampered_row(tmp_path: Path) -> None:
    env = _env(tmp_path)
    _seed(env)
    settings = load_settings(env=env)
    with sqlite3.connect(settings.event_db_path) as conn:
        conn.execute("DROP TRIGGER stored_events_no_update")
        row = conn.execute(
            "SELECT rowid, originator_id FROM stored_events WHERE topic='account.AccountCreated' "
            "ORDER BY rowid LIMIT 1"
        ).fetchone()
        conn.execute(
            "UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), 'Op Dukcapil', "
            "'Orang Lain') AS BLOB) WHERE rowid=?",
            (row[0],),
        )
    result = CliRunner(env=env).invoke(main, ["audit", "verify"])
    assert result.exit_code == 1
    assert "Rantai PUTUS" in result.output
    assert f"versi 1 (notifikasi {row[0]})" in result.output
    assert f"{'notifikasi':17}: {row[0]}" in result.output
    assert "altered" in result.output


def test_grant_gives_the_app_role_select_and_insert_only(tmp_path: Path, postgres_url: str) -> None:
    role = "sirisma_app_cli"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname=%s", (role,)).fetchone():
            conn.execute(f"CREATE ROLE {role} LOGIN")
    try:
        result = CliRunner(env=_env(tmp_path, postgres_url)).invoke(
            main, ["audit", "grant", "--app-role", role]
        )
        assert result.exit_code == 0, result.output
        with psycopg.connect(postgres_url) as conn:
            for table in ("sirisma_events", "sirisma_events_chain"):
                privileges = {
                    p: conn.execute(
                        "SELECT has_table_privilege(%s, %s, %s)", (role, table, p)
                    ).fetchone()[0]
                    for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
                }
                assert privileges == {
                    "SELECT": True,
                    "INSERT": True,
                    "UPDATE": False,
                    "DELETE": False,
                    "TRUNCATE": False,
                }, table
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
