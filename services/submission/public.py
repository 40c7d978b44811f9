"""The public face of an innovation: what ``/katalog/{id}`` shows, and nothing else.

Anonymous callers and everyone outside staff and the owning organisation get this from
``GET /api/innovations/{id}`` once the innovation is published (``policy.record_or_public``):
the profile fields the public catalogue shows (not the design narrative, not the budget), the
SK, the verified score, the Krenova prize, and the documents marked public. No reviewers, scores
per reviewer, verdicts, notes, revision rounds, decision reasons or claims.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from services.domain.innovation import Innovation
from services.domain.organisation import Organisation
from services.domain.rubric import load_rubric
from services.domain.values import (
    Award,
    CallKind,
    DocumentKind,
    Initiator,
    InnovationForm,
    InnovationKind,
    KrenovaField,
    Stage,
    Theme,
)
from services.eventstore.store import EventStore, NotFound
from services.identity.policy import document_public


class PublicKrenova(msgspec.Struct, kw_only=True):
    field: KrenovaField | None
    abstract: str


class PublicProfile(msgspec.Struct, kw_only=True):
    title: str
    stage: Stage | None
    initiator: Initiator | None
    initiator_name: str
    kind: InnovationKind | None
    form: InnovationForm | None
    theme: Theme | None
    urusan: str
    urusan_lain: tuple[str, ...]
    trial_date: date | None
    implementation_date: date | None
    goals: str
    benefits: str
    results: str
    krenova: PublicKrenova | None = None


class PublicDocument(msgspec.Struct, kw_only=True):
    doc_id: UUID
    kind: DocumentKind
    name: str
    content_type: str
    size: int
    url: str  # a video link; files download from /api/innovations/{id}/documents/{doc_id}
    indicator: int | None


class PublicInnovationView(msgspec.Struct, kw_only=True):
    """A published innovation as the public sees it (``view`` tells it from the full record)."""

    id: UUID
    version: int
    view: str  # always "public"
    published: bool
    call_kind: CallKind
    organisation_id: UUID | None
    organisation_name: str
    budget_year: int
    profile: PublicProfile
    sk_number: str
    sk_date: date | None
    verified_score: int
    award: Award | None
    documents: list[PublicDocument]


def organisation_name(store: EventStore, id: UUID | None) -> str:
    if id is None:
        return "Masyarakat (Krenova)"
    try:
        return store.load(Organisation, id).name
    except NotFound:
        return ""


def public_view(store: EventStore, innovation: Innovation) -> PublicInnovationView:
    p = innovation.profile
    return PublicInnovationView(
        id=innovation.id,
        version=innovation.version,
        view="public",
        published=innovation.published,
        call_kind=innovation.call_kind,
        organisation_id=innovation.organisation_id,
        organisation_name=organisation_name(store, innovation.organisation_id),
        budget_year=innovation.budget_year,
        profile=PublicProfile(
            title=p.title,
            stage=p.stage,
            initiator=p.initiator,
            initiator_name=p.initiator_name,
            kind=p.kind,
            form=p.form,
            theme=p.theme,
            urusan=p.urusan,
            urusan_lain=p.urusan_lain,
            trial_date=p.trial_date,
            implementation_date=p.implementation_date,
            goals=p.goals,
            benefits=p.benefits,
            results=p.results,
            krenova=(
                PublicKrenova(field=p.krenova.field, abstract=p.krenova.abstract)
                if p.krenova is not None
                else None
            ),
        ),
        sk_number=innovation.sk_number,
        sk_date=innovation.sk_date,
        verified_score=innovation.scorecard(load_rubric(innovation.rubric_year)).verified_total,
        award=innovation.award,
        documents=[
            PublicDocument(
                doc_id=d.document.doc_id,
                kind=d.document.kind,
                name=d.document.name,
                content_type=d.document.content_type,
                size=d.document.size,
                url=d.document.url,
                indicator=d.document.indicator,
            )
            for d in innovation.documents.values()
            if not d.removed and document_public(d.document)
        ],
    )
