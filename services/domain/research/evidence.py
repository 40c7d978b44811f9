"""Which research output is evidence for which SPD row (iga-index.md (b), rows 13a–15).

- 13a "Rekomendasi kebijakan yang mendukung inovasi": each policy brief's recommendations.
- 14 "RIPJ PID": the agenda document's standing (rancangan / disepakati / ditetapkan → level
  1 / 2 / 3) and the RIPJ document a study produced.
- 15 "Fasilitasi HAKI": IP registrations a study produced.

The numbering is the 2026 SPD catalogue's (``services/spd/catalogue.json``).
"""

from __future__ import annotations

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


def level_13a(recommendations: int) -> int:
    """SPD 13a's level for a count of recommendations: 1–3 → 1, 4–7 → 2, more than 7 → 3."""
    if recommendations <= 0:
        return 0
    return 1 if recommendations <= 3 else (2 if recommendations <= 7 else 3)
