"""Seed tens of thousands of events fast, through the real domain and the real event store.

Innovations are driven by the aggregate's own commands (every rule checked, events built and
encoded by the real mapper), then saved many aggregates per transaction, one lifecycle phase at a
time across all innovations: each innovation's stream is spread across the whole log, as in a
real season, so a projection's batches always meet innovations started long before.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from uuid import UUID, uuid4

import msgspec

from services.commands import Commands
from services.domain.actor import Actor
from services.domain.aggregate import Context
from services.domain.innovation import Innovation
from services.domain.rubric import load_rubric
from services.domain.values import DocumentKind, IndicatorVerdict, ProfilePatch, RevisionItem
from tests.factories import MANDATORY, World, complete_profile, document

CHUNK = 200  # aggregates saved per transaction


class Seeded(msgspec.Struct):
    innovations: int
    events: int
    head: int


def _save(commands: Commands, aggregates: list[Innovation]) -> int:
    events = 0
    for start in range(0, len(aggregates), CHUNK):
        part = [a for a in aggregates[start : start + CHUNK] if a.pending_events]
        events += sum(len(a.pending_events) for a in part)
        if part:
            commands.store.save(*part)
    return events


def seed_events(world: World, target: int, rng: random.Random | None = None) -> Seeded:
    """Add innovations (with their whole lifecycle mix) until about ``target`` events exist."""
    rng = rng or random.Random(10)
    c = world.commands
    call = c.call(world.call_id)
    rubric = load_rubric(call.rubric_year)
    operators = [world.operator, world.other_operator]
    events = 0
    innovations = 0

    def ctx(actor: Actor) -> Context:
        return Context(actor=actor, correlation_id="seed", now=world.now)

    admin, reviewer = ctx(world.admin), ctx(world.reviewer)
    while events < target:
        wave = max(20, min(400, (target - events) // 25))
        batch: list[tuple[Innovation, Context]] = []
        for _ in range(wave):
            op_actor = rng.choice(operators)
            op = ctx(op_actor)
            org = op_actor.organisation_id
            kind = "opd"
            innovation = Innovation.propose(
                op,
                uuid4(),
                call=call,
                organisation_id=org,
                submitter_kind=kind,
                profile=complete_profile(f"Inovasi {innovations} {rng.randrange(10**6)}"),
            )
            batch.append((innovation, op))
            innovations += 1
        events += _save(c, [i for i, _ in batch])

        phases: list[Callable[[Innovation, Context], None]] = [
            lambda i, op: i.update_profile(op, ProfilePatch(goals=f"Tujuan {rng.random():.6f}")),
            lambda i, op: _documents(i, op, rubric, rng),
            lambda i, op: i.submit(op, call, rubric) if rng.random() < 0.85 else None,
            lambda i, op: _review(i, admin, reviewer, world, rng),
            lambda i, op: _revise(i, op, call, rubric, rng),
            lambda i, op: _decide(i, admin, reviewer, rubric, world, rng),
        ]
        for phase in phases:
            for innovation, op in batch:
                phase(innovation, op)
            events += _save(c, [i for i, _ in batch])
    return Seeded(innovations=innovations, events=events, head=c.store.max_notification_id())


def _documents(i: Innovation, op: Context, rubric: object, rng: random.Random) -> None:
    for no in MANDATORY:
        doc = document(DocumentKind.SK if no == 1 else DocumentKind.REPORT, indicator=no)
        i.attach_document(op, doc, rubric)  # type: ignore[arg-type]
        i.claim_indicator(op, rubric, no=no, level=rng.choice((1, 2, 3)), evidence=[doc.doc_id])  # type: ignore[arg-type]


def _review(
    i: Innovation, admin: Context, reviewer: Context, world: World, rng: random.Random
) -> None:
    if i.status != "submitted":
        if i.status == "draft" and rng.random() < 0.3:
            i.withdraw(
                Context(
                    actor=world.operator
                    if i.organisation_id == world.opd_id
                    else world.other_operator,
                    now=world.now,
                ),
                "tidak jadi",
            )
        return
    assert world.reviewer.account_id is not None
    i.assign_reviewer(
        admin,
        reviewer_id=world.reviewer.account_id,
        reviewer_organisation_id=world.bappeda_id,
        reviewer_name="Rev Satu",
    )
    docs = list(i.documents)
    for doc_id in docs[: rng.randrange(len(docs) + 1)]:
        i.verify_document(reviewer, doc_id=doc_id, accepted=rng.random() < 0.9, note="catatan")
    if rng.random() < 0.35:
        i.request_revision(
            reviewer,
            note="Lengkapi bukti",
            items=[RevisionItem(kind="indicator", key="1", note="SK terbaru")],
        )


def _revise(i: Innovation, op: Context, call: object, rubric: object, rng: random.Random) -> None:
    if i.status != "revision_requested":
        return
    i.update_profile(op, ProfilePatch(results=f"Hasil revisi {rng.random():.6f}"))
    for item in i.completeness(rubric, call).missing:  # type: ignore[arg-type]
        if item.indicator is not None:  # its evidence was rejected: send a new document
            doc = document(DocumentKind.REPORT, indicator=item.indicator)
            i.attach_document(op, doc, rubric)  # type: ignore[arg-type]
    if rng.random() < 0.8:
        i.resubmit(op, call, rubric, note="Sudah diperbaiki")  # type: ignore[arg-type]


def _decide(
    i: Innovation,
    admin: Context,
    reviewer: Context,
    rubric: object,
    world: World,
    rng: random.Random,
) -> None:
    if i.status not in ("under_review", "resubmitted"):
        return
    if i.status == "resubmitted":
        for doc_id, state in i.documents.items():
            if state.verdict == "pending" and not state.removed:
                i.verify_document(reviewer, doc_id=doc_id, accepted=True)
    if rng.random() < 0.2:
        return  # still under review
    i.score(
        reviewer, rubric, [IndicatorVerdict(no=n, level=rng.choice((1, 2, 3))) for n in MANDATORY]
    )  # type: ignore[arg-type]
    roll = rng.random()
    if roll < 0.15:
        return  # scored, waiting for a decision
    if roll < 0.3:
        i.reject(admin, "Belum memenuhi ambang kematangan")
        return
    i.approve(admin, rubric)  # type: ignore[arg-type]
    if rng.random() < 0.7:
        i.establish(admin, sk_number=f"188/{rng.randrange(999)}/2025", sk_date=date(2025, 10, 1))
        i.publish(admin)
    if rng.random() < 0.3:
        i.select_for_iga(admin, 2025)


def innovation_ids(commands: Commands) -> list[UUID]:
    return [
        n.originator_id
        for n in commands.store.iter_notifications()
        if n.topic == "innovation.Proposed"
    ]
