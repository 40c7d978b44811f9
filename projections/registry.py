"""Every read model of the system, in one list: what the runner runs and ``rebuild`` rebuilds.

To add a read model, implement ``projections.base.Projection`` and append its factory to
``FACTORIES`` below (one line). A factory takes ``capacity``: how many keys the projection may keep
in memory between batches during a rebuild (projections without in-memory state ignore it).
Each call of ``all_projections()`` gives fresh instances, so every runner has its own state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from projections.base import Projection
from projections.catalogue import CatalogueProjection
from projections.compliance import ComplianceProjection
from projections.directory import DirectoryProjection
from projections.innovations import InnovationsProjection
from projections.mentoring import MentoringProjection
from projections.monev import MonevProjection
from projections.research import ResearchProjection
from projections.spd import SpdRowsProjection
from projections.tracking import SCHEMA as TRACKING_SCHEMA
from services.quarantine import SCHEMA as QUARANTINE_SCHEMA

Factory = Callable[..., Projection]

FACTORIES: list[Factory] = [
    DirectoryProjection,
    InnovationsProjection,
    CatalogueProjection,
    ComplianceProjection,
    SpdRowsProjection,
    MentoringProjection,
    MonevProjection,
    ResearchProjection,
    # Other contexts append their read models here (audit trail, notification inbox, ...).
]


class UnknownProjection(KeyError):
    def __init__(self, names: Iterable[str], known: Iterable[str]) -> None:
        self.names = sorted(names)
        self.known = sorted(known)
        super().__init__(
            f"Model baca tidak dikenal: {', '.join(self.names)}. Yang ada: {', '.join(self.known)}."
        )


def _make(factory: Factory, capacity: int) -> Projection:
    try:
        return factory(capacity=capacity)
    except TypeError:
        return factory()


def all_projections(capacity: int = 0) -> list[Projection]:
    """Fresh instances of every read model, in registration order."""
    projections = [_make(f, capacity) for f in FACTORIES]
    names = [p.name for p in projections]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"duplicate read model names: {sorted(duplicates)}")
    return projections


def select(names: Iterable[str] | None = None, capacity: int = 0) -> list[Projection]:
    """The named read models (all when ``names`` is empty or None), in registration order."""
    projections = all_projections(capacity)
    wanted = set(names or ())
    if not wanted:
        return projections
    known = {p.name for p in projections}
    if wanted - known:
        raise UnknownProjection(wanted - known, known)
    return [p for p in projections if p.name in wanted]


def names() -> list[str]:
    return [p.name for p in all_projections()]


def schema_statements(dialect: str, projections: Iterable[Any] | None = None) -> list[str]:
    """Tracking table plus every read model's tables: what ``migrate`` creates."""
    statements = [*TRACKING_SCHEMA, *QUARANTINE_SCHEMA]
    for projection in projections if projections is not None else all_projections():
        statements.extend(projection.schema(dialect, ""))
    return statements
