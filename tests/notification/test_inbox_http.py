"""The in-app inbox and the admin routes over HTTP, in the embedded default (SQLite, no Redis):
the runtime's own background thread plans and delivers, exactly as `sirisma serve` does."""

from __future__ import annotations

from typing import Any

from services.notification import outbox
from services.notification.outbox import Key
from tests.notification.conftest import Api, wait_until
from tests.notification.helpers import inbox_item


def account(api: Api, username: str) -> str:
    from services.commands import account_id_for

    return str(account_id_for(username))


def test_embedded_mode_brings_a_submission_to_the_admins_inbox(api: Api) -> None:
    w = api.world
    iid = w.complete_draft()
    response = api.client.post(f"/api/innovations/{iid}/submit", headers=api.headers("op.dukcapil"))
    assert response.status_code == 200, response.text
    admin = api.headers("admin")

    def arrived() -> Any:
        page = api.client.get("/api/me/notifications", headers=admin).json()
        return page if page["items"] else None

    page = wait_until(arrived, timeout=20, what="the admin's in-app notification")
    assert page["unread_count"] == 1
    [item] = page["items"]
    assert item["kind"] == "submission_received"
    assert item["title"] == "Usulan inovasi baru: Si Cepat Adminduk"
    assert "Dinas Dukcapil" in item["body"]
    assert item["innovation_id"] == str(iid)
    # The message carries the log position of the event the command produced.
    assert item["notification_id"] == int(response.headers["X-Notification-Id"])
    assert item["read"] is False and item["read_at"] is None


def test_each_account_reads_and_marks_only_its_own_messages(api: Api) -> None:
    rev = account(api, "rev.satu")
    mine = [inbox_item(api.runtime, rev) for _ in range(3)]
    theirs = inbox_item(api.runtime, account(api, "rev.dua"))
    me, other = api.headers("rev.satu"), api.headers("rev.dua")

    page = api.client.get("/api/me/notifications", headers=me).json()
    assert {i["id"] for i in page["items"]} == set(mine)
    assert page["unread_count"] == 3
    # Someone else's message does not exist for me, whether I read or mark it.
    refused = api.client.post(f"/api/me/notifications/{theirs}/read", headers=me)
    assert refused.status_code == 404
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert api.client.get("/api/me/notifications", headers=other).json()["unread_count"] == 1

    marked = api.client.post(f"/api/me/notifications/{mine[0]}/read", headers=me)
    assert marked.status_code == 200 and marked.json()["read"] is True
    first_read_at = marked.json()["read_at"]
    again = api.client.post(f"/api/me/notifications/{mine[0]}/read", headers=me).json()
    assert again["read_at"] == first_read_at  # marking twice keeps the first time
    unread = api.client.get("/api/me/notifications?unread=true", headers=me).json()
    assert {i["id"] for i in unread["items"]} == set(mine[1:])
    assert unread["unread_count"] == 2

    all_read = api.client.post("/api/me/notifications/read-all", headers=me)
    assert all_read.status_code == 200 and all_read.json() == {"updated": 2}
    assert api.client.get("/api/me/notifications", headers=me).json()["unread_count"] == 0
    assert api.client.get("/api/me/notifications", headers=other).json()["unread_count"] == 1

    anonymous = api.client.get("/api/me/notifications")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")


def test_the_inbox_pages_newest_first_without_gaps_or_repeats(api: Api) -> None:
    rev = account(api, "rev.dua")
    created = [inbox_item(api.runtime, rev) for _ in range(25)]
    me = api.headers("rev.dua")
    first = api.client.get("/api/me/notifications?limit=10", headers=me).json()
    assert len(first["items"]) == 10 and first["next_before"]
    seen = [i["id"] for i in first["items"]]
    cursor = first["next_before"]
    for _ in range(5):
        if cursor is None:
            break
        page = api.client.get(
            "/api/me/notifications", params={"limit": 10, "before": cursor}, headers=me
        ).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_before"]
    assert cursor is None
    assert sorted(seen) == sorted(created) and len(seen) == len(set(seen))
    stamps = [i["created_at"] for i in first["items"]]
    assert stamps == sorted(stamps, reverse=True)
    bad = api.client.get("/api/me/notifications?before=kemarin", headers=me)
    assert bad.status_code == 400
    too_many = api.client.get("/api/me/notifications?limit=1000", headers=me)
    assert too_many.status_code == 400


def test_admins_see_dead_letters_and_retry_them(api: Api) -> None:
    op = account(api, "op.dinkes")
    from services.notification.directory import Recipient
    from services.notification.rules import INAPP, fan_out

    planned = fan_out(
        "test:gagal",
        "compliance_reminder",
        [Recipient(op, "op.dinkes", "Op Dinkes", "", "operator")],
        {"organisation": "Dinas Kesehatan", "year": 2025, "today": "1 Maret 2025", "calls": []},
        email=False,
    )
    key = Key("test:gagal", op, INAPP)
    with api.runtime.db.transaction() as tx:
        # Dead before the runner could deliver it: insert and bury in one go.
        outbox.insert(tx, planned)
        tx.execute("UPDATE notification_outbox SET state = 'dead' WHERE source_key = 'test:gagal'")
        tx.execute(
            "INSERT INTO notification_dead_letters (id, task, source_key, recipient_id, channel, "
            "args, error, attempts, failed_at) VALUES ('dl-1', 'sirisma.notify', ?, ?, ?, '{}', "
            "'OperationalError: database is locked', 9, '2025-03-01T00:00:00.000000Z')",
            (key.source_key, key.recipient_id, key.channel),
        )
    admin = api.headers("admin")
    listed = api.client.get("/api/admin/dead-letters", headers=admin)
    assert listed.status_code == 200
    [letter] = [d for d in listed.json() if d["id"] == "dl-1"]
    assert letter["kind"] == "compliance_reminder" and letter["attempts"] == 9
    assert (
        api.client.get("/api/admin/dead-letters", headers=api.headers("op.dinkes")).status_code
        == 403
    )

    retried = api.client.post("/api/admin/dead-letters/dl-1/retry", headers=admin)
    assert retried.status_code == 202, retried.text
    assert retried.json()["retried_by"] == "admin"
    assert api.client.post("/api/admin/dead-letters/dl-1/retry", headers=admin).status_code == 404
    me = api.headers("op.dinkes")

    def delivered() -> bool:
        items = api.client.get("/api/me/notifications", headers=me).json()["items"]
        return any(i["kind"] == "compliance_reminder" and "2025" in i["title"] for i in items)

    wait_until(delivered, timeout=20, what="the retried message in the inbox")
    remaining = api.client.get("/api/admin/dead-letters", headers=admin).json()
    assert all(d["id"] != "dl-1" for d in remaining)
    history = api.client.get("/api/admin/dead-letters?include_retried=true", headers=admin).json()
    assert any(d["id"] == "dl-1" and d["retried_at"] for d in history)


def test_status_and_audit_digests_for_the_people_who_run_and_audit_it(api: Api) -> None:
    admin = api.headers("admin")

    def caught_up() -> Any:
        status = api.client.get("/api/admin/notifications/status", headers=admin).json()
        return status if status["relay"]["behind"] == 0 else None

    status = wait_until(caught_up, timeout=20, what="the embedded relay to catch up")
    assert status["mode"] == "embedded"
    assert status["relay"]["position"] == api.runtime.store.max_notification_id()
    digests = api.client.get("/api/audit/digests", headers=api.headers("auditor.satu"))
    assert digests.status_code == 200
    assert digests.json()["verification"]["ok"] is True
    assert (
        api.client.get("/api/audit/digests", headers=api.headers("op.dukcapil")).status_code == 403
    )
    assert (
        api.client.get("/api/admin/notifications/status", headers=api.headers("auditor.satu"))
    ).status_code == 403


def test_metrics_show_the_outbox_and_dead_letters(api: Api) -> None:
    from tests.notification.helpers import dead_letter

    dead_letter(api.runtime)
    text = api.client.get("/metrics").text
    assert "sirisma_notification_dead_letters 1.0" in text
    assert 'sirisma_notification_outbox{state="dead"} 1.0' in text
    assert "sirisma_notification_relay_lag_events" in text
