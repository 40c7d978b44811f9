"""The public catalogue: published innovations, ranked by the search index."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from projections.queries.common import (
    Page,
    jakarta,
    optional_uuid,
    paged,
)
from projections.text import fts5_query, pg_tsquery, terms


def _public_matches(dialect: str, words: list[str], filters: list[str]) -> tuple[str, list[Any]]:
    """``SELECT id, published_at, relevance``: the published catalogue rows matching every query
    word and ``filters`` (conditions on ``c``, their ``rm_catalogue`` row), found once through the
    search index and ranked in the same pass (higher ``relevance`` is better).

    PostgreSQL ranks with ``ts_rank`` and reads ``id`` and ``published_at`` from the index rows,
    joining ``rm_catalogue`` only when a filter needs it; SQLite ranks with FTS5's ``bm25`` (title
    weighted 10 to the body's 1, negated) and joins each match through a covering index."""
    if dialect == "postgres":
        tsquery = pg_tsquery(words)
        source = "rm_catalogue_fts f"
        if filters:
            source += " JOIN rm_catalogue c ON c.doc_no = f.doc_no"
        where = " AND ".join(
            ["f.document @@ to_tsquery('simple', ?)", "f.published_at IS NOT NULL", *filters]
        )
        return (
            "SELECT f.id, f.published_at, ts_rank(f.document, to_tsquery('simple', ?)) "
            f"AS relevance FROM {source} WHERE {where}",
            [tsquery, tsquery],
        )
    where = " AND ".join(["rm_catalogue_fts MATCH ?", "c.published = 1", *filters])
    return (
        "SELECT c.id, c.published_at, bm25(rm_catalogue_fts, 10.0, 1.0) * -1 AS relevance "
        "FROM rm_catalogue_fts JOIN rm_catalogue c ON c.doc_no = rm_catalogue_fts.rowid "
        f"WHERE {where}",
        [fts5_query(words)],
    )


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
_CATALOGUE_COLUMNS = ", ".join(
    f"c.{column}"
    for column in (
        "id",
        "title",
        "organisation_id",
        "call_kind",
        "budget_year",
        "stage",
        "kind",
        "form",
        "theme",
        "affair",
        "initiator",
        "goals",
        "benefits",
        "results",
        "abstract",
        "verified_score",
        "sk_number",
        "sk_date",
        "award",
        "published_at",
    )
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
    # The page's ids first, in order; then only their rows, with their organisation's name.
    page = (
        f"SELECT {{}}{_CATALOGUE_COLUMNS}, o.name AS organisation_name FROM ({{}}) p "
        "JOIN rm_catalogue c ON c.id = p.page_id "
        "LEFT JOIN rm_organisations o ON o.id = c.organisation_id "
        "ORDER BY {}"
    )
    words = terms(q) if q else []
    if words:
        matches, params = _public_matches(db.dialect, words, filters)
        # Every match ranked in the one pass that finds it (a CTE read twice is materialised on
        # both dialects), then counted and paged: the index is read once whatever the page.
        rows = db.rows(
            f"WITH m AS ({matches}) "
            + page.format(
                "(SELECT count(*) FROM m) AS matches, ",
                "SELECT m.id AS page_id, m.published_at AS published, m.relevance FROM m "
                f"ORDER BY m.relevance DESC, m.published_at DESC, m.id {paged(limit, offset)}",
                "p.relevance DESC, p.published DESC, p.page_id",
            ),
            [*params, *args],
        )
        if rows or offset == 0:
            total = rows[0]["matches"] if rows else 0
        else:  # past the last page
            total = db.scalar(f"SELECT count(*) FROM ({matches}) m", [*params, *args])
    else:
        condition = " AND ".join(["c.published = 1", *filters])
        rows = db.rows(
            page.format(
                "",
                "SELECT c.id AS page_id, c.published_at AS published FROM rm_catalogue c "
                f"WHERE {condition} ORDER BY c.published_at DESC, c.id {paged(limit, offset)}",
                "p.published DESC, p.page_id",
            ),
            args,
        )
        total = db.scalar(f"SELECT count(*) FROM rm_catalogue c WHERE {condition}", args)
    items = [
        CatalogueItem(
            id=UUID(r["id"]),
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
        for r in rows
    ]
    return Page(items=items, total=int(total or 0), limit=limit, offset=offset)
