"""The read position a list reads in its own statement (``ReadPosition``): the lowest tracking
position of the models it reads, 0 while one has none, on both dialects; and the route's
``X-Read-Position`` header is that value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from projections import queries, tracking
from projections.queries.common import ReadPosition
from projections.target import Target
from services.commands import Commands
from services.config import Settings
from services.eventstore.store import EventStore
from tests.factories import World
from tests.projections.conftest import catch_up
from tests.projections.test_queries import BASE, _principal

MODELS = ("innovations", "directory", "catalogue")


def _lists(world: World) -> dict[str, Callable[[Any, ReadPosition], Any]]:
    admin = _principal(world.admin, "admin")
    return {
        "board": lambda db, seen: queries.board.status_board(
            db, organisation_id=world.opd_id, position=seen
        ),
        "queue": lambda db, seen: queries.queue.review_queue(
            db, admin, sla_working_days=5, position=seen
        ),
        "list": lambda db, seen: queries.innovations.list_innovations(db, admin, position=seen),
        "search": lambda db, seen: queries.innovations.list_innovations(
            db, admin, q="layanan", position=seen
        ),
        "catalogue": lambda db, seen: queries.catalogue.public_catalogue(db, position=seen),
        "catalogue search": lambda db, seen: queries.catalogue.public_catalogue(
            db, q="layanan", position=seen
        ),
    }


def test_each_list_reads_the_lowest_position_of_its_models(
    settings: Settings, store: EventStore
) -> None:
    world = World(Commands(store), now=BASE)
    world.complete_draft("Layanan Desa")
    catch_up(settings, store)
    db = Target(settings).database()
    try:
        head = store.max_notification_id()
        with db.transaction() as tx:  # one model behind the others
            tx.execute(f"UPDATE {tracking.TABLE} SET position = ? WHERE name = ?", (3, "directory"))
        for name, run in _lists(world).items():
            for models, expected in (
                (("innovations",), head),
                (MODELS, 3),
                (("innovations", "no_such_model"), 0),
            ):
                seen = ReadPosition(models)
                run(db, seen)
                assert seen.value == expected, (name, models)
        # Without one, the same queries answer as before.
        for run in _lists(world).values():
            assert run(db, None) is not None
    finally:
        db.close()


def test_a_read_position_takes_only_model_names() -> None:
    with pytest.raises(ValueError):
        ReadPosition(["innovations", "x'); DROP TABLE rm_innovations; --"])
