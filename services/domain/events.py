"""The catalogue of every domain event, as frozen msgspec Structs.

Each event carries the actor (account id and role), the time and the correlation id of the
request that caused it. ``TOPIC`` is the stable name stored in the log, so modules can move without
breaking old records. To change an event's shape, raise ``class_version`` and add an
``upcast_vN_vN1(state: dict)`` static method: the store's mapper applies them on read.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

import msgspec
from eventsourcing.utils import register_topic

from services.domain.actor import Actor, Role
from services.domain.ministry import MinistryVerdict
from services.domain.values import (
    Award,
    CallKind,
    CriterionScore,
    Document,
    IndicatorVerdict,
    OrganisationKind,
    Profile,
    ProfilePatch,
    RevisionItem,
    SpdValues,
    Stage,
)


class Event(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """``gc=False``: an event is an immutable value that never takes part in a reference cycle,
    so the collector need not track it (a rebuild decodes a million; untracked they are smaller
    and cheaper to make and free)."""

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    actor: Actor
    correlation_id: str = ""

    TOPIC: ClassVar[str] = ""
    class_version: ClassVar[int] = 1


CATALOGUE: dict[str, type[Event]] = {}


def _topic(prefix: str) -> Any:
    """Class decorator: give the event its stable topic and register it for decoding."""

    def register(cls: type[Event]) -> type[Event]:
        cls.TOPIC = f"{prefix}.{cls.__name__}"
        CATALOGUE[cls.TOPIC] = cls
        register_topic(cls.TOPIC, cls)
        return cls

    return register


innovation_event = _topic("innovation")
call_event = _topic("call")
organisation_event = _topic("organisation")
account_event = _topic("account")
audit_event = _topic("audit")


# --- Innovation ---------------------------------------------------------------------------------


class InnovationEvent(Event, frozen=True, kw_only=True):
    pass


class DecisionEvent(InnovationEvent, frozen=True, kw_only=True):
    """A decision records what the decider saw: the innovation's version and the rubric year."""

    seen_version: int
    rubric_year: int


class SeenEvent(InnovationEvent, frozen=True, kw_only=True):
    """Establish and publish record what the decider saw, like every other decision.

    Stored before class_version 2 without either field: the version seen is exactly the one
    before the event (the aggregate records ``self.version`` at that moment), so the upcast
    restores it; the rubric year was not recorded then (``None``; it is the innovation's, fixed
    when it was proposed).
    """

    seen_version: int
    rubric_year: int | None = None

    class_version: ClassVar[int] = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("seen_version", int(state["originator_version"]) - 1)


@innovation_event
class Proposed(InnovationEvent, frozen=True, kw_only=True):
    call_id: UUID
    call_kind: CallKind
    organisation_id: UUID | None
    submitter_id: UUID | None
    budget_year: int
    rubric_year: int
    profile: Profile
    carried_from: UUID | None = None  # "bawa ke tahun berikutnya": the earlier year's record
    entry_no: int = 1  # which yearly entry of the same innovation this is (1 = the original)

    class_version: ClassVar[int] = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Free-text urusan became codes (issue 18): see ``urusan.upcast``."""
        _upcast_urusan(state["profile"])


@innovation_event
class ProfileUpdated(InnovationEvent, frozen=True, kw_only=True):
    changes: ProfilePatch

    class_version: ClassVar[int] = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        _upcast_urusan(state["changes"])


def _upcast_urusan(profile: dict[str, Any]) -> None:
    """Replace ``affair``/``other_affairs`` (free text) by codes, keeping what fits no code."""
    from services.domain import urusan

    has_main, has_others = "affair" in profile, "other_affairs" in profile
    main = profile.pop("affair", "") or ""
    others = profile.pop("other_affairs", ()) or ()
    fields = urusan.upcast(main, others)
    if has_main:
        profile["urusan"] = fields["urusan"]
        profile["urusan_unmatched"] = fields["urusan_unmatched"]
    if has_others:
        profile["urusan_lain"] = fields["urusan_lain"]
        profile["urusan_lain_unmatched"] = fields["urusan_lain_unmatched"]


@innovation_event
class DocumentAttached(InnovationEvent, frozen=True, kw_only=True):
    document: Document


@innovation_event
class DocumentRemoved(InnovationEvent, frozen=True, kw_only=True):
    doc_id: UUID
    reason: str = ""


@innovation_event
class DocumentVisibilityChanged(InnovationEvent, frozen=True, kw_only=True):
    """A document's public mark changed after upload (no re-upload: the bytes stay the same)."""

    doc_id: UUID
    public: bool
    reason: str = ""


@innovation_event
class IndicatorClaimed(InnovationEvent, frozen=True, kw_only=True):
    no: int
    level: int
    evidence: tuple[UUID, ...] = ()
    note: str = ""


@innovation_event
class Submitted(InnovationEvent, frozen=True, kw_only=True):
    completeness: int
    claimed_score: int


@innovation_event
class Endorsed(InnovationEvent, frozen=True, kw_only=True):
    """The head of the proposing organisation endorsed (mengesahkan) the draft: in person
    (``by_letter`` False) or through the signed letter the operator uploaded (``letter_doc_id``)."""

    endorser_name: str
    by_letter: bool = False
    letter_doc_id: UUID | None = None
    note: str = ""


@innovation_event
class Withdrawn(InnovationEvent, frozen=True, kw_only=True):
    reason: str = ""


@innovation_event
class ReviewerAssigned(InnovationEvent, frozen=True, kw_only=True):
    reviewer_id: UUID
    reviewer_name: str = ""


@innovation_event
class DocumentVerified(DecisionEvent, frozen=True, kw_only=True):
    doc_id: UUID
    note: str = ""


@innovation_event
class DocumentRejected(DecisionEvent, frozen=True, kw_only=True):
    doc_id: UUID
    note: str


@innovation_event
class RevisionRequested(DecisionEvent, frozen=True, kw_only=True):
    round: int
    note: str
    items: tuple[RevisionItem, ...] = ()


@innovation_event
class Resubmitted(InnovationEvent, frozen=True, kw_only=True):
    round: int
    note: str = ""


@innovation_event
class Scored(DecisionEvent, frozen=True, kw_only=True):
    reviewer_id: UUID
    indicators: tuple[IndicatorVerdict, ...]
    total: int


@innovation_event
class Recommended(DecisionEvent, frozen=True, kw_only=True):
    recommendation: str  # "approve" | "reject"
    note: str = ""


@innovation_event
class Approved(DecisionEvent, frozen=True, kw_only=True):
    verified_score: int
    note: str = ""


@innovation_event
class Rejected(DecisionEvent, frozen=True, kw_only=True):
    reason: str


@innovation_event
class Established(SeenEvent, frozen=True, kw_only=True):
    sk_number: str
    sk_date: date


@innovation_event
class SelectedForIGA(DecisionEvent, frozen=True, kw_only=True):
    year: int


@innovation_event
class ReportedToIGA(DecisionEvent, frozen=True, kw_only=True):
    year: int
    report_id: UUID


@innovation_event
class MinistryVerdictRecorded(InnovationEvent, frozen=True, kw_only=True):
    """What Kemendagri decided on a reported innovation, entered by hand or imported from the
    file the Bappeda downloads (``source``/``import_id`` say which)."""

    year: int
    verdict: MinistryVerdict
    reason: str = ""  # required for ``rejected``
    note: str = ""  # e.g. the award's name, the visit's date and team
    decided_on: date | None = None
    source: str = "manual"  # "manual" | "import"
    import_id: UUID | None = None


@innovation_event
class CarriedForward(InnovationEvent, frozen=True, kw_only=True):
    """ "Bawa ke tahun berikutnya": this record was copied into ``to_id``, a draft of a later
    year's call (whose ``Proposed.carried_from`` points back here)."""

    to_id: UUID
    to_year: int
    call_id: UUID


@innovation_event
class StageAdvanced(InnovationEvent, frozen=True, kw_only=True):
    from_stage: Stage | None
    to_stage: Stage
    on: date

    def apply_to(self, profile: Profile) -> Profile:
        """The profile at the new stage; the stage's date is set if it had none (the one rule
        the aggregate and the read models share)."""
        changes: dict[str, Any] = {"stage": self.to_stage}
        if self.to_stage == Stage.UJI_COBA and profile.trial_date is None:
            changes["trial_date"] = self.on
        if self.to_stage == Stage.PENERAPAN and profile.implementation_date is None:
            changes["implementation_date"] = self.on
        return msgspec.structs.replace(profile, **changes)


@innovation_event
class Published(SeenEvent, frozen=True, kw_only=True):
    pass


# Krenova judging: administrative check, criterion scores, shortlist, winners.


@innovation_event
class AdministrationPassed(DecisionEvent, frozen=True, kw_only=True):
    note: str = ""


@innovation_event
class AdministrationFailed(DecisionEvent, frozen=True, kw_only=True):
    reason: str


@innovation_event
class KrenovaJudged(DecisionEvent, frozen=True, kw_only=True):
    """One judge's scores on every Krenova criterion; ``total`` is weighted, 0–100."""

    judge_id: UUID
    scores: tuple[CriterionScore, ...]
    total: Decimal


@innovation_event
class Shortlisted(DecisionEvent, frozen=True, kw_only=True):
    rank: int  # place in the judges' ranking when shortlisted
    mean_total: Decimal
    note: str = ""


@innovation_event
class Awarded(DecisionEvent, frozen=True, kw_only=True):
    award: Award
    rank: int
    note: str = ""


# --- SPD sheet (one stream per assessment year: the regency's own profile) --------------------


class SpdEvent(Event, frozen=True, kw_only=True):
    pass


spd_event = _topic("spd")


@spd_event
class SpdSheetOpened(SpdEvent, frozen=True, kw_only=True):
    year: int


@spd_event
class SpdRowAssigned(SpdEvent, frozen=True, kw_only=True):
    """Which organisation owns (fills and proves) the row."""

    row_no: str
    organisation_id: UUID | None


@spd_event
class SpdRowFilled(SpdEvent, frozen=True, kw_only=True):
    """Raw values entered; ``level`` and ``figure`` are what they earned by the year's rules."""

    row_no: str
    values: SpdValues
    level: int
    figure: Decimal | None = None
    note: str = ""


@spd_event
class SpdEvidenceAttached(SpdEvent, frozen=True, kw_only=True):
    row_no: str
    document: Document


@spd_event
class SpdEvidenceRemoved(SpdEvent, frozen=True, kw_only=True):
    row_no: str
    doc_id: UUID
    reason: str = ""


@spd_event
class SpdRowSubmitted(SpdEvent, frozen=True, kw_only=True):
    row_no: str
    level: int


@spd_event
class SpdRowVerified(SpdEvent, frozen=True, kw_only=True):
    """Bappeda's check of a submitted row: accepted at ``level``, or returned (level 0) with
    the reason. ``seen_revision`` is the row's revision the verifier looked at."""

    row_no: str
    accepted: bool
    level: int
    note: str = ""
    seen_revision: int


# --- Call ---------------------------------------------------------------------------------------


@call_event
class CallOpened(Event, frozen=True, kw_only=True):
    kind: CallKind
    title: str
    budget_year: int
    opens_at: datetime
    deadline: datetime
    eligible_kinds: tuple[str, ...]
    rubric_year: int
    required_documents: tuple[str, ...] = ()
    threshold: int = 0
    description: str = ""
    #: Submitting needs the head's endorsement. False for calls opened before the rule existed.
    requires_endorsement: bool = False


@call_event
class DeadlineChanged(Event, frozen=True, kw_only=True):
    deadline: datetime
    reason: str


# --- Organisation -------------------------------------------------------------------------------


@organisation_event
class OrganisationRegistered(Event, frozen=True, kw_only=True):
    kind: OrganisationKind
    code: str
    name: str


@organisation_event
class OrganisationRenamed(Event, frozen=True, kw_only=True):
    name: str


# --- Account ------------------------------------------------------------------------------------


@account_event
class AccountCreated(Event, frozen=True, kw_only=True):
    username: str
    full_name: str
    email: str
    role: Role
    organisation_id: UUID | None
    password_hash: str
    phone: str = ""
    members: tuple[str, ...] = ()


@account_event
class RoleChanged(Event, frozen=True, kw_only=True):
    role: Role
    previous: Role


@account_event
class OrganisationChanged(Event, frozen=True, kw_only=True):
    organisation_id: UUID | None
    previous: UUID | None


@account_event
class AccountDisabled(Event, frozen=True, kw_only=True):
    reason: str = ""


@account_event
class AccountEnabled(Event, frozen=True, kw_only=True):
    pass


@account_event
class PasswordReset(Event, frozen=True, kw_only=True):
    password_hash: str


def topic_of(event: Event | type[Event]) -> str:
    return event.TOPIC


# --- Audit signing keys ---------------------------------------------------------------------------


@audit_event
class SigningKeyActivated(Event, frozen=True, kw_only=True):
    """The server signs audit roots with this Ed25519 key from ``valid_from`` on (a rotation
    is the next activation), so a verifier knows which key signed what."""

    key_id: str  # sha256 of the raw 32-byte public key, hex
    public_key: str  # the raw public key, hex
    valid_from: datetime


# --- Mentoring (pendampingan): one stream per innovation ----------------------------------------


class MentoringEvent(Event, frozen=True, kw_only=True):
    innovation_id: UUID
    organisation_id: UUID | None = None


mentoring_event = _topic("mentoring")


class FollowUpItem(msgspec.Struct, frozen=True, kw_only=True):
    """One agreed follow-up of a mentoring session (tindak lanjut), tracked until done."""

    id: UUID
    text: str
    due: date | None = None


@mentoring_event
class MentorAssigned(MentoringEvent, frozen=True, kw_only=True):
    mentor_id: UUID
    mentor_name: str
    mentor_role: str
    note: str = ""


@mentoring_event
class MentoringSessionRecorded(MentoringEvent, frozen=True, kw_only=True):
    session_id: UUID
    held_on: date
    mode: str  # services.domain.mentoring.MODE_LABELS
    attendees: tuple[str, ...]
    topics: tuple[str, ...]
    notes: str = ""
    indicators: tuple[int, ...] = ()
    follow_ups: tuple[FollowUpItem, ...] = ()


@mentoring_event
class FollowUpCompleted(MentoringEvent, frozen=True, kw_only=True):
    follow_up_id: UUID
    note: str = ""


# --- Monev (monitoring dan evaluasi) after establishment: one stream per innovation ------------


class MonevEvent(Event, frozen=True, kw_only=True):
    innovation_id: UUID
    organisation_id: UUID | None = None


monev_event = _topic("monev")


class IndicatorMeasure(msgspec.Struct, frozen=True, kw_only=True):
    """One indicator measured in an evaluation (name, value as written, optional target)."""

    name: str
    value: str
    target: str = ""


@monev_event
class MonevVisitScheduled(MonevEvent, frozen=True, kw_only=True):
    visit_id: UUID
    due_on: date
    kind: str  # services.domain.monev.VISIT_LABELS
    note: str = ""


@monev_event
class MonevReportRecorded(MonevEvent, frozen=True, kw_only=True):
    report_id: UUID
    visit_id: UUID | None = None
    kind: str  # services.domain.monev.REPORT_LABELS
    reported_on: date
    period: str = ""
    findings: str
    indicators: tuple[IndicatorMeasure, ...] = ()
    recommendation: str  # services.domain.monev.RECOMMENDATION_LABELS


# --- Files attached to care records (monev photos, mentoring attachments) ----------------------


class FileRef(msgspec.Struct, frozen=True, kw_only=True):
    """An uploaded file as the log keeps it: hash, safe name, size and sniffed type, and the
    blob key (``services.blobs``); never the bytes. ``caption`` is the photo's alt text."""

    id: UUID
    name: str
    content_type: str
    size: int
    sha256: str
    storage_key: str
    caption: str = ""


@monev_event
class MonevVisitRescheduled(MonevEvent, frozen=True, kw_only=True):
    visit_id: UUID
    due_on: date
    previous_due_on: date
    reason: str


@monev_event
class MonevVisitCancelled(MonevEvent, frozen=True, kw_only=True):
    visit_id: UUID
    reason: str


@monev_event
class MonevPhotoAttached(MonevEvent, frozen=True, kw_only=True):
    """A photo of a visit or of a report (exactly one of the two ids)."""

    photo: FileRef
    visit_id: UUID | None = None
    report_id: UUID | None = None


@mentoring_event
class MentoringAttachmentAdded(MentoringEvent, frozen=True, kw_only=True):
    session_id: UUID
    attachment: FileRef


# Riset daerah registers its events in the same catalogue (topics ``research.*``).
from services.domain.research import events as _research_events  # noqa: E402, F401
