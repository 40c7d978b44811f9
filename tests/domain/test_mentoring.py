"""Pendampingan on the pure domain: who assigns mentors, who records sessions, how follow-ups are
tracked until done, and the bimtek count the rubric's indicator reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.errors import IllegalTransition, InvalidValue, NotAllowed
from services.domain.events import FollowUpItem
from services.domain.mentoring import Mentoring, Mode

NOW = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)
TODAY = NOW.date()
ORG = uuid4()
ADMIN = Actor(uuid4(), Role.ADMIN, uuid4())
MENTOR = Actor(uuid4(), Role.MENTOR, None)
OTHER_MENTOR = Actor(uuid4(), Role.MENTOR, None)
OPERATOR = Actor(uuid4(), Role.OPERATOR, ORG)
OTHER_OPERATOR = Actor(uuid4(), Role.OPERATOR, uuid4())
AUDITOR = Actor(uuid4(), Role.AUDITOR, None)


def ctx(actor: Actor) -> Context:
    return Context(actor=actor, correlation_id=str(uuid4()), now=NOW)


def assigned() -> Mentoring:
    m = Mentoring.start(uuid4(), ORG)
    assert MENTOR.account_id is not None
    m.assign(
        ctx(ADMIN), mentor_id=MENTOR.account_id, mentor_name="Dr. Ani", mentor_role=Role.MENTOR
    )
    return m


def session(m: Mentoring, actor: Actor = MENTOR, **overrides: object) -> None:
    fields: dict[str, object] = {
        "session_id": uuid4(),
        "held_on": TODAY - timedelta(days=3),
        "mode": Mode.KLINIK,
        "attendees": ["Operator Dukcapil", "Dr. Ani"],
        "topics": ["Rancang bangun", "Bukti indikator 5"],
        "follow_ups": [FollowUpItem(id=uuid4(), text="Lengkapi SK", due=TODAY + timedelta(7))],
        **overrides,
    }
    m.record_session(ctx(actor), **fields)  # type: ignore[arg-type]


def test_the_assigned_mentor_records_a_session_that_replays() -> None:
    m = assigned()
    session(m, indicators=[5, 5, 1])
    assert len(m.sessions) == 1 and m.sessions[0].indicators == (1, 5)
    assert [f.text for f in m.open_follow_ups()] == ["Lengkapi SK"]
    replayed = Mentoring.replay(m.pending_events)
    assert replayed is not None and replayed.sessions == m.sessions
    assert replayed.innovation_id == m.innovation_id and replayed.organisation_id == ORG


def test_only_the_admin_assigns_and_only_assigned_mentors_record() -> None:
    m = assigned()
    assert OTHER_MENTOR.account_id is not None
    with pytest.raises(IllegalTransition):
        m.assign(
            ctx(OPERATOR),
            mentor_id=OTHER_MENTOR.account_id,
            mentor_name="X",
            mentor_role=Role.MENTOR,
        )
    with pytest.raises(InvalidValue, match="sudah menjadi pendamping"):
        m.assign(
            ctx(ADMIN),
            mentor_id=MENTOR.account_id or uuid4(),
            mentor_name="Dr. Ani",
            mentor_role=Role.MENTOR,
        )
    with pytest.raises(InvalidValue, match="Pendamping harus"):
        m.assign(ctx(ADMIN), mentor_id=uuid4(), mentor_name="Op", mentor_role=Role.OPERATOR)
    with pytest.raises(NotAllowed, match="belum ditugaskan"):
        session(m, OTHER_MENTOR)
    with pytest.raises(IllegalTransition):
        session(m, AUDITOR)
    assert not m.sessions


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"held_on": TODAY + timedelta(days=1)}, "masa depan"),
        ({"mode": "rapat"}, "Moda sesi"),
        ({"attendees": [" ", ""]}, "Daftar hadir"),
        ({"topics": []}, "Topik"),
        ({"follow_ups": [FollowUpItem(id=uuid4(), text=" ")]}, "uraian"),
        ({"follow_ups": [FollowUpItem(id=uuid4(), text="x", due=date(2020, 1, 1))]}, "Tenggat"),
    ],
)
def test_bad_sessions_are_refused_and_record_nothing(overrides: dict, field: str) -> None:
    m = assigned()
    before = len(m.pending_events)
    with pytest.raises(InvalidValue, match=field):
        session(m, **overrides)
    assert len(m.pending_events) == before


def test_follow_ups_are_closed_once_by_the_organisation_or_the_mentor() -> None:
    m = assigned()
    session(m)
    item = m.open_follow_ups()[0]
    with pytest.raises(NotAllowed):
        m.complete_follow_up(ctx(OTHER_OPERATOR), item.id)
    m.complete_follow_up(ctx(OPERATOR), item.id, "SK sudah diunggah")
    assert m.open_follow_ups() == [] and m.follow_ups[item.id].done_note == "SK sudah diunggah"
    with pytest.raises(InvalidValue, match="sudah selesai"):
        m.complete_follow_up(ctx(MENTOR), item.id)
    with pytest.raises(InvalidValue, match="tidak ditemukan"):
        m.complete_follow_up(ctx(MENTOR), uuid4())


def test_bimtek_sessions_count_for_the_indicator() -> None:
    m = assigned()
    session(m, mode=Mode.BIMTEK, held_on=TODAY - timedelta(days=400))
    session(m, mode=Mode.BIMTEK, held_on=TODAY - timedelta(days=10))
    session(m, mode=Mode.KLINIK)
    assert m.bimtek_sessions(since=TODAY - timedelta(days=730)) == 2
    assert m.bimtek_sessions(since=TODAY - timedelta(days=100)) == 1
