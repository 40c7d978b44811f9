"""The public catalogue: published innovations, ranked by the search index."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from projections.queries.common import (
    Page,
    ReadPosition,
    bounded_total,
    columns,
    counted,
    jakarta,
    optional_uuid,
    paged,
    position_column,
    take_position,
    ts_match,
    ts_query,
    uuid_of,
)
from projections.text import fts5_query, terms

#: With ``q``, the newest this many matches are ranked by relevance (a page of them first);
#: older matches follow by date. Ranking reads each match's whole document, so ranking every
#: match of a broad query would cost as much as the query is broad.
RANK_WINDOW = 200


def _public_matches(dialect: str, words: list[str], filters: list[str]) -> tuple[str, list[Any]]:
    """``FROM … WHERE …`` of the published catalogue rows matching every query word and
    ``filters`` (conditions on ``c``, their ``rm_catalogue`` row), through the search index;
    ``m`` names the row that has ``id`` and ``published_at`` (and on PostgreSQL ``document``).

    PostgreSQL reads the index rows, joining ``rm_catalogue`` only when a filter needs it;
    SQLite joins each FTS5 match through a covering index."""
    if dialect == "postgres":
        source = "rm_catalogue_fts m"
        if filters:
            source += " JOIN rm_catalogue c ON c.doc_no = m.doc_no"
        where = " AND ".join(
            [ts_match("m.document", words), "m.published_at IS NOT NULL", *filters]
        )
        return f"FROM {source} WHERE {where}", []
    where = " AND ".join(["rm_catalogue_fts MATCH ?", "m.published = 1", *filters])
    return (
        "FROM rm_catalogue_fts JOIN rm_catalogue m ON m.doc_no = rm_catalogue_fts.rowid "
        f"{'JOIN rm_catalogue c ON c.id = m.id ' if filters else ''}WHERE {where}",
        [fts5_query(words)],
    )


def _ranked_page(
    dialect: str, words: list[str], matches: str, match_args: list[Any], limit: int, offset: int
) -> tuple[str, list[Any]]:
    """``SELECT page_id, published, relevance, part`` of one page of matches in the order the
    catalogue shows them: the newest ``RANK_WINDOW`` matches by relevance (then date, then
    id), then the older ones by date, then id. Only the window is ranked."""
    newest = f"ORDER BY m.published_at DESC, m.id LIMIT {RANK_WINDOW}"
    if dialect == "postgres":
        window = (
            f"SELECT w.id, w.published_at, ts_rank(w.document, {ts_query(words)}) AS relevance "
            f"FROM (SELECT m.id, m.published_at, m.document {matches} {newest}) w"
        )
        window_args: list[Any] = []
    else:  # bm25: title weighted 10 to the body's 1, negated (higher is better)
        window = (
            "SELECT m.id, m.published_at, bm25(rm_catalogue_fts, 10.0, 1.0) * -1 AS relevance "
            f"{matches} {newest}"
        )
        window_args = []
    parts: list[str] = []
    args: list[Any] = []
    if offset < RANK_WINDOW:
        parts.append(
            "SELECT * FROM (SELECT r.id AS page_id, r.published_at AS published, "
            f"r.relevance, 0 AS part FROM ({window}) r "
            f"ORDER BY r.relevance DESC, r.published_at DESC, r.id "
            f"{paged(min(limit, RANK_WINDOW - offset), offset)}) ranked"
        )
        args += [*window_args, *match_args]
    if offset + limit > RANK_WINDOW:
        skip = max(offset - RANK_WINDOW, 0)
        parts.append(
            "SELECT * FROM (SELECT m.id AS page_id, m.published_at AS published, "
            f"CAST(0 AS REAL) AS relevance, 1 AS part {matches} "
            "ORDER BY m.published_at DESC, m.id "
            f"{paged(offset + limit - RANK_WINDOW - skip, RANK_WINDOW + skip)}) older"
        )
        args += match_args
    return " UNION ALL ".join(parts), args


class CatalogueItem(msgspec.Struct):
    id: UUID
    title: str
    organisation_id: UUID | None
    organisation_name: str | None
    call_kind: str
    budget_year: int
    stage: str | None
    kind: str | None
    form: str | None
    theme: str | None
    affair: str
    initiator: str | None
    goals: str
    benefits: str
    results: str
    abstract: str
    verified_score: int | None
    sk_number: str
    sk_date: str | None
    award: str | None
    published_at: str | None


#: What a catalogue item shows (not the folded state and profile blobs).
_CATALOGUE_COLUMNS = columns(
    "c",
    "id title organisation_id call_kind budget_year stage kind form theme affair "
    "initiator goals benefits results abstract verified_score sk_number sk_date award "
    "published_at",
)


def public_catalogue(
    db: Any,
    *,
    q: str | None = None,
    organisation: UUID | None = None,
    year: int | None = None,
    stage: str | None = None,
    kind: str | None = None,
    form: str | None = None,
    theme: str | None = None,
    call_kind: str | None = None,
    limit: int = 24,
    offset: int = 0,
    position: ReadPosition | None = None,
) -> Page:
    """Published innovations only, whatever the filters; with ``q``, best matches first (then
    the latest published, then by id).

    With ``q`` the matches are found once through the search index, ranked, counted and paged
    in one statement; without it the page comes from the (published, published_at) index. Only
    the page's rows are joined with their organisation and read into Python."""
    filters: list[str] = []
    args: list[Any] = []
    for column, value in (
        ("c.organisation_id", organisation),
        ("c.budget_year", year),
        ("c.stage", stage),
        ("c.kind", kind),
        ("c.form", form),
        ("c.theme", theme),
        ("c.call_kind", call_kind),
    ):
        if value is not None:
            filters.append(f"{column} = ?")
            args.append(str(value) if isinstance(value, UUID) else value)
    # One statement: the bounded count in a one-row head (an empty page still answers it),
    # the page joined to it: its ids first, in order; then only their rows, with their
    # organisation's name.
    page = (
        "SELECT h.*, p.* FROM (SELECT {} AS page_total{}) h LEFT JOIN ("
        f"SELECT {_CATALOGUE_COLUMNS}, o.name AS organisation_name, p.* FROM ({{}}) p "
        "JOIN rm_catalogue c ON c.id = p.page_id "
        "LEFT JOIN rm_organisations o ON o.id = c.organisation_id) p ON 1 = 1 "
        "ORDER BY {}"
    )
    words = terms(q) if q else []
    if words:
        matches, params = _public_matches(db.dialect, words, filters)
        matching, matching_args = f"SELECT 1 {matches}", [*params, *args]
        ids, ids_args = _ranked_page(db.dialect, words, matches, matching_args, limit, offset)
        order = "p.part, p.relevance DESC, p.published DESC, p.page_id"
    else:
        condition = " AND ".join(["c.published = 1", *filters])
        matching, matching_args = f"SELECT 1 FROM rm_catalogue c WHERE {condition}", args
        ids = (
            "SELECT c.id AS page_id, c.published_at AS published FROM rm_catalogue c "
            f"WHERE {condition} ORDER BY c.published_at DESC, c.id {paged(limit, offset)}"
        )
        ids_args, order = args, "p.published DESC, p.page_id"
    with db.transaction() as tx:  # the estimate, when needed, on the same connection
        found = tx.rows(
            page.format(counted(matching), position_column(position), ids, order),
            [*matching_args, *ids_args],
        )
        take_position(position, found[0])
        total, estimate = bounded_total(
            tx, int(found[0]["page_total"] or 0), matching, matching_args
        )
    rows = [r for r in found if r["page_id"] is not None]
    items = [_catalogue_item(r) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset, total_is_estimate=estimate)


def _catalogue_item(r: Any) -> CatalogueItem:
    """One published innovation as the catalogue shows it."""
    return CatalogueItem(
        id=uuid_of(r["id"]),
        title=r["title"] or "",
        organisation_id=optional_uuid(r["organisation_id"]),
        organisation_name=r["organisation_name"],
        call_kind=r["call_kind"],
        budget_year=int(r["budget_year"] or 0),
        stage=r["stage"],
        kind=r["kind"],
        form=r["form"],
        theme=r["theme"],
        affair=r["affair"] or "",
        initiator=r["initiator"],
        goals=r["goals"] or "",
        benefits=r["benefits"] or "",
        results=r["results"] or "",
        abstract=r["abstract"] or "",
        verified_score=r["verified_score"],
        sk_number=r["sk_number"] or "",
        sk_date=r["sk_date"],
        award=r["award"],
        published_at=jakarta(r["published_at"]),
    )
