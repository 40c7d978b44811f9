"""Pages for auditors: an innovation's timeline with a time slider, diffs, integrity, exports.

The record "as of" any version is rebuilt from the event log by replaying the stream up to that
version, the same fold the aggregate uses, so what the auditor sees is what the record said at
that moment. Each step's field-level changes come from the audit context's ``describe``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import msgspec
from litestar import Request, get
from litestar.params import FromPath, FromQuery

from services.audit.describe import PROFILE_LABELS, describe_stream
from services.domain.actor import Role
from services.domain.events import Event
from services.domain.innovation import Innovation, InnovationState
from services.domain.lifecycle import STATUS_LABELS
from services.domain.rubric import DOCUMENT_KIND_LABELS
from services.identity import policy
from services.store import NotFound
from services.web.context import principal_of, runtime_of
from services.web.pages import queries
from services.web.pages.common import Names, call_of, now, parse_uuid, rubric_of
from services.web.pages.rendering import render

AUDITORS = (Role.AUDITOR, Role.ADMIN)

STATE_LABELS: dict[str, str] = {
    "status": "Status",
    "published": "Dipublikasikan",
    "completeness": "Kelengkapan (%)",
    "claimed_total": "Nilai klaim",
    "verified_total": "Nilai terverifikasi",
    "decision_reason": "Catatan keputusan",
    "sk_number": "Nomor SK",
    "sk_date": "Tanggal SK",
    "iga_year": "Tahun IGA",
    "recommendation": "Rekomendasi",
    "reviewers": "Verifikator",
    **{f"profile.{k}": v for k, v in PROFILE_LABELS.items()},
}


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, tuple | list):
        return ", ".join(str(_plain(v)) for v in value)
    return value


def flatten(state: InnovationState, names: Names) -> dict[str, Any]:
    """The record as labelled leaf values, so two versions can be compared field by field."""
    out: dict[str, Any] = {
        "status": STATUS_LABELS.get(str(state.status), str(state.status)),
        "published": "ya" if state.published else "tidak",
        "completeness": state.completeness.percent,
        "claimed_total": state.scorecard.claimed_total,
        "verified_total": state.scorecard.verified_total,
        "decision_reason": state.decision_reason,
        "sk_number": state.sk_number,
        "sk_date": _plain(state.sk_date),
        "iga_year": state.iga_year,
        "recommendation": state.recommendation,
        "reviewers": ", ".join(names.person(r) for r in state.reviewers),
    }
    profile = msgspec.to_builtins(state.profile)
    for key, value in profile.items():
        if isinstance(value, dict):
            for sub, leaf in value.items():
                out[f"profile.{key}.{sub}"] = _plain(leaf)
        else:
            out[f"profile.{key}"] = _plain(value)
    for doc in state.documents:
        kind = DOCUMENT_KIND_LABELS.get(str(doc.kind), str(doc.kind))
        status = (
            "dihapus"
            if doc.removed
            else {"accepted": "diterima", "rejected": "ditolak"}.get(doc.verdict, "belum diperiksa")
        )
        out[f"document.{doc.doc_id}"] = f"{doc.name} ({kind}) — {status}"
    for row in state.scorecard.indicators:
        if row.claimed_level or row.verified_level is not None:
            verified = "—" if row.verified_level is None else f"L{row.verified_level}"
            out[f"indicator.{row.no}"] = (
                f"klaim L{row.claimed_level} ({row.claimed_points} poin), terverifikasi {verified}"
            )
    return out


def label_for(key: str, state: InnovationState | None = None) -> str:
    if key in STATE_LABELS:
        return STATE_LABELS[key]
    if key.startswith("document."):
        return "Dokumen"
    if key.startswith("indicator."):
        return f"Indikator {key.split('.', 1)[1]}"
    return key


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if old in ("", None) and new in ("", None):
            continue
        if old != new:
            rows.append({"key": key, "label": label_for(key), "before": old, "after": new})
    return rows


class History:
    """One innovation's stream, described once, with the state at any version on demand."""

    def __init__(self, request: Request[Any, Any, Any], innovation_id: UUID) -> None:
        self.runtime = runtime_of(request)
        self.names = Names(self.runtime)
        self.events: list[Event] = self.runtime.store.events(innovation_id)
        if not self.events:
            raise NotFound("Inovasi", innovation_id)
        current = Innovation.replay(self.events)
        assert current is not None
        policy.ensure_view(principal_of(request), current)
        self.current = current
        people = {e.actor.account_id for e in self.events if e.actor.account_id}
        who = {p: self.names.person(p) for p in people if p is not None}
        self.lines = [
            {
                "version": event.originator_version,
                "when": event.timestamp,
                "who": who.get(event.actor.account_id, "Sistem")
                if event.actor.account_id
                else "Sistem",
                "role": str(event.actor.role),
                "event": type(event).__name__,
                "correlation_id": event.correlation_id,
                "summary": line.summary,
                "changes": line.changes,
            }
            for event, line in describe_stream(self.events, who)
        ]

    @property
    def latest(self) -> int:
        return self.current.version

    def clamp(self, version: int | None) -> int:
        if version is None:
            return self.latest
        return min(max(version, 1), self.latest)

    def innovation_at(self, version: int) -> Innovation:
        aggregate = Innovation.replay(self.events[:version])
        assert aggregate is not None
        return aggregate

    def state_at(self, version: int) -> InnovationState:
        innovation = self.innovation_at(version)
        return innovation.to_state(rubric_of(innovation), call_of(self.runtime, innovation))

    def flat_at(self, version: int) -> dict[str, Any]:
        return flatten(self.state_at(version), self.names)

    def as_of(self, version: int) -> dict[str, Any]:
        state = self.state_at(version)
        flat = flatten(state, self.names)
        previous = self.flat_at(version - 1) if version > 1 else {}
        return {
            "version": version,
            "line": self.lines[version - 1],
            "state": state,
            "fields": [
                {"label": label_for(k), "value": v}
                for k, v in flat.items()
                if v not in ("", None) and not k.startswith(("document.", "indicator."))
            ],
            "documents": [v for k, v in flat.items() if k.startswith("document.")],
            "indicators": [
                (k.split(".", 1)[1], v) for k, v in flat.items() if k.startswith("indicator.")
            ],
            "changed": diff(previous, flat),
        }


def _int(value: str | None) -> int | None:
    if value is None or not value.strip().lstrip("-").isdigit():
        return None
    return int(value)


@get("/audit", sync_to_thread=True, name="page:audit")
def audit_home(
    request: Request[Any, Any, Any],
    q: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
) -> Any:
    principal = principal_of(request)
    policy.ensure_role(principal, *AUDITORS)
    runtime = runtime_of(request)
    statuses = [s for s in STATUS_LABELS if s != "published"]
    page = queries.innovations(
        runtime,
        principal,
        status=[status] if status in statuses else [],
        q=(q or "").strip()[:200] or None,
        limit=200,
    )
    return render(
        request,
        "audit/home.html",
        rows=page.items,
        total=page.total,
        q=q or "",
        status=status or "",
        statuses=statuses,
        today=now().date().isoformat(),
    )


@get("/audit/inovasi/{innovation_id:str}", sync_to_thread=True, name="page:timeline")
def timeline(
    request: Request[Any, Any, Any],
    innovation_id: FromPath[str],
    versi: FromQuery[str | None] = None,
) -> Any:
    policy.ensure_role(principal_of(request), *AUDITORS)
    history = History(request, parse_uuid(innovation_id))
    version = history.clamp(_int(versi))
    context = {
        "history": history,
        "innovation": history.current,
        "organisation": history.names.org_name(history.current.organisation_id),
        "as_of": history.as_of(version),
    }
    if request.headers.get("hx-request") == "true":
        return render(request, "audit/_as_of.html", **context)
    return render(request, "audit/timeline.html", **context)


@get("/audit/inovasi/{innovation_id:str}/selisih", sync_to_thread=True, name="page:diff")
def version_diff(
    request: Request[Any, Any, Any],
    innovation_id: FromPath[str],
    dari: FromQuery[str | None] = None,
    ke: FromQuery[str | None] = None,
) -> Any:
    policy.ensure_role(principal_of(request), *AUDITORS)
    history = History(request, parse_uuid(innovation_id))
    to_version = history.clamp(_int(ke))
    from_version = history.clamp(_int(dari) or max(to_version - 1, 1))
    if from_version > to_version:
        from_version, to_version = to_version, from_version
    rows = diff(history.flat_at(from_version), history.flat_at(to_version))
    return render(
        request,
        "audit/diff.html",
        history=history,
        innovation=history.current,
        from_version=from_version,
        to_version=to_version,
        rows=rows,
        between=history.lines[from_version:to_version],
    )


route_handlers: list[Any] = [audit_home, timeline, version_diff]
