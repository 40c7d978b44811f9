"""The innovation list and the admin search (``rm_innovations``, the search index)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import msgspec

from projections.queries.common import (
    Page,
    QueryError,
    ReadPosition,
    bounded_total,
    columns,
    counted,
    jakarta,
    optional_uuid,
    paged,
    placeholders,
    position_column,
    search_rows,
    status_label,
    take_position,
    uuid_of,
)
from services.domain.actor import Role
from services.domain.lifecycle import Status
from services.domain.principal import Principal
from services.identity import policy


class InnovationItem(msgspec.Struct):
    id: UUID
    title: str
    status: str
    status_label: str
    stage: str | None
    kind: str | None
    form: str | None
    theme: str | None
    call_kind: str
    budget_year: int
    organisation_id: UUID | None
    organisation_name: str | None
    submitter_id: UUID | None
    call_id: UUID | None
    call_title: str | None
    claimed_score: int | None
    verified_score: int | None
    max_score: int | None
    completeness: int | None
    missing_count: int | None
    published: bool
    version: int
    updated_at: str | None
    status_changed_at: str | None
    #: ``record`` (the internal row) or ``public`` (a published innovation's public face: no
    #: submitter, claimed score or completeness), as ``GET /api/innovations/{id}`` answers.
    view: str = "record"

    # policy.InnovationLike: the route re-checks every row with policy.can_view.


#: What an item shows (``_innovation_item``): a page reads these, not the whole row.
_ITEM_COLUMNS = columns(
    "i",
    "id title status stage kind form theme call_kind budget_year organisation_id "
    "submitter_id call_id claimed_score verified_score max_score completeness "
    "missing_count published version updated_at status_changed_at",
)


def _scope(principal: Principal) -> tuple[str, list[Any]]:
    """The SQL form of who may list what (``policy.can_view``, narrowed for lists): staff all,
    operators and heads their organisation's, participants their own, anonymous callers
    published ones."""
    role = principal.role
    if role in policy.STAFF:
        return "1 = 1", []
    if role in (Role.OPERATOR, Role.KEPALA_OPD):
        if principal.organisation_id is None:
            return "1 = 0", []
        return "i.organisation_id = ?", [str(principal.organisation_id)]
    if role == Role.PARTICIPANT:
        return "i.submitter_id = ?", [str(principal.account_id)]
    return "i.published = 1", []


def list_innovations(
    db: Any,
    principal: Principal,
    *,
    status: Sequence[str] = (),
    organisation: UUID | None = None,
    call: UUID | None = None,
    year: int | None = None,
    stage: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    position: ReadPosition | None = None,
) -> Page:
    where, params = _scope(principal)
    clauses: list[str] = [where]
    args: list[Any] = list(params)
    if status:
        unknown = [s for s in status if s not in {x.value for x in Status}]
        if unknown:
            raise QueryError("status", f"Status tidak dikenal: {', '.join(unknown)}.")
        clauses.append(f"i.status IN ({placeholders(status)})")
        args += list(status)
    for column, value in (
        ("i.organisation_id", organisation),
        ("i.call_id", call),
        ("i.budget_year", year),
        ("i.stage", stage),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(str(value) if isinstance(value, UUID) else value)
    counting: tuple[str, list[Any]] | None = None
    if q:
        # The row's own ``doc_no`` (its Proposed event's notification id, the catalogue's and
        # the search index's key): a semi-join with the index, not a subquery per innovation.
        found_sql, found_args = search_rows(db.dialect, q)
        if found_sql:
            if clauses == ["1 = 1"]:
                # Staff without filters may see every innovation, and the index holds one
                # document per innovation: count the index's matches alone, no join.
                counting = found_sql, found_args
            clauses.append(f"i.doc_no IN ({found_sql})")
            args += found_args
    condition = " AND ".join(clauses)
    matching, matching_args = counting or (
        f"SELECT 1 FROM rm_innovations i WHERE {condition}",
        args,
    )
    # One statement: the bounded count in a one-row head (so an empty page still answers it),
    # the page joined to it: the page's ids first (narrow rows, from the indexes), then only
    # their rows joined with their organisation and call.
    with db.transaction() as tx:  # the estimate, when needed, on the same connection
        found = tx.rows(
            f"SELECT h.*, p.* FROM (SELECT {counted(matching)} AS page_total"
            f"{position_column(position)}) h "
            f"LEFT JOIN (SELECT {_ITEM_COLUMNS}, o.name AS organisation_name, "
            "k.title AS call_title FROM ("
            "SELECT i.id AS page_id FROM rm_innovations i "
            f"WHERE {condition} ORDER BY i.updated_at DESC, i.id {paged(limit, offset)}) p "
            "JOIN rm_innovations i ON i.id = p.page_id "
            "LEFT JOIN rm_organisations o ON o.id = i.organisation_id "
            "LEFT JOIN rm_calls k ON k.id = i.call_id) p ON 1 = 1 "
            "ORDER BY p.updated_at DESC, p.id",
            [*matching_args, *args],
        )
        take_position(position, found[0])
        # Counted up to a bound: a search matching most innovations costs what its page costs.
        total, estimate = bounded_total(
            tx, int(found[0]["page_total"] or 0), matching, matching_args
        )
    rows = [r for r in found if r["id"] is not None]
    items = [_as_seen_by(principal, _innovation_item(r)) for r in rows]
    visible = [i for i in items if i is not None]
    return Page(items=visible, total=total, limit=limit, offset=offset, total_is_estimate=estimate)


def _as_seen_by(principal: Principal, item: InnovationItem) -> InnovationItem | None:
    """The row as ``policy.record_or_public`` would answer it: the record, the public face of a
    published innovation (outsiders, conflicted reviewers), or nothing."""
    viewable = _Viewable(item)
    if not policy.can_view(principal, viewable):
        return None
    if policy.sees_record(principal, viewable):
        return item
    if not item.published:
        return None
    return msgspec.structs.replace(
        item,
        view="public",
        submitter_id=None,
        claimed_score=None,
        completeness=None,
        missing_count=None,
    )


class _Viewable:
    """An item in the shape ``policy.can_view`` reads."""

    def __init__(self, item: InnovationItem) -> None:
        self.id = item.id
        self.organisation_id = item.organisation_id
        self.submitter_id = item.submitter_id
        self.published = item.published


def _innovation_item(r: dict[str, Any]) -> InnovationItem:
    return InnovationItem(
        id=uuid_of(r["id"]),
        title=r["title"] or "",
        status=r["status"],
        status_label=status_label(r["status"]),
        stage=r["stage"],
        kind=r["kind"],
        form=r["form"],
        theme=r["theme"],
        call_kind=r["call_kind"],
        budget_year=int(r["budget_year"] or 0),
        organisation_id=optional_uuid(r["organisation_id"]),
        organisation_name=r.get("organisation_name"),
        submitter_id=optional_uuid(r["submitter_id"]),
        call_id=optional_uuid(r["call_id"]),
        call_title=r.get("call_title"),
        claimed_score=r["claimed_score"],
        verified_score=r["verified_score"],
        max_score=r["max_score"],
        completeness=r["completeness"],
        missing_count=int(r["missing_count"] or 0),
        published=bool(r["published"]),
        version=int(r["version"]),
        updated_at=jakarta(r["updated_at"]),
        status_changed_at=jakarta(r["status_changed_at"]),
    )
