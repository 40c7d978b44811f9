"""A research proposal (usulan riset/kajian) from submission to follow-up.

Who may give which command in which status is the lifecycle table
(``services.domain.research.lifecycle``); this aggregate adds the scoping rules: an operator only
touches their own organisation's proposal, a reviewer scores only once assigned and never a
proposal of their own organisation (the same conflict-of-interest rule as innovations), an
approved proposal is no longer editable by the proposer. Every command records one event.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal
from uuid import UUID

import msgspec

from services.domain.actor import Role
from services.domain.aggregate import Aggregate, Context, applies
from services.domain.errors import ConflictOfInterest, InvalidValue, NotAllowed
from services.domain.research import criteria
from services.domain.research import events as rev
from services.domain.research.lifecycle import Command, Status, next_status
from services.domain.research.values import (
    CriterionScore,
    FollowUpStatus,
    LinkKind,
    Output,
    OutputFile,
    OutputKind,
    ProposalBody,
)

AMOUNT_MAX = Decimal(10) ** 15
#: Outputs the final report must include before Bappeda accepts it.
FINAL_REPORT = (OutputKind.LAPORAN_AKHIR, OutputKind.POLICY_BRIEF)


class Review(msgspec.Struct, kw_only=True):
    reviewer_id: UUID
    scores: tuple[CriterionScore, ...] = ()
    total: Decimal | None = None
    note: str = ""


class Progress(msgspec.Struct, frozen=True, kw_only=True):
    milestone: str
    progress: int
    reported_on: date
    summary: str = ""


class Dissemination(msgspec.Struct, frozen=True, kw_only=True):
    forum: str
    held_on: date
    recipients: tuple[UUID, ...] = ()
    note: str = ""


class FollowUp(msgspec.Struct, frozen=True, kw_only=True):
    output_id: UUID
    recommendation: int
    organisation_id: UUID
    status: FollowUpStatus
    note: str = ""


class InnovationLink(msgspec.Struct, frozen=True, kw_only=True):
    innovation_id: UUID
    link: LinkKind
    note: str = ""


def missing_items(body: ProposalBody) -> list[str]:
    """What a proposal still lacks before it can be submitted, in words."""
    missing: list[str] = []
    for field, label in (
        ("background", "latar belakang"),
        ("legal_basis", "dasar hukum"),
        ("method", "metode"),
        ("location", "lokasi"),
        ("theme_code", "tema agenda riset"),
    ):
        if not getattr(body, field).strip():
            missing.append(label)
    if not body.questions:
        missing.append("pertanyaan penelitian")
    if not any(m.role.strip().lower() == "ketua" for m in body.team):
        missing.append("ketua tim")
    if not body.budget:
        missing.append("RAB")
    if not body.schedule:
        missing.append("jadwal")
    return missing


def check_body(body: ProposalBody, themes: Collection[str]) -> None:
    """Rules of the content itself, whatever the status."""
    if not body.title.strip():
        raise InvalidValue("title", "Judul usulan riset wajib diisi.")
    if body.theme_code and body.theme_code not in themes:
        raise InvalidValue(
            "theme_code",
            f"Tema '{body.theme_code}' tidak ada dalam agenda riset tahun ini"
            + (f" (tema: {', '.join(sorted(themes))})." if themes else "; agenda belum disusun."),
        )
    for n, line in enumerate(body.budget, start=1):
        if not line.quantity.is_finite() or not line.unit_cost.is_finite():
            raise InvalidValue("budget", f"RAB baris {n}: isi dengan angka biasa.")
        if line.quantity <= 0 or line.unit_cost < 0:
            raise InvalidValue(
                "budget", f"RAB baris {n}: volume harus positif, harga tidak negatif."
            )
    if body.budget_total > AMOUNT_MAX:
        raise InvalidValue("budget", "Total RAB melebihi batas (10^15 rupiah).")
    for step in body.schedule:
        if step.end < step.start:
            raise InvalidValue("schedule", f"Tahap '{step.name}' berakhir sebelum dimulai.")


class ResearchProposal(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.year = 0
        self.organisation_id: UUID | None = None
        self.submitter_id: UUID | None = None
        self.body = ProposalBody(title="")
        self.status = Status.DRAFT
        self.round = 0
        self.reviewers: dict[UUID, Review] = {}
        self.note = ""  # the last decision's note or reason
        self.budget_ceiling: Decimal | None = None
        self.mode = ""
        self.contract_number = ""
        self.started_on: date | None = None
        self.progress: list[Progress] = []
        self.outputs: dict[UUID, Output] = {}
        self.disseminations: list[Dissemination] = []
        self.follow_ups: dict[tuple[UUID, int, UUID], FollowUp] = {}
        self.innovations: dict[UUID, InnovationLink] = {}
        # With ``id``, ``organisation_id`` and ``submitter_id``: the policy's ``InnovationLike``
        # shape, so visibility and the conflict-of-interest rule are the innovations' own.
        self.published = False  # public from the first dissemination

    # ==== commands ==============================================================================

    @classmethod
    def propose(
        cls,
        ctx: Context,
        id: UUID,
        *,
        year: int,
        body: ProposalBody,
        themes: Collection[str],
        organisation_id: UUID | None = None,
    ) -> ResearchProposal:
        """An operator proposes for their organisation; the admin for any (or Bappeda itself)."""
        actor = ctx.actor
        if actor.role not in (Role.OPERATOR, Role.ADMIN):
            raise NotAllowed("Usulan riset diajukan oleh operator perangkat daerah atau admin.")
        org = actor.organisation_id if actor.role == Role.OPERATOR else organisation_id
        if actor.role == Role.OPERATOR and org is None:
            raise NotAllowed("Akun operator ini belum terhubung dengan organisasi.")
        check_body(body, themes)
        proposal = cls(id)
        proposal._record(
            ctx,
            rev.ResearchProposed,
            year=year,
            organisation_id=org or actor.organisation_id,
            submitter_id=actor.account_id,
            body=body,
        )
        return proposal

    def update(self, ctx: Context, body: ProposalBody, themes: Collection[str]) -> bool:
        self._allow(ctx, Command.UPDATE)
        check_body(body, themes)
        if body == self.body:
            return False
        self._record(ctx, rev.ResearchUpdated, body=body)
        return True

    def submit(self, ctx: Context, themes: Collection[str]) -> None:
        command = Command.RESUBMIT if self.status == Status.REVISION_REQUESTED else Command.SUBMIT
        self._allow(ctx, command)
        check_body(self.body, themes)
        missing = missing_items(self.body)
        if missing:
            raise InvalidValue("body", "Usulan riset belum lengkap: " + "; ".join(missing) + ".")
        self._record(ctx, rev.ResearchSubmitted, round=self.round + 1)

    def withdraw(self, ctx: Context, reason: str) -> None:
        self._allow(ctx, Command.WITHDRAW)
        if not reason.strip():
            raise InvalidValue("reason", "Alasan penarikan wajib diisi.")
        self._record(ctx, rev.ResearchWithdrawn, reason=reason.strip())

    def assign_reviewer(
        self, ctx: Context, reviewer_id: UUID, reviewer_organisation_id: UUID | None
    ) -> None:
        self._allow(ctx, Command.ASSIGN_REVIEWER)
        self.check_no_conflict(reviewer_organisation_id)
        if reviewer_id in self.reviewers:
            raise InvalidValue("reviewer_id", "Penelaah ini sudah ditugaskan.")
        self._record(ctx, rev.ResearchReviewerAssigned, reviewer_id=reviewer_id)

    def score(self, ctx: Context, scores: tuple[CriterionScore, ...], note: str = "") -> None:
        self._allow(ctx, Command.SCORE)
        self.check_no_conflict(ctx.actor.organisation_id)
        assert ctx.actor.account_id is not None
        if ctx.actor.account_id not in self.reviewers:
            raise NotAllowed("Anda belum ditugaskan sebagai penelaah usulan riset ini.")
        total = criteria.weighted_total(self.year, scores)
        self._record(
            ctx,
            rev.ResearchScored,
            reviewer_id=ctx.actor.account_id,
            scores=scores,
            total=total,
            criteria_year=criteria.criteria_year(self.year),
            note=note.strip(),
            seen_version=self.version,
        )

    def request_revision(self, ctx: Context, note: str) -> None:
        self._allow(ctx, Command.REQUEST_REVISION)
        self._reviewer_scope(ctx)
        if not note.strip():
            raise InvalidValue("note", "Catatan perbaikan wajib diisi.")
        self._record(
            ctx, rev.ResearchRevisionRequested, note=note.strip(), seen_version=self.version
        )

    def approve(self, ctx: Context, note: str = "", budget_ceiling: Decimal | None = None) -> None:
        self._allow(ctx, Command.APPROVE)
        if self.scored_count == 0:
            raise InvalidValue("scores", "Belum ada nilai dari tim penelaah.")
        if budget_ceiling is not None and not (
            budget_ceiling.is_finite() and 0 <= budget_ceiling <= AMOUNT_MAX
        ):
            raise InvalidValue("budget_ceiling", "Pagu harus antara 0 dan 10^15 rupiah.")
        self._record(
            ctx,
            rev.ResearchApproved,
            note=note.strip(),
            budget_ceiling=budget_ceiling,
            seen_version=self.version,
        )

    def reject(self, ctx: Context, reason: str) -> None:
        self._allow(ctx, Command.REJECT)
        if not reason.strip():
            raise InvalidValue("reason", "Alasan penolakan wajib diisi.")
        self._record(ctx, rev.ResearchRejected, reason=reason.strip(), seen_version=self.version)

    def start(self, ctx: Context, mode: str, started_on: date, contract_number: str = "") -> None:
        self._allow(ctx, Command.START)
        if not mode.strip():
            raise InvalidValue("mode", "Cara pelaksanaan wajib diisi (swakelola, kerja sama…).")
        self._record(
            ctx,
            rev.ResearchStarted,
            mode=mode.strip(),
            contract_number=contract_number.strip(),
            started_on=started_on,
        )

    def report_progress(
        self, ctx: Context, milestone: str, progress: int, reported_on: date, summary: str = ""
    ) -> None:
        self._allow(ctx, Command.REPORT_PROGRESS)
        if not milestone.strip():
            raise InvalidValue("milestone", "Nama tahapan wajib diisi.")
        if not 0 <= progress <= 100:
            raise InvalidValue("progress", "Kemajuan dalam persen: 0–100.")
        if progress < self.last_progress:
            raise InvalidValue(
                "progress", f"Kemajuan tidak boleh turun (terakhir {self.last_progress}%)."
            )
        self._record(
            ctx,
            rev.ResearchProgressReported,
            milestone=milestone.strip(),
            progress=progress,
            reported_on=reported_on,
            summary=summary.strip(),
        )

    def add_output(self, ctx: Context, output: Output) -> None:
        self._allow(ctx, Command.ADD_OUTPUT)
        if output.output_id in self.outputs:
            raise InvalidValue("output_id", "Luaran dengan id ini sudah ada.")
        if not output.title.strip():
            raise InvalidValue("title", "Judul luaran wajib diisi.")
        if output.kind == OutputKind.POLICY_BRIEF and not output.recommendations:
            raise InvalidValue("recommendations", "Policy brief memuat minimal satu rekomendasi.")
        self._record(ctx, rev.ResearchOutputAdded, output=output)

    def attach_output_file(self, ctx: Context, output_id: UUID, file: OutputFile) -> None:
        """The file of an output (same steps as adding one); the same bytes twice are refused."""
        self._allow(ctx, Command.ADD_OUTPUT)
        output = self.outputs.get(output_id)
        if output is None:
            raise InvalidValue("output_id", f"Luaran {output_id} tidak ditemukan.")
        if output.file is not None and output.file.sha256 == file.sha256:
            raise InvalidValue("file", "Berkas yang sama sudah terunggah untuk luaran ini.")
        self._record(ctx, rev.ResearchOutputFileAttached, output_id=output_id, file=file)

    def complete(self, ctx: Context, note: str = "") -> None:
        self._allow(ctx, Command.COMPLETE)
        kinds = {o.kind for o in self.outputs.values()}
        missing = [k for k in FINAL_REPORT if k not in kinds]
        if missing:
            raise InvalidValue(
                "outputs", "Laporan akhir belum lengkap: " + ", ".join(str(k) for k in missing)
            )
        self._record(ctx, rev.ResearchCompleted, note=note.strip(), seen_version=self.version)

    def disseminate(
        self,
        ctx: Context,
        forum: str,
        held_on: date,
        recipients: tuple[UUID, ...] = (),
        note: str = "",
    ) -> None:
        self._allow(ctx, Command.DISSEMINATE)
        if not forum.strip():
            raise InvalidValue("forum", "Bentuk diseminasi wajib diisi (seminar, FGD, jurnal…).")
        if len(set(recipients)) != len(recipients):
            raise InvalidValue("recipients", "Organisasi penerima tidak boleh berulang.")
        self._record(
            ctx,
            rev.ResearchDisseminated,
            forum=forum.strip(),
            held_on=held_on,
            recipients=recipients,
            note=note.strip(),
        )

    def record_follow_up(
        self,
        ctx: Context,
        output_id: UUID,
        recommendation: int,
        organisation_id: UUID,
        status: FollowUpStatus,
        note: str = "",
    ) -> None:
        self._allow(ctx, Command.RECORD_FOLLOW_UP)
        output = self.outputs.get(output_id)
        if output is None:
            raise InvalidValue("output_id", f"Luaran {output_id} tidak ditemukan.")
        if not 0 <= recommendation < len(output.recommendations):
            raise InvalidValue(
                "recommendation",
                f"Rekomendasi ke-{recommendation + 1} tidak ada; luaran ini memuat "
                f"{len(output.recommendations)} rekomendasi.",
            )
        key = (output_id, recommendation, organisation_id)
        found = self.follow_ups.get(key)
        if found is not None and (found.status, found.note) == (status, note.strip()):
            raise InvalidValue("status", "Tindak lanjut ini sudah tercatat demikian.")
        self._record(
            ctx,
            rev.ResearchFollowUpRecorded,
            output_id=output_id,
            recommendation=recommendation,
            organisation_id=organisation_id,
            status=status,
            note=note.strip(),
        )

    def link_innovation(
        self, ctx: Context, innovation_id: UUID, link: LinkKind, note: str = ""
    ) -> None:
        self._allow(ctx, Command.LINK_INNOVATION)
        if innovation_id in self.innovations:
            raise InvalidValue("innovation_id", "Inovasi ini sudah ditautkan.")
        self._record(
            ctx, rev.ResearchInnovationLinked, innovation_id=innovation_id, link=link, note=note
        )

    # ==== rules ================================================================================

    def _allow(self, ctx: Context, command: Command) -> Status:
        target = next_status(self.status, command, ctx.actor.role)
        actor = ctx.actor
        if actor.role == Role.OPERATOR and actor.organisation_id != self.organisation_id:
            raise NotAllowed("Operator hanya dapat mengubah usulan riset organisasinya sendiri.")
        return target

    def check_no_conflict(self, reviewer_organisation_id: UUID | None) -> None:
        """A reviewer never reviews a proposal of an organisation they belong to (the rule of
        ``services.identity.policy.conflicted`` for innovations)."""
        if reviewer_organisation_id is not None and (
            reviewer_organisation_id == self.organisation_id
        ):
            raise ConflictOfInterest(
                "Konflik kepentingan: penelaah berasal dari organisasi pengusul riset ini."
            )

    def _reviewer_scope(self, ctx: Context) -> None:
        if ctx.actor.role == Role.REVIEWER:
            self.check_no_conflict(ctx.actor.organisation_id)
            if ctx.actor.account_id not in self.reviewers:
                raise NotAllowed("Anda belum ditugaskan sebagai penelaah usulan riset ini.")

    # ==== derived views =========================================================================

    @property
    def scored_count(self) -> int:
        return sum(1 for r in self.reviewers.values() if r.total is not None)

    @property
    def average_score(self) -> Decimal | None:
        totals = [r.total for r in self.reviewers.values() if r.total is not None]
        if not totals:
            return None
        return (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.01"))

    @property
    def last_progress(self) -> int:
        return self.progress[-1].progress if self.progress else 0

    def recommendations(self) -> list[tuple[Output, int, str]]:
        return [
            (o, i, text) for o in self.outputs.values() for i, text in enumerate(o.recommendations)
        ]

    # ==== state changes =========================================================================

    @applies(rev.ResearchProposed)
    def _proposed(self, e: rev.ResearchProposed) -> None:
        self.year, self.organisation_id = e.year, e.organisation_id
        self.submitter_id, self.body = e.submitter_id, e.body

    @applies(rev.ResearchUpdated)
    def _updated(self, e: rev.ResearchUpdated) -> None:
        self.body = e.body

    @applies(rev.ResearchSubmitted)
    def _submitted(self, e: rev.ResearchSubmitted) -> None:
        self.status, self.round = Status.SUBMITTED, e.round

    @applies(rev.ResearchWithdrawn)
    def _withdrawn(self, e: rev.ResearchWithdrawn) -> None:
        self.status, self.note = Status.WITHDRAWN, e.reason

    @applies(rev.ResearchReviewerAssigned)
    def _assigned(self, e: rev.ResearchReviewerAssigned) -> None:
        self.status = Status.UNDER_REVIEW
        self.reviewers[e.reviewer_id] = Review(reviewer_id=e.reviewer_id)

    @applies(rev.ResearchScored)
    def _scored(self, e: rev.ResearchScored) -> None:
        review = self.reviewers.setdefault(e.reviewer_id, Review(reviewer_id=e.reviewer_id))
        review.scores, review.total, review.note = e.scores, e.total, e.note

    @applies(rev.ResearchRevisionRequested)
    def _revision(self, e: rev.ResearchRevisionRequested) -> None:
        self.status, self.note = Status.REVISION_REQUESTED, e.note
        for review in self.reviewers.values():  # a revised proposal is scored anew
            review.scores, review.total = (), None

    @applies(rev.ResearchApproved)
    def _approved(self, e: rev.ResearchApproved) -> None:
        self.status, self.note, self.budget_ceiling = Status.APPROVED, e.note, e.budget_ceiling

    @applies(rev.ResearchRejected)
    def _rejected(self, e: rev.ResearchRejected) -> None:
        self.status, self.note = Status.REJECTED, e.reason

    @applies(rev.ResearchStarted)
    def _started(self, e: rev.ResearchStarted) -> None:
        self.status = Status.EXECUTING
        self.mode, self.contract_number, self.started_on = e.mode, e.contract_number, e.started_on

    @applies(rev.ResearchProgressReported)
    def _progress(self, e: rev.ResearchProgressReported) -> None:
        self.progress.append(
            Progress(
                milestone=e.milestone,
                progress=e.progress,
                reported_on=e.reported_on,
                summary=e.summary,
            )
        )

    @applies(rev.ResearchOutputAdded)
    def _output(self, e: rev.ResearchOutputAdded) -> None:
        self.outputs[e.output.output_id] = e.output

    @applies(rev.ResearchOutputFileAttached)
    def _output_file(self, e: rev.ResearchOutputFileAttached) -> None:
        self.outputs[e.output_id] = msgspec.structs.replace(self.outputs[e.output_id], file=e.file)

    @applies(rev.ResearchCompleted)
    def _completed(self, e: rev.ResearchCompleted) -> None:
        self.status, self.note = Status.COMPLETED, e.note

    @applies(rev.ResearchDisseminated)
    def _disseminated(self, e: rev.ResearchDisseminated) -> None:
        self.status, self.published = Status.DISSEMINATED, True
        self.disseminations.append(
            Dissemination(forum=e.forum, held_on=e.held_on, recipients=e.recipients, note=e.note)
        )

    @applies(rev.ResearchFollowUpRecorded)
    def _follow_up(self, e: rev.ResearchFollowUpRecorded) -> None:
        self.follow_ups[(e.output_id, e.recommendation, e.organisation_id)] = FollowUp(
            output_id=e.output_id,
            recommendation=e.recommendation,
            organisation_id=e.organisation_id,
            status=e.status,
            note=e.note,
        )

    @applies(rev.ResearchInnovationLinked)
    def _linked(self, e: rev.ResearchInnovationLinked) -> None:
        self.innovations[e.innovation_id] = InnovationLink(
            innovation_id=e.innovation_id, link=e.link, note=e.note
        )
