"""The compliance report (Perbup 87/2021 art. 38) from ``rm_compliance``."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import msgspec

from projections.queries.common import (
    CallDeadline,
    QueryError,
    deadline_of,
    jakarta,
)
from services.domain.call import JAKARTA

COMPLIANCE_LABELS = {
    "compliant": "Sudah mengajukan inovasi",
    "draft_only": "Baru draf, belum diajukan",
    "none": "Belum ada inovasi",
}


class ComplianceRow(msgspec.Struct):
    organisation_id: UUID
    code: str
    name: str
    kind: str
    state: str
    state_label: str
    submitted: int  # in review + approved + rejected: proposed to Bappeda, not withdrawn
    drafts: int
    in_review: int
    approved: int
    rejected: int
    withdrawn: int
    first_submitted_at: str | None
    last_activity_at: str | None


class ComplianceReport(msgspec.Struct):
    year: int
    rule: str
    organisations: int
    compliant: int
    draft_only: int
    none: int
    percent_compliant: float
    days_remaining_in_year: int
    calls: list[CallDeadline]
    rows: list[ComplianceRow]


def compliance(
    db: Any,
    year: int,
    *,
    organisation_id: UUID | None = None,
    state: str | None = None,
    kind: str | None = None,
    now: datetime | None = None,
) -> ComplianceReport:
    now = now or datetime.now(UTC)
    if state is not None and state not in COMPLIANCE_LABELS:
        raise QueryError("state", f"Status harus salah satu dari: {', '.join(COMPLIANCE_LABELS)}.")
    clauses: list[str] = ["1 = 1"]
    args: list[Any] = [year]
    if organisation_id is not None:
        clauses.append("o.id = ?")
        args.append(str(organisation_id))
    if kind is not None:
        clauses.append("o.kind = ?")
        args.append(kind)
    rows = db.rows(
        "SELECT o.id, o.code, o.name, o.kind, s.drafts, s.in_review, s.approved, s.rejected, "
        "s.withdrawn, s.first_submitted_at, s.last_activity_at FROM rm_compliance_orgs o "
        "LEFT JOIN rm_compliance s ON s.organisation_id = o.id AND s.budget_year = ? "
        f"WHERE {' AND '.join(clauses)} ORDER BY o.name, o.id",
        args,
    )
    report_rows = []
    for r in rows:
        counts = {
            k: int(r[k] or 0) for k in ("drafts", "in_review", "approved", "rejected", "withdrawn")
        }
        submitted = counts["in_review"] + counts["approved"] + counts["rejected"]
        row_state = "compliant" if submitted else "draft_only" if counts["drafts"] else "none"
        report_rows.append(
            ComplianceRow(
                organisation_id=UUID(r["id"]),
                code=r["code"] or "",
                name=r["name"] or "",
                kind=r["kind"] or "",
                state=row_state,
                state_label=COMPLIANCE_LABELS[row_state],
                submitted=submitted,
                first_submitted_at=jakarta(r["first_submitted_at"]),
                last_activity_at=jakarta(r["last_activity_at"]),
                **counts,
            )
        )
    tally = Counter(r.state for r in report_rows)
    if state is not None:
        report_rows = [r for r in report_rows if r.state == state]
    total = sum(tally.values())
    today = now.astimezone(JAKARTA).date()
    calls = [
        d
        for r in db.rows(
            "SELECT id AS call_id, title AS call_title, deadline AS call_deadline FROM rm_calls "
            "WHERE budget_year = ? AND kind = 'annual' ORDER BY deadline",
            (year,),
        )
        if (d := deadline_of(r, now)) is not None
    ]
    return ComplianceReport(
        year=year,
        rule="Perbup Sragen 87/2021 pasal 38: minimal satu inovasi satu OPD dalam satu tahun",
        organisations=total,
        compliant=tally["compliant"],
        draft_only=tally["draft_only"],
        none=tally["none"],
        percent_compliant=round(tally["compliant"] * 100 / total, 1) if total else 0.0,
        days_remaining_in_year=max((date(year, 12, 31) - today).days + 1, 0),
        calls=calls,
        rows=report_rows,
    )
