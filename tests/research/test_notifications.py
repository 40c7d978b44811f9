"""Research transitions reach the people they concern (relay rules, in-app messages and the
audit records in Bahasa Indonesia), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter

from services.research.demo import seed_research
from services.runtime import Runtime
from tests.notification.conftest import NotifyWorld, drain


def test_research_transitions_notify_and_are_audited(quiet_runtime: Runtime) -> None:
    world = NotifyWorld(quiet_runtime)
    seed_research(
        quiet_runtime.store,
        admin=world.admin,
        reviewer=world.reviewer,
        operators=[world.operator, world.other_operator],
        now=world.now,
        year=2026,
    )
    drain(quiet_runtime)
    rows = quiet_runtime.db.rows(
        "SELECT a.username, i.title FROM notification_inbox i "
        "JOIN notification_accounts a ON a.account_id = i.recipient_id "
        "WHERE i.kind = 'research_status'"
    )
    heard = Counter(r["username"] for r in rows)
    # admin: the 8 submissions (every proposal past draft, but the withdrawn draft);
    # rev.satu: 7 assignments; the proposers: their decisions and dissemination.
    assert heard["admin"] == 8
    assert heard["rev.satu"] == 7
    assert heard["op.dukcapil"] > 0 and heard["op.dinkes"] > 0
    assert "rev.dukcapil" not in heard  # the conflicted reviewer hears nothing
    titles = {r["title"] for r in rows}
    assert "Riset: Usulan riset ditolak — Kajian Tarif Retribusi Pasar" in titles
    records = quiet_runtime.db.rows(
        "SELECT summary FROM notification_audit_records WHERE topic LIKE ?", ("research.%",)
    )
    events = [
        n for n in quiet_runtime.store.notifications(1, 10_000) if n.topic.startswith("research.")
    ]
    assert len(records) == len(events)  # one audit record per research event
    summaries = " ".join(r["summary"] for r in records)
    assert "menyetujui usulan riset 'Kajian Efektivitas Posyandu Digital'" in summaries
    assert "mengubah status agenda riset menjadi Disepakati" in summaries
