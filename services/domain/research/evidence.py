"""Which research output is evidence for which SPD row (iga-index.md (b), rows 13a–15), the
level that evidence supports, and how it counts on the SPD sheet and in the regency index.

- 13a "Rekomendasi kebijakan yang mendukung inovasi": the recommendations of the policy briefs
  of the year's studies whose final report Bappeda accepted (completed or disseminated):
  1–3 → level 1, 4–7 → level 2, more than 7 → level 3.
- 14 "RIPJ PID": the agenda document's standing (rancangan / disepakati / ditetapkan Perkada →
  level 1 / 2 / 3), with the RIPJ document a study produced listed as evidence.
- 15 "Fasilitasi HAKI": IP registrations a study produced are listed as evidence, but no level
  follows from them (the levels are socialisation / administrative facilitation / financing
  incentive: the facilitation's own reports, which the owning organisation declares on the sheet).

The numbering is the 2026 SPD catalogue's (``services/spd/catalogue.json``).
"""

from __future__ import annotations

from collections.abc import Mapping

from services.domain.regency_index import SpdEntry
from services.domain.research.values import AgendaStatus, OutputKind

OUTPUT_SPD_ROW: dict[str, str] = {
    OutputKind.POLICY_BRIEF: "13a",
    OutputKind.DOKUMEN_RIPJ: "14",
    OutputKind.HAKI: "15",
}
AGENDA_SPD_ROW = "14"
AGENDA_LEVEL: dict[str, int] = {
    AgendaStatus.RANCANGAN: 1,
    AgendaStatus.DISEPAKATI: 2,
    AgendaStatus.DITETAPKAN: 3,
}
#: Rows research evidence is listed for; only 13a and 14 get a level from it.
RESEARCH_ROWS = ("13a", "14", "15")


def level_13a(recommendations: int) -> int:
    """SPD 13a's level for a count of recommendations: 1–3 → 1, 4–7 → 2, more than 7 → 3."""
    if recommendations <= 0:
        return 0
    return 1 if recommendations <= 3 else (2 if recommendations <= 7 else 3)


def research_level(row_no: str, recommendations: int, agenda_status: str | None) -> int | None:
    """The level research evidence alone supports on ``row_no`` (None: no level follows)."""
    if row_no == "13a":
        return level_13a(recommendations)
    if row_no == AGENDA_SPD_ROW:
        return AGENDA_LEVEL.get(agenda_status or "", 0)
    return None


def counted(entry: SpdEntry | None, research: int | None) -> SpdEntry:
    """THE rule for how research evidence counts on an SPD row (the sheet's scores and the
    regency index both call it).

    The level the sheet declares stands when it is higher; otherwise the research-derived level
    counts, claimed and verified alike: its evidence is already Bappeda's own acceptance (the
    admin accepts a study's final report; the admin sets the agenda's status), so there is
    nothing left for the sheet's verifier to check. Research never lowers a row, and a row with
    no research level (``None`` or 0) is exactly the sheet's."""
    entry = entry or SpdEntry()
    if not research:
        return entry
    verified = max(entry.verified_level or 0, research)
    return SpdEntry(claimed_level=max(entry.claimed_level, research), verified_level=verified)


def counted_rows(
    sheet: Mapping[str, SpdEntry], research: Mapping[str, int | None]
) -> dict[str, SpdEntry]:
    """Every row of the sheet or with a research level, under ``counted``."""
    rows = set(sheet) | {no for no, level in research.items() if level}
    return {no: counted(sheet.get(no), research.get(no)) for no in sorted(rows)}
