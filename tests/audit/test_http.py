"""The audit HTTP API as an auditor uses it: history, state as of, diff, verify, trail."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import msgspec
import pytest

from services.domain.innovation_views import InnovationState
from tests.audit.conftest import AuditApp


def as_json(state: InnovationState) -> object:
    """What the API sends for this state (JSON has no tuples or typed keys)."""
    return json.loads(msgspec.json.encode(state))


def test_history_lists_every_event_with_actor_time_and_changes(audit_app: AuditApp) -> None:
    iid = audit_app.innovation_id
    response = audit_app.get(f"/api/innovations/{iid}/history")
    assert response.status_code == 200, response.text
    body = response.json()
    entries = body["entries"]
    assert [e["version"] for e in entries] == list(range(1, len(audit_app.states) + 1))
    assert body["status"] == "reported_to_iga" and body["title"] == "Si Cepat Adminduk"
    first = entries[0]
    assert first["event"] == "Proposed"
    assert first["actor"]["username"] == "op.dukcapil" and first["actor"]["role"] == "operator"
    assert first["recorded_at"].endswith("+07:00") and first["recorded_at_label"].endswith("WIB")
    assert first["correlation_id"] and first["notification_id"] and first["link_hash"]
    assert first["summary"].startswith("Operator op.dukcapil mengusulkan inovasi")
    # Field-level before → after on a profile change.
    update = next(e for e in entries if e["event"] == "ProfileUpdated")
    change = next(c for c in update["changes"] if c["field"] == "goals")
    assert change["label"] == "Tujuan inovasi"
    assert change["before"] != change["after"] == "Tujuan versi 0"
    # Scores: level and total before → after.
    scored = next(e for e in entries if e["event"] == "Scored")
    assert any(c["field"] == "verified_total" for c in scored["changes"])
    assert {"field": "status", "label": "Status", "before": "under_review", "after": "scored"} in (
        scored["changes"]
    ) or scored["status_before"] == "scored"
    # No secret ever appears.
    assert "password_hash" not in response.text


def test_history_shows_revision_rounds(audit_app: AuditApp) -> None:
    body = audit_app.get(f"/api/innovations/{audit_app.innovation_id}/history").json()
    rounds = body["revision_rounds"]
    assert [r["round"] for r in rounds] == list(range(1, len(rounds) + 1)) and len(rounds) >= 2
    for r in rounds:
        assert r["requested_by"]["username"] == "rev.satu"
        assert r["resubmitted_version"] > r["requested_version"]
        assert r["response"].startswith("Sudah diperbaiki")
        assert r["items"][0]["key"] == "3"
    by_version = {e["version"]: e for e in body["entries"]}
    request = by_version[rounds[1]["requested_version"]]
    assert request["revision_round"] == 2 and request["status_after"] == "revision_requested"
    assert "putaran 2" in request["summary"]


def test_each_decision_links_to_the_state_its_decider_saw(audit_app: AuditApp) -> None:
    body = audit_app.get(f"/api/innovations/{audit_app.innovation_id}/history").json()
    decisions = [e for e in body["entries"] if e["decision"]]
    kinds = {e["event"] for e in decisions}
    assert {"RevisionRequested", "DocumentVerified", "Scored", "Approved", "ReportedToIGA"} <= kinds
    approved = next(e for e in decisions if e["event"] == "Approved")
    seen = approved["decision"]["seen_version"]
    assert seen == approved["version"] - 1 and approved["decision"]["rubric_year"] == 2025
    state = audit_app.client.get(
        approved["decision"]["state_url"], headers=audit_app.headers("auditor")
    )
    assert state.status_code == 200
    assert state.json()["state"]["status"] == "scored"
    assert state.json()["state"] == as_json(audit_app.states[seen])


def test_state_by_version_and_by_time(audit_app: AuditApp) -> None:
    iid, states = audit_app.innovation_id, audit_app.states
    for version in (1, 17, len(states) // 2, len(states)):
        body = audit_app.get(f"/api/innovations/{iid}/state", version=version).json()
        assert body["version"] == version and body["rubric_year"] == 2025
        assert body["state"] == as_json(states[version])
        assert body["state"]["scorecard"]["rubric_year"] == 2025
    latest = audit_app.get(f"/api/innovations/{iid}/state").json()
    assert latest["version"] == len(states)
    at = (audit_app.world.now + timedelta(hours=1)).isoformat()
    assert audit_app.get(f"/api/innovations/{iid}/state", at=at).json()["version"] == len(states)
    before = (audit_app.world.now - timedelta(days=1)).isoformat()
    assert audit_app.get(f"/api/innovations/{iid}/state", at=before).status_code == 404


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"at": "kemarin"}, 400),
        ({"version": "0"}, 400),
        ({"version": "abc"}, 400),
        ({"version": "100000"}, 404),
        ({"version": "1", "at": "2025-01-01T00:00:00+07:00"}, 400),
    ],
)
def test_bad_state_requests_are_problems(
    audit_app: AuditApp, params: dict[str, str], status: int
) -> None:
    response = audit_app.get(f"/api/innovations/{audit_app.innovation_id}/state", **params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_unknown_or_non_innovation_ids_are_not_found(audit_app: AuditApp) -> None:
    import uuid

    for target in (uuid.uuid4(), audit_app.world.call_id):
        for suffix in ("history", "state", "diff?from=1"):
            response = audit_app.get(f"/api/innovations/{target}/{suffix}")
            assert response.status_code == 404, (suffix, response.text)


def test_diff_between_versions_names_fields_and_events(audit_app: AuditApp) -> None:
    iid = audit_app.innovation_id
    body = audit_app.get(f"/api/innovations/{iid}/diff", **{"from": "12", "to": "15"}).json()
    assert body["from"]["version"] == 12 and body["to"]["version"] == 15
    assert [e["version"] for e in body["events"]] == [13, 14, 15]
    fields = {c["field"]: c for c in body["changes"]}
    assert fields["profile.goals"]["label"] == "Tujuan inovasi"
    assert fields["profile.goals"]["after"] == audit_app.states[15].profile.goals
    assert "version" not in fields
    # Times work as well as versions, and "to" defaults to the latest.
    at = (audit_app.world.now + timedelta(minutes=5)).isoformat()
    whole = audit_app.get(f"/api/innovations/{iid}/diff", **{"from": "1", "to": at}).json()
    assert whole["to"]["version"] == len(audit_app.states)
    statuses = {c["field"]: c for c in whole["changes"]}["status"]
    assert (statuses["before"], statuses["after"]) == ("draft", "reported_to_iga")
    bad = audit_app.get(f"/api/innovations/{iid}/diff", **{"from": "nanti"})
    assert bad.status_code == 400


def test_verify_reports_an_intact_log(audit_app: AuditApp) -> None:
    body = audit_app.get("/api/audit/verify").json()
    assert body["ok"] is True and body["first_break"] is None
    assert body["events"] == audit_app.runtime.store.max_notification_id()
    assert body["days"] and body["head"] == body["days"][-1]["root"]


def test_trail_json_streams_and_filters(audit_app: AuditApp) -> None:
    iid = audit_app.innovation_id
    response = audit_app.get("/api/audit/trail")
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "application/json"
    )
    assert "attachment" in response.headers["content-disposition"]
    rows = json.loads(response.text)
    assert len(rows) == audit_app.runtime.store.max_notification_id()
    assert [r["notification_id"] for r in rows] == sorted(r["notification_id"] for r in rows)
    assert "password_hash" not in response.text
    only = json.loads(audit_app.get("/api/audit/trail", innovation=str(iid)).text)
    assert [r["version"] for r in only] == list(range(1, len(audit_app.states) + 1))
    goals = next(r for r in only if r["event"] == "ProfileUpdated")
    assert goals["changes"][0]["before"] is not None  # folded: before-values are known
    by_reviewer = json.loads(audit_app.get("/api/audit/trail", actor="rev.satu").text)
    assert by_reviewer and {r["actor_username"] for r in by_reviewer} == {"rev.satu"}
    future = (audit_app.world.now + timedelta(days=1)).isoformat()
    assert json.loads(audit_app.get("/api/audit/trail", **{"from": future}).text) == []


def test_trail_csv(audit_app: AuditApp) -> None:
    response = audit_app.get(
        "/api/audit/trail", format="csv", innovation=str(audit_app.innovation_id)
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(audit_app.states)
    assert rows[0]["event"] == "Proposed" and rows[0]["actor_username"] == "op.dukcapil"
    assert json.loads(rows[1]["changes"])


def test_bad_trail_parameters(audit_app: AuditApp) -> None:
    assert audit_app.get("/api/audit/trail", format="xml").status_code == 400
    assert audit_app.get("/api/audit/trail", **{"from": "x"}).status_code == 400
    assert (
        audit_app.get(
            "/api/audit/trail", **{"from": "2025-02-01T00:00:00", "to": "2025-01-01T00:00:00"}
        ).status_code
        == 400
    )


@pytest.mark.parametrize("role", ["operator", "reviewer"])
def test_only_auditors_and_admins_read_the_audit_routes(audit_app: AuditApp, role: str) -> None:
    iid = audit_app.innovation_id
    paths = [
        f"/api/innovations/{iid}/history",
        f"/api/innovations/{iid}/state",
        f"/api/innovations/{iid}/diff?from=1",
        "/api/audit/verify",
        "/api/audit/trail",
    ]
    for path in paths:
        assert audit_app.get(path, role=role).status_code == 403, path
        assert audit_app.client.get(path).status_code == 401, path
    assert audit_app.get(paths[0], role="admin").status_code == 200


def test_trail_csv_never_carries_a_live_formula(audit_app: AuditApp) -> None:
    """The API accepts ``X-Correlation-ID: -1-1`` (letters, digits, '.', '_', ':', '-'), and a
    spreadsheet would compute it: the CSV writes it as text."""
    from services.domain.aggregate import Context
    from tests.factories import complete_profile

    world = audit_app.world
    ctx = Context(actor=world.operator, correlation_id="-1-1", now=world.now)
    iid = world.commands.propose(ctx, call_id=world.call_id, profile=complete_profile()).id
    response = audit_app.get("/api/audit/trail", format="csv", innovation=str(iid))
    (row,) = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    assert row["correlation_id"] == "'-1-1"
    assert row["version"] == "1"
