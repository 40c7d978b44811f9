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
from msgspec import UNSET, Meta, UnsetType

from services.domain.call import JAKARTA, Call, format_jakarta
from services.domain.innovation_views import DocumentView, InnovationState
from services.domain.values import (
    Budget,
    CallKind,
    Design,
    Initiator,
    InnovationForm,
    InnovationKind,
    KrenovaEntry,
    KrenovaField,
    ParticipantCategory,
    Profile,
    ProfilePatch,
    Stage,
    Theme,
)
from services.http.limits import (
    AMOUNT_MAX,
    LIST_MAX,
    Code,
    LongText,
    Name,
    Note,
    RequiredName,
    RequiredTitle,
    Title,
    Url,
    Year,
)
from services.http.limits import Password as PasswordText

Text = LongText
ShortText = Note
Codes = Annotated[list[Code], Meta(max_length=LIST_MAX)]

# --- calls ----------------------------------------------------------------------------------


class CallCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new call. Times without a zone are read as Asia/Jakarta (WIB), as users write them."""

    kind: CallKind
    title: RequiredTitle
    budget_year: Year
    opens_at: datetime
    deadline: datetime
    eligible_kinds: Codes
    rubric_year: Year
    required_documents: Codes = []
    threshold: Annotated[int, Meta(ge=0, le=111)] = 0
    description: Text = ""
    #: Submitting needs the head's endorsement. Unset: yes for annual (OPD) calls, no for Krenova.
    requires_endorsement: bool | None = None


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
    requires_endorsement: bool = False


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
        requires_endorsement=call.requires_endorsement,
    )


# --- innovations ----------------------------------------------------------------------------


class DesignInput(Design, frozen=True, kw_only=True, forbid_unknown_fields=True):
    legal_basis: Text = ""
    problem: Text = ""
    strategic_issue: Text = ""
    method: Text = ""
    novelty: Text = ""
    how_it_works: Text = ""


class BudgetInput(Budget, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Rupiah amounts: 0 to 10^15 (msgspec cannot bound a Decimal, so ``__post_init__`` does)."""

    other_sources: ShortText = ""

    def __post_init__(self) -> None:
        for name in ("apbd_t0", "apbd_t1", "apbd_t2"):
            amount = getattr(self, name)
            if amount is not None and not (amount.is_finite() and 0 <= amount <= AMOUNT_MAX):
                limit = f"{AMOUNT_MAX:,}".replace(",", ".")
                raise ValueError(f"`{name}` harus antara 0 dan {limit} rupiah")


class KrenovaEntryInput(KrenovaEntry, frozen=True, kw_only=True, forbid_unknown_fields=True):
    field: KrenovaField | None = None
    participant_category: ParticipantCategory | None = None
    abstract: Text = ""
    advantages: Text = ""
    benefits: Text = ""
    application: Text = ""
    video_url: Url = ""
    members: Annotated[tuple[Name, ...], Meta(max_length=LIST_MAX)] = ()


Affairs = Annotated[tuple[Name, ...], Meta(max_length=LIST_MAX)]


class ProfileInput(Profile, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The profile of a new innovation; every field may be left empty in a draft. The bounds on
    each field are services/http/limits.py's."""

    title: Title = ""
    initiator_name: Name = ""
    affair: Name = ""
    other_affairs: Affairs = ()
    design: DesignInput = DesignInput()
    goals: Text = ""
    benefits: Text = ""
    results: Text = ""
    budget: BudgetInput = BudgetInput()
    krenova: KrenovaEntryInput | None = None


class ProposeRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``call_id`` may be omitted: an operator then proposes to the open annual call of their
    organisation's kind, a participant to the open Krenova call."""

    profile: ProfileInput
    call_id: UUID | None = None


class ProfilePatchInput(ProfilePatch, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Only the fields present are changed; ``null`` clears an optional field."""

    title: Title | UnsetType = UNSET
    stage: Stage | None | UnsetType = UNSET
    initiator: Initiator | None | UnsetType = UNSET
    initiator_name: Name | UnsetType = UNSET
    kind: InnovationKind | None | UnsetType = UNSET
    form: InnovationForm | None | UnsetType = UNSET
    theme: Theme | None | UnsetType = UNSET
    affair: Name | UnsetType = UNSET
    other_affairs: Affairs | UnsetType = UNSET
    design: DesignInput | UnsetType = UNSET
    goals: Text | UnsetType = UNSET
    benefits: Text | UnsetType = UNSET
    results: Text | UnsetType = UNSET
    budget: BudgetInput | UnsetType = UNSET
    krenova: KrenovaEntryInput | None | UnsetType = UNSET


class ClaimRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Self-assessment of one indicator: level 0 withdraws the claim."""

    level: Annotated[int, Meta(ge=0, le=3)]
    evidence: Annotated[list[UUID], Meta(max_length=50)] = []
    note: ShortText = ""


class WithdrawRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: ShortText = ""


class VisibilityRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``public``: shown on the innovation's public face once it is published."""

    public: bool
    reason: ShortText = ""


class ResubmitRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: ShortText = ""


class EndorseRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The head endorses with an empty body (or a note); the operator names the head and the
    attached signed letter (a document of kind ``endorsement``)."""

    endorser_name: Name = ""
    letter_doc_id: UUID | None = None
    note: ShortText = ""


class CallSummary(msgspec.Struct, kw_only=True):
    id: UUID
    title: str
    kind: CallKind
    deadline: str
    deadline_text: str
    remaining_seconds: int
    is_open: bool
    requires_endorsement: bool = False


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
_ADDRESS = r"[^@\s\x00-\x1f\x7f-\x9f]"
Email = Annotated[
    str,
    Meta(pattern=f"^{_ADDRESS}{{1,64}}@{_ADDRESS}{{1,190}}\\.{_ADDRESS}{{2,63}}$", max_length=254),
]
Phone = Annotated[str, Meta(pattern=r"^\+?[0-9 ()-]{8,20}$")]
Password = Annotated[PasswordText, Meta(min_length=8)]
PersonName = RequiredName


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
    """The domain Profile from the request Struct (the same fields, without the input types)."""
    return msgspec.json.decode(msgspec.json.encode(data), type=Profile)


def patch_from(data: ProfilePatchInput) -> ProfilePatch:
    return msgspec.json.decode(msgspec.json.encode(data), type=ProfilePatch)


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
