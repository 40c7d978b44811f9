"""Krenova judging across a call: the ranking, the shortlist and the winners.

Per entry, the administrative check and the judges' criterion scores are commands on the entry
itself. What spans entries lives here: the ranking by the judges' mean weighted score (ties
broken by the criteria in weight order, then title), shortlisting the top entries with their
place, and announcing winners (juara 1..n, harapan 1..n) in one atomic decision that refuses a
place already given in the call.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from services.commands import Commands, Outcome
from services.domain.aggregate import Context
from services.domain.call import Call
from services.domain.errors import InvalidValue
from services.domain.events import Proposed
from services.domain.innovation import Innovation
from services.domain.lifecycle import NOT_IN_PLAY, STATUS_LABELS, Status
from services.domain.rubric import Rubric, load_rubric
from services.domain.values import AWARD_LABELS, Award, CallKind
from services.eventstore.store import NotFound, decode_event

PAGE = 1000


class CriterionMean(msgspec.Struct, kw_only=True):
    key: str
    label: str
    weight: int
    mean: Decimal | None


class RankedEntry(msgspec.Struct, kw_only=True):
    place: int | None  # None: not judged yet, or out of the contest
    innovation_id: UUID
    version: int
    title: str
    participant: str
    field: str | None
    category: str | None
    status: str
    status_label: str
    administration: str | None
    judges: int
    mean_total: Decimal | None
    criteria: list[CriterionMean]
    shortlist_rank: int | None
    award: Award | None
    award_label: str
    award_rank: int | None


class Ranking(msgspec.Struct, kw_only=True):
    call_id: UUID
    call_title: str
    criteria: list[CriterionMean]
    entries: list[RankedEntry]


class Winner(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    innovation_id: UUID
    award: Award
    rank: Annotated[int, Meta(ge=1, le=100)]


def entries_of(commands: Commands, call_id: UUID) -> list[Innovation]:
    """Every entry proposed to the call, found by its Proposed event in the log."""
    ids: list[UUID] = []
    position = 0
    while True:
        page = commands.store.notifications(position + 1, PAGE, topics=[Proposed.TOPIC])
        for n in page:
            event = decode_event(n.topic, n.state)
            if isinstance(event, Proposed) and event.call_id == call_id:
                ids.append(event.originator_id)
        if len(page) < PAGE:
            break
        position = page[-1].id
    return [commands.innovation(id) for id in ids]


def krenova_call(commands: Commands, call_id: UUID) -> Call:
    try:
        call = commands.call(call_id)
    except NotFound:
        raise NotFound("Panggilan", call_id) from None
    if call.kind != CallKind.KRENOVA:
        raise InvalidValue("call_id", f"'{call.title}' bukan panggilan Krenova.")
    return call


def _mean(values: Sequence[int | Decimal]) -> Decimal | None:
    if not values:
        return None
    total = sum((Decimal(v) for v in values), Decimal(0))
    return (total / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _criteria(rubric: Rubric, innovation: Innovation | None) -> list[CriterionMean]:
    result = []
    for criterion in rubric.krenova_criteria:
        scores = (
            [
                s.score
                for j in innovation.judgements.values()
                for s in j.scores
                if s.key == criterion.key
            ]
            if innovation is not None
            else []
        )
        result.append(
            CriterionMean(
                key=criterion.key,
                label=criterion.label,
                weight=criterion.weight,
                mean=_mean(scores),
            )
        )
    return result


def ranking(commands: Commands, call_id: UUID) -> Ranking:
    call = krenova_call(commands, call_id)
    rubric = load_rubric(call.rubric_year)
    names: dict[UUID, str] = {}
    entries: list[RankedEntry] = []
    for innovation in entries_of(commands, call_id):
        if innovation.status in NOT_IN_PLAY:
            continue
        submitter = innovation.submitter_id
        if submitter is not None and submitter not in names:
            try:
                account = commands.account(submitter)
                names[submitter] = account.full_name or account.username
            except NotFound:
                names[submitter] = str(submitter)
        krenova = innovation.profile.krenova
        entries.append(
            RankedEntry(
                place=None,
                innovation_id=innovation.id,
                version=innovation.version,
                title=innovation.profile.title,
                participant=names.get(submitter, "") if submitter else "",
                field=str(krenova.field) if krenova and krenova.field else None,
                category=(
                    str(krenova.participant_category)
                    if krenova and krenova.participant_category
                    else None
                ),
                status=str(innovation.status),
                status_label=STATUS_LABELS.get(innovation.status, str(innovation.status)),
                administration=innovation.administration,
                judges=len(innovation.judgements),
                mean_total=innovation.krenova_mean(),
                criteria=_criteria(rubric, innovation),
                shortlist_rank=innovation.shortlist_rank,
                award=innovation.award,
                award_label=AWARD_LABELS.get(innovation.award, "") if innovation.award else "",
                award_rank=innovation.award_rank,
            )
        )

    def order(entry: RankedEntry) -> tuple[object, ...]:
        judged = entry.mean_total is not None and entry.status != Status.REJECTED
        by_weight = sorted(entry.criteria, key=lambda c: -c.weight)
        return (
            0 if judged else 1,
            -(entry.mean_total or 0),
            *(-(c.mean or 0) for c in by_weight),
            entry.title.casefold(),
            str(entry.innovation_id),
        )

    entries.sort(key=order)
    place = 0
    for entry in entries:
        if entry.mean_total is not None and entry.status != Status.REJECTED:
            place += 1
            entry.place = place
    return Ranking(
        call_id=call.id,
        call_title=call.title,
        criteria=_criteria(rubric, None),
        entries=entries,
    )


def shortlist(
    commands: Commands,
    ctx: Context,
    call_id: UUID,
    *,
    innovation_ids: Sequence[UUID] = (),
    top: int | None = None,
    note: str = "",
    expected_versions: dict[UUID, int] | None = None,
) -> list[Outcome]:
    """Shortlist the named entries (or the ``top`` N judged ones), each with its ranking place."""
    board = ranking(commands, call_id)
    placed = {e.innovation_id: e for e in board.entries if e.place is not None}
    if top is not None:
        if innovation_ids:
            raise InvalidValue("top", "Pilih daftar usulan atau jumlah teratas, bukan keduanya.")
        if top < 1:
            raise InvalidValue("top", "Jumlah nominasi minimal 1.")
        chosen = [
            e.innovation_id
            for e in board.entries
            if e.place is not None and e.place <= top and e.status == Status.SCORED
        ]
        if not chosen:
            raise InvalidValue("top", "Belum ada usulan yang dinilai juri.")
    else:
        chosen = list(innovation_ids)
        strangers = [str(i) for i in chosen if i not in {e.innovation_id for e in board.entries}]
        if strangers:
            raise InvalidValue(
                "innovation_ids", f"Bukan usulan panggilan ini: {', '.join(strangers)}."
            )
    unranked = [str(id) for id in chosen if id not in placed]
    if unranked:
        raise InvalidValue("innovation_ids", f"Belum dinilai juri: {', '.join(unranked)}.")
    ranks = {id: placed[id].place or 0 for id in chosen}
    return commands.shortlist(ctx, ranks, note, expected_versions)


def award(
    commands: Commands,
    ctx: Context,
    call_id: UUID,
    winners: Sequence[Winner],
    *,
    note: str = "",
    expected_versions: dict[UUID, int] | None = None,
) -> list[Outcome]:
    krenova_call(commands, call_id)
    if not winners:
        raise InvalidValue("winners", "Sebutkan minimal satu pemenang.")
    if len({w.innovation_id for w in winners}) != len(winners):
        raise InvalidValue("winners", "Satu usulan hanya dapat menerima satu penghargaan.")
    entries = {i.id: i for i in entries_of(commands, call_id)}
    strangers = [str(w.innovation_id) for w in winners if w.innovation_id not in entries]
    if strangers:
        raise InvalidValue("winners", f"Bukan usulan panggilan ini: {', '.join(strangers)}.")
    taken = {(i.award, i.award_rank): i for i in entries.values() if i.award is not None}
    for w in winners:
        holder = taken.get((w.award, w.rank))
        if holder is not None and holder.id != w.innovation_id:
            raise InvalidValue(
                "winners",
                f"{AWARD_LABELS[w.award]} {w.rank} sudah diberikan kepada "
                f"'{holder.profile.title}'.",
            )
    return commands.award(
        ctx, {w.innovation_id: (w.award, w.rank) for w in winners}, note, expected_versions
    )
