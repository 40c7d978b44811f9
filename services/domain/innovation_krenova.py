"""The Krenova contest's commands on the Innovation aggregate: administration, judging,
shortlist and prizes (``KrenovaJudging``, a base of ``services.domain.innovation.Innovation``).

Split from ``innovation.py`` by phase; the commands check the same lifecycle table through the
aggregate's shared rules (``_allow``, ``_require_kind``, ``_require_assigned``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from services.domain.actor import Role
from services.domain.aggregate import Aggregate, Context, applies
from services.domain.errors import InvalidValue
from services.domain.events import (
    AdministrationFailed,
    AdministrationPassed,
    Awarded,
    KrenovaJudged,
    Shortlisted,
)
from services.domain.lifecycle import Command, Status
from services.domain.rubric import Rubric
from services.domain.values import Award, CallKind, CriterionScore


class Judgement(msgspec.Struct, frozen=True, kw_only=True):
    """One Krenova judge's latest scores and weighted total (0–100)."""

    judge_id: UUID
    scores: tuple[CriterionScore, ...]
    total: Decimal
    judged_at: str


class KrenovaJudging(Aggregate):
    """Krenova judging: the state it keeps is set up in ``Innovation.__init__``."""

    call_kind: CallKind
    decision_reason: str
    administration: str | None
    administration_note: str
    judgements: dict[UUID, Judgement]
    shortlist_rank: int | None
    award: Award | None
    award_rank: int | None

    if TYPE_CHECKING:  # the aggregate's shared rules (services.domain.innovation)

        def _allow(self, ctx: Context, command: Command) -> Status: ...
        def _require_kind(self, kind: CallKind, message: str) -> None: ...
        def _require_assigned(self, ctx: Context) -> None: ...
        def _seen(self) -> dict[str, Any]: ...

    def pass_administration(self, ctx: Context, note: str = "") -> None:
        """Seleksi administrasi: the entry meets the contest's formal requirements."""
        self._allow(ctx, Command.PASS_ADMINISTRATION)
        self._require_kind(CallKind.KRENOVA, "Seleksi administrasi hanya untuk usulan Krenova.")
        if ctx.actor.role == Role.REVIEWER:
            self._require_assigned(ctx)
        if self.administration == "passed":
            raise InvalidValue("administration", "Usulan ini sudah lulus seleksi administrasi.")
        self._record(ctx, AdministrationPassed, note=note.strip(), **self._seen())

    def fail_administration(self, ctx: Context, reason: str) -> None:
        self._allow(ctx, Command.FAIL_ADMINISTRATION)
        self._require_kind(CallKind.KRENOVA, "Seleksi administrasi hanya untuk usulan Krenova.")
        if ctx.actor.role == Role.REVIEWER:
            self._require_assigned(ctx)
        if not reason.strip():
            raise InvalidValue("reason", "Alasan gugur seleksi administrasi wajib diisi.")
        self._record(ctx, AdministrationFailed, reason=reason.strip(), **self._seen())

    def judge(self, ctx: Context, rubric: Rubric, scores: Sequence[CriterionScore]) -> None:
        """A judge scores every Krenova criterion (0–100); a later scoring replaces theirs."""
        self._allow(ctx, Command.JUDGE)
        self._require_kind(CallKind.KRENOVA, "Penilaian Krenova hanya untuk usulan Krenova.")
        if self.administration != "passed":
            raise InvalidValue("administration", "Usulan belum lulus seleksi administrasi.")
        self._require_assigned(ctx)
        keys = [c.key for c in rubric.krenova_criteria]
        given = [s.key for s in scores]
        unknown = sorted(set(given) - set(keys))
        if unknown:
            raise InvalidValue("scores", f"Kriteria tidak dikenal: {', '.join(unknown)}.")
        if len(given) != len(set(given)):
            raise InvalidValue("scores", "Setiap kriteria hanya dinilai satu kali.")
        missing = [c.label for c in rubric.krenova_criteria if c.key not in given]
        if missing:
            raise InvalidValue("scores", f"Kriteria belum dinilai: {', '.join(missing)}.")
        for item in scores:
            if not 0 <= item.score <= 100:
                raise InvalidValue("score", "Nilai setiap kriteria harus antara 0 dan 100.")
        ordered = tuple(sorted(scores, key=lambda s: keys.index(s.key)))
        assert ctx.actor.account_id is not None
        self._record(
            ctx,
            KrenovaJudged,
            judge_id=ctx.actor.account_id,
            scores=ordered,
            total=krenova_total(rubric, ordered),
            **self._seen(),
        )

    def shortlist(self, ctx: Context, *, rank: int, note: str = "") -> None:
        self._allow(ctx, Command.SHORTLIST)
        self._require_kind(CallKind.KRENOVA, "Nominasi hanya untuk usulan Krenova.")
        if rank < 1:
            raise InvalidValue("rank", "Peringkat nominasi dimulai dari 1.")
        mean = self.krenova_mean()
        assert mean is not None  # SCORED means at least one judgement
        self._record(ctx, Shortlisted, rank=rank, mean_total=mean, note=note, **self._seen())

    def award_prize(self, ctx: Context, *, award: Award, rank: int, note: str = "") -> None:
        self._allow(ctx, Command.AWARD)
        self._require_kind(CallKind.KRENOVA, "Penetapan pemenang hanya untuk usulan Krenova.")
        if rank < 1:
            raise InvalidValue("rank", "Peringkat pemenang dimulai dari 1.")
        self._record(ctx, Awarded, award=award, rank=rank, note=note, **self._seen())

    def krenova_mean(self) -> Decimal | None:
        """The mean of the judges' weighted totals, 2 decimals (None before any judging)."""
        if not self.judgements:
            return None
        total = sum((j.total for j in self.judgements.values()), Decimal(0))
        return (total / len(self.judgements)).quantize(Decimal("0.01"), ROUND_HALF_UP)

    # ---- state changes ----

    @applies(AdministrationPassed)
    def _administration_passed(self, e: AdministrationPassed) -> None:
        self.administration, self.administration_note = "passed", e.note

    @applies(AdministrationFailed)
    def _administration_failed(self, e: AdministrationFailed) -> None:
        self.administration, self.administration_note = "failed", e.reason
        self.decision_reason = e.reason

    @applies(KrenovaJudged)
    def _krenova_judged(self, e: KrenovaJudged) -> None:
        self.judgements[e.judge_id] = Judgement(
            judge_id=e.judge_id, scores=e.scores, total=e.total, judged_at=e.timestamp.isoformat()
        )

    @applies(Shortlisted)
    def _shortlisted(self, e: Shortlisted) -> None:
        self.shortlist_rank = e.rank

    @applies(Awarded)
    def _awarded(self, e: Awarded) -> None:
        self.award, self.award_rank = e.award, e.rank


def krenova_total(rubric: Rubric, scores: Sequence[CriterionScore]) -> Decimal:
    """Σ weight% × score over the Krenova criteria: 0–100, rounded half up to 2 decimals."""
    weights = {c.key: c.weight for c in rubric.krenova_criteria}
    raw = sum((Decimal(weights[s.key] * s.score) for s in scores), Decimal(0)) / 100
    return raw.quantize(Decimal("0.01"), ROUND_HALF_UP)
