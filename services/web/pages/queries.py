"""The lists the pages show, read from the read models (``projections.queries``).

Pages never scan the event log for a list: calls, status boards, the review queue, compliance,
the dashboard, the catalogue and the account directory all come from the projections' query
layer, scoped to the caller there. After a command a page waits (bounded) for the read models
to include it (``common.settle``), so the next list already shows the change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from projections import queries as rm
from projections.regency import rescorer
from services.domain.innovation import FIELD_LABELS
from services.domain.principal import Principal
from services.domain.rubric import DOCUMENT_KIND_LABELS
from services.runtime import Runtime


class CallView(msgspec.Struct, frozen=True, kw_only=True):
    """A call as the pages use it: real datetimes, so the countdown can compute from them."""

    id: UUID
    kind: str
    title: str
    budget_year: int
    opens_at: datetime
    deadline: datetime
    state: str
    eligible_kinds: tuple[str, ...]
    description: str

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.deadline


def calls(runtime: Runtime, *, state: str | None = None, kind: str | None = None) -> list[CallView]:
    return [
        CallView(
            id=c.id,
            kind=c.kind,
            title=c.title,
            budget_year=c.budget_year,
            opens_at=datetime.fromisoformat(c.opens_at or ""),
            deadline=datetime.fromisoformat(c.deadline or ""),
            state=c.state,
            eligible_kinds=tuple(c.eligible_kinds),
            description=c.description,
        )
        for c in rm.directory.calls(runtime.db, state=state, kind=kind)
    ]


def status_board(runtime: Runtime, principal: Principal) -> rm.board.StatusBoard:
    if principal.role is not None and str(principal.role) == "participant":
        return rm.board.status_board(runtime.db, submitter_id=principal.account_id, limit=200)
    return rm.board.status_board(runtime.db, organisation_id=principal.organisation_id, limit=200)


def review_queue(runtime: Runtime, principal: Principal, **filters: Any) -> rm.queue.Queue:
    filters.setdefault("limit", 200)
    return rm.queue.review_queue(
        runtime.db,
        principal,
        sla_working_days=runtime.settings.sla_working_days,
        **filters,
    )


def compliance(
    runtime: Runtime, year: int, now: datetime | None = None
) -> rm.compliance.ComplianceReport:
    return rm.compliance.compliance(runtime.db, year, now=now)


def index_dashboard(
    runtime: Runtime, year: int, spd: float | None, rubric: int | None = None
) -> rm.index.IndexDashboard:
    return rm.index.index_dashboard(
        runtime.db, year, spd=spd, rubric=rubric, rescore=rescorer(runtime.commands)
    )


def index_plan(
    runtime: Runtime, year: int, spd: float | None, rubric: int | None = None
) -> rm.index.IndexPlan:
    return rm.index.index_plan(
        runtime.db, year, spd=spd, rubric=rubric, rescore=rescorer(runtime.commands)
    )


def catalogue(runtime: Runtime, **filters: Any) -> rm.common.Page:
    return rm.catalogue.public_catalogue(runtime.db, **filters)


def innovations(runtime: Runtime, principal: Principal, **filters: Any) -> rm.common.Page:
    return rm.innovations.list_innovations(runtime.db, principal, **filters)


def reviewers(runtime: Runtime) -> list[rm.directory.AccountItem]:
    """Active reviewer accounts, for the assignment forms."""
    page = rm.directory.accounts(runtime.db, role="reviewer", disabled=False, limit=200)
    return sorted(page.items, key=lambda a: a.full_name or a.username)


def revision_item_label(item: dict[str, str]) -> str:
    """A revision item from the read model as the operator reads it."""
    kind, key = item.get("kind", ""), item.get("key", "")
    if kind == "field":
        return FIELD_LABELS.get(key, key)
    if kind == "indicator":
        return f"Indikator {key}"
    if key in DOCUMENT_KIND_LABELS:
        return f"Dokumen {DOCUMENT_KIND_LABELS[key]}"
    return "Dokumen yang diunggah"


QueryError = rm.common.QueryError
