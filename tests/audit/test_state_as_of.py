"""State as of every version of a 300-event innovation equals what the aggregate was then."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.audit.timeline import NotYetExisting, Timeline, VersionNotFound
from services.domain.innovation import Innovation
from services.eventstore import snapshots
from tests.audit.conftest import LongHistory


def test_history_is_long_and_has_revision_rounds(long_history: LongHistory) -> None:
    assert len(long_history.states) == 300
    assert long_history.rounds >= 15


def test_state_as_of_every_version_equals_the_recorded_state(long_history: LongHistory) -> None:
    timeline = Timeline(long_history.store, snapshot_every=25)
    iid = long_history.innovation_id
    # First pass builds snapshots while replaying; the second reads through them.
    for version, expected in long_history.states.items():
        assert timeline.state_at(iid, version) == expected, f"version {version}"
    stored = timeline.snapshots.select_events(iid)
    assert [s.originator_version for s in stored] == list(range(25, 301, 25))
    for version in sorted(long_history.states, reverse=True):
        assert timeline.state_at(iid, version) == long_history.states[version], version


def test_snapshot_round_trip_restores_every_attribute(long_history: LongHistory) -> None:
    timeline = Timeline(long_history.store, snapshot_every=0)  # plain replay
    innovation = timeline.innovation(long_history.innovation_id, 250)
    restored = snapshots.restore(snapshots.take(innovation, "link"), Innovation)
    assert restored is not None
    again, link = restored
    assert link == "link"
    assert {k: v for k, v in vars(again).items()} == {
        k: v for k, v in vars(innovation).items() if k != "_pending"
    } | {"_pending": []}


def test_snapshots_are_ignored_when_they_no_longer_fit(
    long_history: LongHistory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot taken by different code (fingerprint) is skipped, never trusted."""
    timeline = Timeline(long_history.store, snapshot_every=25)
    iid = long_history.innovation_id
    timeline.state_at(iid, 300)
    assert timeline._snapshot(Innovation, iid, 280)[1] == 275
    monkeypatch.setattr(snapshots, "fingerprint", lambda cls: "other-code")
    assert timeline._snapshot(Innovation, iid, 280) == (None, 0)
    assert timeline.state_at(iid, 280) == long_history.states[280]


def test_a_forged_snapshot_cannot_name_classes_outside_the_domain() -> None:
    with pytest.raises(ValueError, match="outside the domain"):
        snapshots.decode_value({"$s": "os:system", "v": {}})


def test_state_as_of_time_and_missing_versions(long_history: LongHistory) -> None:
    timeline = Timeline(long_history.store)
    iid = long_history.innovation_id
    now = long_history.world.now
    # Every event of the world carries the same timestamp: at that moment the last version holds.
    assert timeline.state_at_time(iid, now) == long_history.states[300]
    with pytest.raises(NotYetExisting):
        timeline.state_at_time(iid, now - timedelta(seconds=1))
    with pytest.raises(VersionNotFound):
        timeline.state_at(iid, 301)


def test_state_as_of_a_moment_between_edits(world, store) -> None:  # type: ignore[no-untyped-def]
    from services.domain.aggregate import Context
    from services.domain.values import ProfilePatch
    from tests.factories import complete_profile

    base = world.now

    def at(minutes: int) -> Context:
        return Context(
            actor=world.operator,
            correlation_id=f"r{minutes}",
            now=base + timedelta(minutes=minutes),
        )

    c = world.commands
    iid = c.propose(at(1), call_id=world.call_id, profile=complete_profile("Lapor Cepat")).id
    for m in range(2, 7):
        c.update_profile(at(m), iid, ProfilePatch(goals=f"Tujuan menit {m}"))
    timeline = Timeline(store)
    state = timeline.state_at_time(iid, base + timedelta(minutes=4, seconds=30))
    assert (state.version, state.profile.goals) == (4, "Tujuan menit 4")
    assert timeline.state_at_time(iid, base + timedelta(days=1)).version == 6
    with pytest.raises(NotYetExisting):
        timeline.state_at_time(iid, base)
