"""Who did something: every event carries the actor and the request's correlation id."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

import msgspec


class Role(StrEnum):
    OPERATOR = "operator"
    REVIEWER = "reviewer"
    ADMIN = "admin"
    AUDITOR = "auditor"
    PARTICIPANT = "participant"
    KEPALA_OPD = "kepala_opd"  # head of one organisation: endorses its innovations
    MENTOR = "mentor"  # an external coach (pendamping); Bappeda staff mentor with their own role
    PIMPINAN = "pimpinan"  # the regent and the Bappeda head: read the regency, give no command
    SYSTEM = "system"


class Actor(msgspec.Struct, frozen=True):
    """The account that caused an event. ``account_id`` is None only for the system itself."""

    account_id: UUID | None
    role: Role
    organisation_id: UUID | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(account_id=None, role=Role.SYSTEM)
