"""Commands on an innovation's mentoring record and its view.

The record is loaded (or started empty) for an innovation the caller may see; the aggregate
decides; the view adds the counts people ask for: open follow-ups, and the bimtek sessions of the
last two years that the "Bimtek inovasi" indicator counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from uuid import UUID

import msgspec

from services.commands import Commands, Outcome
from services.domain.aggregate import Context
from services.domain.care_evidence import BIMTEK_WINDOW
from services.domain.errors import InvalidValue
from services.domain.events import FileRef, FollowUpItem
from services.domain.innovation import Innovation
from services.domain.mentoring import MODE_LABELS, FollowUp, Mentor, Mentoring, mentoring_id
from services.domain.organisation import Account
from services.eventstore.store import EventStore, NotFound


class SessionView(msgspec.Struct, kw_only=True):
    id: UUID
    held_on: date
    mode: str
    mode_label: str
    attendees: list[str]
    topics: list[str]
    notes: str
    indicators: list[int]
    mentor_id: UUID | None
    recorded_at: str
    follow_ups: list[FollowUp]
    attachments: list[FileRef] = []


class MentoringView(msgspec.Struct, kw_only=True):
    innovation_id: UUID
    version: int
    mentors: list[Mentor]
    sessions: list[SessionView]
    open_follow_ups: int
    bimtek_sessions_2y: int
    notification_id: int | None = None


class MentoringCommands:
    def __init__(self, store: EventStore, commands: Commands) -> None:
        self.store = store
        self.commands = commands

    def load(self, innovation: Innovation) -> Mentoring:
        try:
            return self.store.load(Mentoring, mentoring_id(innovation.id))
        except NotFound:
            return Mentoring.start(innovation.id, innovation.organisation_id)

    def _save(self, mentoring: Mentoring) -> Outcome:
        ids = self.store.save(mentoring) if mentoring.pending_events else []
        return Outcome(mentoring.id, mentoring.version, ids[-1] if ids else 0)

    def assign(
        self, ctx: Context, innovation: Innovation, mentor_id: UUID, note: str = ""
    ) -> Outcome:
        try:
            account: Account = self.commands.account(mentor_id)
        except NotFound:
            raise InvalidValue("mentor_id", "Akun pendamping tidak ditemukan.") from None
        if account.disabled:
            raise InvalidValue("mentor_id", "Akun pendamping ini dinonaktifkan.")
        mentoring = self.load(innovation)
        mentoring.assign(
            ctx,
            mentor_id=mentor_id,
            mentor_name=account.full_name or account.username,
            mentor_role=account.role,
            note=note,
        )
        return self._save(mentoring)

    def record_session(
        self,
        ctx: Context,
        innovation: Innovation,
        *,
        session_id: UUID,
        held_on: date,
        mode: str,
        attendees: Sequence[str],
        topics: Sequence[str],
        notes: str = "",
        indicators: Sequence[int] = (),
        follow_ups: Sequence[FollowUpItem] = (),
    ) -> Outcome:
        known = {ind.no for ind in self.commands.rubric_for(innovation).indicators}
        if unknown := sorted(set(indicators) - known):
            raise InvalidValue(
                "indicators",
                f"Indikator tidak ada dalam rubrik tahun {innovation.rubric_year}: "
                + ", ".join(map(str, unknown)),
            )
        mentoring = self.load(innovation)
        mentoring.record_session(
            ctx,
            session_id=session_id,
            held_on=held_on,
            mode=mode,
            attendees=attendees,
            topics=topics,
            notes=notes,
            indicators=indicators,
            follow_ups=follow_ups,
        )
        return self._save(mentoring)

    def complete(
        self, ctx: Context, innovation: Innovation, follow_up_id: UUID, note: str = ""
    ) -> Outcome:
        mentoring = self.load(innovation)
        mentoring.complete_follow_up(ctx, follow_up_id, note)
        return self._save(mentoring)

    def attach_file(
        self,
        ctx: Context,
        innovation: Innovation,
        *,
        session_id: UUID,
        file: FileRef,
        keep: Callable[[], object],
    ) -> Outcome:
        """Decide, then ``keep`` the blob (only an accepted file is stored), then save."""
        mentoring = self.load(innovation)
        mentoring.attach_file(ctx, session_id=session_id, file=file)
        keep()
        return self._save(mentoring)


def mentoring_view(
    mentoring: Mentoring, today: date, notification_id: int | None = None
) -> MentoringView:
    return MentoringView(
        innovation_id=mentoring.innovation_id or mentoring.id,
        version=mentoring.version,
        mentors=list(mentoring.mentors.values()),
        sessions=[
            SessionView(
                id=s.id,
                held_on=s.held_on,
                mode=s.mode,
                mode_label=MODE_LABELS.get(s.mode, s.mode),
                attendees=list(s.attendees),
                topics=list(s.topics),
                notes=s.notes,
                indicators=list(s.indicators),
                mentor_id=s.mentor_id,
                recorded_at=s.recorded_at,
                follow_ups=[f for f in mentoring.follow_ups.values() if f.session_id == s.id],
                attachments=mentoring.attachments_of(s.id),
            )
            for s in sorted(mentoring.sessions, key=lambda s: s.held_on, reverse=True)
        ],
        open_follow_ups=len(mentoring.open_follow_ups()),
        bimtek_sessions_2y=mentoring.bimtek_sessions(since=today - BIMTEK_WINDOW),
        notification_id=notification_id,
    )
