"""Demo data for the care around an innovation: the head's endorsement before it is submitted,
and pendampingan (mentors, sessions, follow-ups).

The demo regency shows both ways an endorsement is recorded: the head of Disdukcapil has an
account and endorses in SI-RISMA; every other organisation's operator uploads the head's signed
letter (surat pengesahan) and records it. A Bappeda reviewer and an external coach mentor a
handful of innovations. ``services.demo`` calls in here with one line each.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from uuid import UUID, uuid4

import msgspec

from services.commands import Commands, account_id_for, organisation_id_for
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import jakarta_date
from services.domain.events import FollowUpItem, Proposed
from services.domain.mentoring import Mode
from services.domain.values import Document, DocumentKind
from services.mentoring.service import MentoringCommands
from services.runtime import Runtime

DEMO_MENTOR = ("pendamping", "pendamping-demo-2025", "Dr. Ani Rahmawati (Pendamping, UNS)")

# username, password, organisation code, full name — documented in the README.
DEMO_HEADS: list[tuple[str, str, str, str]] = [
    ("kepala.dukcapil", "kepala-demo-2025", "DISDUKCAPIL", "Drs. Heru Santoso, M.Si."),
]


def seed_heads(c: Commands, system: Context, hashed: Callable[[str], str]) -> None:
    """The heads (kepala OPD) who endorse with their own account."""
    for username, password, code, full_name in DEMO_HEADS:
        c.create_account(
            system,
            username=username,
            full_name=full_name,
            email=f"{username}@sragenkab.go.id",
            role=Role.KEPALA_OPD,
            organisation_id=organisation_id_for(code),
            password_hash=hashed(password),
        )


def _head(organisation_id: UUID | None) -> Actor | None:
    for username, _password, code, _name in DEMO_HEADS:
        if organisation_id_for(code) == organisation_id:
            return Actor(account_id_for(username), Role.KEPALA_OPD, organisation_id)
    return None


def endorse(
    c: Commands,
    mk: Callable[[Actor], Context],
    operator: Actor,
    iid: UUID,
    letter: Callable[[], Document],
) -> None:
    """The head endorses the draft, or the operator records the head's signed letter."""
    head = _head(operator.organisation_id)
    if head is not None:
        c.endorse(mk(head), iid, note="Disetujui untuk diajukan ke Bappeda Litbang.")
        return
    document = msgspec.structs.replace(letter(), name="surat-pengesahan-kepala.pdf")
    assert document.kind == DocumentKind.ENDORSEMENT
    c.attach_document(mk(operator), iid, document)
    c.endorse(
        mk(operator),
        iid,
        endorser_name=c.head_of(operator.organisation_id),
        letter_doc_id=document.doc_id,
    )


SESSIONS: list[tuple[int, Mode, list[str], list[tuple[str, int | None, bool]]]] = [
    # days ago, mode, topics, follow-ups (text, due in days from the session, done)
    (
        120,
        Mode.BIMTEK,
        ["Penyusunan rancang bangun", "Bukti dukung indikator wajib"],
        [("Susun rancang bangun minimal 300 kata", 30, True)],
    ),
    (
        45,
        Mode.KLINIK,
        ["Data sebelum dan sesudah inovasi", "SK Kepala Daerah"],
        [("Unggah SK Kepala Daerah", 14, True), ("Lengkapi data jumlah pengguna", 60, False)],
    ),
    (7, Mode.KUNJUNGAN, ["Kesiapan replikasi"], [("Susun SOP replikasi", 21, False)]),
]


def seed_mentoring(
    runtime: Runtime, mk: Callable[[Actor], Context], admin: Actor, hashed: Callable[[str], str]
) -> None:
    """An external coach and a Bappeda reviewer mentor the first innovations of the log."""
    c = runtime.commands
    username, password, full_name = DEMO_MENTOR
    c.create_account(
        mk(Actor.system()),
        username=username,
        full_name=full_name,
        email=f"{username}@sragenkab.go.id",
        role=Role.MENTOR,
        organisation_id=None,
        password_hash=hashed(password),
    )
    coach = Actor(account_id_for(username), Role.MENTOR, None)
    staff = Actor(account_id_for("verifikator"), Role.REVIEWER, organisation_id_for("BAPPEDA"))
    service = MentoringCommands(runtime.store, c)
    today = jakarta_date(mk(admin).timestamp())
    proposed = runtime.store.notifications(1, 40, topics=[Proposed.TOPIC])
    for index, notification in enumerate(proposed[:6]):
        innovation = c.innovation(UUID(str(notification.originator_id)))
        if innovation.organisation_id is None:
            continue
        mentor = coach if index % 2 == 0 else staff
        assert mentor.account_id is not None
        service.assign(mk(admin), innovation, mentor.account_id, "Pendampingan menuju IGA.")
        for days_ago, mode, topics, follow_ups in SESSIONS[: 1 + index % 3]:
            held_on = today - timedelta(days=days_ago)
            items = [
                (FollowUpItem(id=uuid4(), text=text, due=_due(held_on, due)), done)
                for text, due, done in follow_ups
            ]
            service.record_session(
                mk(mentor),
                innovation,
                session_id=uuid4(),
                held_on=held_on,
                mode=mode,
                attendees=[f"Operator {c.head_of(innovation.organisation_id)[7:]}", full_name],
                topics=topics,
                notes="Pendamping meninjau isian dan bukti dukung bersama operator.",
                indicators=[5],
                follow_ups=[item for item, _done in items],
            )
            for item, done in items:
                if done:
                    service.complete(mk(mentor), innovation, item.id, "Sudah dipenuhi.")


def _due(held_on: date, days: int | None) -> date | None:
    return held_on + timedelta(days=days) if days is not None else None
