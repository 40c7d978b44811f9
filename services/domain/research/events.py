"""Events of riset daerah: the agenda (one stream per year) and each proposal (one stream each).

Registered in the shared catalogue (``services.domain.events.CATALOGUE``) under the topics
``research.*`` so the store decodes them and every follower sees them; ``services.domain.events``
imports this module at its end so the catalogue is always complete.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from services.domain.events import Event, _topic
from services.domain.research.values import (
    AgendaStatus,
    CriterionScore,
    FollowUpStatus,
    LinkKind,
    Output,
    OutputFile,
    ProposalBody,
    Theme,
)

research_event = _topic("research")


class ResearchEvent(Event, frozen=True, kw_only=True):
    pass


class AgendaEvent(ResearchEvent, frozen=True, kw_only=True):
    pass


class ProposalEvent(ResearchEvent, frozen=True, kw_only=True):
    pass


# --- Agenda ---------------------------------------------------------------------------------------


@research_event
class AgendaOpened(AgendaEvent, frozen=True, kw_only=True):
    year: int
    title: str
    rpjmd_period: str = ""  # e.g. "2021–2026"


@research_event
class AgendaThemeSet(AgendaEvent, frozen=True, kw_only=True):
    """A theme added or changed (same ``code``)."""

    theme: Theme


@research_event
class AgendaThemeRemoved(AgendaEvent, frozen=True, kw_only=True):
    code: str
    reason: str = ""


@research_event
class AgendaStatusChanged(AgendaEvent, frozen=True, kw_only=True):
    """The RIPJ PID / agenda document's standing; ``perkada`` once enacted (SPD 14)."""

    status: AgendaStatus
    perkada: str = ""


# --- Proposal -------------------------------------------------------------------------------------


@research_event
class ResearchProposed(ProposalEvent, frozen=True, kw_only=True):
    year: int
    organisation_id: UUID | None
    submitter_id: UUID | None
    body: ProposalBody


@research_event
class ResearchUpdated(ProposalEvent, frozen=True, kw_only=True):
    body: ProposalBody


@research_event
class ResearchSubmitted(ProposalEvent, frozen=True, kw_only=True):
    round: int = 1


@research_event
class ResearchWithdrawn(ProposalEvent, frozen=True, kw_only=True):
    reason: str


@research_event
class ResearchReviewerAssigned(ProposalEvent, frozen=True, kw_only=True):
    reviewer_id: UUID


@research_event
class ResearchScored(ProposalEvent, frozen=True, kw_only=True):
    """One reviewer's scores; ``total`` is the weighted 0–100 result by ``criteria_year``."""

    reviewer_id: UUID
    scores: tuple[CriterionScore, ...]
    total: Decimal
    criteria_year: int
    note: str = ""
    seen_version: int


@research_event
class ResearchRevisionRequested(ProposalEvent, frozen=True, kw_only=True):
    note: str
    seen_version: int


@research_event
class ResearchApproved(ProposalEvent, frozen=True, kw_only=True):
    note: str = ""
    budget_ceiling: Decimal | None = None  # pagu disetujui (rupiah)
    seen_version: int


@research_event
class ResearchRejected(ProposalEvent, frozen=True, kw_only=True):
    reason: str
    seen_version: int


@research_event
class ResearchStarted(ProposalEvent, frozen=True, kw_only=True):
    """Execution starts: how it is carried out and under which agreement."""

    mode: str  # swakelola, kerja sama, pengadaan
    contract_number: str = ""
    started_on: date


@research_event
class ResearchProgressReported(ProposalEvent, frozen=True, kw_only=True):
    milestone: str
    progress: int  # 0–100 %
    reported_on: date
    summary: str = ""


@research_event
class ResearchOutputAdded(ProposalEvent, frozen=True, kw_only=True):
    output: Output


@research_event
class ResearchOutputFileAttached(ProposalEvent, frozen=True, kw_only=True):
    """A file uploaded for an output (the final report, policy brief, data, RIPJ, HAKI proof);
    a later upload replaces it as the current file, the earlier stays in the history."""

    output_id: UUID
    file: OutputFile


@research_event
class ResearchCompleted(ProposalEvent, frozen=True, kw_only=True):
    """Bappeda accepts the final report."""

    note: str = ""
    seen_version: int


@research_event
class ResearchDisseminated(ProposalEvent, frozen=True, kw_only=True):
    """Shown to the public (catalogue) from the first one; each records one forum."""

    forum: str  # seminar, FGD, jurnal, website…
    held_on: date
    recipients: tuple[UUID, ...] = ()  # organisations the results were handed to
    note: str = ""


@research_event
class ResearchFollowUpRecorded(ProposalEvent, frozen=True, kw_only=True):
    """Which organisation adopts which recommendation of which output, and how far it got."""

    output_id: UUID
    recommendation: int  # index in the output's recommendations
    organisation_id: UUID
    status: FollowUpStatus
    note: str = ""


@research_event
class ResearchInnovationLinked(ProposalEvent, frozen=True, kw_only=True):
    innovation_id: UUID
    link: LinkKind
    note: str = ""
