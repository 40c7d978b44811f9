"""The lists the pages show: calls and innovations, filtered for a page.

Temporary shape: reads the event log's notifications by topic and folds the aggregates. The
read models in ``projections/`` replace each function here as they land; the pages only use
these functions, so swapping the source touches this module alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from services.domain.call import Call
from services.domain.events import CallOpened, Proposed
from services.domain.innovation import Innovation
from services.runtime import Runtime
from services.store import NotFound

PAGE = 500


def _ids(runtime: Runtime, topic: str) -> list[UUID]:
    store = runtime.store
    ids: list[UUID] = []
    start = 1
    while True:
        page = store.notifications(start, PAGE, topics=[topic])
        if not page:
            break
        ids.extend(n.originator_id for n in page)
        if len(page) < PAGE:
            break
        start = page[-1].id + 1
    return list(dict.fromkeys(ids))


def calls(runtime: Runtime) -> list[Call]:
    found: list[Call] = []
    for id in _ids(runtime, CallOpened.TOPIC):
        try:
            found.append(runtime.store.load(Call, id))
        except NotFound:
            continue
    return sorted(found, key=lambda c: c.deadline)


def innovations(
    runtime: Runtime,
    *,
    organisation_id: UUID | None = None,
    submitter_id: UUID | None = None,
    statuses: Iterable[str] | None = None,
    published: bool | None = None,
    call_id: UUID | None = None,
) -> list[Innovation]:
    wanted = set(statuses) if statuses is not None else None
    found: list[Innovation] = []
    for id in _ids(runtime, Proposed.TOPIC):
        try:
            innovation = runtime.store.load(Innovation, id)
        except NotFound:
            continue
        if organisation_id is not None and innovation.organisation_id != organisation_id:
            continue
        if submitter_id is not None and innovation.submitter_id != submitter_id:
            continue
        if wanted is not None and str(innovation.status) not in wanted:
            continue
        if published is not None and innovation.published != published:
            continue
        if call_id is not None and innovation.call_id != call_id:
            continue
        found.append(innovation)
    return found
