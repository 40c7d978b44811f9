"""The standalone verifier: run as an auditor would, in a clean virtual environment holding only
the standard library and ``cryptography``, on a real bundle and on one with a changed byte."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import cryptography
import pytest

from services.audit import verify_bundle as standalone
from services.audit.bundle import EVENTS_FILE, write_bundle
from services.audit.keys import Signer, generate
from services.audit.seals import ensure_schema
from services.commands import Commands
from services.config import Settings
from services.db import Database
from services.eventstore.store import EventStore
from tests.factories import World

REASON = "Belum ada kebaruan yang terukur"


@pytest.fixture
def made(sqlite_settings: Settings, tmp_path: Path) -> Iterator[tuple[Path, Signer]]:
    """A bundle of a log that holds a rejection, and the key that signed it."""
    signer = generate(tmp_path / "audit.pem")
    store, db = EventStore(sqlite_settings), Database(sqlite_settings)
    try:
        ensure_schema(db)
        world = World(Commands(store))
        c = world.commands
        iid = world.complete_draft()
        c.submit(world.ctx(world.operator), iid)
        c.assign_reviewer(world.ctx(world.admin), iid, world.reviewer.account_id)
        c.score(world.ctx(world.reviewer), iid, world.verdicts())
        c.reject(world.ctx(world.admin), iid, REASON)
        out = tmp_path / "bundel.zip"
        write_bundle(store, db, out, signer)
        yield out, signer
    finally:
        store.close()
        db.close()


def _tampered(bundle: Path, out: Path) -> tuple[Path, int, int]:
    """The rejection's reason changed by one byte; returns (bundle, line number, its nid)."""
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == EVENTS_FILE:
                lines = data.splitlines(keepends=True)
                number = next(i for i, ln in enumerate(lines, 1) if REASON.encode() in ln)
                nid = json.loads(lines[number - 1])["notification_id"]
                data = data.replace(b"Belum ada", b"Belum Ada", 1)
            dst.writestr(info, data)
        dst.comment = src.comment
    return out, number, nid


def test_the_module_verifies_and_names_the_changed_line(
    made: tuple[Path, Signer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle, signer = made
    assert standalone.main([str(bundle), "--public-key", signer.public_raw.hex()]) == 0
    assert "Bundel utuh" in capsys.readouterr().out
    assert standalone.main([str(bundle), "--fingerprint", signer.key_id]) == 0
    assert standalone.main([str(bundle), "--fingerprint", "0" * 64]) == 1
    tampered, number, nid = _tampered(bundle, tmp_path / "ubah.zip")
    capsys.readouterr()
    assert standalone.main([str(tampered), "--public-key", signer.public_raw.hex()]) == 1
    out = capsys.readouterr().out
    assert f"baris {number}" in out and f"notifikasi {nid}" in out


def _clean_venv(where: Path) -> Path:
    """A fresh venv with only ``cryptography`` (and what it needs), from uv's local cache."""
    uv = shutil.which("uv")
    assert uv is not None, "uv is how this project installs packages"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(where)], check=True, env=env)
    install = [uv, "pip", "install", "-q", "--python", str(where / "bin" / "python")]
    pinned = f"cryptography=={cryptography.__version__}"
    if subprocess.run([*install, "--offline", pinned], env=env).returncode != 0:
        subprocess.run([*install, pinned], check=True, env=env)
    return where / "bin" / "python"


@pytest.mark.slow
def test_bundled_verifier_runs_in_a_clean_venv(made: tuple[Path, Signer], tmp_path: Path) -> None:
    bundle, signer = made
    python = _clean_venv(tmp_path / "venv")
    auditor = tmp_path / "auditor"  # nothing of this project on the path: only the bundle
    auditor.mkdir()
    with zipfile.ZipFile(bundle) as zf:
        (auditor / "verify_bundle.py").write_bytes(zf.read("verify_bundle.py"))
    (auditor / "kunci.pub").write_text(signer.public_pem())
    shutil.copy(bundle, auditor / "bundel.zip")
    tampered, number, nid = _tampered(bundle, auditor / "bundel-diubah.zip")
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(python), "-I", "verify_bundle.py", *args],
            cwd=auditor,
            env=env,
            capture_output=True,
            text=True,
        )

    isolated = subprocess.run(
        [str(python), "-I", "-c", "import msgspec"], cwd=auditor, env=env, capture_output=True
    )
    assert isolated.returncode != 0  # the venv really holds nothing but the signature library

    ok = run("bundel.zip", "--public-key", "kunci.pub")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Bundel utuh" in ok.stdout

    bad = run(tampered.name, "--public-key", "kunci.pub", "--json")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    report = json.loads(bad.stdout)
    assert report["first_change"]["line"] == number
    assert report["first_change"]["notification_id"] == nid
    assert report["seals"]["first_break"]["kind"] == "event_changed"
    assert report["seals"]["first_break"]["notification_id"] == nid
    assert report["seals"]["first_break"]["topic"] == "innovation.Rejected"

    other = generate(tmp_path / "lain.pem")
    (auditor / "lain.pub").write_text(other.public_pem())
    wrong = run("bundel.zip", "--public-key", "lain.pub")
    assert wrong.returncode == 1
    assert "bukan kunci yang dipatok" in wrong.stdout
