"""The monev read model on SQLite and PostgreSQL: visits due (a report closes its visit), the
recommendations counted, and the model equals one rebuilt from the log (any batch size)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from projections.monev import recommendations, visits_due
from projections.target import Target
from services.commands import Commands
from services.config import Settings
from services.domain.call import jakarta_date
from services.domain.events import IndicatorMeasure
from services.domain.innovation import Innovation
from services.eventstore.store import EventStore
from services.monev.service import MonevCommands
from tests.factories import World
from tests.projections.conftest import assert_equal_to_rebuild, catch_up


def _established(world: World) -> Innovation:
    c = world.commands
    op, rev, admin = world.ctx(world.operator), world.ctx(world.reviewer), world.ctx(world.admin)
    iid = world.complete_draft()
    c.submit(op, iid)
    c.assign_reviewer(admin, iid, world.reviewer.account_id)
    for state in list(c.innovation(iid).documents.values()):
        c.verify_document(rev, iid, state.document.doc_id, accepted=True, note="sah")
    c.score(rev, iid, world.verdicts(3))
    c.approve(admin, iid, note="layak")
    c.establish(admin, iid, sk_number="188/9/2025", sk_date=date(2025, 10, 1))
    return c.innovation(iid)


def _scenario(store: EventStore) -> tuple[list[str], date]:
    world = World(Commands(store))
    innovation = _established(world)
    service = MonevCommands(store, world.commands)
    today = jakarta_date(world.now)
    admin = world.ctx(world.admin)
    visits = [uuid4(), uuid4(), uuid4(), uuid4()]
    for visit, days in zip(visits, (0, 30, 10, 20), strict=True):
        service.schedule_visit(
            admin,
            innovation,
            visit_id=visit,
            due_on=today + timedelta(days=days),
            kind="kunjungan",
        )
    service.record_report(
        world.ctx(world.reviewer),
        innovation,
        report_id=uuid4(),
        kind="internal",
        reported_on=today,
        findings="Berjalan baik",
        recommendation="lanjutkan",
        indicators=[IndicatorMeasure(name="Pengguna", value="1200")],
        visit_id=visits[0],
    )
    service.reschedule_visit(
        admin, innovation, visit_id=visits[2], due_on=today + timedelta(days=40), reason="Cuti"
    )
    service.cancel_visit(admin, innovation, visit_id=visits[3], reason="Digabung")
    return [str(v) for v in visits], today


def test_visits_due_and_rebuild(settings: Settings, store: EventStore) -> None:
    visits, today = _scenario(store)
    catch_up(settings, store)
    db = Target(settings).database()
    try:
        with db.transaction() as tx:
            due_now = visits_due(tx, today)
            due_later = visits_due(tx, today + timedelta(days=31))
            due_last = visits_due(tx, today + timedelta(days=41))
            counted = recommendations(tx)
    finally:
        db.close()
    assert due_now == []  # the first visit has its report
    assert [r["visit_id"] for r in due_later] == [visits[1]]  # moved to +40; one cancelled
    assert [(r["visit_id"], r["reason"]) for r in due_last] == [
        (visits[1], ""),
        (visits[2], "Cuti"),
    ]
    assert counted == {"lanjutkan": 1}
    assert_equal_to_rebuild(settings, store)


@pytest.mark.parametrize("batch_size", [1, 3])
def test_small_batches_equal_a_rebuild(sqlite_settings: Settings, batch_size: int) -> None:
    store = EventStore(sqlite_settings)
    try:
        _scenario(store)
        catch_up(sqlite_settings, store, batch_size=batch_size, max_batch=batch_size)
        assert_equal_to_rebuild(sqlite_settings, store)
    finally:
        store.close()
