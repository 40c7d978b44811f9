"""Which research aggregate a ``research.*`` event belongs to (the agenda and the proposals
share the topic prefix): for whoever replays a stream without knowing its kind (the audit
history, the audit-trail worker)."""

from __future__ import annotations

from services.domain.aggregate import Aggregate
from services.domain.events import Event
from services.domain.research.agenda import ResearchAgenda
from services.domain.research.events import AgendaEvent
from services.domain.research.proposal import ResearchProposal


def aggregate_of(event: Event) -> type[Aggregate]:
    return ResearchAgenda if isinstance(event, AgendaEvent) else ResearchProposal
