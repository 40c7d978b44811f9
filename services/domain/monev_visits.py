"""The lifecycle rows of a monev visit: which command may move a visit in which status.

planned ─ reschedule ─▶ planned (new date, reason)
planned ─ cancel ─────▶ cancelled (reason; no more reminders)
planned ─ report ─────▶ reported (a report names the visit)
planned | reported ─ attach_photo ─▶ unchanged

Who may give each command is the monev rules table (``services.domain.monev.RULES``); this table
says only what each status allows, so the aggregate, the API and the page buttons agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from services.domain import labels
from services.domain.errors import InvalidValue


class VisitStatus(StrEnum):
    PLANNED = "planned"
    REPORTED = "reported"
    CANCELLED = "cancelled"


VISIT_STATUS_LABELS: Mapping[str, str] = labels.MONEV_VISIT_STATUS


class VisitCommand(StrEnum):
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    REPORT = "report"
    ATTACH_PHOTO = "attach_photo"


VISIT_COMMAND_LABELS: Mapping[str, str] = labels.MONEV_VISIT_COMMAND

_PASSIVE: dict[str, str] = {
    VisitCommand.RESCHEDULE: "dijadwalkan ulang",
    VisitCommand.CANCEL: "dibatalkan",
    VisitCommand.REPORT: "dilaporkan",
    VisitCommand.ATTACH_PHOTO: "diberi foto",
}

P, D, X = VisitStatus.PLANNED, VisitStatus.REPORTED, VisitStatus.CANCELLED
#: (status, command) → the status after it.
TRANSITIONS: dict[tuple[VisitStatus, VisitCommand], VisitStatus] = {
    (P, VisitCommand.RESCHEDULE): P,
    (P, VisitCommand.CANCEL): X,
    (P, VisitCommand.REPORT): D,
    (P, VisitCommand.ATTACH_PHOTO): P,
    (D, VisitCommand.ATTACH_PHOTO): D,
}


def allowed(status: VisitStatus) -> list[VisitCommand]:
    return [c for (s, c) in TRANSITIONS if s == status]


def next_visit_status(status: VisitStatus, command: VisitCommand) -> VisitStatus:
    """The status after ``command``, or a 422 that says what the visit's status allows."""
    target = TRANSITIONS.get((status, command))
    if target is None:
        can = ", ".join(VISIT_COMMAND_LABELS[c] for c in allowed(status)) or "tidak ada"
        raise InvalidValue(
            "visit_id",
            f"Kunjungan berstatus '{VISIT_STATUS_LABELS[status]}' tidak dapat "
            f"{_PASSIVE[command]}. Yang masih bisa: {can}.",
        )
    return target
