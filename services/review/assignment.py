"""Bulk assignment: several innovations to one reviewer, or round-robin across reviewers.

Each innovation is its own command and its own outcome: one refused item (conflict of interest,
wrong status, a stale version) never undoes or blocks the others, and the answer lists every
item with what happened and why. In round-robin, a reviewer who cannot take an item (same
organisation, already assigned) is skipped for that item and the reason is reported; the item is
refused only when no reviewer in the list can take it.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import msgspec

from services.commands import Commands, account_id_for
from services.domain.actor import Role
from services.domain.aggregate import Context
from services.domain.errors import DomainError, InvalidValue
from services.domain.organisation import Account
from services.eventstore.store import ConcurrencyConflict, NotFound

MAX_ITEMS = 500


class Skipped(msgspec.Struct, kw_only=True):
    reviewer_id: UUID
    reviewer_name: str
    code: str
    reason: str


class AssignmentResult(msgspec.Struct, kw_only=True):
    innovation_id: UUID
    outcome: str  # "assigned" | "refused"
    reviewer_id: UUID | None = None
    reviewer_name: str = ""
    version: int | None = None
    notification_id: int | None = None
    code: str = ""
    reason: str = ""
    skipped: list[Skipped] = []


class AssignmentReport(msgspec.Struct, kw_only=True):
    requested: int
    assigned: int
    refused: int
    results: list[AssignmentResult]
    notification_id: int | None = None


def resolve_reviewer(commands: Commands, ref: str) -> Account:
    """A reviewer by account id or username; refused unless an active reviewer."""
    ref = ref.strip()
    try:
        account_id = UUID(ref)
    except ValueError:
        account_id = account_id_for(ref)
    try:
        account = commands.account(account_id)
    except NotFound:
        raise InvalidValue("reviewer", f"Akun verifikator '{ref}' tidak ditemukan.") from None
    if account.role != Role.REVIEWER or account.disabled:
        raise InvalidValue("reviewer", f"Akun '{account.username}' bukan verifikator aktif.")
    return account


def assign_many(
    commands: Commands,
    ctx: Context,
    innovation_ids: Sequence[UUID],
    reviewers: Sequence[Account],
    *,
    round_robin: bool,
) -> AssignmentReport:
    if not innovation_ids:
        raise InvalidValue("innovation_ids", "Pilih minimal satu inovasi.")
    if len(innovation_ids) > MAX_ITEMS:
        raise InvalidValue("innovation_ids", f"Paling banyak {MAX_ITEMS} inovasi sekali tugas.")
    if len(set(innovation_ids)) != len(innovation_ids):
        raise InvalidValue("innovation_ids", "Daftar inovasi memuat id yang sama dua kali.")
    if not reviewers:
        raise InvalidValue("reviewers", "Pilih minimal satu verifikator.")
    if len({r.id for r in reviewers}) != len(reviewers):
        raise InvalidValue("reviewers", "Daftar verifikator memuat akun yang sama dua kali.")
    results: list[AssignmentResult] = []
    turn = 0
    for innovation_id in innovation_ids:
        order = (
            [reviewers[(turn + k) % len(reviewers)] for k in range(len(reviewers))]
            if round_robin
            else list(reviewers)
        )
        result = _assign_one(commands, ctx, innovation_id, order)
        if round_robin and result.reviewer_id is not None:
            chosen = next(i for i, r in enumerate(reviewers) if r.id == result.reviewer_id)
            turn = chosen + 1
        results.append(result)
    assigned = [r for r in results if r.outcome == "assigned"]
    return AssignmentReport(
        requested=len(results),
        assigned=len(assigned),
        refused=len(results) - len(assigned),
        results=results,
        notification_id=max((r.notification_id or 0 for r in assigned), default=None),
    )


def _assign_one(
    commands: Commands, ctx: Context, innovation_id: UUID, candidates: Sequence[Account]
) -> AssignmentResult:
    skipped: list[Skipped] = []
    for reviewer in candidates:
        try:
            outcome = commands.assign_reviewer(ctx, innovation_id, reviewer.id)
        except NotFound:
            return AssignmentResult(
                innovation_id=innovation_id,
                outcome="refused",
                code="not-found",
                reason=f"Inovasi {innovation_id} tidak ditemukan.",
            )
        except ConcurrencyConflict as conflict:
            return AssignmentResult(
                innovation_id=innovation_id,
                outcome="refused",
                code="stale-version",
                reason=str(conflict),
                skipped=skipped,
            )
        except DomainError as error:
            if error.code in ("conflict-of-interest", "invalid-value"):
                # This reviewer cannot take it (same organisation, already assigned): next one.
                skipped.append(
                    Skipped(
                        reviewer_id=reviewer.id,
                        reviewer_name=reviewer.full_name or reviewer.username,
                        code=error.code,
                        reason=error.message,
                    )
                )
                continue
            return AssignmentResult(
                innovation_id=innovation_id,
                outcome="refused",
                code=error.code,
                reason=error.message,
                skipped=skipped,
            )
        return AssignmentResult(
            innovation_id=innovation_id,
            outcome="assigned",
            reviewer_id=reviewer.id,
            reviewer_name=reviewer.full_name or reviewer.username,
            version=outcome.version,
            notification_id=outcome.notification_id,
            skipped=skipped,
        )
    last = skipped[-1] if skipped else None
    return AssignmentResult(
        innovation_id=innovation_id,
        outcome="refused",
        code=last.code if last else "no-reviewer",
        reason=(
            last.reason
            if last is not None and len(skipped) == 1
            else "Tidak ada verifikator dalam daftar yang dapat ditugaskan: "
            + "; ".join(f"{s.reviewer_name}: {s.reason}" for s in skipped)
        ),
        skipped=skipped if len(skipped) > 1 else [],
    )
