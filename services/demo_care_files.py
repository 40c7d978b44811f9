"""Demo data for the care records' files and moved visits: monev reports with photos, a
rescheduled and a cancelled visit, and a mentoring session with its invitation and a photo.
Runs after ``demo_care.seed_mentoring`` and ``demo_monev.seed_monev`` (``services.demo`` calls
in here); the pictures are small real PNGs, so thumbnails render in the demo."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from datetime import timedelta
from uuid import UUID, uuid4

from services.blobs import BlobStore
from services.commands import account_id_for, organisation_id_for
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import jakarta_date
from services.domain.events import Established, FileRef, Proposed
from services.domain.lifecycle import IN_OPERATION
from services.mentoring.service import MentoringCommands
from services.monev.service import MonevCommands
from services.runtime import Runtime

# caption, colour (RGB) of each report photo
PHOTOS = [
    ("Petugas melayani warga di loket kecamatan", (46, 125, 50)),
    ("Papan capaian layanan triwulan", (21, 101, 192)),
]


def png(width: int, height: int, rgb: tuple[int, int, int], label: str) -> bytes:
    """A plain-coloured PNG with a text chunk (so each picture has its own hash)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"tEXt", b"Title\x00" + label.encode())
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _file(blobs: BlobStore, body: bytes, name: str, content_type: str, caption: str) -> FileRef:
    stored = blobs.put_bytes(body)
    return FileRef(
        id=uuid4(),
        name=name,
        content_type=content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        caption=caption,
    )


def seed_care_files(runtime: Runtime, mk: Callable[[Actor], Context], admin: Actor) -> None:
    blobs = BlobStore(runtime.settings.blob_path)
    _monev(runtime, mk, admin, blobs)
    _mentoring(runtime, mk, admin, blobs)


def _monev(
    runtime: Runtime, mk: Callable[[Actor], Context], admin: Actor, blobs: BlobStore
) -> None:
    """Photos on the newest report of each monitored innovation; on the first one, a visit
    moved to a later date and another called off."""
    c = runtime.commands
    reviewer = Actor(account_id_for("verifikator"), Role.REVIEWER, organisation_id_for("BAPPEDA"))
    service = MonevCommands(runtime.store, c)
    today = jakarta_date(mk(admin).timestamp())
    first = True
    for notification in runtime.store.notifications(1, 10_000, topics=[Established.TOPIC]):
        innovation = c.innovation(UUID(str(notification.originator_id)))
        monev = service.load(innovation)
        if innovation.status not in IN_OPERATION or not monev.reports:
            continue
        newest = max(monev.reports, key=lambda r: r.reported_on)
        for n, (caption, colour) in enumerate(PHOTOS):
            body = png(64, 48, colour, f"{innovation.id}-{n}")
            photo = _file(blobs, body, f"foto-monev-{n + 1}.png", "image/png", caption)
            service.attach_photo(
                mk(reviewer), innovation, photo=photo, keep=lambda: None, report_id=newest.id
            )
        if first:
            moved, dropped = uuid4(), uuid4()
            for visit in (moved, dropped):
                service.schedule_visit(
                    mk(admin),
                    innovation,
                    visit_id=visit,
                    due_on=today + timedelta(days=14),
                    kind="rapat",
                    note="Rapat evaluasi bersama OPD.",
                )
            service.reschedule_visit(
                mk(reviewer),
                innovation,
                visit_id=moved,
                due_on=today + timedelta(days=28),
                reason="Kepala OPD mengikuti rapat di provinsi pada tanggal semula.",
            )
            service.cancel_visit(
                mk(admin),
                innovation,
                visit_id=dropped,
                reason="Digabung dengan kunjungan lapangan bulan ini.",
            )
            first = False


def _mentoring(
    runtime: Runtime, mk: Callable[[Actor], Context], admin: Actor, blobs: BlobStore
) -> None:
    """The invitation and a photo of the first recorded mentoring session, by its mentor."""
    c = runtime.commands
    service = MentoringCommands(runtime.store, c)
    for notification in runtime.store.notifications(1, 40, topics=[Proposed.TOPIC]):
        innovation = c.innovation(UUID(str(notification.originator_id)))
        mentoring = service.load(innovation)
        if not mentoring.sessions or mentoring.sessions[0].mentor_id is None:
            continue
        session = mentoring.sessions[0]
        assert session.mentor_id is not None
        account = c.account(session.mentor_id)
        mentor = Actor(session.mentor_id, account.role, account.organisation_id)
        invitation = (
            "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            "2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            f"% Undangan sesi pendampingan {session.id}\ntrailer<</Root 1 0 R>>\n%%EOF\n"
        ).encode()
        files = [
            _file(blobs, invitation, "undangan-sesi.pdf", "application/pdf", "Undangan sesi"),
            _file(
                blobs,
                png(64, 48, (230, 81, 0), f"sesi-{session.id}"),
                "foto-sesi.png",
                "image/png",
                "Operator dan pendamping meninjau rancang bangun",
            ),
        ]
        for file in files:
            service.attach_file(
                mk(mentor), innovation, session_id=session.id, file=file, keep=lambda: None
            )
        return
