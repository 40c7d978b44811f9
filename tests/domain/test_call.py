"""Call: the window an innovation is proposed and submitted in, with its deadline in WIB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import JAKARTA, Call, format_jakarta
from services.domain.errors import CallNotOpen, DeadlinePassed, InvalidValue
from services.domain.events import CallOpened, DeadlineChanged
from services.domain.values import CallKind

ADMIN = Context(actor=Actor(uuid4(), Role.ADMIN, uuid4()), now=datetime(2025, 1, 2, tzinfo=UTC))
OPENS = datetime(2025, 1, 6, 8, 0, tzinfo=JAKARTA)
DEADLINE = datetime(2025, 12, 31, 23, 59, tzinfo=JAKARTA)  # 16:59 UTC


def open_call(**overrides: object) -> Call:
    fields: dict[str, object] = {
        "kind": CallKind.ANNUAL,
        "title": "Inovasi Daerah 2025",
        "budget_year": 2025,
        "opens_at": OPENS,
        "deadline": DEADLINE,
        "eligible_kinds": ("opd", "puskesmas"),
        "rubric_year": 2025,
        "required_documents": ("sk",),
        "threshold": 100,
    }
    fields.update(overrides)
    return Call.open(ADMIN, uuid4(), **fields)  # type: ignore[arg-type]


def test_opening_records_the_call_with_times_in_utc() -> None:
    call = open_call(title="  Inovasi Daerah 2025  ")
    [event] = call.pending_events
    assert isinstance(event, CallOpened)
    assert event.title == "Inovasi Daerah 2025"
    assert event.deadline == DEADLINE
    assert event.deadline.utcoffset() == timedelta(0)  # stored in UTC ...
    assert event.deadline == datetime(2025, 12, 31, 16, 59, tzinfo=UTC)
    assert format_jakarta(call.deadline) == "31 Desember 2025 23.59 WIB"  # ... shown in WIB
    assert call.required_documents == ("sk",)
    assert call.threshold == 100


def test_wib_text_is_the_same_instant_whatever_zone_it_came_in() -> None:
    assert format_jakarta(datetime(2025, 8, 16, 17, 5, tzinfo=UTC)) == "17 Agustus 2025 00.05 WIB"
    assert format_jakarta(datetime(2025, 3, 1, 9, 0, tzinfo=JAKARTA)) == "1 Maret 2025 09.00 WIB"


def test_is_open_between_opening_inclusive_and_deadline_exclusive() -> None:
    call = open_call()
    assert not call.is_open(OPENS - timedelta(seconds=1))
    assert call.is_open(OPENS)
    assert call.is_open(DEADLINE - timedelta(seconds=1))
    assert not call.is_open(DEADLINE)
    assert not call.is_open(DEADLINE + timedelta(days=1))


def test_remaining_counts_down_to_zero_and_stays_there() -> None:
    call = open_call()
    assert call.remaining(DEADLINE - timedelta(days=2, hours=3)) == timedelta(days=2, hours=3)
    assert call.remaining(DEADLINE) == timedelta(0)
    assert call.remaining(DEADLINE + timedelta(hours=5)) == timedelta(0)


def test_ensure_open_names_the_wib_opening_and_deadline() -> None:
    call = open_call()
    call.ensure_open(OPENS + timedelta(days=1))
    with pytest.raises(CallNotOpen) as early:
        call.ensure_open(OPENS - timedelta(minutes=1))
    assert (
        early.value.message
        == "Panggilan 'Inovasi Daerah 2025' baru dibuka 6 Januari 2025 08.00 WIB."
    )
    with pytest.raises(DeadlinePassed) as late:
        call.ensure_open(DEADLINE)
    assert late.value.message == "Batas waktu pengajuan telah lewat (31 Desember 2025 23.59 WIB)."
    assert late.value.details["deadline"] == "2025-12-31T16:59:00+00:00"
    assert late.value.status == 422


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "   "}, "title"),
        ({"deadline": datetime(2025, 12, 31, 23, 59)}, "deadline"),  # noqa: DTZ001 (ambiguous)
        ({"opens_at": datetime(2025, 1, 6, 8, 0)}, "deadline"),  # noqa: DTZ001 (refused)
        ({"deadline": OPENS}, "deadline"),
        ({"deadline": OPENS - timedelta(days=1)}, "deadline"),
        ({"threshold": 112}, "threshold"),
        ({"threshold": -1}, "threshold"),
    ],
)
def test_opening_refuses_bad_values(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValue) as info:
        open_call(**overrides)
    assert info.value.field == field


def test_deadline_can_be_extended_with_a_reason_and_reopens_the_call() -> None:
    call = open_call()
    after = DEADLINE + timedelta(hours=1)
    assert not call.is_open(after)
    call.change_deadline(ADMIN, DEADLINE + timedelta(days=7), "  Perpanjangan karena libur  ")
    event = call.pending_events[-1]
    assert isinstance(event, DeadlineChanged)
    assert event.reason == "Perpanjangan karena libur"
    assert event.deadline.utcoffset() == timedelta(0)
    assert call.is_open(after)
    assert format_jakarta(call.deadline) == "7 Januari 2026 23.59 WIB"


@pytest.mark.parametrize(
    ("deadline", "reason", "field"),
    [
        (DEADLINE + timedelta(days=1), "  ", "reason"),
        (OPENS, "mundur", "deadline"),
        (datetime(2026, 1, 7, 23, 59), "tanpa zona", "deadline"),  # noqa: DTZ001 (refused)
    ],
)
def test_deadline_change_refuses_bad_values(deadline: datetime, reason: str, field: str) -> None:
    call = open_call()
    before = call.version
    with pytest.raises(InvalidValue) as info:
        call.change_deadline(ADMIN, deadline, reason)
    assert info.value.field == field
    assert call.version == before
    assert call.deadline == DEADLINE


def test_replay_rebuilds_the_call() -> None:
    call = open_call()
    call.change_deadline(ADMIN, DEADLINE + timedelta(days=3), "Perpanjangan")
    rebuilt = Call.replay(call.pending_events)
    assert rebuilt is not None
    assert (rebuilt.deadline, rebuilt.opens_at, rebuilt.version) == (
        call.deadline,
        call.opens_at,
        2,
    )
    assert rebuilt.eligible_kinds == ("opd", "puskesmas")
