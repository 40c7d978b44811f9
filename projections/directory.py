"""The directory read model: organisations, accounts (never their password hashes) and calls.

Small tables that every screen joins to show names: which organisation, which reviewer, which
call and its deadline. Each row is the row itself folded: loaded once per batch for the touched
ids, changed in memory, written once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projections.base import Envelope
from projections.sql import select_by_keys, to_json, ts, upsert
from projections.state import KeyedState
from services.db import Tx
from services.domain import events as ev

ORGANISATIONS = "rm_organisations"
ACCOUNTS = "rm_accounts"
CALLS = "rm_calls"

Row = dict[str, Any]

_COLUMNS: dict[str, tuple[str, ...]] = {
    # ``name_sort``: the name lower-cased by Python, what lists sort by (SQL's lower() folds only
    # ASCII on PostgreSQL with the C locale and on SQLite).
    ORGANISATIONS: ("id", "kind", "code", "name", "registered_at", "updated_at", "name_sort"),
    ACCOUNTS: (
        "id",
        "username",
        "full_name",
        "email",
        "phone",
        "role",
        "organisation_id",
        "disabled",
        "members",
        "created_at",
        "updated_at",
    ),
    CALLS: (
        "id",
        "kind",
        "title",
        "budget_year",
        "opens_at",
        "deadline",
        "eligible_kinds",
        "rubric_year",
        "required_documents",
        "threshold",
        "description",
        "deadline_reason",
        "created_at",
        "updated_at",
    ),
}
_INTS = {"disabled", "budget_year", "rubric_year", "threshold"}

_TABLE_OF: dict[str, str] = {
    "organisation.": ORGANISATIONS,
    "account.": ACCOUNTS,
    "call.": CALLS,
}


def _table_for(topic: str) -> str | None:
    for prefix, table in _TABLE_OF.items():
        if topic.startswith(prefix):
            return table
    return None


class DirectoryProjection:
    name = "directory"
    tables: tuple[str, ...] = (ORGANISATIONS, ACCOUNTS, CALLS)
    topics = frozenset(t for t in ev.CATALOGUE if _table_for(t) is not None)

    def __init__(self, capacity: int = 0) -> None:
        self.states: dict[str, KeyedState[str, Row]] = {
            table: KeyedState(self._loader(table), capacity) for table in self.tables
        }

    def schema(self, dialect: str, suffix: str = "") -> list[str]:
        statements = []
        for table, columns in _COLUMNS.items():
            cols = ", ".join(
                f"{c} {'BIGINT' if c in _INTS else 'TEXT'}" + (" PRIMARY KEY" if c == "id" else "")
                for c in columns
            )
            statements.append(f"CREATE TABLE IF NOT EXISTS {table}{suffix} ({cols})")
        o, a, c = (f"{t}{suffix}" for t in self.tables)
        statements += [
            f"CREATE INDEX IF NOT EXISTS {o}_by_code ON {o} (code)",
            f"CREATE INDEX IF NOT EXISTS {a}_by_org ON {a} (organisation_id, role)",
            f"CREATE INDEX IF NOT EXISTS {a}_by_username ON {a} (username)",
            f"CREATE INDEX IF NOT EXISTS {c}_by_year ON {c} (budget_year, kind)",
        ]
        return statements

    @staticmethod
    def _loader(table: str) -> Any:
        columns = _COLUMNS[table]

        def load(tx: Tx, keys: list[str], suffix: str) -> dict[str, Row]:
            rows = select_by_keys(tx, f"{table}{suffix}", columns, "id", keys)
            return {r[0]: dict(zip(columns, r, strict=True)) for r in rows}

        return load

    def apply(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        self.fold(tx, batch, suffix)
        self.flush(tx, suffix)

    def discard(self) -> None:
        for state in self.states.values():
            state.clear()

    def fold(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        wanted: dict[str, list[str]] = {t: [] for t in self.tables}
        for env in batch:
            table = _table_for(env.topic)
            if table is not None and env.event.originator_version > 1:
                wanted[table].append(str(env.event.originator_id))
        for table, keys in wanted.items():
            self.states[table].load(tx, keys, suffix)
        for env in batch:
            table = _table_for(env.topic)
            if table is None:
                continue
            state = self.states[table]
            event = env.event
            key = str(event.originator_id)
            when = env.time or ts(event.timestamp)
            row = state.get(key)
            if row is None:
                row = dict.fromkeys(_COLUMNS[table])
                row["id"] = key
            _fold(row, event, when)
            row["updated_at"] = when
            if table == ORGANISATIONS:
                row["name_sort"] = (row["name"] or "").lower()
            state.put(key, row)

    def flush(self, tx: Tx, suffix: str = "") -> None:
        for table, state in self.states.items():
            columns = _COLUMNS[table]
            dirty = state.take_dirty()
            for new in (True, False):
                rows = [tuple(r[c] for c in columns) for _, r, n in dirty if n is new]
                upsert(tx, f"{table}{suffix}", columns, ("id",), rows, new=new)


def _fold(row: Row, e: ev.Event, when: str | None) -> None:
    if isinstance(e, ev.OrganisationRegistered):
        row.update(kind=str(e.kind), code=e.code, name=e.name, registered_at=when)
    elif isinstance(e, ev.OrganisationRenamed):
        row["name"] = e.name
    elif isinstance(e, ev.AccountCreated):
        row.update(
            username=e.username,
            full_name=e.full_name,
            email=e.email,
            phone=e.phone,
            role=str(e.role),
            organisation_id=str(e.organisation_id) if e.organisation_id else None,
            disabled=0,
            members=to_json(list(e.members)),
            created_at=when,
        )
    elif isinstance(e, ev.RoleChanged):
        row["role"] = str(e.role)
    elif isinstance(e, ev.OrganisationChanged):
        row["organisation_id"] = str(e.organisation_id) if e.organisation_id else None
    elif isinstance(e, ev.AccountDisabled):
        row["disabled"] = 1
    elif isinstance(e, ev.AccountEnabled):
        row["disabled"] = 0
    elif isinstance(e, ev.CallOpened):
        row.update(
            kind=str(e.kind),
            title=e.title,
            budget_year=e.budget_year,
            opens_at=ts(e.opens_at),
            deadline=ts(e.deadline),
            eligible_kinds=to_json(list(e.eligible_kinds)),
            rubric_year=e.rubric_year,
            required_documents=to_json(list(e.required_documents)),
            threshold=e.threshold,
            description=e.description,
            deadline_reason="",
            created_at=when,
        )
    elif isinstance(e, ev.DeadlineChanged):
        row["deadline"] = ts(e.deadline)
        row["deadline_reason"] = e.reason
    # Other events of these streams (PasswordReset, ...) change nothing shown here; the row's
    # ``updated_at`` still moves, so the directory shows the account was touched.
