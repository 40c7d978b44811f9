"""Pages for auditors: an innovation's timeline with a time slider, diffs, integrity, exports.

The record "as of" any version is rebuilt from the event log by replaying the stream up to that
version, the same fold the aggregate uses, so what the auditor sees is what the record said at
that moment. Each step's field-level changes come from the audit context's ``describe``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from litestar import Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from services.audit.describe import FieldChange
from services.domain import labels
from services.domain.actor import Role
from services.domain.call import JAKARTA, jakarta_today
from services.domain.errors import InvalidValue
from services.domain.innovation_views import InnovationState
from services.domain.lifecycle import STATUS_LABELS
from services.domain.rubric import DOCUMENT_KIND_LABELS
from services.http import limits
from services.http.context import principal_of, runtime_of
from services.identity import policy
from services.web.pages import queries
from services.web.pages.common import Names, parse_uuid
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
    **{f"profile.{k}": v for k, v in labels.PROFILE_FIELD.items()},
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


def shown(field: str, value: Any) -> Any:
    """A value as the auditor reads it: codes through the label table (``labels.value_label``)."""
    return labels.value_label(field.removeprefix("profile."), value)


def labelled(changes: list[FieldChange]) -> list[dict[str, Any]]:
    """An event's field changes with labelled values (the API keeps the codes)."""
    return [
        {
            "field": c.field,
            "label": c.label,
            "before": shown(c.field, c.before),
            "after": shown(c.field, c.after),
        }
        for c in changes
    ]


def with_role(name: str, role_label: str) -> str:
    """'Sri Wahyuni (Verifikator)', once: a display name may already carry its role."""
    return name if name.endswith(f"({role_label})") else f"{name} ({role_label})"


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
        "recommendation": shown("recommendation", state.recommendation),
        "reviewers": ", ".join(names.person(r) for r in state.reviewers),
    }
    profile = msgspec.to_builtins(state.profile)
    for key, value in profile.items():
        if isinstance(value, dict):
            for sub, leaf in value.items():
                out[f"profile.{key}.{sub}"] = _plain(shown(f"{key}.{sub}", leaf))
        else:
            out[f"profile.{key}"] = _plain(shown(key, value))
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


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The labelled fields whose value differs between two flattened states."""
    rows = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if old in ("", None) and new in ("", None):
            continue
        if old != new:
            rows.append({"key": key, "label": label_for(key), "before": old, "after": new})
    return rows


class History:
    """One innovation's history as the audit context describes it, with the state at any
    version rebuilt by the audit timeline (snapshots for long streams, the call as it stood)."""

    def __init__(self, request: Request[Any, Any, Any], innovation_id: UUID) -> None:
        from services.audit.history import history
        from services.audit.routes import timeline_of

        self.runtime = runtime_of(request)
        self.names = Names(self.runtime)
        current = self.runtime.commands.innovation(innovation_id)
        policy.ensure_view(principal_of(request), current)
        self.current = current
        self.timeline = timeline_of(self.runtime)
        view = history(self.runtime.store, self.timeline, innovation_id)
        self.lines = [
            {
                "version": entry.version,
                "when": entry.recorded_at,
                "who": entry.actor.full_name or entry.actor.username or "Sistem",
                "actor": with_role(
                    entry.actor.full_name or entry.actor.username or "Sistem",
                    entry.actor.role_label,
                ),
                "role": entry.actor.role,
                "role_label": entry.actor.role_label,
                "event": entry.event,
                "event_label": labels.label(labels.EVENT, entry.event),
                "correlation_id": entry.correlation_id,
                "summary": entry.summary,
                "changes": labelled(entry.changes),
                "link_hash": entry.link_hash,
                "decision": entry.decision,
            }
            for entry in view.entries
        ]

    @property
    def latest(self) -> int:
        return self.current.version

    def clamp(self, version: int | None) -> int:
        if version is None:
            return self.latest
        return min(max(version, 1), self.latest)

    def state_at(self, version: int) -> InnovationState:
        from services.audit.history import state_view

        return state_view(self.timeline, self.current.id, version).state

    def as_of(self, version: int) -> dict[str, Any]:
        state = self.state_at(version)
        flat = flatten(state, self.names)
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
            "changed": self.lines[version - 1]["changes"],
        }


AUDIT_PAGE_SIZE = 50  # newest change first, then by id: a stable order to page through


def _int(value: str | None) -> int | None:
    if value is None or not value.strip().lstrip("-").isdigit():
        return None
    return int(value)


@get("/audit", sync_to_thread=True, name="page:audit")
def audit_home(
    request: Request[Any, Any, Any],
    q: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    halaman: FromQuery[str | None] = None,
) -> Any:
    principal = principal_of(request)
    policy.ensure_role(principal, *AUDITORS)
    runtime = runtime_of(request)
    statuses = [s for s in STATUS_LABELS if s != "published"]
    page_no = limits.page_int(halaman, 1, limits.PAGE_MAX) or 1
    page = queries.innovations(
        runtime,
        principal,
        status=[status] if status in statuses else [],
        q=(q or "").strip()[:200] or None,
        limit=AUDIT_PAGE_SIZE,
        offset=(page_no - 1) * AUDIT_PAGE_SIZE,
    )
    return render(
        request,
        "audit/home.html",
        rows=page.items,
        total=page.total,
        page_no=page_no,
        pages=max(1, -(-page.total // AUDIT_PAGE_SIZE)),
        q=q or "",
        status=status or "",
        statuses=statuses,
        today=jakarta_today().isoformat(),
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
    context: dict[str, Any] = {
        "history": history,
        "innovation": history.current,
        "organisation": history.names.org_name(history.current.organisation_id),
        "as_of": history.as_of(version),
    }
    # The slider swaps this part in and pushes ``?versi=N`` (bookmarkable); going back to a pushed
    # address that htmx no longer has asks for the whole page.
    partial = request.headers.get("hx-request") == "true"
    if partial and request.headers.get("hx-history-restore-request") != "true":
        return render(request, "audit/_as_of.html", **context)
    return render(request, "audit/timeline.html", **context)


@get("/audit/inovasi/{innovation_id:str}/selisih", sync_to_thread=True, name="page:diff")
def version_diff(
    request: Request[Any, Any, Any],
    innovation_id: FromPath[str],
    dari: FromQuery[str | None] = None,
    ke: FromQuery[str | None] = None,
) -> Any:
    from services.audit.history import diff

    policy.ensure_role(principal_of(request), *AUDITORS)
    history = History(request, parse_uuid(innovation_id))
    to_version = history.clamp(_int(ke))
    from_version = history.clamp(_int(dari) or max(to_version - 1, 1))
    view = diff(
        history.runtime.store, history.timeline, history.current.id, from_version, to_version
    )
    before = flatten(history.state_at(view.from_.version), history.names)
    after = flatten(history.state_at(view.to.version), history.names)
    return render(
        request,
        "audit/diff.html",
        history=history,
        innovation=history.current,
        from_version=view.from_.version,
        to_version=view.to.version,
        rows=compare(before, after),
        technical=labelled(view.changes),
        between=view.events,
    )


@get("/audit/integritas", sync_to_thread=True, name="page:integrity")
def integrity(request: Request[Any, Any, Any]) -> Any:
    """Recompute the whole hash chain now and show the result (and the first broken link)."""
    from services.audit.routes import live_report

    policy.ensure_role(principal_of(request), *AUDITORS)
    report = live_report(runtime_of(request))
    return render(request, "audit/integrity.html", report=report)


@get("/audit/ekspor", sync_to_thread=False, name="page:trail-export")
def trail_export(
    request: Request[Any, Any, Any],
    dari: FromQuery[str | None] = None,
    sampai: FromQuery[str | None] = None,
    format: FromQuery[str | None] = None,
) -> Any:
    """The export form's dates are whole days in WIB: from 00.00 of the first to the end of the
    last, handed to the streaming audit-trail API."""
    policy.ensure_role(principal_of(request), *AUDITORS)
    params: dict[str, str] = {"format": "csv" if format != "json" else "json"}
    try:
        start = date.fromisoformat(dari) if dari else None
        end = date.fromisoformat(sampai) if sampai else None
    except ValueError:
        raise InvalidValue("dari", "Tanggal ekspor tidak valid.") from None
    if start and end and start > end:
        raise InvalidValue("dari", "Tanggal awal harus sebelum tanggal akhir.")
    if start:
        params["from"] = datetime.combine(start, time.min, JAKARTA).isoformat()
    if end:
        params["to"] = datetime.combine(end, time.max, JAKARTA).isoformat()
    return Redirect(path="/api/audit/trail?" + urlencode(params), status_code=303)


route_handlers: list[Any] = [audit_home, timeline, version_diff, integrity, trail_export]
