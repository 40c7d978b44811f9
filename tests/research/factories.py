"""A complete research proposal body, for the domain and HTTP tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.domain.research.values import (
    BudgetLine,
    ProposalBody,
    ResearchKind,
    Step,
    TeamMember,
    Theme,
)

THEME = Theme(code="R1", title="Stunting dan layanan kesehatan dasar", rpjmd_goal="Misi 2")


def complete_body(title: str = "Kajian Efektivitas Posyandu Digital") -> ProposalBody:
    return ProposalBody(
        title=title,
        kind=ResearchKind.PENGKAJIAN,
        theme_code=THEME.code,
        partner="Universitas Sebelas Maret",
        background="Prevalensi stunting masih di atas target RPJMD.",
        legal_basis="Permendagri 17/2016; Perpres 72/2021.",
        questions=("Apakah pencatatan digital mempercepat rujukan balita berisiko?",),
        method="Metode campuran: survei 400 rumah tangga dan wawancara mendalam.",
        location="Kecamatan Gemolong dan Sumberlawang",
        team=(
            TeamMember(name="Dr. Ani Susanti", role="ketua", institution="UNS"),
            TeamMember(name="Budi Hartono", role="anggota", institution="Bappeda"),
        ),
        budget=(
            BudgetLine(
                item="Honor enumerator", quantity=Decimal(10), unit="OB", unit_cost=Decimal(750000)
            ),
            BudgetLine(
                item="Seminar hasil", quantity=Decimal(1), unit="paket", unit_cost=Decimal(5000000)
            ),
        ),
        schedule=(
            Step(name="Pengumpulan data", start=date(2026, 3, 1), end=date(2026, 5, 31)),
            Step(name="Analisis dan pelaporan", start=date(2026, 6, 1), end=date(2026, 8, 31)),
        ),
    )
