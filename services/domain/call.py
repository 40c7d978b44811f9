"""Call (program / period): what innovations are submitted to, with its deadline and rubric."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from services.domain.aggregate import Aggregate, Context, applies
from services.domain.errors import CallNotOpen, DeadlinePassed, InvalidValue
from services.domain.events import CallOpened, DeadlineChanged
from services.domain.values import CallKind

JAKARTA = ZoneInfo("Asia/Jakarta")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def jakarta_date(moment: datetime) -> date:
    """The WIB date of ``moment``: due dates, "days late" and "not in the future" are counted in
    the regency's calendar, not UTC's (from 17:00 UTC the two differ by a day)."""
    return moment.astimezone(JAKARTA).date()


def jakarta_today() -> date:
    """Today's date in WIB (see ``jakarta_date``)."""
    return datetime.now(JAKARTA).date()


def format_jakarta(moment: datetime, *, seconds: bool = False) -> str:
    """'31 Desember 2026 23.59 WIB': how deadlines are shown to users.

    ``seconds=True`` gives '5 Maret 2025 14.03.22 WIB', for the audit trail, where seconds
    matter when an auditor orders decisions.
    """
    local = moment.astimezone(JAKARTA)
    clock = f"{local:%H.%M.%S}" if seconds else f"{local:%H.%M}"
    return f"{format_date(local.date())} {clock} WIB"


def format_date(day: date) -> str:
    """'1 Maret 2023': a calendar date as users read it."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


class Call(Aggregate):
    kind: CallKind
    title: str
    budget_year: int
    opens_at: datetime
    deadline: datetime
    eligible_kinds: tuple[str, ...]
    rubric_year: int
    required_documents: tuple[str, ...]
    threshold: int
    description: str
    requires_endorsement: bool

    @classmethod
    def open(
        cls,
        ctx: Context,
        id: UUID,
        *,
        kind: CallKind,
        title: str,
        budget_year: int,
        opens_at: datetime,
        deadline: datetime,
        eligible_kinds: tuple[str, ...],
        rubric_year: int,
        required_documents: tuple[str, ...] = (),
        threshold: int = 0,
        description: str = "",
        requires_endorsement: bool = False,
    ) -> Call:
        if not title.strip():
            raise InvalidValue("title", "Judul panggilan wajib diisi.")
        if opens_at.tzinfo is None or deadline.tzinfo is None:
            raise InvalidValue("deadline", "Waktu harus menyertakan zona waktu.")
        opens_at, deadline = opens_at.astimezone(UTC), deadline.astimezone(UTC)  # stored in UTC
        if deadline <= opens_at:
            raise InvalidValue("deadline", "Batas waktu harus setelah waktu pembukaan.")
        if not 0 <= threshold <= 111:
            raise InvalidValue("threshold", "Ambang kematangan harus antara 0 dan 111.")
        call = cls(id)
        call._record(
            ctx,
            CallOpened,
            kind=kind,
            title=title.strip(),
            budget_year=budget_year,
            opens_at=opens_at,
            deadline=deadline,
            eligible_kinds=tuple(eligible_kinds),
            rubric_year=rubric_year,
            required_documents=tuple(required_documents),
            threshold=threshold,
            description=description,
            requires_endorsement=requires_endorsement,
        )
        return call

    def change_deadline(self, ctx: Context, deadline: datetime, reason: str) -> None:
        if deadline.tzinfo is None:
            raise InvalidValue("deadline", "Waktu harus menyertakan zona waktu.")
        deadline = deadline.astimezone(UTC)
        if deadline <= self.opens_at:
            raise InvalidValue("deadline", "Batas waktu harus setelah waktu pembukaan.")
        if not reason.strip():
            raise InvalidValue("reason", "Alasan perubahan batas waktu wajib diisi.")
        self._record(ctx, DeadlineChanged, deadline=deadline, reason=reason.strip())

    # -- queries -----------------------------------------------------------------------------

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.deadline

    def remaining(self, now: datetime) -> timedelta:
        return max(self.deadline - now, timedelta(0))

    def ensure_open(self, now: datetime) -> None:
        if now < self.opens_at:
            raise CallNotOpen(
                f"Panggilan '{self.title}' baru dibuka {format_jakarta(self.opens_at)}.",
                opens_at=self.opens_at.isoformat(),
            )
        if now >= self.deadline:
            raise DeadlinePassed(self.deadline, format_jakarta(self.deadline))

    # -- state -------------------------------------------------------------------------------

    @applies(CallOpened)
    def _opened(self, e: CallOpened) -> None:
        self.kind = e.kind
        self.title = e.title
        self.budget_year = e.budget_year
        self.opens_at = e.opens_at
        self.deadline = e.deadline
        self.eligible_kinds = e.eligible_kinds
        self.rubric_year = e.rubric_year
        self.required_documents = e.required_documents
        self.threshold = e.threshold
        self.description = e.description
        self.requires_endorsement = e.requires_endorsement

    @applies(DeadlineChanged)
    def _deadline_changed(self, e: DeadlineChanged) -> None:
        self.deadline = e.deadline
