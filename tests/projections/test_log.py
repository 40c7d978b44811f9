"""Decoding the log for the read models (``projections.log.Decoder``), without a database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from projections.log import DecodeError, Decoder
from projections.sql import ts
from services.domain import events as ev
from services.domain.actor import Actor
from services.eventstore.store import MsgspecMapper


def stored(moment: datetime, name: str = "Dinas") -> tuple[str, bytes]:
    event = ev.OrganisationRenamed(
        originator_id=uuid.uuid4(),
        originator_version=2,
        timestamp=moment,
        actor=Actor.system(),
        name=name,
    )
    record = MsgspecMapper().to_stored_event(event)
    return record.topic, record.state


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC),  # no microseconds: stored without them
        datetime(2026, 3, 1, 10, 0, 0, 100000, tzinfo=UTC),
        datetime(2026, 3, 1, 17, 0, 0, 5, tzinfo=timezone(timedelta(hours=7))),  # an offset
    ],
)
def test_an_envelope_carries_its_event_time_as_fixed_width_utc_text(moment: datetime) -> None:
    topic, state = stored(moment)
    [envelope] = Decoder(None).decode([(7, topic, state)])
    assert envelope.time == ts(moment) == ts(envelope.event.timestamp)
    assert envelope.key == str(envelope.event.originator_id)
    assert envelope.notification_id == 7


def test_topics_no_model_wants_are_skipped_and_bad_ones_noted() -> None:
    topic, state = stored(datetime.now(UTC))
    assert Decoder(frozenset({"some.other.Topic"})).decode([(1, topic, state)]) == []
    rows = [(1, topic, b"{not json"), (2, "no.such.Topic", state), (3, topic, state)]
    undecodable: dict[int, tuple[str, str]] = {}
    decoded = Decoder(None).decode(rows, undecodable)
    assert [e.notification_id for e in decoded] == [3]
    assert sorted(undecodable) == [1, 2]
    assert all("cannot be decoded" in error for _, error in undecodable.values())
    with pytest.raises(DecodeError):
        Decoder(None).decode(rows)


def test_decoded_events_and_their_envelopes_are_not_tracked_by_the_collector() -> None:
    """A rebuild decodes a million of them: untracked (``gc=False``) they are smaller and
    cheaper to make and free, and no collection ever scans them."""
    import gc

    topic, state = stored(datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC))
    [envelope] = Decoder(None).decode([(7, topic, state)])
    assert not gc.is_tracked(envelope)
    assert not gc.is_tracked(envelope.event)
