"""The read models after real scenarios, on SQLite and PostgreSQL: what they say equals what the
aggregates say, and every model equals one rebuilt from scratch, row for row."""

from __future__ import annotations

import random
from typing import Any
from uuid import UUID

import msgspec
import pytest

from projections.target import Target
from services.commands import Commands
from services.config import Settings
from services.db import Database
from services.domain.aggregate import Context
from services.domain.innovation_views import to_state
from services.domain.lifecycle import Status
from services.domain.rubric import load_rubric
from services.domain.values import ProfilePatch, RevisionItem
from services.eventstore.store import EventStore
from tests.factories import World, complete_profile
from tests.projections.conftest import (
    assert_equal_to_rebuild,
    catch_up,
    krenova_profile,
    open_krenova,
    participant,
)
from tests.projections.seed import seed_events
from tests.test_lifecycle import run_full_lifecycle


def rows(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    db = Target(settings).database()
    try:
        return db.rows(sql, params)
    finally:
        db.close()


def innovation_row(settings: Settings, iid: UUID) -> dict[str, Any]:
    found = rows(settings, "SELECT * FROM rm_innovations WHERE id = ?", (str(iid),))
    assert len(found) == 1, iid
    return found[0]


def assert_row_matches_aggregate(settings: Settings, commands: Commands, iid: UUID) -> None:
    """The row's derived values are the ones the aggregate computes with the same rubric."""
    innovation = commands.innovation(iid)
    assert innovation.call_id is not None
    state = to_state(
        innovation, load_rubric(innovation.rubric_year), commands.call(innovation.call_id)
    )
    row = innovation_row(settings, iid)
    assert row["status"] == state.status
    assert row["version"] == state.version
    assert row["title"] == state.profile.title
    assert row["stage"] == (str(state.profile.stage) if state.profile.stage else None)
    assert row["claimed_score"] == state.scorecard.claimed_total
    assert row["verified_score"] == state.scorecard.verified_total
    assert row["completeness"] == state.completeness.percent
    missing = msgspec.json.decode(row["missing"])
    assert [(m["kind"], m["key"], m["label"], m["points"]) for m in missing] == [
        (m.kind, m.key, m.label, m.points) for m in state.completeness.missing
    ]
    assert [r["id"] for r in msgspec.json.decode(row["reviewers"])] == [
        str(r) for r in state.reviewers
    ]
    assert bool(row["published"]) == state.published
    assert row["revision_round"] == len(state.revisions)
    if state.status == Status.REVISION_REQUESTED:
        revision = msgspec.json.decode(row["revision"])
        last = state.revisions[-1]
        assert revision["note"] == last["note"]
        assert [(i["kind"], i["key"]) for i in revision["items"]] == [
            (i.kind, i.key) for i in last["items"]
        ]
    else:
        assert row["revision"] is None


def scenario(world: World) -> dict[str, UUID]:
    """Innovations in the states the screens care about, plus a Krenova entry."""
    c = world.commands
    op, rev, admin = world.ctx(world.operator), world.ctx(world.reviewer), world.ctx(world.admin)
    ids = {"reported": run_full_lifecycle(world).id}
    # A draft with gaps: no SK, no evidence, a short design.
    ids["gaps"] = c.propose(
        op,
        call_id=world.call_id,
        profile=msgspec.structs.replace(complete_profile("Draf Berlubang"), goals=""),
    ).id
    # An open revision with items.
    ids["revision"] = world.complete_draft("Perlu Perbaikan")
    c.submit(op, ids["revision"])
    c.assign_reviewer(admin, ids["revision"], world.reviewer.account_id)
    c.request_revision(
        rev,
        ids["revision"],
        note="Lengkapi SK dan foto kegiatan",
        items=[
            RevisionItem(kind="document", key="sk", note="SK terbaru"),
            RevisionItem(kind="field", key="results", note="Sertakan angka"),
        ],
    )
    # Withdrawn by the other OPD, and a rejected one.
    other = world.ctx(world.other_operator)
    ids["withdrawn"] = c.propose(
        other, call_id=world.call_id, profile=complete_profile("Ditarik Dinkes")
    ).id
    c.withdraw(other, ids["withdrawn"], "duplikat")
    ids["rejected"] = world.complete_draft("Ditolak")
    c.submit(op, ids["rejected"])
    c.assign_reviewer(admin, ids["rejected"], world.reviewer.account_id)
    for doc in list(c.innovation(ids["rejected"]).documents):
        c.verify_document(rev, ids["rejected"], doc, accepted=False, note="buram")
    c.score(rev, ids["rejected"], world.verdicts(1))
    c.reject(admin, ids["rejected"], "Bukti tidak terbaca")
    c.update_profile(op, ids["gaps"], ProfilePatch(title="Draf Berlubang Café"))
    # A Krenova entry by a citizen.
    krenova_call = open_krenova(world)
    citizen = participant(world)
    ids["krenova"] = c.propose(
        world.ctx(citizen), call_id=krenova_call, profile=krenova_profile("Pengering Gabah")
    ).id
    return ids


def test_read_models_follow_the_workflow_and_equal_a_rebuild(
    settings: Settings, store: EventStore, world: World
) -> None:
    ids = scenario(world)
    catch_up(settings, store)
    for iid in ids.values():
        assert_row_matches_aggregate(settings, world.commands, iid)

    gaps = innovation_row(settings, ids["gaps"])
    assert gaps["completeness"] < 100
    assert {m["key"] for m in msgspec.json.decode(gaps["missing"])} >= {"goals", "sk"}
    revision = msgspec.json.decode(innovation_row(settings, ids["revision"])["revision"])
    assert revision["round"] == 1 and revision["note"] == "Lengkapi SK dan foto kegiatan"

    # Compliance: Dukcapil has submitted innovations, Dinkes only a withdrawn one, Bappeda none.
    summary = {
        r["organisation_id"]: r
        for r in rows(settings, "SELECT * FROM rm_compliance WHERE budget_year = 2025")
    }
    dukcapil = summary[str(world.opd_id)]
    assert (dukcapil["drafts"], dukcapil["in_review"], dukcapil["rejected"]) == (1, 1, 1)
    assert dukcapil["approved"] == 1
    assert summary[str(world.other_opd_id)]["withdrawn"] == 1
    assert str(world.bappeda_id) not in summary
    assert len(rows(settings, "SELECT * FROM rm_compliance_orgs")) == 3

    # Catalogue: only the reported innovation is published; the Krenova entry is indexed too.
    published = rows(settings, "SELECT id FROM rm_catalogue WHERE published = 1")
    assert [r["id"] for r in published] == [str(ids["reported"])]
    krenova = rows(settings, "SELECT * FROM rm_catalogue WHERE id = ?", (str(ids["krenova"]),))
    assert krenova[0]["abstract"].startswith("Abstrak Pengering Gabah")

    # Directory: accounts without any password hash.
    columns = rows(settings, "SELECT * FROM rm_accounts")[0].keys()
    assert not any("password" in c for c in columns)

    assert_equal_to_rebuild(settings, store)


@pytest.mark.parametrize("batch_size", [1, 7])
def test_small_batches_give_the_same_models_as_a_rebuild(
    sqlite_settings: Settings, batch_size: int
) -> None:
    """Batches that cut streams anywhere (one event, seven) change nothing in the result."""
    store = EventStore(sqlite_settings)
    try:
        world = World(Commands(store))
        scenario(world)
        applied = catch_up(sqlite_settings, store, batch_size=batch_size, max_batch=batch_size)
        assert applied == store.max_notification_id()
        assert_equal_to_rebuild(sqlite_settings, store)
    finally:
        store.close()


def test_seeded_season_matches_the_aggregates(settings: Settings, store: EventStore) -> None:
    """A few thousand interleaved events: every row's status, score and completeness equal the
    aggregate's, and the models equal a rebuild (done with pages and checkpoints)."""
    world = World(Commands(store))
    seeded = seed_events(world, 2_500, random.Random(7))
    catch_up(settings, store, batch_size=97, max_batch=97)
    found = rows(settings, "SELECT id FROM rm_innovations")
    assert len(found) == seeded.innovations
    for row in random.Random(3).sample(found, 60):
        assert_row_matches_aggregate(settings, world.commands, UUID(row["id"]))
    statuses = {r["status"] for r in rows(settings, "SELECT status FROM rm_innovations")}
    assert {"draft", "under_review", "revision_requested", "approved", "rejected"} <= statuses
    assert_equal_to_rebuild(settings, store)


def test_rebuild_is_resumable_and_checkpointed(sqlite_settings: Settings) -> None:
    """A rebuild that stopped after a checkpoint continues from it and ends equal."""
    from projections import rebuild as rebuild_module
    from projections.rebuild import SHADOW, rebuild

    store = EventStore(sqlite_settings)
    try:
        seed_events(World(Commands(store)), 1_500, random.Random(1))

        calls = {"n": 0}
        original = rebuild_module._checkpoint

        def crash_after_second(*args: Any, **kwargs: Any) -> None:
            original(*args, **kwargs)
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt("simulated crash after a checkpoint commit")

        rebuild_module._checkpoint = crash_after_second  # type: ignore[assignment]
        try:
            with pytest.raises(KeyboardInterrupt):
                rebuild(sqlite_settings, store=store, page_size=100, checkpoint_events=300)
        finally:
            rebuild_module._checkpoint = original  # type: ignore[assignment]
        shadow = rows(
            sqlite_settings,
            "SELECT name, position FROM projection_tracking WHERE name LIKE ?",
            (f"%{SHADOW}",),
        )
        assert shadow and all(r["position"] == 300 for r in shadow)  # first checkpoint kept
        report = rebuild(sqlite_settings, store=store, page_size=100, checkpoint_events=300)
        assert all(m.resumed_from == 300 for m in report.models)
        assert (
            rows(
                sqlite_settings,
                "SELECT * FROM projection_tracking WHERE name LIKE ?",
                (f"%{SHADOW}",),
            )
            == []
        )
        assert_equal_to_rebuild(sqlite_settings, store)
    finally:
        store.close()


def test_as_of_rebuild_into_another_schema_shows_the_past(settings: Settings) -> None:
    """``rebuild(until=…, schema=…)``: the models as they stood then, the live ones untouched."""
    from datetime import timedelta

    from projections.rebuild import rebuild

    store = EventStore(settings)
    try:
        world = World(Commands(store))
        c = world.commands
        iid = world.complete_draft("Lampau")
        then = world.now
        c.submit(Context(actor=world.operator, now=then + timedelta(days=1)), iid)
        catch_up(settings, store)
        assert innovation_row(settings, iid)["status"] == "submitted"

        report = rebuild(settings, until=then + timedelta(hours=1), schema="asof_test", store=store)
        assert report.until is not None
        past = Target(settings, "asof_test").database()
        try:
            row = past.rows("SELECT status, version FROM rm_innovations WHERE id = ?", (str(iid),))
            assert row == [{"status": "draft", "version": c.innovation(iid).version - 1}]
            tracked = past.rows("SELECT until FROM projection_tracking WHERE name = 'innovations'")
            assert tracked[0]["until"] is not None
        finally:
            past.close()
        assert innovation_row(settings, iid)["status"] == "submitted"  # live model unchanged
    finally:
        store.close()
        from projections.verify import drop_target

        drop_target(Target(settings, "asof_test"))


def test_search_folds_accents_and_matches_word_prefixes(
    settings: Settings, store: EventStore
) -> None:
    from projections.queries.catalogue import public_catalogue
    from projections.queries.common import search_clause

    world = World(Commands(store))
    ids = scenario(world)
    catch_up(settings, store)
    db = Target(settings).database()
    try:
        for query in ("cafe", "Café berlub", "DRAF"):
            clause, params = search_clause(db.dialect, query)
            found = db.rows(f"SELECT id FROM rm_catalogue c WHERE {clause}", params)
            assert [r["id"] for r in found] == [str(ids["gaps"])], query
        clause, params = search_clause(db.dialect, 'adminduk" OR * & !')
        assert db.rows(f"SELECT id FROM rm_catalogue c WHERE {clause}", params) == []
        page = public_catalogue(db, q="si cepat")
        assert [i.id for i in page.items] == [ids["reported"]]
        assert public_catalogue(db, q="berlubang").items == []  # a draft is not public
        # The design narrative is searchable too (it is in the body, weighted below the title).
        assert [i.id for i in public_catalogue(db, q="antrean kunjungan").items] == [
            ids["reported"]
        ]
    finally:
        db.close()


def test_a_model_built_by_other_code_is_rebuilt_before_use(sqlite_settings: Settings) -> None:
    """The stored signature (tables + ``version``) no longer matches: the runner rebuilds the
    model through shadow tables before following the log with it."""
    from projections import tracking
    from projections.innovations import InnovationsProjection
    from projections.runner import Runner

    store = EventStore(sqlite_settings)
    try:
        world = World(Commands(store))
        ids = scenario(world)
        catch_up(sqlite_settings, store)
        db = Database(sqlite_settings)
        try:
            db.execute_script(["DELETE FROM rm_innovations"])  # rows the new code would not trust

            class NextVersion(InnovationsProjection):
                version = 2

            Runner(sqlite_settings, [NextVersion()], store=store).catch_up()
            assert len(db.rows("SELECT id FROM rm_innovations")) == len(ids)
            stored = db.rows("SELECT signature FROM projection_tracking WHERE name = 'innovations'")
            assert stored[0]["signature"] == tracking.signature(NextVersion(), "sqlite")
            assert stored[0]["signature"] != tracking.signature(InnovationsProjection(), "sqlite")
        finally:
            db.close()
    finally:
        store.close()


def test_a_rebuilt_model_arrives_with_planner_statistics(
    settings: Settings, store: EventStore, world: World
) -> None:
    """The swapped-in tables are analysed before they go live: without statistics PostgreSQL
    planned the queue and search several times slower until autovacuum came round."""
    from projections.rebuild import rebuild

    scenario(world)
    rebuild(settings, ["innovations"], store=store)
    if settings.is_postgres:
        analysed = rows(
            settings,
            "SELECT relname FROM pg_stat_user_tables WHERE relname = 'rm_innovations' "
            "AND last_analyze IS NOT NULL",
        )
    else:
        analysed = rows(settings, "SELECT tbl FROM sqlite_stat1 WHERE tbl = 'rm_innovations'")
    assert analysed


def test_a_rebuild_leaves_every_index_of_every_model_under_its_live_name(
    settings: Settings, store: EventStore, world: World
) -> None:
    """The indexes left out while feeding are built after it (on PostgreSQL over several
    connections at once) and renamed with the swap: every one the schema declares is there."""
    import re

    from projections import registry
    from projections.rebuild import rebuild

    scenario(world)
    rebuild(settings, store=store)
    dialect = "postgres" if settings.is_postgres else "sqlite"
    declared = {
        match.group(1)
        for projection in registry.all_projections()
        for statement in projection.schema(dialect, "")
        if (match := re.search(r"CREATE (?:UNIQUE )?INDEX IF NOT EXISTS (\w+)", statement))
    }
    sql = (
        "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()"
        if settings.is_postgres
        else "SELECT name FROM sqlite_master WHERE type = 'index'"
    )
    present = {r["name"] for r in rows(settings, sql)}
    assert declared and declared <= present
    assert not any("__rebuild" in name for name in present)


def count_call_reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """Every read of the innovations model's calls table from now on: the keys asked for."""
    import projections.innovations as innovations

    reads: list[tuple[str, ...]] = []
    plain = innovations.select_by_keys

    def counted(tx: Any, table: str, columns: Any, key: str, keys: Any) -> Any:
        if table.startswith(innovations.CALLS):
            reads.append(tuple(keys))
        return plain(tx, table, columns, key, keys)

    monkeypatch.setattr(innovations, "select_by_keys", counted)
    return reads


def test_a_live_runner_reads_each_call_once_not_in_every_batch(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call's required documents are kept between batches (its row never changes): batches of
    one event never read the calls table when the runner saw the calls opened, and the models
    still equal a rebuild."""
    reads = count_call_reads(monkeypatch)
    store = EventStore(sqlite_settings)
    try:
        world = World(Commands(store))
        scenario(world)
        applied = catch_up(sqlite_settings, store, batch_size=1, max_batch=1)
        assert applied == store.max_notification_id()
        assert reads == []  # learnt from each CallOpened
        assert_equal_to_rebuild(sqlite_settings, store)
    finally:
        store.close()


def test_a_runner_started_after_the_calls_were_projected_reads_each_call_once(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A runner that did not see a call opened reads it from the table once while it holds its
    locks; letting them go (``--once``, a lost lock) forgets it, as it forgets all state."""
    import threading

    from projections.runner import Runner

    store = EventStore(sqlite_settings)
    world = World(Commands(store))
    try:
        ids = scenario(world)
        catch_up(sqlite_settings, store)
        reads = count_call_reads(monkeypatch)
        op = world.ctx(world.operator)
        for n in range(2):  # two runs of ``--once``: each reads the call again
            world.commands.update_profile(op, ids["gaps"], ProfilePatch(title=f"Judul {n}"))
            catch_up(sqlite_settings, store, batch_size=1, max_batch=1)
        assert len(reads) == 2
        reads.clear()
        runner = Runner(sqlite_settings, store=store, batch_size=1, max_batch=1)
        stop = threading.Event()
        following = threading.Thread(target=runner.run, args=(stop,))
        following.start()
        try:
            for n in range(3):  # one live runner, holding its locks: three batches
                world.commands.update_profile(op, ids["gaps"], ProfilePatch(title=f"Titel {n}"))
                runner.nudge()
                assert runner.wait_for(store.max_notification_id(), 30, runner.names)
        finally:
            stop.set()
            runner.nudge()
            following.join()
        assert len(reads) == 1  # the call is read once, not in every batch
        assert innovation_row(sqlite_settings, ids["gaps"])["title"] == "Titel 2"
        assert_equal_to_rebuild(sqlite_settings, store)
    finally:
        store.close()
