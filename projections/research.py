"""Read models of riset daerah: the agenda per year, the proposal list, outputs (with the SPD
row each is evidence for), follow-ups of recommendations and links to innovations.

``rm_research_agendas(year, title, rpjmd_period, status, perkada, updated_at)``
``rm_research_themes(year, code, title, priority, rpjmd_goal, rkpd_goal, urusan, description,
removed)``
``rm_research_proposals(id, year, organisation_id, submitter_id, title, kind, theme_code,
partner, background, status, round, reviewers, scores, scored, average_score, budget_total,
progress, proposed_at, disseminated_at, updated_at, version)``: ``reviewers`` is the assigned
reviewer ids
separated by spaces, ``scores`` the current "reviewer=total" pairs (a revision clears them),
``average_score`` their mean.
``rm_research_outputs(output_id, proposal_id, year, kind, title, summary, url, recommendations,
spd_row, added_at, file_name, file_sha256)`` (the current uploaded file, if any)
``rm_research_follow_ups(proposal_id, output_id, recommendation, organisation_id, status, note,
updated_at)`` and ``rm_research_links(proposal_id, innovation_id, link, note, linked_at)``.

Pure on the events and its own rows (runner contract): rebuilt from the log, it equals the live
model row for row.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from projections.base import Envelope
from projections.sql import ts, upsert
from services.db import Tx
from services.domain import events as ev
from services.domain.research import events as rev
from services.domain.research.agenda import agenda_id
from services.domain.research.evidence import OUTPUT_SPD_ROW

AGENDAS = "rm_research_agendas"
THEMES = "rm_research_themes"
PROPOSALS = "rm_research_proposals"
OUTPUTS = "rm_research_outputs"
FOLLOW_UPS = "rm_research_follow_ups"
LINKS = "rm_research_links"

# table → (columns, key columns, integer columns)
SHAPES: dict[str, tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]] = {
    AGENDAS: (
        ("year", "title", "rpjmd_period", "status", "perkada", "updated_at"),
        ("year",),
        frozenset({"year"}),
    ),
    THEMES: (
        ("year", "code", "title", "priority", "rpjmd_goal", "rkpd_goal", "urusan")
        + ("description", "removed"),
        ("year", "code"),
        frozenset({"year", "removed"}),
    ),
    PROPOSALS: (
        ("id", "year", "organisation_id", "submitter_id", "title", "kind", "theme_code")
        + ("partner", "background", "status", "round", "reviewers", "scores", "scored")
        + ("average_score",)
        + ("budget_total", "progress", "proposed_at", "disseminated_at", "updated_at", "version"),
        ("id",),
        frozenset({"year", "round", "scored", "progress", "version"}),
    ),
    OUTPUTS: (
        ("output_id", "proposal_id", "year", "kind", "title", "summary", "url")
        + ("recommendations", "spd_row", "added_at", "file_name", "file_sha256"),
        ("output_id",),
        frozenset({"year", "recommendations"}),
    ),
    FOLLOW_UPS: (
        ("proposal_id", "output_id", "recommendation", "organisation_id", "status", "note")
        + ("updated_at",),
        ("proposal_id", "output_id", "recommendation", "organisation_id"),
        frozenset({"recommendation"}),
    ),
    LINKS: (
        ("proposal_id", "innovation_id", "link", "note", "linked_at"),
        ("proposal_id", "innovation_id"),
        frozenset(),
    ),
}
INDEXES = {
    PROPOSALS: ("year, status", "organisation_id, year"),
    OUTPUTS: ("spd_row, year", "proposal_id"),
    FOLLOW_UPS: ("organisation_id",),
}
_YEARS = {str(agenda_id(year)): year for year in range(2000, 2101)}


class _Held:
    """Rows of one table touched by a batch: read once per key, written once at the end."""

    def __init__(self, tx: Tx, table: str, suffix: str) -> None:
        self.tx, self.table, self.sql = tx, table, f"{table}{suffix}"
        self.columns, self.keys, _ = SHAPES[table]
        self.rows: dict[tuple[Any, ...], dict[str, Any]] = {}

    def get(self, key: tuple[Any, ...], **blank: Any) -> dict[str, Any]:
        if key not in self.rows:
            where = " AND ".join(f"{k} = ?" for k in self.keys)
            found = self.tx.execute(
                f"SELECT {', '.join(self.columns)} FROM {self.sql} WHERE {where}", key
            ).fetchone()
            if found is not None:
                self.rows[key] = dict(zip(self.columns, found, strict=True))
            else:
                row = dict.fromkeys(self.columns)
                row.update(zip(self.keys, key, strict=True))
                row.update(blank)
                self.rows[key] = row
        return self.rows[key]

    def flush(self) -> None:
        upsert(
            self.tx,
            self.sql,
            self.columns,
            self.keys,
            [tuple(r[c] for c in self.columns) for r in self.rows.values()],
        )


PROPOSAL_BLANK: dict[str, Any] = {
    "status": "draft",
    "round": 0,
    "reviewers": "",
    "scores": "",
    "scored": 0,
    "progress": 0,
    "average_score": None,
}


class ResearchProjection:
    name = "research"
    tables: tuple[str, ...] = tuple(SHAPES)
    topics = frozenset(topic for topic in ev.CATALOGUE if topic.startswith("research."))

    def schema(self, dialect: str, suffix: str = "") -> list[str]:
        statements: list[str] = []
        for table, (columns, keys, ints) in SHAPES.items():
            t = f"{table}{suffix}"
            cols = ",\n".join(f"{c} {'BIGINT' if c in ints else 'TEXT'}" for c in columns)
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {t} (\n{cols},\nPRIMARY KEY ({', '.join(keys)})\n)"
            )
            for n, columns_of_index in enumerate(INDEXES.get(table, ())):
                statements.append(
                    f"CREATE INDEX IF NOT EXISTS {t}_by_{n} ON {t} ({columns_of_index})"
                )
        return statements

    def apply(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        held = {table: _Held(tx, table, suffix) for table in SHAPES}
        for env in batch:
            e = env.event
            when = env.time or ts(e.timestamp)
            if isinstance(e, rev.AgendaEvent):
                self._agenda(held, e, when)
            elif isinstance(e, rev.ProposalEvent):
                self._proposal(held, env.key or str(e.originator_id), e, when)
        for table in held.values():
            table.flush()

    @staticmethod
    def _agenda(held: dict[str, _Held], e: rev.AgendaEvent, when: str | None) -> None:
        year = _YEARS.get(str(e.originator_id))
        if year is None:
            return
        agenda = held[AGENDAS].get((year,), status="rancangan", perkada="", title="")
        agenda["updated_at"] = when
        match e:
            case rev.AgendaOpened():
                agenda["title"], agenda["rpjmd_period"] = e.title, e.rpjmd_period
            case rev.AgendaStatusChanged():
                agenda["status"], agenda["perkada"] = str(e.status), e.perkada
            case rev.AgendaThemeSet():
                t = e.theme
                row = held[THEMES].get((year, t.code))
                row.update(
                    title=t.title,
                    priority=str(t.priority),
                    rpjmd_goal=t.rpjmd_goal,
                    rkpd_goal=t.rkpd_goal,
                    urusan=t.urusan,
                    description=t.description,
                    removed=0,
                )
            case rev.AgendaThemeRemoved():
                held[THEMES].get((year, e.code), title="")["removed"] = 1

    @staticmethod
    def _proposal(held: dict[str, _Held], key: str, e: rev.ProposalEvent, when: str | None) -> None:
        row = held[PROPOSALS].get((key,), **PROPOSAL_BLANK)
        row["updated_at"], row["version"] = when, e.originator_version
        match e:
            case rev.ResearchProposed() | rev.ResearchUpdated():
                if isinstance(e, rev.ResearchProposed):
                    row["year"] = e.year
                    row["organisation_id"] = str(e.organisation_id) if e.organisation_id else None
                    row["submitter_id"] = str(e.submitter_id) if e.submitter_id else None
                    row["proposed_at"] = when
                body = e.body
                row.update(
                    title=body.title,
                    kind=str(body.kind),
                    theme_code=body.theme_code,
                    partner=body.partner,
                    background=body.background,
                    budget_total=str(body.budget_total),
                )
            case rev.ResearchSubmitted():
                row["status"], row["round"] = "submitted", e.round
            case rev.ResearchWithdrawn():
                row["status"] = "withdrawn"
            case rev.ResearchReviewerAssigned():
                row["status"] = "under_review"
                row["reviewers"] = " ".join(filter(None, [row["reviewers"], str(e.reviewer_id)]))
            case rev.ResearchScored():
                scores = _scores(row)
                scores[str(e.reviewer_id)] = e.total
                _set_scores(row, scores)
            case rev.ResearchRevisionRequested():
                row["status"] = "revision_requested"
                _set_scores(row, {})
            case rev.ResearchApproved():
                row["status"] = "approved"
            case rev.ResearchRejected():
                row["status"] = "rejected"
            case rev.ResearchStarted():
                row["status"] = "executing"
            case rev.ResearchProgressReported():
                row["progress"] = e.progress
            case rev.ResearchCompleted():
                row["status"] = "completed"
            case rev.ResearchDisseminated():
                row["status"] = "disseminated"
                row["disseminated_at"] = row["disseminated_at"] or when
            case rev.ResearchOutputAdded():
                o = e.output
                held[OUTPUTS].get((str(o.output_id),)).update(
                    proposal_id=key,
                    year=row["year"],
                    kind=str(o.kind),
                    title=o.title,
                    summary=o.summary,
                    url=o.url,
                    recommendations=len(o.recommendations),
                    spd_row=OUTPUT_SPD_ROW.get(o.kind),
                    added_at=when,
                )
            case rev.ResearchOutputFileAttached():
                held[OUTPUTS].get((str(e.output_id),)).update(
                    file_name=e.file.name, file_sha256=e.file.sha256
                )
            case rev.ResearchFollowUpRecorded():
                follow = held[FOLLOW_UPS].get(
                    (key, str(e.output_id), e.recommendation, str(e.organisation_id))
                )
                follow.update(status=str(e.status), note=e.note, updated_at=when)
            case rev.ResearchInnovationLinked():
                link = held[LINKS].get((key, str(e.innovation_id)))
                link.update(link=str(e.link), note=e.note, linked_at=when)


# The current scores are kept in the row as "reviewer=total" pairs, so a score replaces the
# same reviewer's earlier one and a revision request clears them all.
def _scores(row: dict[str, Any]) -> dict[str, Decimal]:
    text = row.get("scores") or ""
    return {k: Decimal(v) for k, v in (p.split("=") for p in text.split() if "=" in p)}


def _set_scores(row: dict[str, Any], scores: dict[str, Decimal]) -> None:
    row["scores"] = " ".join(f"{k}={v}" for k, v in scores.items())
    row["scored"] = len(scores)
    row["average_score"] = (
        str((sum(scores.values(), Decimal(0)) / len(scores)).quantize(Decimal("0.01")))
        if scores
        else None
    )
