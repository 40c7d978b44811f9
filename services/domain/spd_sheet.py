"""The SPD sheet: the regency's own yearly profile (Satuan Pemerintah Daerah), one stream per
assessment year, one row per SPD score row.

Row lifecycle: ``kosong`` → (fill, evidence) ``draf`` → (submit) ``diajukan`` → (Bappeda)
``diterima`` or ``ditolak``. Any change of values or evidence after that lapses the check: the
row is a ``draf`` again and must be submitted and verified anew (a verdict is about what was
seen, as for innovation indicators). Who may act is checked here on the actor: the admin on any
row, an operator only on rows owned by their organisation, a reviewer verifies (never a row of
their own organisation), auditors read. The row definitions and levels come from
``services.domain.spd_rows`` through the command layer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec

from services.domain import conflict, labels
from services.domain.actor import Role
from services.domain.aggregate import Aggregate, Context, applies
from services.domain.errors import InvalidValue, NotAllowed
from services.domain.events import (
    SpdEvidenceAttached,
    SpdEvidenceRemoved,
    SpdRowAssigned,
    SpdRowFilled,
    SpdRowSubmitted,
    SpdRowVerified,
    SpdSheetOpened,
)
from services.domain.spd_rows import Level, RowDefinition
from services.domain.values import Document, SpdValues

STATUS_LABELS = labels.SPD_ROW_STATUS


LIMIT = Decimal(10) ** 15


def sheet_id(year: int) -> UUID:
    """One sheet per year: its id follows from the year, so two first writes cannot race."""
    return uuid5(NAMESPACE_URL, f"https://sirisma.local/spd/{year}")


class Evidence(msgspec.Struct, kw_only=True):
    document: Document
    removed: bool = False


class RowState(msgspec.Struct, kw_only=True):
    no: str
    owner: UUID | None = None
    values: SpdValues = SpdValues()
    note: str = ""
    level: int = 0  # claimed: what the raw values earn
    figure: Any = None  # Decimal | None: the derived figure
    evidence: dict[UUID, Evidence] = {}
    status: str = "kosong"
    revision: int = 0  # bumped by every change of values or evidence
    verified_level: int | None = None  # after Bappeda's check (0 when returned)
    verdict_note: str = ""

    def live_evidence(self) -> list[Document]:
        return [e.document for e in self.evidence.values() if not e.removed]


class SpdSheet(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.year = 0
        self.rows: dict[str, RowState] = {}

    # ==== commands ==============================================================================

    @classmethod
    def open(cls, ctx: Context, year: int) -> SpdSheet:
        if ctx.actor.role not in (Role.ADMIN, Role.OPERATOR):
            raise NotAllowed("Lembar SPD dibuka oleh admin atau operator pemilik baris.")
        sheet = cls(sheet_id(year))
        sheet._record(ctx, SpdSheetOpened, year=year)
        return sheet

    def assign(self, ctx: Context, row: RowDefinition, organisation_id: UUID | None) -> None:
        if ctx.actor.role != Role.ADMIN:
            raise NotAllowed("Hanya admin yang menentukan organisasi pemilik baris SPD.")
        if self.row(row.no).owner != organisation_id:
            self._record(ctx, SpdRowAssigned, row_no=row.no, organisation_id=organisation_id)

    def fill(
        self, ctx: Context, row: RowDefinition, values: SpdValues, level: Level, note: str = ""
    ) -> bool:
        """Record the raw values (False when nothing changed: no event)."""
        self._require_owner(ctx, row.no)
        extra = [
            name
            for name in ("t1", "t2", "value", "choice")
            if getattr(values, name) is not None and name not in row.inputs
        ]
        if extra:
            raise InvalidValue(
                extra[0],
                f"Baris {row.no} hanya memakai {', '.join(row.inputs)}; bukan {', '.join(extra)}.",
            )
        if values.choice is not None and values.choice not in {o.key for o in row.options}:
            raise InvalidValue(
                "choice",
                f"Pilihan '{values.choice}' tidak ada untuk baris {row.no}. Pilihan: "
                + ", ".join(o.key for o in row.options)
                + ".",
            )
        for name in ("t1", "t2", "value"):
            number = getattr(values, name)
            if number is not None and (not number.is_finite() or abs(number) > LIMIT):
                raise InvalidValue(name, "Isi dengan angka biasa (paling besar 10^15).")
        if row.kind == "count" and values.value is not None and values.value < 0:
            raise InvalidValue("value", "Jumlah tidak boleh negatif.")
        state = self.row(row.no)
        if (state.values, state.note) == (values, note.strip()):
            return False
        self._record(
            ctx,
            SpdRowFilled,
            row_no=row.no,
            values=values,
            level=level.level,
            figure=level.figure,
            note=note.strip(),
        )
        return True

    def attach_evidence(self, ctx: Context, row: RowDefinition, document: Document) -> None:
        self._require_owner(ctx, row.no)
        state = self.row(row.no)
        if document.doc_id in state.evidence:
            raise InvalidValue("doc_id", "Dokumen dengan id ini sudah ada.")
        if document.replaces is not None:
            self._live(state, document.replaces)
        self._record(ctx, SpdEvidenceAttached, row_no=row.no, document=document)

    def remove_evidence(self, ctx: Context, row: RowDefinition, doc_id: UUID, reason: str) -> None:
        self._require_owner(ctx, row.no)
        self._live(self.row(row.no), doc_id)
        self._record(ctx, SpdEvidenceRemoved, row_no=row.no, doc_id=doc_id, reason=reason)

    def submit(self, ctx: Context, row: RowDefinition) -> None:
        self._require_owner(ctx, row.no)
        state = self.row(row.no)
        if state.status not in ("draf", "ditolak"):
            raise InvalidValue(
                "status", f"Baris {row.no} berstatus '{STATUS_LABELS[state.status]}'."
            )
        missing = [name for name in row.inputs if getattr(state.values, name) is None]
        if missing:
            raise InvalidValue(
                "values", f"Nilai baris {row.no} belum lengkap: {', '.join(missing)}."
            )
        if not state.live_evidence():
            raise InvalidValue("evidence", f"Baris {row.no} belum memiliki bukti dukung.")
        self._record(ctx, SpdRowSubmitted, row_no=row.no, level=state.level)

    def verify(self, ctx: Context, row: RowDefinition, *, accepted: bool, note: str = "") -> None:
        """Bappeda's check: accept the claimed level, or return the row with the reason."""
        actor = ctx.actor
        if actor.role not in (Role.ADMIN, Role.REVIEWER):
            raise NotAllowed("Verifikasi baris SPD oleh admin atau verifikator Bappeda.")
        state = self.row(row.no)
        if actor.role == Role.REVIEWER:
            conflict.ensure_no_conflict(
                actor.organisation_id, state.owner, conflict.SPD_ROW_MESSAGE
            )
        if state.status != "diajukan":
            raise InvalidValue(
                "status",
                f"Baris {row.no} belum diajukan (status '{STATUS_LABELS[state.status]}').",
            )
        if not accepted and not note.strip():
            raise InvalidValue("note", "Alasan pengembalian wajib diisi.")
        self._record(
            ctx,
            SpdRowVerified,
            row_no=row.no,
            accepted=accepted,
            level=state.level if accepted else 0,
            note=note.strip(),
            seen_revision=state.revision,
        )

    # ==== rules ================================================================================

    def row(self, no: str) -> RowState:
        return self.rows.get(no) or RowState(no=no)

    def _require_owner(self, ctx: Context, no: str) -> None:
        actor = ctx.actor
        if actor.role == Role.ADMIN:
            return
        if actor.role != Role.OPERATOR:
            raise NotAllowed("Baris SPD diisi oleh organisasi pemiliknya atau admin.")
        owner = self.row(no).owner
        if owner is None or owner != actor.organisation_id:
            raise NotAllowed(
                f"Baris {no} bukan milik organisasi Anda; hubungi admin Bappeda untuk penugasan."
            )

    @staticmethod
    def _live(state: RowState, doc_id: UUID) -> Evidence:
        found = state.evidence.get(doc_id)
        if found is None or found.removed:
            raise InvalidValue("doc_id", f"Dokumen {doc_id} tidak ditemukan.")
        return found

    def _changed(self, no: str) -> RowState:
        state = self.rows.setdefault(no, RowState(no=no))
        state.revision += 1
        state.status = "draf"  # any change lapses a submission or a verification
        state.verified_level = None
        return state

    # ==== state changes =========================================================================

    @applies(SpdSheetOpened)
    def _opened(self, e: SpdSheetOpened) -> None:
        self.year = e.year

    @applies(SpdRowAssigned)
    def _assigned(self, e: SpdRowAssigned) -> None:
        self.rows.setdefault(e.row_no, RowState(no=e.row_no)).owner = e.organisation_id

    @applies(SpdRowFilled)
    def _filled(self, e: SpdRowFilled) -> None:
        state = self._changed(e.row_no)
        state.values, state.level, state.figure, state.note = e.values, e.level, e.figure, e.note

    @applies(SpdEvidenceAttached)
    def _evidence_attached(self, e: SpdEvidenceAttached) -> None:
        state = self._changed(e.row_no)
        state.evidence[e.document.doc_id] = Evidence(document=e.document)
        if e.document.replaces is not None and e.document.replaces in state.evidence:
            state.evidence[e.document.replaces].removed = True

    @applies(SpdEvidenceRemoved)
    def _evidence_removed(self, e: SpdEvidenceRemoved) -> None:
        state = self._changed(e.row_no)
        state.evidence[e.doc_id].removed = True

    @applies(SpdRowSubmitted)
    def _submitted(self, e: SpdRowSubmitted) -> None:
        self.rows[e.row_no].status = "diajukan"

    @applies(SpdRowVerified)
    def _verified(self, e: SpdRowVerified) -> None:
        state = self.rows[e.row_no]
        state.status = "diterima" if e.accepted else "ditolak"
        state.verified_level = e.level
        state.verdict_note = e.note
