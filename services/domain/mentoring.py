"""Pendampingan: who mentors an innovation, the sessions they held, and the follow-ups agreed.

One stream per innovation (``mentoring_id``). The rules table ``RULES`` says which roles may give
each command; the scoping the table cannot know (the assigned mentor only, the owning
organisation only) is checked here on the actor, as the innovation aggregate does.
Sessions held as a workshop or bimtek are the evidence the rubric accepts for the "Bimtek
inovasi" indicator; ``bimtek_sessions`` counts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec

from services.domain.actor import Role
from services.domain.aggregate import Aggregate, Context, applies
from services.domain.call import jakarta_date
from services.domain.care_files import (
    ATTACHMENT_TYPES,
    ATTACHMENT_TYPES_TEXT,
    MAX_ATTACHMENTS,
    PHOTO_TYPES,
    checked_file,
)
from services.domain.errors import IllegalTransition, InvalidValue, NotAllowed
from services.domain.events import (
    FileRef,
    FollowUpCompleted,
    FollowUpItem,
    MentorAssigned,
    MentoringAttachmentAdded,
    MentoringSessionRecorded,
)


class Mode(StrEnum):
    KLINIK = "klinik"
    KUNJUNGAN = "kunjungan"
    DARING = "daring"
    BIMTEK = "bimtek"


MODE_LABELS: dict[str, str] = {
    Mode.KLINIK: "Klinik inovasi",
    Mode.KUNJUNGAN: "Kunjungan lapangan",
    Mode.DARING: "Daring",
    Mode.BIMTEK: "Bimtek / lokakarya",
}


class MentoringCommand(StrEnum):
    ASSIGN_MENTOR = "assign_mentor"
    RECORD_SESSION = "record_session"
    COMPLETE_FOLLOW_UP = "complete_follow_up"
    ATTACH_FILE = "attach_file"


#: Who may give each command (the lifecycle rows of pendampingan: it has no status of its own).
RULES: dict[MentoringCommand, frozenset[Role]] = {
    MentoringCommand.ASSIGN_MENTOR: frozenset({Role.ADMIN}),
    MentoringCommand.RECORD_SESSION: frozenset({Role.MENTOR, Role.REVIEWER, Role.ADMIN}),
    MentoringCommand.COMPLETE_FOLLOW_UP: frozenset(
        {Role.MENTOR, Role.REVIEWER, Role.ADMIN, Role.OPERATOR, Role.KEPALA_OPD}
    ),
    MentoringCommand.ATTACH_FILE: frozenset(
        {Role.MENTOR, Role.REVIEWER, Role.ADMIN, Role.OPERATOR}
    ),
}
#: Roles an assigned mentor may hold: Bappeda staff or an external coach.
MENTOR_ROLES = frozenset({Role.MENTOR, Role.REVIEWER, Role.ADMIN})
MAX_ITEMS = 30


def mentoring_id(innovation_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"https://sirisma/mentoring/{innovation_id}")


class Mentor(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    role: str
    assigned_at: str


class Session(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    held_on: date
    mode: str
    attendees: tuple[str, ...]
    topics: tuple[str, ...]
    notes: str
    indicators: tuple[int, ...]
    mentor_id: UUID | None
    recorded_at: str


class FollowUp(msgspec.Struct, kw_only=True):
    id: UUID
    session_id: UUID
    text: str
    due: date | None
    done_at: str | None = None
    done_note: str = ""
    done_by: UUID | None = None


class Mentoring(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.innovation_id: UUID | None = None
        self.organisation_id: UUID | None = None
        self.mentors: dict[UUID, Mentor] = {}
        self.sessions: list[Session] = []
        self.follow_ups: dict[UUID, FollowUp] = {}
        self.attachments: dict[UUID, tuple[UUID, FileRef]] = {}  # id → (session, file)

    # ==== commands ==============================================================================

    @classmethod
    def start(cls, innovation_id: UUID, organisation_id: UUID | None) -> Mentoring:
        """An empty record for an innovation (nothing is recorded until a command)."""
        mentoring = cls(mentoring_id(innovation_id))
        mentoring.innovation_id, mentoring.organisation_id = innovation_id, organisation_id
        return mentoring

    def assign(
        self, ctx: Context, *, mentor_id: UUID, mentor_name: str, mentor_role: Role, note: str = ""
    ) -> None:
        self._allow(ctx, MentoringCommand.ASSIGN_MENTOR)
        if mentor_role not in MENTOR_ROLES:
            raise InvalidValue(
                "mentor_id",
                "Pendamping harus akun pendamping, verifikator atau admin Bappeda Litbang.",
            )
        if mentor_id in self.mentors:
            raise InvalidValue("mentor_id", f"{mentor_name} sudah menjadi pendamping inovasi ini.")
        self._record(
            ctx,
            MentorAssigned,
            **self._about(),
            mentor_id=mentor_id,
            mentor_name=mentor_name,
            mentor_role=str(mentor_role),
            note=note.strip(),
        )

    def record_session(
        self,
        ctx: Context,
        *,
        session_id: UUID,
        held_on: date,
        mode: str,
        attendees: Sequence[str],
        topics: Sequence[str],
        notes: str = "",
        indicators: Sequence[int] = (),
        follow_ups: Sequence[FollowUpItem] = (),
    ) -> None:
        """A session the assigned mentor held (not in the future), with what was agreed."""
        self._allow(ctx, MentoringCommand.RECORD_SESSION)
        self._require_mentor(ctx)
        if held_on > jakarta_date(ctx.timestamp()):
            raise InvalidValue("held_on", "Tanggal sesi tidak boleh di masa depan.")
        if mode not in MODE_LABELS:
            raise InvalidValue("mode", "Moda sesi harus salah satu dari: " + ", ".join(MODE_LABELS))
        attendees = _clean(attendees)
        topics = _clean(topics)
        if not attendees:
            raise InvalidValue("attendees", "Daftar hadir sesi wajib diisi.")
        if not topics:
            raise InvalidValue("topics", "Topik yang dibahas wajib diisi.")
        if any(s.id == session_id for s in self.sessions):
            raise InvalidValue("session_id", "Sesi dengan id ini sudah tercatat.")
        for item in follow_ups:
            if not item.text.strip():
                raise InvalidValue("follow_ups", "Setiap tindak lanjut wajib berisi uraian.")
            if item.due is not None and item.due < held_on:
                raise InvalidValue(
                    "follow_ups", "Tenggat tindak lanjut tidak boleh sebelum tanggal sesi."
                )
            if item.id in self.follow_ups:
                raise InvalidValue("follow_ups", "Tindak lanjut dengan id ini sudah ada.")
        self._record(
            ctx,
            MentoringSessionRecorded,
            **self._about(),
            session_id=session_id,
            held_on=held_on,
            mode=mode,
            attendees=attendees,
            topics=topics,
            notes=notes.strip(),
            indicators=tuple(sorted(set(indicators))),
            follow_ups=tuple(
                FollowUpItem(id=f.id, text=f.text.strip(), due=f.due) for f in follow_ups
            ),
        )

    def complete_follow_up(self, ctx: Context, follow_up_id: UUID, note: str = "") -> None:
        """The organisation reports a follow-up done, or the mentor closes it."""
        self._allow(ctx, MentoringCommand.COMPLETE_FOLLOW_UP)
        role = ctx.actor.role
        if role in (Role.OPERATOR, Role.KEPALA_OPD):
            if ctx.actor.organisation_id != self.organisation_id:
                raise NotAllowed("Hanya organisasi pengusul yang dapat menutup tindak lanjut ini.")
        else:
            self._require_mentor(ctx)
        item = self.follow_ups.get(follow_up_id)
        if item is None:
            raise InvalidValue("follow_up_id", "Tindak lanjut tidak ditemukan.")
        if item.done_at is not None:
            raise InvalidValue("follow_up_id", "Tindak lanjut ini sudah selesai.")
        self._record(
            ctx, FollowUpCompleted, **self._about(), follow_up_id=follow_up_id, note=note.strip()
        )

    def attach_file(self, ctx: Context, *, session_id: UUID, file: FileRef) -> None:
        """A document or photo of a session (invitation, attendance list, minutes, photo): by
        its mentor or Bappeda, or by the organisation's operator; a photo carries alt text."""
        self._allow(ctx, MentoringCommand.ATTACH_FILE)
        if ctx.actor.role == Role.OPERATOR:
            if ctx.actor.organisation_id != self.organisation_id:
                raise NotAllowed("Hanya organisasi pengusul yang dapat melampirkan berkas ini.")
        else:
            self._require_mentor(ctx)
        if not any(s.id == session_id for s in self.sessions):
            raise InvalidValue("session_id", "Sesi pendampingan tidak ditemukan.")
        if file.id in self.attachments:
            raise InvalidValue("attachment_id", "Lampiran dengan id ini sudah tercatat.")
        checked = checked_file(
            file,
            types=ATTACHMENT_TYPES,
            types_text=ATTACHMENT_TYPES_TEXT,
            held=len(self.attachments_of(session_id)),
            limit=MAX_ATTACHMENTS,
            caption_required=file.content_type in PHOTO_TYPES,
        )
        self._record(
            ctx,
            MentoringAttachmentAdded,
            **self._about(),
            session_id=session_id,
            attachment=checked,
        )

    # ==== rules =================================================================================

    def _allow(self, ctx: Context, command: MentoringCommand) -> None:
        role = ctx.actor.role
        if role not in RULES[command]:
            allowed = [str(c) for c, roles in RULES.items() if role in roles]
            raise IllegalTransition(str(command), "pendampingan", str(role), allowed)

    def _require_mentor(self, ctx: Context) -> None:
        """Only an assigned mentor records sessions (the admin too, for Bappeda's own clinics)."""
        if ctx.actor.role == Role.ADMIN:
            return
        if ctx.actor.account_id not in self.mentors:
            raise NotAllowed("Anda belum ditugaskan sebagai pendamping inovasi ini.")

    def _about(self) -> dict[str, UUID | None]:
        assert self.innovation_id is not None
        return {"innovation_id": self.innovation_id, "organisation_id": self.organisation_id}

    # ==== views =================================================================================

    def open_follow_ups(self) -> list[FollowUp]:
        return [f for f in self.follow_ups.values() if f.done_at is None]

    def attachments_of(self, session_id: UUID) -> list[FileRef]:
        return [f for s, f in self.attachments.values() if s == session_id]

    def bimtek(self, since: date) -> list[Session]:
        """Workshops/bimtek held on or after ``since``, newest first: the Bimtek indicator's."""
        chosen = [s for s in self.sessions if s.mode == Mode.BIMTEK and s.held_on >= since]
        return sorted(chosen, key=lambda s: s.held_on, reverse=True)

    def bimtek_sessions(self, since: date) -> int:
        """How many bimtek sessions since ``since``: the count the Bimtek indicator asks."""
        return len(self.bimtek(since))

    # ==== state changes =========================================================================

    def _about_event(
        self,
        e: MentorAssigned | MentoringSessionRecorded | FollowUpCompleted | MentoringAttachmentAdded,
    ) -> None:
        self.innovation_id, self.organisation_id = e.innovation_id, e.organisation_id

    @applies(MentorAssigned)
    def _assigned(self, e: MentorAssigned) -> None:
        self._about_event(e)
        self.mentors[e.mentor_id] = Mentor(
            id=e.mentor_id,
            name=e.mentor_name,
            role=e.mentor_role,
            assigned_at=e.timestamp.isoformat(),
        )

    @applies(MentoringSessionRecorded)
    def _session(self, e: MentoringSessionRecorded) -> None:
        self._about_event(e)
        self.sessions.append(
            Session(
                id=e.session_id,
                held_on=e.held_on,
                mode=e.mode,
                attendees=e.attendees,
                topics=e.topics,
                notes=e.notes,
                indicators=e.indicators,
                mentor_id=e.actor.account_id,
                recorded_at=e.timestamp.isoformat(),
            )
        )
        for item in e.follow_ups:
            self.follow_ups[item.id] = FollowUp(
                id=item.id, session_id=e.session_id, text=item.text, due=item.due
            )

    @applies(FollowUpCompleted)
    def _done(self, e: FollowUpCompleted) -> None:
        self._about_event(e)
        item = self.follow_ups[e.follow_up_id]
        item.done_at, item.done_note, item.done_by = (
            e.timestamp.isoformat(),
            e.note,
            e.actor.account_id,
        )

    @applies(MentoringAttachmentAdded)
    def _attached(self, e: MentoringAttachmentAdded) -> None:
        self._about_event(e)
        self.attachments[e.attachment.id] = (e.session_id, e.attachment)


def _clean(items: Sequence[str]) -> tuple[str, ...]:
    """Trimmed, without blanks or repeats, in the order given."""
    return tuple(dict.fromkeys(i.strip() for i in items if i.strip()))
