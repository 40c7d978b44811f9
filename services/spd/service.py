"""Commands on the SPD sheet and its view: load (or open) the year's sheet, let it decide, save.

Every level is computed here with ``services.domain.spd_rows.level`` (the one place that knows the
year's rules) and recorded with the raw values, so the log shows what the values earned when
they were entered. The view adds what each row still lacks and the points it could still earn.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

import msgspec

from projections.research_evidence import SpdEvidenceRow
from services.commands import Outcome
from services.domain import spd_rows as rows
from services.domain.aggregate import Context
from services.domain.errors import InvalidValue
from services.domain.regency_index import SpdEntry
from services.domain.research.evidence import counted
from services.domain.spd_sheet import STATUS_LABELS, SpdSheet, sheet_id
from services.domain.values import Document, SpdValues
from services.eventstore.store import ConcurrencyConflict, EventStore, NotFound


def row_of(year: int, no: str) -> rows.RowDefinition:
    try:
        found = rows.definition(year, no)
    except rows.UnknownSpdYear as exc:
        raise InvalidValue("year", str(exc)) from None
    if found is None:
        raise InvalidValue(
            "no",
            f"Baris SPD '{no}' tidak ada untuk tahun {year}. Baris: "
            + ", ".join(r.no for r in rows.row_definitions(year))
            + ".",
        )
    return found


class SpdCommands:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def load(self, year: int, version: int | None = None) -> SpdSheet | None:
        try:
            return self.store.load(SpdSheet, sheet_id(year), version)
        except NotFound:
            return None

    def _for_write(self, ctx: Context, year: int, expected: int | None) -> SpdSheet:
        sheet = self.load(year)
        if sheet is None:
            sheet = SpdSheet.open(ctx, year)
        if expected is not None and expected != sheet.version and not sheet.pending_events:
            raise ConcurrencyConflict(sheet.id, expected + 1, sheet.version)
        return sheet

    def _save(self, sheet: SpdSheet) -> Outcome:
        ids = self.store.save(sheet) if sheet.pending_events else []
        return Outcome(sheet.id, sheet.version, ids[-1] if ids else 0)

    def fill(
        self,
        ctx: Context,
        year: int,
        no: str,
        values: SpdValues,
        note: str = "",
        *,
        assign: bool = False,
        owner: UUID | None = None,
        expected_version: int | None = None,
    ) -> Outcome:
        """Raw values of a row; with ``assign`` the admin also names the owning organisation."""
        row = row_of(year, no)
        sheet = self._for_write(ctx, year, expected_version)
        if assign:
            sheet.assign(ctx, row, owner)
        sheet.fill(ctx, row, values, rows.level(year, no, values), note)
        return self._save(sheet)

    def attach(self, ctx: Context, year: int, no: str, document: Document) -> Outcome:
        row = row_of(year, no)
        sheet = self._for_write(ctx, year, None)
        sheet.attach_evidence(ctx, row, document)
        return self._save(sheet)

    def check_attach(self, ctx: Context, year: int, no: str, document: Document) -> None:
        """The sheet's own rule on a copy (never saved), before the upload is kept."""
        row = row_of(year, no)
        self._for_write(ctx, year, None).attach_evidence(ctx, row, document)

    def submit(self, ctx: Context, year: int, no: str) -> Outcome:
        row = row_of(year, no)
        sheet = self._for_write(ctx, year, None)
        sheet.submit(ctx, row)
        return self._save(sheet)

    def verify(self, ctx: Context, year: int, no: str, accepted: bool, note: str) -> Outcome:
        row = row_of(year, no)
        sheet = self.load(year)
        if sheet is None:
            raise InvalidValue("year", f"Lembar SPD tahun {year} belum diisi.")
        sheet.verify(ctx, row, accepted=accepted, note=note)
        return self._save(sheet)


# ==== the view ====================================================================================


class EvidenceView(msgspec.Struct, kw_only=True):
    doc_id: UUID
    kind: str
    name: str
    content_type: str
    size: int
    sha256: str
    replaces: UUID | None = None
    removed: bool = False


class RowView(msgspec.Struct, kw_only=True):
    no: str
    name: str
    variable: str
    weight: Decimal
    mandatory: bool
    kind: str
    inputs: list[str]
    options: list[rows.Option]
    evidence_hint: str
    owner_hint: str
    owner_organisation_id: UUID | None
    status: str
    status_label: str
    values: SpdValues
    figure: Decimal | None
    note: str
    claimed_level: int
    verified_level: int | None
    verdict_note: str
    revision: int
    evidence: list[EvidenceView]
    open_points: Decimal  # weight × (3 − counted level): what the row could still earn
    open_items: list[str]  # what is still to do, in words
    # Research outputs that are evidence for this row (13a, 14, 15) and the level they support;
    # ``counted_*`` is what the scores and the regency index use (``evidence.counted``).
    research: SpdEvidenceRow | None = None
    counted_level: int = 0
    counted_verified_level: int | None = None


class SheetView(msgspec.Struct, kw_only=True):
    year: int
    version: int
    rows: list[RowView]
    rows_total: int
    rows_filled: int
    rows_submitted: int
    rows_verified: int
    completeness: int  # % of rows accepted by Bappeda
    claimed_score: Decimal
    verified_score: Decimal
    max_score: Decimal


def _open_items(
    row: rows.RowDefinition, state: object, research: SpdEvidenceRow | None = None
) -> list[str]:
    from services.domain.spd_sheet import RowState

    assert isinstance(state, RowState)
    items: list[str] = []
    if research is not None and research.suggested_level:
        items.append(
            f"Bukti riset mendukung level {research.suggested_level} ({research.basis}); "
            "level ini terhitung bila lembar tidak menyatakan level yang lebih tinggi."
        )
    if state.owner is None:
        items.append("Organisasi pemilik belum ditentukan admin.")
    missing = [name for name in row.inputs if getattr(state.values, name) is None]
    if missing:
        names = {"t1": "nilai T-1", "t2": "nilai T-2", "value": "jumlah", "choice": "pilihan"}
        items.append("Isi " + ", ".join(names[m] for m in missing) + ".")
    if not state.live_evidence():
        items.append(f"Unggah bukti dukung ({row.evidence}).")
    if state.status in ("draf",) and not missing and state.live_evidence():
        items.append("Ajukan untuk diverifikasi Bappeda.")
    if state.status == "diajukan":
        items.append("Menunggu verifikasi Bappeda.")
    if state.status == "ditolak":
        items.append(f"Perbaiki sesuai catatan Bappeda: {state.verdict_note}")
    if state.level < 3 and state.status != "kosong":
        items.append(f"Level {state.level}: masih dapat naik sampai level 3.")
    return items


def sheet_view(
    year: int, sheet: SpdSheet | None, research: Sequence[SpdEvidenceRow] = ()
) -> SheetView:
    """The sheet with each row's research evidence (``projections.research_evidence``) counted
    by ``services.domain.research.evidence.counted``, as the regency index counts it."""
    by_row = {r.row_no: r for r in research}
    try:
        definitions = rows.row_definitions(year)
    except rows.UnknownSpdYear as exc:
        raise InvalidValue("year", str(exc)) from None
    views: list[RowView] = []
    claimed = verified = Decimal(0)
    for row in definitions:
        state = sheet.row(row.no) if sheet is not None else SpdSheet(sheet_id(year)).row(row.no)
        weight = Decimal(str(row.weight))
        evidence = by_row.get(row.no)
        entry = counted(
            SpdEntry(claimed_level=state.level, verified_level=state.verified_level),
            evidence.suggested_level if evidence is not None else None,
        )
        claimed += weight * entry.claimed_level
        verified += weight * (entry.verified_level or 0)
        views.append(
            RowView(
                no=row.no,
                name=row.name,
                variable=row.variable,
                weight=weight,
                mandatory=row.mandatory,
                kind=row.kind,
                inputs=list(row.inputs),
                options=list(row.options),
                evidence_hint=row.evidence,
                owner_hint=row.owner_hint,
                owner_organisation_id=state.owner,
                status=state.status,
                status_label=STATUS_LABELS[state.status],
                values=state.values,
                figure=state.figure,
                note=state.note,
                claimed_level=state.level,
                verified_level=state.verified_level,
                verdict_note=state.verdict_note,
                revision=state.revision,
                evidence=[
                    EvidenceView(
                        doc_id=e.document.doc_id,
                        kind=str(e.document.kind),
                        name=e.document.name,
                        content_type=e.document.content_type,
                        size=e.document.size,
                        sha256=e.document.sha256,
                        replaces=e.document.replaces,
                        removed=e.removed,
                    )
                    for e in state.evidence.values()
                ],
                open_points=weight * (3 - entry.claimed_level),
                open_items=_open_items(row, state, evidence),
                research=evidence,
                counted_level=entry.claimed_level,
                counted_verified_level=entry.verified_level,
            )
        )
    total = len(views)
    accepted = sum(1 for v in views if v.status == "diterima")
    return SheetView(
        year=year,
        version=sheet.version if sheet is not None else 0,
        rows=views,
        rows_total=total,
        rows_filled=sum(1 for v in views if v.status != "kosong"),
        rows_submitted=sum(1 for v in views if v.status in ("diajukan", "diterima")),
        rows_verified=accepted,
        completeness=round(accepted * 100 / total) if total else 0,
        claimed_score=claimed,
        verified_score=verified,
        max_score=rows.max_score(year),
    )
