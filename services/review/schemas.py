"""The review API's bodies and answers (msgspec structs): what the routes accept and return.

Bounds come from ``services.http.limits``; unknown fields are refused, so a typo is a 400.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from services.domain.values import Stage
from services.http.limits import (
    IDS_MAX,
    LIST_MAX,
    POSITION_MAX,
    Code,
    Note,
    Reason,
    RequiredCode,
    RequiredName,
    Year,
)
from services.review import krenova
from services.review.iga import Issue

Ids = Annotated[list[UUID], Meta(min_length=1, max_length=500)]

# ==== bodies ===================================================================================


class AssignRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``reviewer``: the reviewer's account id or username."""

    reviewer: RequiredCode


class BulkAssignRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Give ``reviewer`` to assign every item to one reviewer, or ``reviewers`` to share the items
    round-robin (a reviewer who cannot take an item is skipped for it, with the reason)."""

    innovation_ids: Ids
    reviewer: RequiredCode | None = None
    reviewers: Annotated[list[Code], Meta(max_length=LIST_MAX)] = []


class VerifyRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Accept the document, or reject it with a note (required when rejecting)."""

    accepted: bool
    note: Note = ""


class RevisionItemInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``key``: a field name (e.g. ``goals``, ``design.problem``), a document id or document kind
    (``sk``, ``sop``, …), or an indicator number."""

    kind: Literal["field", "document", "indicator"]
    key: RequiredCode
    note: Note = ""


class RevisionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Reason
    items: Annotated[list[RevisionItemInput], Meta(max_length=60)] = []


class ScoreInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    no: Annotated[int, Meta(ge=1, le=99)]
    level: Annotated[int, Meta(ge=0, le=3)]
    note: Note = ""


class ScoreRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    indicators: Annotated[list[ScoreInput], Meta(min_length=1, max_length=60)]


class RecommendRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    recommendation: Literal["approve", "reject"]
    note: Note = ""


class ApproveRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Note = ""


class RejectRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Reason


class EstablishRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sk_number: RequiredName
    sk_date: date


class AdvanceStageRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    to_stage: Stage
    on: date


class AdministrationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Seleksi administrasi of a Krenova entry; ``note`` is the reason when it fails."""

    passed: bool
    note: Note = ""


class CriterionInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    key: RequiredCode
    score: Annotated[int, Meta(ge=0, le=100)]
    note: Note = ""


class JudgeRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    scores: Annotated[list[CriterionInput], Meta(min_length=1, max_length=20)]


class ShortlistRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Name the entries, or give ``top`` to shortlist the best N judged entries."""

    innovation_ids: Annotated[list[UUID], Meta(max_length=500)] = []
    top: Annotated[int, Meta(ge=1, le=500)] | None = None
    note: Note = ""


class WinnersRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    winners: Annotated[list[krenova.Winner], Meta(min_length=1, max_length=50)]
    note: Note = ""


class IGASelectionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``expected_versions`` (optional): the version of each innovation the admin looked at."""

    year: Year
    innovation_ids: Annotated[list[UUID], Meta(min_length=1, max_length=IDS_MAX)]
    expected_versions: Annotated[
        dict[UUID, Annotated[int, Meta(ge=0, le=POSITION_MAX)]], Meta(max_length=IDS_MAX)
    ] = {}


# ==== responses ================================================================================


class StageView(msgspec.Struct, kw_only=True):
    id: UUID
    version: int
    status: str
    stage: Stage | None
    trial_date: date | None
    implementation_date: date | None
    notification_id: int | None = None


class BatchItem(msgspec.Struct, kw_only=True):
    id: UUID
    version: int
    status: str
    notification_id: int


class BatchResult(msgspec.Struct, kw_only=True):
    items: list[BatchItem]
    notification_id: int


class ReportFileView(msgspec.Struct, kw_only=True):
    name: str
    content_type: str
    sha256: str
    size: int
    url: str


class ReportItemView(msgspec.Struct, kw_only=True):
    position: int
    innovation_id: UUID
    version: int
    title: str
    organisation: str
    claimed_score: int
    verified_score: int
    warnings: list[Issue]


class IGAReportView(msgspec.Struct, kw_only=True):
    id: UUID
    year: int
    created_at: str  # ISO 8601 in Asia/Jakarta
    created_at_text: str
    created_by: UUID | None
    created_by_name: str
    count: int
    total_verified_score: int
    items: list[ReportItemView]
    warnings: int
    files: list[ReportFileView]
    evidence_url: str
    evidence_sha256: str  # fingerprint of the ZIP's manifest (content by hash, paths, times)
    notification_id: int


class IGAReportSummary(msgspec.Struct, kw_only=True):
    id: UUID
    year: int
    created_at: str
    created_by_name: str
    count: int
    url: str
