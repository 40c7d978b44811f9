"""The conversions every list row goes through (``projections.queries.common``): their short
ways answer exactly what the general ones answer."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import msgspec
import pytest

from projections.queries.common import jakarta, optional_uuid, uuid_of
from projections.sql import parse_ts, ts
from services.domain.call import JAKARTA


def _reference(value: str | None) -> str | None:
    moment = parse_ts(value)
    return moment.astimezone(JAKARTA).isoformat() if moment else None


def test_jakarta_answers_what_the_time_zone_answers() -> None:
    rng = random.Random(19)
    start = datetime(1900, 1, 1, tzinfo=UTC)
    moments = [
        start + timedelta(seconds=rng.randrange(0, 200 * 365 * 86400), microseconds=m)
        for m in [rng.randrange(0, 1_000_000) for _ in range(2000)] + [0] * 500
    ]
    # Around the last change of Jakarta's offset, midnight and the turn of a year.
    moments += [
        datetime(1963, 12, 31, 16, 59, 59, tzinfo=UTC),
        datetime(1963, 12, 31, 17, 0, tzinfo=UTC),
        datetime(1964, 1, 1, tzinfo=UTC),
        datetime(2026, 12, 31, 16, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 12, 31, 17, 0, tzinfo=UTC),
        datetime(2028, 2, 28, 17, 0, tzinfo=UTC),
    ]
    for moment in moments:
        stored = ts(moment)
        assert jakarta(stored) == _reference(stored), stored
    for other in ("2026-03-04T05:06:07+00:00", "2026-03-04T05:06:07Z", "1950-06-01T00:00:00Z"):
        assert jakarta(other) == _reference(other)
    assert jakarta(None) is None and jakarta("") is None


def test_uuid_of_parses_as_uuid_does() -> None:
    for value in [uuid4() for _ in range(100)]:
        assert uuid_of(str(value)) == value and isinstance(uuid_of(str(value)), UUID)
    assert optional_uuid("") is None and optional_uuid(None) is None
    with pytest.raises(msgspec.ValidationError):
        uuid_of("not-an-id")
