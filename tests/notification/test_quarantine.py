"""The relay never halts on one event (issue 15, item 1b), on real PostgreSQL: a proposal with a
NUL in its title (the relay's directory cannot store it) is quarantined after bounded tries,
the events after it are planned and delivered, its audit task becomes a dead letter (which holds
back sealing its day), and retry-quarantined plans it again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.config import Settings
from services.notification import outbox, relay, rules
from services.notification.embedded import EmbeddedRunner
from services.quarantine import RELAY
from services.reads import requeue
from services.runtime import Runtime
from services.startup import start_runtime
from tests.notification.conftest import NotifyWorld
from tests.poison import poison_proposal, undecodable


@pytest.fixture
def pg_runtime(postgres_settings: Settings) -> Iterator[Runtime]:
    runtime = start_runtime(postgres_settings, background=False)
    yield runtime
    runtime.close()


def plan_all(planner: relay.Planner) -> None:
    """The relay's loop without its sleeps: failures are retried until caught up (bounded)."""
    for _ in range(200):
        try:
            planner.plan(500)
        except Exception:  # noqa: S112 - what Relay.run does: log, back off, try again
            continue
        if planner.caught_up:
            return
    raise AssertionError("the relay did not catch up")


def test_a_poison_event_is_quarantined_and_the_relay_goes_on(pg_runtime: Runtime) -> None:
    world = NotifyWorld(pg_runtime)
    world.complete_draft("Sebelum Racun")
    nul, _ = poison_proposal(pg_runtime.store)
    bad = undecodable(pg_runtime.store)
    after = world.complete_draft("Sesudah Racun")
    head = pg_runtime.store.max_notification_id()

    plan_all(relay.Planner(pg_runtime, attempts=2))

    assert relay.lag(pg_runtime)["position"] == head
    held = {(i.follower, i.notification_id) for i in requeue.pending(pg_runtime.settings)}
    assert held == {(RELAY, nul)}  # the undecodable one only gets its audit task, as before
    titles = {r["title"] for r in pg_runtime.db.rows("SELECT title FROM notification_innovations")}
    assert {"Sebelum Racun", "Sesudah Racun"} <= titles
    audit_rows = {
        r["notification_id"]
        for r in pg_runtime.db.rows(
            "SELECT notification_id FROM notification_outbox WHERE channel = ?", (rules.AUDIT,)
        )
    }
    assert set(range(1, head + 1)) <= audit_rows  # the poison keeps its audit task
    assert bad in audit_rows

    # Tasks: the poison's audit record cannot be stored either; it becomes a dead letter and
    # every other task is done.
    runner = EmbeddedRunner(pg_runtime)
    while runner.execute_due(limit=500):
        pass
    letters = {d.source_key for d in outbox.dead_letters(pg_runtime.db)}
    assert rules.event_source(nul) in letters
    recorded = pg_runtime.db.scalar(
        "SELECT COUNT(*) FROM notification_audit_records WHERE originator_id = ?", (str(after),)
    )
    assert recorded and recorded > 0

    # Still poison: the retry fails again and the event stays in quarantine.
    outcomes = requeue.retry(pg_runtime.settings, [RELAY], store=pg_runtime.store)
    assert [(o.notification_id, o.released) for o in outcomes] == [(nul, False)]
    assert requeue.pending(pg_runtime.settings, [RELAY])[0].retry_error


def test_a_quarantined_relay_event_is_planned_again_by_a_retry(
    pg_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in planning one event: quarantined; once fixed, the retry plans it and it leaves."""
    world = NotifyWorld(pg_runtime)
    target = pg_runtime.store.max_notification_id() + 1
    world.complete_draft("Satu")
    original = rules.plan_event

    def buggy(tx, notification_id, event, *, email):  # type: ignore[no-untyped-def]
        if notification_id == target:
            raise RuntimeError("galat program")
        return original(tx, notification_id, event, email=email)

    monkeypatch.setattr(rules, "plan_event", buggy)
    plan_all(relay.Planner(pg_runtime, attempts=2))
    assert [i.notification_id for i in requeue.pending(pg_runtime.settings, [RELAY])] == [target]
    titles = "SELECT title FROM notification_innovations"
    assert "Satu" not in {r["title"] for r in pg_runtime.db.rows(titles)}  # skipped for now
    monkeypatch.setattr(rules, "plan_event", original)
    outcomes = requeue.retry(pg_runtime.settings, store=pg_runtime.store)
    assert [(o.follower, o.released) for o in outcomes] == [(RELAY, True)]
    assert requeue.pending(pg_runtime.settings) == []
    assert "Satu" in {r["title"] for r in pg_runtime.db.rows(titles)}  # planned after all
