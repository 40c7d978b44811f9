"""The pendampingan read model: every agreed follow-up and every session, for the lists that cut
across innovations (a mentor's open follow-ups, what is overdue, sessions per organisation).

``rm_mentoring_sessions(session_id, innovation_id, organisation_id, mentor_id, held_on, mode,
topics, follow_ups, recorded_at)`` and ``rm_mentoring_follow_ups(follow_up_id, session_id,
innovation_id, organisation_id, mentor_id, text, due, done_at, done_note)``: both are folded only
from the mentoring events, so they rebuild from the log like every read model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projections.base import Envelope
from projections.sql import upsert
from services.db import Tx
from services.domain import events as ev

SESSIONS = "rm_mentoring_sessions"
FOLLOW_UPS = "rm_mentoring_follow_ups"
SESSION_COLUMNS = (
    "session_id",
    "innovation_id",
    "organisation_id",
    "mentor_id",
    "held_on",
    "mode",
    "topics",
    "follow_ups",
    "recorded_at",
)
FOLLOW_UP_COLUMNS = (
    "follow_up_id",
    "session_id",
    "innovation_id",
    "organisation_id",
    "mentor_id",
    "text",
    "due",
    "done_at",
    "done_note",
)


class MentoringProjection:
    name = "mentoring"
    tables: tuple[str, ...] = (SESSIONS, FOLLOW_UPS)
    topics = frozenset(
        {ev.MentoringSessionRecorded.TOPIC, ev.FollowUpCompleted.TOPIC, ev.MentorAssigned.TOPIC}
    )

    def schema(self, dialect: str, suffix: str = "") -> list[str]:
        s, f = f"{SESSIONS}{suffix}", f"{FOLLOW_UPS}{suffix}"
        count = "BIGINT"
        session_cols = ",\n".join(
            f"{c} {count if c == 'follow_ups' else 'TEXT'}" for c in SESSION_COLUMNS
        )
        follow_cols = ",\n".join(f"{c} TEXT" for c in FOLLOW_UP_COLUMNS)
        return [
            f"CREATE TABLE IF NOT EXISTS {s} (\n{session_cols},\nPRIMARY KEY (session_id)\n)",
            f"CREATE INDEX IF NOT EXISTS {s}_by_innovation ON {s} (innovation_id, held_on)",
            f"CREATE TABLE IF NOT EXISTS {f} (\n{follow_cols},\nPRIMARY KEY (follow_up_id)\n)",
            f"CREATE INDEX IF NOT EXISTS {f}_by_mentor ON {f} (mentor_id, done_at, due)",
            f"CREATE INDEX IF NOT EXISTS {f}_by_organisation ON {f} (organisation_id, done_at)",
        ]

    def apply(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        sessions: dict[str, tuple[Any, ...]] = {}
        follow_ups: dict[str, dict[str, Any]] = {}
        table = f"{FOLLOW_UPS}{suffix}"
        for env in batch:
            e = env.event
            if isinstance(e, ev.MentoringSessionRecorded):
                mentor = str(e.actor.account_id) if e.actor.account_id else None
                organisation = str(e.organisation_id) if e.organisation_id else None
                sessions[str(e.session_id)] = (
                    str(e.session_id),
                    str(e.innovation_id),
                    organisation,
                    mentor,
                    e.held_on.isoformat(),
                    e.mode,
                    "; ".join(e.topics),
                    len(e.follow_ups),
                    env.time,
                )
                for item in e.follow_ups:
                    follow_ups[str(item.id)] = {
                        "follow_up_id": str(item.id),
                        "session_id": str(e.session_id),
                        "innovation_id": str(e.innovation_id),
                        "organisation_id": organisation,
                        "mentor_id": mentor,
                        "text": item.text,
                        "due": item.due.isoformat() if item.due else None,
                        "done_at": None,
                        "done_note": "",
                    }
            elif isinstance(e, ev.FollowUpCompleted):
                key = str(e.follow_up_id)
                row = follow_ups.get(key) or _load(tx, table, key)
                if row is None:  # the session is not in this model: nothing to close
                    continue
                row["done_at"], row["done_note"] = env.time, e.note
                follow_ups[key] = row
        if sessions:
            upsert(
                tx, f"{SESSIONS}{suffix}", SESSION_COLUMNS, ("session_id",), list(sessions.values())
            )
        if follow_ups:
            upsert(
                tx,
                table,
                FOLLOW_UP_COLUMNS,
                ("follow_up_id",),
                [tuple(r[c] for c in FOLLOW_UP_COLUMNS) for r in follow_ups.values()],
            )


def _load(tx: Tx, table: str, key: str) -> dict[str, Any] | None:
    found = tx.execute(
        f"SELECT {', '.join(FOLLOW_UP_COLUMNS)} FROM {table} WHERE follow_up_id = ?", (key,)
    ).fetchone()
    return dict(zip(FOLLOW_UP_COLUMNS, found, strict=True)) if found else None


def open_follow_ups(
    tx: Tx, *, mentor_id: str | None = None, organisation_id: str | None = None
) -> list[dict[str, Any]]:
    """Follow-ups not yet done, earliest due first (undated last), for a mentor or an
    organisation."""
    where, params = ["done_at IS NULL"], []
    if mentor_id is not None:
        where.append("mentor_id = ?")
        params.append(mentor_id)
    if organisation_id is not None:
        where.append("organisation_id = ?")
        params.append(organisation_id)
    rows = tx.execute(
        f"SELECT {', '.join(FOLLOW_UP_COLUMNS)} FROM {FOLLOW_UPS} WHERE {' AND '.join(where)} "
        "ORDER BY CASE WHEN due IS NULL THEN 1 ELSE 0 END, due, follow_up_id",
        tuple(params),
    ).fetchall()
    return [dict(zip(FOLLOW_UP_COLUMNS, r, strict=True)) for r in rows]
