"""Request and response bodies of the submission routes (msgspec Structs, served as OpenAPI).

Request bodies forbid unknown fields, so a typo in a field name is a 400 naming it rather than a
change silently not made. ``call_view`` and ``CallView`` are shared with the read-model routes
(the call list), so every call response has the same countdown fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from services.domain.call import JAKARTA, Call, format_jakarta
from services.domain.innovation import DocumentView, InnovationState
from services.domain.values import (
    CallKind,
    Design,
    KrenovaEntry,
    Profile,
    ProfilePatch,
)

Text = Annotated[str, Meta(max_length=20_000)]
ShortText = Annotated[str, Meta(max_length=2_000)]

# --- calls ----------------------------------------------------------------------------------


class CallCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new call. Times without a zone are read as Asia/Jakarta (WIB), as users write them."""

    kind: CallKind
    title: Annotated[str, Meta(min_length=1, max_length=300)]
    budget_year: Annotated[int, Meta(ge=2000, le=2100)]
    opens_at: datetime
    deadline: datetime
    eligible_kinds: Annotated[list[Annotated[str, Meta(max_length=40)]], Meta(max_length=20)]
    rubric_year: Annotated[int, Meta(ge=2000, le=2100)]
    required_documents: Annotated[
        list[Annotated[str, Meta(max_length=40)]], Meta(max_length=20)
    ] = []
    threshold: Annotated[int, Meta(ge=0, le=111)] = 0
    description: Text = ""


class CallView(msgspec.Struct, kw_only=True):
    id: UUID
    version: int
    kind: CallKind
    title: str
    budget_year: int
    opens_at: str
    deadline: str  # ISO 8601 in Asia/Jakarta (+07:00)
    deadline_text: str  # "31 Desember 2025 23.59 WIB"
    remaining_seconds: int  # 0 once the deadline has passed
    phase: str  # "upcoming" | "open" | "closed"
    is_open: bool
    eligible_kinds: list[str]
    rubric_year: int
    required_documents: list[str]
    threshold: int
    description: str
    notification_id: int | None = None


def jakarta_iso(moment: datetime) -> str:
    return moment.astimezone(JAKARTA).isoformat()


def call_view(call: Call, now: datetime, notification_id: int | None = None) -> CallView:
    """A call with its countdown as of ``now`` (seconds and the ISO deadline in WIB)."""
    phase = "upcoming" if now < call.opens_at else ("open" if now < call.deadline else "closed")
    return CallView(
        id=call.id,
        version=call.version,
        kind=call.kind,
        title=call.title,
        budget_year=call.budget_year,
        opens_at=jakarta_iso(call.opens_at),
        deadline=jakarta_iso(call.deadline),
        deadline_text=format_jakarta(call.deadline),
        remaining_seconds=int(call.remaining(now).total_seconds()),
        phase=phase,
        is_open=phase == "open",
        eligible_kinds=list(call.eligible_kinds),
        rubric_year=call.rubric_year,
        required_documents=list(call.required_documents),
        threshold=call.threshold,
        description=call.description,
        notification_id=notification_id,
    )


# --- innovations ----------------------------------------------------------------------------


class ProfileInput(Profile, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The profile of a new innovation; every field may be left empty in a draft."""


class ProposeRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``call_id`` may be omitted: an operator then proposes to the open annual call of their
    organisation's kind, a participant to the open Krenova call."""

    profile: ProfileInput
    call_id: UUID | None = None


class ProfilePatchInput(ProfilePatch, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Only the fields present are changed; ``null`` clears an optional field."""


class ClaimRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Self-assessment of one indicator: level 0 withdraws the claim."""

    level: Annotated[int, Meta(ge=0, le=3)]
    evidence: Annotated[list[UUID], Meta(max_length=50)] = []
    note: ShortText = ""


class WithdrawRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: ShortText = ""


class ResubmitRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: ShortText = ""


class CallSummary(msgspec.Struct, kw_only=True):
    id: UUID
    title: str
    kind: CallKind
    deadline: str
    deadline_text: str
    remaining_seconds: int
    is_open: bool


class InnovationView(InnovationState, kw_only=True):
    """The innovation as stored now, plus what the caller may do next and the call's clock."""

    allowed_commands: list[str]
    call: CallSummary | None = None
    notification_id: int | None = None


class DocumentUploaded(msgspec.Struct, kw_only=True):
    id: UUID  # the innovation
    version: int
    notification_id: int
    document: DocumentView
    innovation: InnovationView


# --- Krenova --------------------------------------------------------------------------------

Username = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]
Email = Annotated[str, Meta(pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$", max_length=254)]
Phone = Annotated[str, Meta(pattern=r"^\+?[0-9 ()-]{8,20}$")]
Password = Annotated[str, Meta(min_length=8, max_length=256)]
PersonName = Annotated[str, Meta(min_length=1, max_length=200)]


class ParticipantRegistration(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A citizen (or a group of up to 5 members) registering for Krenova."""

    username: Username
    name: PersonName
    email: Email
    phone: Phone
    password: Password
    members: Annotated[list[PersonName], Meta(max_length=5)] = []


class ParticipantView(msgspec.Struct, kw_only=True):
    id: UUID
    username: str
    name: str
    email: str
    phone: str
    members: list[str]
    role: str
    version: int
    notification_id: int


def profile_from(data: Profile) -> Profile:
    """The domain Profile from the request Struct (the same fields, without its config)."""
    return Profile(**msgspec.structs.asdict(data))


def patch_from(data: ProfilePatchInput) -> ProfilePatch:
    return ProfilePatch(**data.changed())


__all__ = [
    "CallCreate",
    "CallSummary",
    "CallView",
    "ClaimRequest",
    "Design",
    "DocumentUploaded",
    "InnovationView",
    "KrenovaEntry",
    "ParticipantRegistration",
    "ParticipantView",
    "ProfileInput",
    "ProfilePatchInput",
    "ProposeRequest",
    "ResubmitRequest",
    "WithdrawRequest",
    "call_view",
    "jakarta_iso",
    "patch_from",
    "profile_from",
]
