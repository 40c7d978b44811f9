"""The read routes over HTTP: scoped to the caller, read-your-writes with ``?after=``, problem
JSON for bad input, lag on /metrics. Embedded (SQLite, runner thread in the process) and
PostgreSQL (a runner started by the test, as the projector would run)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from services.config import load_settings
from services.domain.values import RevisionItem
from tests.factories import complete_profile
from tests.projections.conftest import Api, build_api, krenova_profile
from tests.servers import PostgresServer


def seed(api: Api) -> dict[str, Any]:
    """Org A (Dukcapil): submitted, revision requested, a draft with gaps, a published one;
    org B (Dinkes): a draft; a citizen's Krenova entry."""
    w, c = api.world, api.commands
    op, rev, admin = w.ctx(w.operator), w.ctx(w.reviewer), w.ctx(w.admin)
    ids: dict[str, Any] = {}
    ids["submitted"] = w.complete_draft("Antrean Daring Adminduk")
    c.submit(op, ids["submitted"])
    ids["revision"] = w.complete_draft("Layanan Jemput Bola")
    c.submit(op, ids["revision"])
    c.assign_reviewer(admin, ids["revision"], w.reviewer.account_id)
    c.request_revision(
        rev,
        ids["revision"],
        note="Lengkapi SK",
        items=[RevisionItem(kind="document", key="sk", note="SK terbaru")],
    )
    ids["draft"] = c.propose(op, call_id=w.call_id, profile=complete_profile("Draf Kosong")).id
    ids["published"] = w.complete_draft("Si Cepat Kependudukan")
    c.submit(op, ids["published"])
    c.assign_reviewer(admin, ids["published"], w.reviewer.account_id)
    for doc in list(c.innovation(ids["published"]).documents):
        c.verify_document(rev, ids["published"], doc, accepted=True)
    c.score(rev, ids["published"], w.verdicts(3))
    c.approve(admin, ids["published"], note="layak")
    c.establish(admin, ids["published"], sk_number="188/1/2025", sk_date=date(2025, 9, 1))
    c.select_for_iga(admin, ids["published"], 2025)
    last = c.publish(admin, ids["published"])
    other = w.ctx(w.other_operator)
    ids["other"] = c.propose(other, call_id=w.call_id, profile=complete_profile("Posyandu")).id
    krenova = c.propose(
        api.ctx(api.participant), call_id=api.krenova_call, profile=krenova_profile("Pengering")
    )
    ids["krenova"] = krenova.id
    ids["head"] = krenova.notification_id
    assert last.notification_id < krenova.notification_id
    return ids


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    settings = load_settings(env={}, data_dir=str(tmp_path_factory.mktemp("routes") / "data"))
    yield from build_api(settings)


@pytest.fixture(scope="module")
def ids(api: Api) -> dict[str, Any]:
    found = seed(api)
    assert api.runtime.read_models.wait_for(found["head"], timeout=30)
    return found


def ids_of(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    return {i["id"] for i in (body["items"] if isinstance(body, dict) else body)}


def test_innovation_list_is_scoped_to_the_caller(api: Api, ids: dict[str, Any]) -> None:
    org_a = {str(ids[k]) for k in ("submitted", "revision", "draft", "published")}
    everything = org_a | {str(ids["other"]), str(ids["krenova"])}
    assert ids_of(api.get("/api/innovations?limit=200", "admin")) >= everything
    assert ids_of(api.get("/api/innovations?limit=200", "auditor")) >= everything
    assert ids_of(api.get("/api/innovations?limit=200", "op.dukcapil")) == org_a
    assert ids_of(api.get("/api/innovations?limit=200", "op.dinkes")) == {str(ids["other"])}
    assert ids_of(api.get("/api/innovations", "warga.satu")) == {str(ids["krenova"])}
    assert ids_of(api.get("/api/innovations")) == {str(ids["published"])}  # anonymous


def test_outsiders_get_the_public_face_of_listed_rows(api: Api, ids: dict[str, Any]) -> None:
    """What GET /api/innovations/{id} hides from an outsider, the list hides too."""
    (row,) = api.get("/api/innovations").json()["items"]
    assert row["view"] == "public"
    assert row["submitter_id"] is None
    assert row["claimed_score"] is None and row["completeness"] is None
    assert row["missing_count"] is None
    assert row["verified_score"] is not None  # the public face shows the verified score
    own = {r["id"]: r for r in api.get("/api/innovations?limit=200", "op.dukcapil").json()["items"]}
    assert own[str(ids["published"])]["view"] == "record"
    assert own[str(ids["published"])]["submitter_id"] is not None


def test_innovation_list_filters_and_searches(api: Api, ids: dict[str, Any]) -> None:
    found = api.get("/api/innovations?status=submitted,revision_requested", "admin")
    assert ids_of(found) == {str(ids["submitted"]), str(ids["revision"])}
    assert found.json()["total"] == 2
    by_org = api.get(f"/api/innovations?organisation={api.world.other_opd_id}", "admin")
    assert ids_of(by_org) == {str(ids["other"])}
    assert ids_of(api.get("/api/innovations?q=jemput", "admin")) == {str(ids["revision"])}
    assert ids_of(api.get("/api/innovations?q=jemput", "op.dinkes")) == set()  # not theirs
    bad = api.get("/api/innovations?status=lost", "admin")
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "status"
    assert api.get("/api/innovations?limit=0", "admin").status_code == 400


def test_status_board_shows_what_is_missing_and_what_was_asked(
    api: Api, ids: dict[str, Any]
) -> None:
    response = api.get("/api/status-board", "op.dukcapil")
    assert response.status_code == 200, response.text
    board = response.json()
    assert board["organisation_name"] == "Dinas Dukcapil"
    items = {i["id"]: i for i in board["items"]}
    assert set(items) == {str(ids[k]) for k in ("submitted", "revision", "draft", "published")}
    draft = items[str(ids["draft"])]
    assert draft["status_label"] == "Draf" and draft["completeness"] < 100
    assert any(m["kind"] == "indicator" and m["points"] > 0 for m in draft["missing"])
    assert draft["call"]["remaining_seconds"] > 0 and draft["call"]["days_to_deadline"] >= 29
    assert draft["call"]["deadline"].endswith("+07:00")
    revision = items[str(ids["revision"])]
    assert revision["revision"]["items"] == [
        {"kind": "document", "key": "sk", "note": "SK terbaru"}
    ]
    published = items[str(ids["published"])]
    assert published["verified_score"] == 42 and published["published"]
    assert board["counts"]["revision_requested"] == 1
    # Operators only ever see their own organisation; staff choose one.
    other = api.get(f"/api/status-board?organisation={api.world.other_opd_id}", "op.dukcapil")
    assert other.status_code == 403
    staff = api.get(f"/api/status-board?organisation={api.world.other_opd_id}", "admin")
    assert {i["id"] for i in staff.json()["items"]} == {str(ids["other"])}
    assert api.get("/api/status-board").status_code == 401
    mine = api.get("/api/status-board", "warga.satu").json()
    assert [i["id"] for i in mine["items"]] == [str(ids["krenova"])]


def test_review_queue_ages_in_working_days_and_hides_conflicts(
    api: Api, ids: dict[str, Any]
) -> None:
    response = api.get("/api/review/queue", "admin")
    assert response.status_code == 200, response.text
    queue = response.json()
    items = {i["id"]: i for i in queue["items"]}
    assert set(items) == {str(ids["submitted"])}  # revision_requested waits for the operator
    item = items[str(ids["submitted"])]
    assert item["age_working_days"] == 0 and item["sla_state"] == "ok"
    assert item["organisation_name"] == "Dinas Dukcapil" and item["claimed_score"] > 0
    assert queue["sla_working_days"] == api.runtime.settings.sla_working_days
    # A reviewer from Dukcapil itself never sees Dukcapil's items.
    assert api.get("/api/review/queue", "rev.dukcapil").json()["items"] == []
    assert ids_of(api.get("/api/review/queue?reviewer=none", "rev.satu")) == {str(ids["submitted"])}
    assert ids_of(api.get("/api/review/queue?reviewer=me", "rev.satu")) == set()
    assert api.get("/api/review/queue?sort=luck", "admin").status_code == 400
    assert api.get("/api/review/queue?sla=late", "admin").status_code == 400
    for who, status in (("op.dukcapil", 403), (None, 401)):
        assert api.get("/api/review/queue", who).status_code == status
    # Auditors read the whole queue (as it stands, or as of a past day: projections/as_of.py).
    assert ids_of(api.get("/api/review/queue", "auditor")) == {str(ids["submitted"])}


def test_compliance_names_who_has_none(api: Api, ids: dict[str, Any]) -> None:
    response = api.get("/api/dashboard/compliance?year=2025", "admin")
    assert response.status_code == 200, response.text
    report = response.json()
    rows = {r["code"]: r for r in report["rows"]}
    assert rows["DISDUKCAPIL"]["state"] == "compliant" and rows["DISDUKCAPIL"]["submitted"] == 3
    assert rows["DINKES"]["state"] == "draft_only"
    assert rows["BAPPEDA"]["state"] == "none"
    assert rows["BAPPEDA"]["state_label"] == "Belum ada inovasi"
    assert (report["compliant"], report["draft_only"], report["none"]) == (1, 1, 1)
    assert report["calls"] and report["calls"][0]["remaining_seconds"] > 0
    only_none = api.get("/api/dashboard/compliance?year=2025&state=none", "auditor").json()
    assert [r["code"] for r in only_none["rows"]] == ["BAPPEDA"]
    own = api.get("/api/dashboard/compliance?year=2025", "op.dinkes").json()
    assert [r["code"] for r in own["rows"]] == ["DINKES"]
    assert api.get("/api/dashboard/compliance", "warga.satu").status_code == 403


def test_index_dashboard_estimates_the_regency_index(api: Api, ids: dict[str, Any]) -> None:
    response = api.get("/api/dashboard/index?year=2025&spd=40", "admin")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rubric_year"] == 2025 and body["spd_source"] == "request"
    assert body["index"]["verified"]["spd_score"] == 40
    assert body["index"]["claimed"]["n"] == 1
    assert body["index"]["verified"]["band"]
    assert body["leaderboard"][0]["id"] == str(ids["published"])
    assert body["leaderboard"][0]["verified_score"] == 42
    assert body["organisations"][0]["organisation_name"] == "Dinas Dukcapil"
    default = api.get("/api/dashboard/index?year=2025", "auditor").json()
    assert default["spd_source"] == "none" and default["index"]["verified"]["spd_score"] == 0
    assert api.get("/api/dashboard/index?year=2025&spd=1000", "admin").status_code == 400
    assert api.get("/api/dashboard/index", "op.dukcapil").status_code == 403


def test_public_catalogue_shows_published_innovations_only(api: Api, ids: dict[str, Any]) -> None:
    response = api.get("/api/public/innovations")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["id"] for i in body["items"]] == [str(ids["published"])]
    item = body["items"][0]
    assert item["organisation_name"] == "Dinas Dukcapil" and item["sk_number"] == "188/1/2025"
    assert "profile" not in item and "fold" not in item
    assert ids_of(api.get("/api/public/innovations?q=kependuduk")) == {str(ids["published"])}
    assert ids_of(api.get("/api/public/innovations?q=jemput")) == set()  # not published
    assert ids_of(api.get("/api/public/innovations?stage=inisiatif")) == set()


def test_directory_routes(api: Api, ids: dict[str, Any]) -> None:
    organisations = api.get("/api/organisations").json()
    assert {o["code"] for o in organisations} == {"DISDUKCAPIL", "DINKES", "BAPPEDA"}
    accounts = api.get("/api/accounts?role=reviewer", "admin")
    assert accounts.status_code == 200, accounts.text
    assert {a["username"] for a in accounts.json()["items"]} == {
        "rev.satu",
        "rev.dua",
        "rev.dukcapil",
    }
    assert all("password" not in key for a in accounts.json()["items"] for key in a)
    assert api.get("/api/accounts", "op.dukcapil").status_code == 403
    assert api.get("/api/accounts").status_code == 401
    calls = api.get("/api/calls?state=open").json()
    annual = next(c for c in calls if c["kind"] == "annual")
    assert annual["id"] == str(api.world.call_id)
    assert annual["deadline"].endswith("+07:00") and annual["deadline_label"].endswith("WIB")
    assert 29 * 86400 < annual["remaining_seconds"] <= 30 * 86400
    assert api.get("/api/calls?state=later").status_code == 400


def test_read_your_writes_after_a_submit(api: Api, ids: dict[str, Any]) -> None:
    """The operator submits over HTTP and reads the board with the notification id it got."""
    draft = api.world.complete_draft("Baru Diajukan")
    version = api.commands.innovation(draft).version
    submitted = api.client.post(
        f"/api/innovations/{draft}/submit",
        headers={**api.headers("op.dukcapil"), "If-Match": f'"{version}"'},
    )
    assert submitted.status_code == 200, submitted.text
    after = int(submitted.headers["X-Notification-Id"])
    board = api.get(f"/api/status-board?after={after}", "op.dukcapil")
    assert board.status_code == 200
    assert int(board.headers["X-Read-Position"]) >= after
    assert "X-Read-Stale" not in board.headers
    item = next(i for i in board.json()["items"] if i["id"] == str(draft))
    assert item["status_label"] == "Diajukan"
    via_header = api.get(
        "/api/innovations", "op.dukcapil", headers={"X-After-Notification": str(after)}
    )
    assert str(draft) in ids_of(via_header)
    assert api.get("/api/innovations?after=-1", "admin").status_code == 400
    bad = api.get("/api/innovations", "admin", headers={"X-After-Notification": "soon"})
    assert bad.status_code == 400


def test_metrics_export_read_model_lag(api: Api, ids: dict[str, Any]) -> None:
    response = api.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert 'sirisma_projection_lag_events{model="innovations"}' in text
    assert 'sirisma_projection_lag_seconds{model="catalogue"}' in text
    assert "sirisma_event_log_head" in text


def test_read_your_writes_on_postgres(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The distributed shape: the runner is another component; a read with ``after`` waits for
    it, and a read of something nobody applies answers stale, promptly, instead of hanging."""
    name = f"routes_{UUID(int=0).hex[:4]}{id(tmp_path_factory) % 10_000}"
    url = postgres_server.create_database(name)
    try:
        settings = load_settings(
            env={}, data_dir=str(tmp_path_factory.mktemp("pg") / "data"), database_url=url
        )
        for api in build_api(settings):
            w = api.world
            outcome = api.commands.submit(w.ctx(w.operator), w.complete_draft("Di PostgreSQL"))
            board = api.get(f"/api/status-board?after={outcome.notification_id}", "op.dukcapil")
            assert board.status_code == 200 and "X-Read-Stale" not in board.headers
            assert [i["status"] for i in board.json()["items"]] == ["submitted"]
            api.runtime.read_models.stop()  # nobody applies the log any more
            later = api.commands.propose(
                w.ctx(w.operator), call_id=w.call_id, profile=complete_profile("Tertunda")
            )
            stale = api.get(f"/api/innovations?after={later.notification_id}", "op.dukcapil")
            assert stale.status_code == 200
            assert stale.headers["X-Read-Stale"] == "true"
            assert int(stale.headers["X-Read-Position"]) < later.notification_id
    finally:
        postgres_server.drop_database(name)


def test_the_busiest_lists_say_the_position_their_own_statement_read(
    api: Api, ids: dict[str, Any]
) -> None:
    """Read in the list's statement (``ReadPosition``), the header is the lowest position of
    the models the route reads, as a separate read of the positions finds it."""
    assert api.runtime.read_models.wait_for(api.runtime.store.max_notification_id(), 30)
    positions = api.runtime.read_models.positions
    for path, user, models in (
        ("/api/status-board", "op.dukcapil", ("innovations", "directory")),
        ("/api/review/queue", "admin", ("innovations", "directory")),
        ("/api/innovations", "admin", ("innovations", "directory")),
        ("/api/innovations?q=layanan", "admin", ("innovations", "directory", "catalogue")),
        ("/api/public/innovations", None, ("catalogue", "directory")),
        ("/api/organisations", None, ("directory",)),
    ):
        answer = api.get(path, user)
        assert answer.status_code == 200, (path, answer.text)
        assert int(answer.headers["X-Read-Position"]) == min(positions(models).values()) > 0
