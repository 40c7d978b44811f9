"""Conflict of interest, the one rule: nobody reviews the work of an organisation they belong to.

The aggregate (assigning and acting as a reviewer), the SPD sheet (verifying a row) and the
authorisation policy (what a reviewer may see and do) all ask ``conflicted``; the domain keeps the
rule so the pure aggregate can enforce it without importing the HTTP-side policy.
"""

from __future__ import annotations

from uuid import UUID

from services.domain.errors import ConflictOfInterest

INNOVATION_MESSAGE = (
    "Konflik kepentingan: verifikator berasal dari organisasi pengusul inovasi ini."
)
SPD_ROW_MESSAGE = "Konflik kepentingan: verifikator berasal dari organisasi pemilik baris ini."


def conflicted(reviewer_organisation_id: UUID | None, owner_organisation_id: UUID | None) -> bool:
    """The reviewer belongs to the owner's organisation (an account without one never does)."""
    return (
        reviewer_organisation_id is not None and reviewer_organisation_id == owner_organisation_id
    )


def ensure_no_conflict(
    reviewer_organisation_id: UUID | None,
    owner_organisation_id: UUID | None,
    message: str = INNOVATION_MESSAGE,
) -> None:
    if conflicted(reviewer_organisation_id, owner_organisation_id):
        raise ConflictOfInterest(message)
