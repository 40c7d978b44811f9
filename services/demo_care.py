"""Demo data for the care around an innovation: the head's endorsement before it is submitted.

The demo regency shows both ways an endorsement is recorded: the head of Disdukcapil has an
account and endorses in SI-RISMA; every other organisation's operator uploads the head's signed
letter (surat pengesahan) and records it. ``services.demo`` calls in here with one line each.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import msgspec

from services.commands import Commands, account_id_for, organisation_id_for
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.values import Document, DocumentKind

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
