"""What every audit description shares: the line and change structs, formatting, and a uniform
read of the record just before the event (``_Before``), whatever shape it was given in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import msgspec

from services.domain import events as ev
from services.domain import labels
from services.domain.actor import Role
from services.domain.call import format_jakarta
from services.domain.lifecycle import STATUS_LABELS
from services.domain.rubric import DOCUMENT_KIND_LABELS, Rubric, UnknownRubricYear, load_rubric
from services.domain.values import Profile


class FieldChange(msgspec.Struct, frozen=True, kw_only=True):
    """One field's value before and after the event (JSON builtins; ``None`` = empty/unknown)."""

    field: str
    label: str
    before: Any = None
    after: Any = None


class AuditLine(msgspec.Struct, frozen=True, kw_only=True):
    summary: str
    changes: list[FieldChange] = msgspec.field(default_factory=list)


# ==== formatting ================================================================================


def jakarta_time(moment: datetime) -> str:
    """'5 Maret 2025 14.03.22 WIB': seconds matter when an auditor orders decisions."""
    return format_jakarta(moment, seconds=True)


def _plain(value: Any) -> Any:
    """A JSON-friendly value: enums to their slug, dates to ISO, structs to dicts."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return msgspec.to_builtins(value)


def _short(account_id: UUID | None) -> str:
    return str(account_id)[:8] if account_id else "-"


def _who(event: ev.Event, who: str | None) -> str:
    role = labels.label(labels.ROLE, event.actor.role)
    if event.actor.role == Role.SYSTEM and event.actor.account_id is None:
        return "Sistem"
    name = who or f"akun {_short(event.actor.account_id)}"
    return f"{role} {name}"


def _status_label(status: Any) -> str:
    return STATUS_LABELS.get(str(status), str(status))


def _rubric(year: int | None) -> Rubric | None:
    if not year:
        return None
    try:
        return load_rubric(year)
    except UnknownRubricYear:
        return None


def _indicator_label(rubric: Rubric | None, no: int) -> str:
    if rubric is not None:
        for ind in rubric.indicators:
            if ind.no == no:
                return f"Indikator {no} {ind.name}"
    return f"Indikator {no}"


def _flatten_profile(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Nested parts of the profile (design, budget, krenova) as dotted leaf fields."""
    if isinstance(value, msgspec.Struct) and name in ("design", "budget", "krenova"):
        for sub in value.__struct_fields__:
            yield f"{name}.{sub}", getattr(value, sub)
    else:
        yield name, value


def _profile_changes(before: Profile | None, after: dict[str, Any]) -> list[FieldChange]:
    changes: list[FieldChange] = []
    for name, new in after.items():
        old = getattr(before, name) if before is not None else None
        if name == "krenova" and (new is None) != (old is None):
            # Whole Krenova form added or removed: list its leaf fields on the side that exists.
            side_old = dict(_flatten_profile(name, old)) if old is not None else {}
            side_new = dict(_flatten_profile(name, new)) if new is not None else {}
            for key in dict.fromkeys([*side_old, *side_new]):
                changes.append(_change(key, side_old.get(key), side_new.get(key)))
            continue
        new_leaves = dict(_flatten_profile(name, new))
        old_leaves = dict(_flatten_profile(name, old)) if old is not None else {}
        for key, value in new_leaves.items():
            previous = old_leaves.get(key) if before is not None else None
            if before is not None and previous == value:
                continue
            changes.append(_change(key, previous, value))
    return changes


def _change(key: str, before: Any, after: Any, label: str | None = None) -> FieldChange:
    return FieldChange(
        field=key,
        label=label or labels.PROFILE_FIELD.get(key, key),
        before=_plain(before),
        after=_plain(after),
    )


# ==== the record before the event, whatever shape it was given in ==============================


class _Before:
    """A uniform read of ``before``: attribute lookups that answer None when unknown."""

    def __init__(self, before: Any) -> None:
        self.raw = before
        self.known = before is not None and not isinstance(before, Profile)
        self.profile: Profile | None = None
        self.status: str | None = None
        self.rubric_year: int | None = None
        self.claims: dict[int, int] = {}
        self.verified: dict[int, int] = {}
        self.documents: dict[UUID, tuple[str, str, str, bool]] = {}  # name, kind, verdict, removed
        self.verified_total: int | None = None
        if before is None:
            return
        if isinstance(before, Profile):
            self.profile = before
            return
        self.profile = getattr(before, "profile", None)
        status = getattr(before, "status", None)
        self.status = str(status) if status is not None else None
        self.rubric_year = getattr(before, "rubric_year", None)
        claims = getattr(before, "claims", None)
        if isinstance(claims, dict):  # the aggregate
            self.claims = {no: c.level for no, c in claims.items()}
            self.verified = dict(getattr(before, "verified_levels", {}))
            for doc_id, d in getattr(before, "documents", {}).items():
                doc = d.document
                self.documents[doc_id] = (doc.name, str(doc.kind), d.verdict, d.removed)
            rubric = _rubric(self.rubric_year)
            if rubric is not None and hasattr(before, "scorecard"):
                self.verified_total = before.scorecard(rubric).verified_total
        elif isinstance(claims, list):  # InnovationState
            self.claims = {c.no: c.level for c in claims}
            self.verified = {int(k): v for k, v in getattr(before, "verified_levels", {}).items()}
            for d in getattr(before, "documents", []):
                self.documents[d.doc_id] = (d.name, str(d.kind), d.verdict, d.removed)
            card = getattr(before, "scorecard", None)
            self.verified_total = card.verified_total if card is not None else None

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self.raw, name, default) if self.known else default

    def title(self) -> str:
        return self.profile.title if self.profile is not None else ""


def _doc_label(before: _Before, doc_id: UUID) -> str:
    known = before.documents.get(doc_id)
    if known is None:
        return f"dokumen {_short(doc_id)}"
    name, kind, _, _ = known
    return f"dokumen '{name}' ({DOCUMENT_KIND_LABELS.get(kind, kind)})"


# ---- per event ----------------------------------------------------------------------------------

Described = tuple[str, list[FieldChange]]


def _title(b: _Before, event: ev.Event) -> str:
    title = b.title()
    return f"inovasi '{title}'" if title else f"inovasi {_short(event.originator_id)}"


def _seen(e: ev.DecisionEvent | ev.SeenEvent) -> str:
    rubric = f"rubrik {e.rubric_year}" if e.rubric_year is not None else "rubrik usulan"
    return f" [berdasarkan versi {e.seen_version}, {rubric}]"
