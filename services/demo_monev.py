"""Demo data for monev: the first established innovations of the demo regency have evaluation
reports (one of each kind, with measured indicators and a recommendation) and an upcoming
monitoring visit, recorded by the demo reviewer and admin. ``services.demo`` calls in here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from uuid import UUID, uuid4

from services.commands import account_id_for, organisation_id_for
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import jakarta_date
from services.domain.events import Established, IndicatorMeasure
from services.domain.lifecycle import IN_OPERATION
from services.monev.service import MonevCommands
from services.runtime import Runtime

# kind, days ago, findings, recommendation, indicators (name, value, target)
REPORTS: list[tuple[str, int, str, str, list[tuple[str, str, str]]]] = [
    (
        "internal",
        120,
        "Layanan berjalan di semua kecamatan; dua kecamatan belum melaporkan data bulanan.",
        "perbaiki",
        [("Pengguna layanan per bulan", "1.250", "1.000"), ("Kecamatan aktif", "18 dari 20", "20")],
    ),
    (
        "skm",
        45,
        "Survei kepuasan 312 responden: waktu layanan dinilai paling membaik.",
        "lanjutkan",
        [("Indeks kepuasan masyarakat", "84,2", "80")],
    ),
    (
        "eksternal",
        10,
        "Kajian bersama universitas: biaya per layanan turun 30 %, layak direplikasi ke OPD lain.",
        "replikasi",
        [("Penurunan biaya layanan", "30 %", "20 %")],
    ),
]


def seed_monev(runtime: Runtime, mk: Callable[[Actor], Context], admin: Actor) -> None:
    """Reports and an upcoming visit on up to four established innovations."""
    c = runtime.commands
    reviewer = Actor(account_id_for("verifikator"), Role.REVIEWER, organisation_id_for("BAPPEDA"))
    service = MonevCommands(runtime.store, c)
    today = jakarta_date(mk(admin).timestamp())
    established = runtime.store.notifications(1, 10_000, topics=[Established.TOPIC])
    seeded = 0
    for notification in established:
        innovation = c.innovation(UUID(str(notification.originator_id)))
        if innovation.status not in IN_OPERATION or seeded == 4:
            continue
        for kind, days_ago, findings, recommendation, measures in REPORTS[: 1 + seeded % 3]:
            service.record_report(
                mk(reviewer),
                innovation,
                report_id=uuid4(),
                kind=kind,
                reported_on=today - timedelta(days=days_ago),
                period=f"Tahun {today.year}",
                findings=findings,
                recommendation=recommendation,
                indicators=[IndicatorMeasure(name=n, value=v, target=t) for n, v, t in measures],
            )
        service.schedule_visit(
            mk(admin),
            innovation,
            visit_id=uuid4(),
            due_on=today + timedelta(days=7 + 7 * seeded),
            kind="kunjungan",
            note="Monitoring capaian triwulan.",
        )
        seeded += 1
