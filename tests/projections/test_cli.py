"""`sirisma project | rebuild | projections status|verify` on the embedded default."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from services.cli import main
from services.commands import Commands
from services.config import load_settings
from services.eventstore.store import EventStore
from tests.factories import World


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("SIRISMA_DATA_DIR", str(folder))
    monkeypatch.delenv("SIRISMA_DATABASE_URL", raising=False)
    store = EventStore(load_settings())
    try:
        world = World(Commands(store))
        world.commands.submit(world.ctx(world.operator), world.complete_draft("Lewat CLI"))
    finally:
        store.close()
    return folder


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def status() -> dict[str, dict[str, object]]:
    rows = msgspec.json.decode(run("projections", "status", "--json"))
    return {r["name"]: r for r in rows}


def test_project_rebuild_status_and_verify(data_dir: Path) -> None:
    before = status()
    assert before["innovations"]["position"] == 0 and before["innovations"]["lag_events"] > 0
    assert "notifikasi diterapkan" in run("project", "--once")
    after = status()
    assert all(s["lag_events"] == 0 and s["position"] == s["head"] for s in after.values())

    out = run("rebuild", "--quiet", "innovations", "catalogue")
    assert "innovations:" in out and "catalogue:" in out and "directory:" not in out
    assert "Sama:" in run("projections", "verify")

    out = run("rebuild", "--quiet", "--until", "2000-01-01", "--into", "lama")
    assert "skema lama" in out
    past = msgspec.json.decode(run("projections", "status", "--json", "--schema", "lama"))
    assert {r["name"] for r in past} == set(after)
    assert all(r["until"] for r in past)


def test_bad_arguments_are_refused_plainly(data_dir: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(main, ["rebuild", "--quiet", "tidak_ada"])
    assert unknown.exit_code != 0 and "tidak dikenal" in unknown.output
    bad_time = runner.invoke(main, ["rebuild", "--quiet", "--until", "kemarin"])
    assert bad_time.exit_code != 0 and "ISO 8601" in bad_time.output
    bad_schema = runner.invoke(main, ["rebuild", "--quiet", "--into", "Public; DROP"])
    assert bad_schema.exit_code != 0 and "tidak valid" in bad_schema.output


def test_status_lists_the_quarantine_and_retry_quarantined_releases(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model whose code fails on one event: `project --once` quarantines it and finishes,
    `projections status` shows it, `retry-quarantined` (after the fix) applies it."""
    from projections import runner
    from projections.directory import DirectoryProjection

    monkeypatch.setattr(runner, "RETRY_PAUSE", 0.0)
    monkeypatch.setenv("COLUMNS", "300")  # rich wraps tables to the terminal's width
    original = DirectoryProjection.apply

    def buggy(self: object, tx: object, batch: list, suffix: str = "") -> None:  # type: ignore[type-arg]
        if any(e.notification_id == 2 for e in batch):
            raise RuntimeError("galat program")
        original(self, tx, batch, suffix)  # type: ignore[arg-type]

    monkeypatch.setattr(DirectoryProjection, "apply", buggy)
    run("project", "--once")
    assert status()["directory"]["quarantined"] == 1
    out = run("projections", "status")
    assert "karantina" in out.lower() and "galat program" in out
    failed = CliRunner().invoke(main, ["projections", "retry-quarantined"])
    assert failed.exit_code == 1 and "masih gagal" in failed.output
    monkeypatch.setattr(DirectoryProjection, "apply", original)
    assert "keluar karantina" in run("projections", "retry-quarantined")
    assert status()["directory"]["quarantined"] == 0
    assert "Tidak ada peristiwa" in run("projections", "retry-quarantined")
