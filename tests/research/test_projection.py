"""The research read models after the demo's research (every stage), on SQLite and PostgreSQL:
what they say equals what the aggregates say, and they equal a rebuild from the log."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

from projections.target import Target
from services.blobs import BlobStore
from services.config import Settings
from services.domain.research.lifecycle import Status
from services.eventstore.store import EventStore
from services.research.demo import PROPOSALS, seed_research
from services.research.queries import published_research
from services.research.service import ResearchCommands
from tests.factories import World
from tests.projections.conftest import assert_equal_to_rebuild, catch_up

YEAR = 2026


def rows(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    db = Target(settings).database()
    try:
        return db.rows(sql, params)
    finally:
        db.close()


def test_research_models_follow_every_stage_and_equal_a_rebuild(
    settings: Settings, store: EventStore, world: World, tmp_path: Path
) -> None:
    led_to = uuid4()
    ids = seed_research(
        store,
        admin=world.admin,
        reviewer=world.reviewer,
        operators=[world.operator, world.other_operator],
        now=world.now,
        year=YEAR,
        innovations=[led_to],
        blobs=BlobStore(tmp_path / "blobs"),
    )
    assert set(ids) == {str(target) for *_, target in PROPOSALS}
    catch_up(settings, store)
    research = ResearchCommands(store)
    by_id = {r["id"]: r for r in rows(settings, "SELECT * FROM rm_research_proposals")}
    assert len(by_id) == len(PROPOSALS)
    for status, pid in ids.items():
        row, proposal = by_id[str(pid)], research.proposal(pid)
        assert (row["status"], row["version"], row["title"]) == (
            status,
            proposal.version,
            proposal.body.title,
        )
        assert row["scored"] == proposal.scored_count
        assert row["average_score"] == (
            str(proposal.average_score) if proposal.average_score is not None else None
        )
    assert by_id[str(ids[Status.REVISION_REQUESTED])]["scores"] == ""

    agenda = rows(settings, "SELECT * FROM rm_research_agendas WHERE year = ?", (YEAR,))
    assert agenda[0]["status"] == "disepakati"
    themes = rows(settings, "SELECT code FROM rm_research_themes WHERE year = ?", (YEAR,))
    assert sorted(t["code"] for t in themes) == ["R1", "R2", "R3"]
    evidence = rows(
        settings,
        "SELECT proposal_id, recommendations FROM rm_research_outputs WHERE spd_row = ?",
        ("13a",),
    )
    assert sorted(r["proposal_id"] for r in evidence) == sorted(
        str(ids[s]) for s in (Status.COMPLETED, Status.DISSEMINATED)
    )
    files = rows(settings, "SELECT file_name, file_sha256 FROM rm_research_outputs")
    assert len(files) == 4 and all(
        f["file_sha256"] and f["file_name"].endswith(".pdf") for f in files
    )
    links = rows(settings, "SELECT * FROM rm_research_links")
    assert [(r["proposal_id"], r["innovation_id"], r["link"]) for r in links] == [
        (str(ids[Status.DISSEMINATED]), str(led_to), "asal_inovasi")
    ]
    follow_ups = rows(settings, "SELECT * FROM rm_research_follow_ups")
    assert {f["organisation_id"] for f in follow_ups} == {
        str(world.opd_id),
        str(world.other_opd_id),
    }

    db = Target(settings).database()
    try:  # the disseminated study is found by the public catalogue's research search
        hits = published_research(db, "posyandu digital")
    finally:
        db.close()
    assert [h.id for h in hits] == [ids[Status.DISSEMINATED]]

    assert_equal_to_rebuild(settings, store)
