"""What a reviewer or admin sees of one innovation: the review view.

Claimed and verified scores side by side per indicator, each reviewer's own total and levels,
the difference between reviewers with a flag past the configured margin, the documents with
their verdicts, every revision round with its items spelled out, and the Krenova judging.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from services.domain.call import Call
from services.domain.innovation import FIELD_LABELS, Innovation
from services.domain.innovation_views import KrenovaJudging, krenova_judging
from services.domain.lifecycle import (
    STATUS_LABELS,
)
from services.domain.organisation import Account, Organisation
from services.domain.principal import Principal
from services.domain.rubric import DOCUMENT_KIND_LABELS, Rubric, load_rubric
from services.domain.scoring import Scorecard
from services.domain.values import CallKind, RevisionItem
from services.eventstore.store import EventStore, NotFound
from services.identity import policy
from services.identity.policy import ensure_record


class ReviewerScore(msgspec.Struct, kw_only=True):
    reviewer_id: UUID
    name: str
    scored: bool
    total: int | None
    levels: dict[str, int]
    #: This reviewer's latest recommendation (``approve``/``reject``) and its note, if any.
    recommendation: str | None = None
    recommendation_note: str = ""


class EvidenceRef(msgspec.Struct, kw_only=True):
    doc_id: UUID
    name: str
    verdict: str


class IndicatorReview(msgspec.Struct, kw_only=True):
    no: int
    name: str
    weight: int
    max_points: int
    claimed_level: int
    claimed_points: int
    claim_note: str
    verified_level: int | None
    verified_points: int
    counted: bool  # a verified level counts only with accepted evidence
    reviewer_levels: dict[str, int]
    evidence: list[EvidenceRef]
    note: str = ""


class DocumentReview(msgspec.Struct, kw_only=True):
    doc_id: UUID
    kind: str
    kind_label: str
    name: str
    content_type: str
    size: int
    sha256: str
    url: str
    indicators: list[int]
    verdict: str
    note: str


class RevisionItemView(msgspec.Struct, kw_only=True):
    kind: str
    key: str
    label: str
    note: str


class RevisionRoundView(msgspec.Struct, kw_only=True):
    round: int
    note: str
    items: list[RevisionItemView]
    requested_by: UUID | None
    requested_at: str
    resubmitted_at: str | None
    response: str


class ScoreComparison(msgspec.Struct, kw_only=True):
    claimed_total: int
    verified_total: int
    max_total: int
    reviewer_totals: list[ReviewerScore]
    difference: int | None  # highest minus lowest reviewer total (two or more scorings)
    margin: int
    exceeds_margin: bool


class ReviewView(msgspec.Struct, kw_only=True):
    id: UUID
    version: int
    status: str
    status_label: str
    published: bool
    call_id: UUID | None
    call_title: str
    call_kind: CallKind
    threshold: int
    rubric_year: int
    organisation_id: UUID | None
    organisation_name: str
    title: str
    stage: str | None
    submitted_at: str | None
    status_changed_at: str | None
    scores: ScoreComparison
    indicators: list[IndicatorReview]
    documents: list[DocumentReview]
    pending_documents: int
    revisions: list[RevisionRoundView]
    recommendation: str | None
    decision_reason: str
    sk_number: str
    sk_date: date | None
    iga_year: int | None
    iga_report_id: UUID | None
    krenova: KrenovaJudging | None
    allowed_commands: list[str]
    notification_id: int | None = None


def _name(store: EventStore, account_id: UUID | None) -> str:
    if account_id is None:
        return "sistem"
    try:
        account = store.load(Account, account_id)
    except NotFound:
        return str(account_id)
    return account.full_name or account.username


def item_label(item: RevisionItem, innovation: Innovation, rubric: Rubric) -> str:
    """What the operator reads for one revision item."""
    if item.kind == "field":
        return FIELD_LABELS.get(item.key, item.key)
    if item.kind == "indicator":
        try:
            return f"Indikator {item.key} {rubric.indicator(int(item.key)).name}"
        except ValueError:
            return f"Indikator {item.key}"
    try:
        doc = innovation.documents.get(UUID(item.key))
    except ValueError:
        doc = None
    if doc is not None:
        return f"Dokumen '{doc.document.name}'"
    return f"Dokumen {DOCUMENT_KIND_LABELS.get(item.key, item.key)}"


def _score_comparison(
    store: EventStore, innovation: Innovation, card: Scorecard, rubric: Rubric, margin: int
) -> ScoreComparison:
    """Claimed and verified totals, each reviewer's total, and whether two reviewers differ by
    more than the margin."""
    totals = innovation.reviewer_totals(rubric)
    reviewers = [
        ReviewerScore(
            reviewer_id=rid,
            name=_name(store, rid),
            scored=rid in innovation.scores,
            total=totals.get(rid),
            levels={str(no): v.level for no, v in sorted(innovation.scores.get(rid, {}).items())},
            recommendation=innovation.recommendations.get(rid, (None, ""))[0],
            recommendation_note=innovation.recommendations.get(rid, (None, ""))[1],
        )
        for rid in innovation.reviewers
    ]
    scored = [t for t in totals.values()]
    difference = max(scored) - min(scored) if len(scored) >= 2 else None
    return ScoreComparison(
        claimed_total=card.claimed_total,
        verified_total=card.verified_total,
        max_total=card.max_total,
        reviewer_totals=reviewers,
        difference=difference,
        margin=margin,
        exceeds_margin=difference is not None and difference > margin,
    )


def _indicator_reviews(innovation: Innovation, card: Scorecard) -> list[IndicatorReview]:
    """Each indicator: claim, verified level, every reviewer's level and its evidence."""
    indicators = []
    for row in card.indicators:
        evidence = innovation.evidence_for(row.no)
        claim = innovation.claims.get(row.no)
        counted = any(d.verdict == "accepted" for d in evidence)
        note = ""
        if row.verified_level and not counted:
            note = "Level terverifikasi belum dihitung: belum ada bukti dukung yang diterima."
        indicators.append(
            IndicatorReview(
                no=row.no,
                name=row.name,
                weight=row.weight,
                max_points=row.max_points,
                claimed_level=row.claimed_level,
                claimed_points=row.claimed_points,
                claim_note=claim.note if claim else "",
                verified_level=row.verified_level,
                verified_points=row.verified_points,
                counted=counted,
                reviewer_levels={
                    str(rid): verdicts[row.no].level
                    for rid, verdicts in innovation.scores.items()
                    if row.no in verdicts
                },
                evidence=[
                    EvidenceRef(doc_id=d.document.doc_id, name=d.document.name, verdict=d.verdict)
                    for d in evidence
                ],
                note=note,
            )
        )
    return indicators


def _document_reviews(innovation: Innovation, card: Scorecard) -> list[DocumentReview]:
    """The live documents with their verdicts and the indicators each one proves."""
    proves: dict[UUID, list[int]] = {}
    for row in card.indicators:
        for d in innovation.evidence_for(row.no):
            proves.setdefault(d.document.doc_id, []).append(row.no)
    return [
        DocumentReview(
            doc_id=d.document.doc_id,
            kind=str(d.document.kind),
            kind_label=DOCUMENT_KIND_LABELS.get(str(d.document.kind), str(d.document.kind)),
            name=d.document.name,
            content_type=d.document.content_type,
            size=d.document.size,
            sha256=d.document.sha256,
            url=d.document.url,
            indicators=proves.get(d.document.doc_id, []),
            verdict=d.verdict,
            note=d.note,
        )
        for d in innovation.documents.values()
        if not d.removed
    ]


def _revision_views(innovation: Innovation, rubric: Rubric) -> list[RevisionRoundView]:
    return [
        RevisionRoundView(
            round=r.round,
            note=r.note,
            items=[
                RevisionItemView(
                    kind=i.kind, key=i.key, note=i.note, label=item_label(i, innovation, rubric)
                )
                for i in r.items
            ],
            requested_by=r.requested_by,
            requested_at=r.requested_at,
            resubmitted_at=r.resubmitted_at,
            response=r.response,
        )
        for r in innovation.revisions
    ]


def build(
    store: EventStore,
    innovation: Innovation,
    principal: Principal,
    margin: int,
    notification_id: int | None = None,
) -> ReviewView:
    """The review view of ``innovation`` for ``principal``; refused (``policy.ensure_record``)
    to anyone who may not read its internal record, a conflicted reviewer included, so no
    surface that shows it can forget the rule."""
    ensure_record(principal, innovation)
    rubric = load_rubric(innovation.rubric_year)
    call = store.load(Call, innovation.call_id) if innovation.call_id else None
    org = (
        store.load(Organisation, innovation.organisation_id) if innovation.organisation_id else None
    )
    card = innovation.scorecard(rubric)
    documents = _document_reviews(innovation, card)
    profile = innovation.profile
    return ReviewView(
        id=innovation.id,
        version=innovation.version,
        status=str(innovation.status),
        status_label=STATUS_LABELS.get(innovation.status, str(innovation.status)),
        published=innovation.published,
        call_id=innovation.call_id,
        call_title=call.title if call else "",
        call_kind=innovation.call_kind,
        threshold=call.threshold if call else 0,
        rubric_year=innovation.rubric_year,
        organisation_id=innovation.organisation_id,
        organisation_name=org.name if org else "",
        title=profile.title,
        stage=str(profile.stage) if profile.stage else None,
        submitted_at=innovation.submitted_at,
        status_changed_at=innovation.status_changed_at,
        scores=_score_comparison(store, innovation, card, rubric, margin),
        indicators=_indicator_reviews(innovation, card),
        documents=documents,
        pending_documents=sum(1 for d in documents if d.verdict == "pending"),
        revisions=_revision_views(innovation, rubric),
        recommendation=innovation.recommendation,
        decision_reason=innovation.decision_reason,
        sk_number=innovation.sk_number,
        sk_date=innovation.sk_date,
        iga_year=innovation.iga_year,
        iga_report_id=innovation.iga_report_id,
        krenova=(krenova_judging(innovation) if innovation.call_kind == CallKind.KRENOVA else None),
        allowed_commands=[str(c) for c in policy.allowed_commands(principal, innovation)],
        notification_id=notification_id,
    )
