"""Monev on the pure domain: only established (or later) innovations, only Bappeda staff record,
visits in the future and reports not, a report closes its visit, and the evidence level of the
monitoring-and-evaluation indicator follows the report kinds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.errors import IllegalTransition, InvalidValue
from services.domain.events import IndicatorMeasure, MonevReportRecorded, MonevVisitScheduled
from services.domain.lifecycle import IN_OPERATION, Status
from services.domain.monev import Monev

NOW = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)
TODAY = NOW.date()
ORG = uuid4()
ADMIN = Actor(uuid4(), Role.ADMIN, uuid4())
REVIEWER = Actor(uuid4(), Role.REVIEWER, uuid4())
OPERATOR = Actor(uuid4(), Role.OPERATOR, ORG)


def ctx(actor: Actor) -> Context:
    return Context(actor=actor, correlation_id=str(uuid4()), now=NOW)


def report(m: Monev, actor: Actor = REVIEWER, **overrides: object) -> None:
    args: dict = {
        "status": Status.ESTABLISHED,
        "report_id": uuid4(),
        "kind": "internal",
        "reported_on": TODAY,
        "findings": "Layanan berjalan; waktu tunggu turun.",
        "recommendation": "lanjutkan",
        "indicators": [IndicatorMeasure(name="Waktu layanan", value="15 menit", target="20")],
        **overrides,
    }
    m.record_report(ctx(actor), **args)


def test_visit_then_report_closes_it_and_sets_the_level() -> None:
    m = Monev.start(uuid4(), ORG)
    visit = uuid4()
    m.schedule_visit(
        ctx(ADMIN), status=Status.ESTABLISHED, visit_id=visit, due_on=TODAY, kind="kunjungan"
    )
    assert [v.id for v in m.open_visits()] == [visit] and m.evidence_level() == 0
    report(m, visit_id=visit, kind="skm")
    report(m, kind="internal")
    assert m.open_visits() == [] and m.evidence_level() == 2
    events = m.collect_events()
    assert [type(e) for e in events] == [
        MonevVisitScheduled,
        MonevReportRecorded,
        MonevReportRecorded,
    ]
    replayed = Monev(m.id)
    for e in events:
        replayed.apply(e)
    assert replayed.visits == m.visits and replayed.reports == m.reports


@pytest.mark.parametrize("status", [s for s in Status if s not in IN_OPERATION])
def test_nothing_before_establishment(status: Status) -> None:
    m = Monev.start(uuid4(), ORG)
    with pytest.raises(InvalidValue, match="sudah ditetapkan"):
        report(m, status=status)
    assert m.pending_events == ()


def test_the_organisation_does_not_record() -> None:
    m = Monev.start(uuid4(), ORG)
    with pytest.raises(IllegalTransition):
        report(m, OPERATOR)
    with pytest.raises(IllegalTransition):
        m.schedule_visit(
            ctx(OPERATOR), status=Status.ESTABLISHED, visit_id=uuid4(), due_on=TODAY, kind="rapat"
        )


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"reported_on": TODAY + timedelta(days=1)}, "masa depan"),
        ({"kind": "survei"}, "Jenis laporan"),
        ({"recommendation": "tunda"}, "Rekomendasi"),
        ({"findings": "  "}, "Temuan"),
        ({"visit_id": uuid4()}, "Kunjungan tidak ditemukan"),
        ({"indicators": [IndicatorMeasure(name="Waktu", value=" ")]}, "nama dan nilai"),
    ],
)
def test_bad_reports_are_refused(overrides: dict, words: str) -> None:
    m = Monev.start(uuid4(), ORG)
    with pytest.raises(InvalidValue, match=words):
        report(m, **overrides)
    assert m.pending_events == ()


def test_visits_are_not_in_the_past_and_a_visit_gets_one_report() -> None:
    m = Monev.start(uuid4(), ORG)
    with pytest.raises(InvalidValue, match="masa lalu"):
        m.schedule_visit(
            ctx(ADMIN),
            status=Status.ESTABLISHED,
            visit_id=uuid4(),
            due_on=TODAY - timedelta(days=1),
            kind="kunjungan",
        )
    visit = uuid4()
    m.schedule_visit(
        ctx(ADMIN), status=Status.REPORTED_TO_IGA, visit_id=visit, due_on=TODAY, kind="daring"
    )
    report(m, visit_id=visit)
    with pytest.raises(InvalidValue, match="sudah memiliki laporan"):
        report(m, visit_id=visit)


def test_today_is_the_day_in_jakarta_not_in_utc() -> None:
    """At 18:30 UTC it is already tomorrow in WIB: a report dated the WIB day is not 'in the
    future', and a visit due on the UTC day is already in the past."""
    evening = datetime(2025, 6, 2, 18, 30, tzinfo=UTC)  # 3 June 01:30 WIB
    wib_day = TODAY + timedelta(days=1)
    at = Context(actor=REVIEWER, correlation_id=str(uuid4()), now=evening)
    m = Monev.start(uuid4(), ORG)
    m.record_report(
        at,
        status=Status.ESTABLISHED,
        report_id=uuid4(),
        kind="internal",
        reported_on=wib_day,
        findings="Dicatat pagi hari WIB.",
        recommendation="lanjutkan",
    )
    admin_at = Context(actor=ADMIN, correlation_id=str(uuid4()), now=evening)
    with pytest.raises(InvalidValue, match="masa lalu"):
        m.schedule_visit(
            admin_at, status=Status.ESTABLISHED, visit_id=uuid4(), due_on=TODAY, kind="daring"
        )
