"""SPD rows (levels from raw values) and the sheet's rules, on the pure domain (no store)."""

from __future__ import annotations

from decimal import Decimal as D
from uuid import uuid4

import pytest

from services.domain import spd_rows as rows
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.errors import ConflictOfInterest, InvalidValue, NotAllowed
from services.domain.spd_sheet import SpdSheet
from services.domain.values import Document, DocumentKind, SpdValues

ORG, OTHER, BAPPEDA = uuid4(), uuid4(), uuid4()
ADMIN = Actor(uuid4(), Role.ADMIN, BAPPEDA)
OPERATOR = Actor(uuid4(), Role.OPERATOR, ORG)
OTHER_OPERATOR = Actor(uuid4(), Role.OPERATOR, OTHER)
REVIEWER = Actor(uuid4(), Role.REVIEWER, BAPPEDA)
OWN_REVIEWER = Actor(uuid4(), Role.REVIEWER, ORG)
AUDITOR = Actor(uuid4(), Role.AUDITOR, None)


def ctx(actor: Actor) -> Context:
    return Context(actor=actor)


def test_the_2026_catalogue_has_20_score_rows_worth_63_points() -> None:
    defs = rows.row_definitions(2026)
    assert [r.no for r in defs][:4] == ["1", "2a", "2b", "3"] and len(defs) == 20
    assert rows.max_score(2026) == D("63")
    assert {r.no for r in defs if r.mandatory} >= {"1", "3", "4", "5a", "5b", "8", "11b"}
    with pytest.raises(rows.UnknownSpdYear):
        rows.row_definitions(1999)


@pytest.mark.parametrize(
    ("no", "values", "level", "figure"),
    [
        ("3", SpdValues(t1=D(1100), t2=D(1000)), 3, D("10.00")),  # +10 % ≥ 8.17
        ("3", SpdValues(t1=D(900), t2=D(1000)), 2, D("-10.00")),
        ("3", SpdValues(t1=D(400), t2=D(1000)), 1, D("-60.00")),
        ("3", SpdValues(t1=D(400), t2=D(0)), 0, None),  # no base year: cannot be computed
        ("4", SpdValues(t1=D(1)), 0, None),  # T-2 still missing
        ("5a", SpdValues(t1=D("4.10"), t2=D("4.60")), 3, D("0.50")),  # fell by 0.5 points
        ("5b", SpdValues(t1=D("4.10")), 2, D("4.10")),  # lower is better
        ("5b", SpdValues(t1=D("2.00")), 3, D("2.00")),
        ("5b", SpdValues(t1=D("6.50")), 1, D("6.50")),
        ("11b", SpdValues(t1=D("80.00")), 3, D("80.00")),
        ("2a", SpdValues(value=D(2)), 2, D(2)),
        ("13a", SpdValues(value=D(0)), 0, D(0)),
        ("13a", SpdValues(value=D(8)), 3, D(8)),
        ("8", SpdValues(choice="wdp"), 2, None),
        ("14", SpdValues(choice="tidak"), 0, None),
    ],
)
def test_levels_from_raw_values(no: str, values: SpdValues, level: int, figure: D | None) -> None:
    earned = rows.level(2026, no, values)
    assert (earned.level, earned.figure) == (level, figure)


def pdf() -> Document:
    return Document(
        doc_id=uuid4(),
        kind=DocumentKind.REPORT,
        name="bps.pdf",
        content_type="application/pdf",
        size=10,
        sha256="ab" * 32,
        storage_key="ab/" + "ab" * 32,
    )


def owned_sheet(no: str = "5b") -> tuple[SpdSheet, rows.RowDefinition]:
    sheet = SpdSheet.open(ctx(ADMIN), 2026)
    row = rows.definition(2026, no)
    assert row is not None
    sheet.assign(ctx(ADMIN), row, ORG)
    return sheet, row


def fill(sheet: SpdSheet, row: rows.RowDefinition, actor: Actor, values: SpdValues) -> bool:
    return sheet.fill(ctx(actor), row, values, rows.level(2026, row.no, values))


def test_owner_fills_proves_and_submits_then_bappeda_verifies() -> None:
    sheet, row = owned_sheet()
    assert fill(sheet, row, OPERATOR, SpdValues(t1=D("4.10")))
    assert not fill(sheet, row, OPERATOR, SpdValues(t1=D("4.10")))  # unchanged: no event
    with pytest.raises(InvalidValue, match="bukti dukung"):
        sheet.submit(ctx(OPERATOR), row)
    sheet.attach_evidence(ctx(OPERATOR), row, pdf())
    sheet.submit(ctx(OPERATOR), row)
    with pytest.raises(ConflictOfInterest):
        sheet.verify(ctx(OWN_REVIEWER), row, accepted=True)
    with pytest.raises(InvalidValue, match="Alasan"):
        sheet.verify(ctx(REVIEWER), row, accepted=False)
    sheet.verify(ctx(REVIEWER), row, accepted=True)
    state = sheet.row(row.no)
    assert (state.status, state.level, state.verified_level) == ("diterima", 2, 2)
    # A change after the check lapses it: a draft again, no verified level.
    fill(sheet, row, OPERATOR, SpdValues(t1=D("2.00")))
    state = sheet.row(row.no)
    assert (state.status, state.level, state.verified_level) == ("draf", 3, None)
    replayed = SpdSheet.replay(sheet.pending_events)
    assert replayed is not None and replayed.row(row.no) == state


def test_who_may_touch_which_row() -> None:
    sheet, row = owned_sheet()
    with pytest.raises(NotAllowed, match="bukan milik organisasi Anda"):
        fill(sheet, row, OTHER_OPERATOR, SpdValues(t1=D(1)))
    with pytest.raises(NotAllowed):
        fill(sheet, row, AUDITOR, SpdValues(t1=D(1)))
    with pytest.raises(NotAllowed, match="Hanya admin"):
        sheet.assign(ctx(OPERATOR), row, OTHER)
    with pytest.raises(NotAllowed):
        sheet.verify(ctx(OPERATOR), row, accepted=True)
    with pytest.raises(InvalidValue, match="hanya memakai t1"):
        fill(sheet, row, ADMIN, SpdValues(t1=D(1), choice="x"))
    choice_row = rows.definition(2026, "8")
    assert choice_row is not None
    with pytest.raises(InvalidValue, match="Pilihan 'baik' tidak ada"):
        fill(sheet, choice_row, ADMIN, SpdValues(choice="baik"))
