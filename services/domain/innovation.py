"""The Innovation aggregate: one stream per innovation, from proposal to the IGA report.

Every command checks the lifecycle table (``lifecycle.next_status``) and the scoping rules that
only the record itself can answer (assigned reviewer, conflict of interest), then records one
event. ``apply`` handlers only change state; the status after each event is read from the same
table, so the table is the single source of truth for the workflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID, uuid5

import msgspec

from services.domain import conflict, labels, scoring, urusan
from services.domain.actor import Role
from services.domain.aggregate import Context, applies
from services.domain.call import Call
from services.domain.errors import (
    EndorsementRequired,
    IncompleteSubmission,
    InvalidValue,
    NotAllowed,
)
from services.domain.events import (
    Approved,
    CarriedForward,
    DocumentAttached,
    DocumentRejected,
    DocumentRemoved,
    DocumentVerified,
    DocumentVisibilityChanged,
    Endorsed,
    Established,
    Event,
    IndicatorClaimed,
    MinistryVerdictRecorded,
    ProfileUpdated,
    Proposed,
    Published,
    Recommended,
    Rejected,
    ReportedToIGA,
    Resubmitted,
    ReviewerAssigned,
    RevisionRequested,
    Scored,
    SelectedForIGA,
    StageAdvanced,
    Submitted,
    Withdrawn,
)
from services.domain.index_rules import available_years as index_years
from services.domain.index_rules import design_min_words
from services.domain.innovation_krenova import Judgement, KrenovaJudging
from services.domain.lifecycle import Command, Status, next_status, status_after
from services.domain.ministry import VERDICT_LABELS, MinistryVerdict, Window
from services.domain.profile_checks import field_checks
from services.domain.rubric import Rubric
from services.domain.values import (
    STAGE_ORDER,
    Award,
    CallKind,
    Document,
    DocumentKind,
    IndicatorVerdict,
    Profile,
    ProfilePatch,
    RevisionItem,
    Stage,
)

#: The rancang bangun word minimum of the latest year file, for texts that name no year; the
#: checks use the innovation's own year (``index_rules.design_min_words``).
MIN_DESIGN_WORDS = design_min_words(max(index_years()))

#: The profile fields the completeness check names, labelled from the one label table.
FIELD_LABELS: dict[str, str] = {
    **{
        key: labels.PROFILE_FIELD[key]
        for key in (
            "title",
            "stage",
            "initiator",
            "initiator_name",
            "kind",
            "form",
            "theme",
            "urusan",
            "trial_date",
            "implementation_date",
        )
    },
    "design": f"Rancang bangun (minimal {MIN_DESIGN_WORDS} kata)",
    **{
        key: labels.PROFILE_FIELD[key]
        for key in (
            "goals",
            "benefits",
            "results",
            "krenova.field",
            "krenova.participant_category",
            "krenova.abstract",
            "krenova.advantages",
            "krenova.benefits",
            "krenova.application",
        )
    },
}


def field_labels(rubric_year: int) -> dict[str, str]:
    """FIELD_LABELS with the design minimum of the innovation's year (index_years file)."""
    return {
        **FIELD_LABELS,
        "design": f"Rancang bangun (minimal {design_min_words(rubric_year)} kata)",
    }


class DocumentState(msgspec.Struct, kw_only=True):
    document: Document
    verdict: str = "pending"  # pending | accepted | rejected
    note: str = ""
    removed: bool = False


class Claim(msgspec.Struct, frozen=True, kw_only=True):
    level: int
    evidence: tuple[UUID, ...] = ()
    note: str = ""


class RevisionRound(msgspec.Struct, kw_only=True):
    round: int
    note: str
    items: tuple[RevisionItem, ...]
    requested_by: UUID | None
    requested_at: str
    resubmitted_at: str | None = None
    response: str = ""


class Endorsement(msgspec.Struct, frozen=True, kw_only=True):
    """Who endorsed the draft and how: the head in person, or the head's letter via the operator."""

    endorser_name: str
    by_letter: bool
    letter_doc_id: UUID | None
    note: str
    endorsed_at: str
    endorsed_by: UUID | None


class VerdictEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One decision of Kemendagri on the reported innovation, as recorded."""

    year: int
    verdict: MinistryVerdict
    reason: str = ""
    note: str = ""
    decided_on: date | None = None
    source: str = "manual"
    recorded_at: str = ""


class Innovation(KrenovaJudging):
    """State is plain attributes; ``to_state()`` gives the API/audit view as a msgspec Struct."""

    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.status = Status.DRAFT
        #: The status before the last change of status (where a withdrawn or rejected one stopped).
        self.previous_status: Status | None = None
        self.call_id: UUID | None = None
        self.call_kind = CallKind.ANNUAL
        self.organisation_id: UUID | None = None
        self.submitter_id: UUID | None = None
        self.budget_year = 0
        self.rubric_year = 0
        self.profile = Profile()
        self.documents: dict[UUID, DocumentState] = {}
        self.claims: dict[int, Claim] = {}
        self.reviewers: list[UUID] = []
        self.scores: dict[UUID, dict[int, IndicatorVerdict]] = {}
        self.verified_levels: dict[int, int] = {}
        self.recommendation: str | None = None
        # Each reviewer's latest recommendation and note, for the admin's decision.
        self.recommendations: dict[UUID, tuple[str, str]] = {}
        self.revisions: list[RevisionRound] = []
        self.decision_reason = ""
        self.sk_number = ""
        self.sk_date: date | None = None
        self.iga_year: int | None = None
        self.iga_report_id: UUID | None = None
        self.published = False
        self.submitted_at: str | None = None
        self.status_changed_at: str | None = None
        # Krenova judging.
        self.administration: str | None = None  # "passed" | "failed"
        self.administration_note = ""
        self.judgements: dict[UUID, Judgement] = {}
        self.shortlist_rank: int | None = None
        self.award: Award | None = None
        self.award_rank: int | None = None
        # After the IGA report: the ministry's verdicts and the yearly entries of the same work.
        self.ministry_verdicts: list[VerdictEntry] = []
        self.carried_from: UUID | None = None
        self.entry_no = 1
        self.carried_to: dict[int, UUID] = {}
        # The head's endorsement (pengesahan), required before submission by calls that say so.
        self.endorsement: Endorsement | None = None

    @property
    def ministry_verdict(self) -> MinistryVerdict | None:
        """The latest verdict: what the index reads."""
        return self.ministry_verdicts[-1].verdict if self.ministry_verdicts else None

    # ==== commands ==============================================================================

    @classmethod
    def propose(
        cls,
        ctx: Context,
        id: UUID,
        *,
        call: Call,
        organisation_id: UUID | None,
        submitter_kind: str,
        profile: Profile,
    ) -> Innovation:
        """Start a draft in an open call. Participants propose Krenova entries; OPDs annual ones."""
        role = ctx.actor.role
        if role not in (Role.OPERATOR, Role.PARTICIPANT):
            raise NotAllowed("Hanya operator atau peserta Krenova yang dapat mengusulkan inovasi.")
        call.ensure_open(ctx.timestamp())
        if submitter_kind not in call.eligible_kinds:
            raise NotAllowed(
                f"Pengusul jenis '{submitter_kind}' tidak termasuk peserta panggilan "
                f"'{call.title}'.",
                eligible=list(call.eligible_kinds),
            )
        if not profile.title.strip():
            raise InvalidValue("title", "Nama inovasi wajib diisi.")
        if call.kind == CallKind.KRENOVA and profile.krenova is None:
            profile = msgspec.structs.replace(profile, krenova=_empty_krenova())
        _check_urusan(profile.urusan, profile.urusan_lain)
        if profile.urusan_unmatched or profile.urusan_lain_unmatched:
            raise InvalidValue("urusan", _UNMATCHED_READ_ONLY)
        innovation = cls(id)
        innovation._record(
            ctx,
            Proposed,
            call_id=call.id,
            call_kind=call.kind,
            organisation_id=organisation_id,
            submitter_id=ctx.actor.account_id,
            budget_year=call.budget_year,
            rubric_year=call.rubric_year,
            profile=profile,
        )
        return innovation

    def update_profile(self, ctx: Context, patch: ProfilePatch) -> None:
        self._allow(ctx, Command.UPDATE_PROFILE)
        changes = {k: v for k, v in patch.changed().items() if getattr(self.profile, k) != v}
        if "title" in changes and not str(changes["title"]).strip():
            raise InvalidValue("title", "Nama inovasi wajib diisi.")
        if changes.get("urusan_unmatched") or changes.get("urusan_lain_unmatched"):
            raise InvalidValue("urusan", _UNMATCHED_READ_ONLY)
        if "urusan" in changes or "urusan_lain" in changes:
            main = changes.get("urusan", self.profile.urusan)
            others = changes.get("urusan_lain", self.profile.urusan_lain)
            _check_urusan(main, others)
            # Picking a code settles the old free text it replaces ("perlu dipilih ulang").
            if "urusan" in changes and self.profile.urusan_unmatched:
                changes["urusan_unmatched"] = ""
            if "urusan_lain" in changes and self.profile.urusan_lain_unmatched:
                changes["urusan_lain_unmatched"] = ()
        krenova = changes.get("krenova")
        if krenova is not None and len(krenova.members) > 5:
            raise InvalidValue("krenova.members", "Kelompok Krenova paling banyak 5 orang.")
        if changes:
            self._record(ctx, ProfileUpdated, changes=ProfilePatch(**changes))

    def attach_document(self, ctx: Context, document: Document, rubric: Rubric) -> None:
        self._allow(ctx, Command.ATTACH_DOCUMENT)
        if document.doc_id in self.documents:
            raise InvalidValue("doc_id", "Dokumen dengan id ini sudah ada.")
        if document.indicator is not None:
            _known_indicator(rubric, document.indicator)
        if document.replaces is not None:
            self._live_document(document.replaces)
        self._record(ctx, DocumentAttached, document=document)

    def remove_document(self, ctx: Context, doc_id: UUID, reason: str = "") -> None:
        self._allow(ctx, Command.REMOVE_DOCUMENT)
        self._live_document(doc_id)
        self._record(ctx, DocumentRemoved, doc_id=doc_id, reason=reason)

    def set_document_visibility(
        self, ctx: Context, doc_id: UUID, public: bool, reason: str = ""
    ) -> None:
        """Mark a live document public or not; asking for the mark it already has is refused
        (an event that changes nothing would only blur the audit history)."""
        self._allow(ctx, Command.SET_DOCUMENT_VISIBILITY)
        state = self._live_document(doc_id)
        if state.document.public == public:
            shown = "sudah terbuka untuk umum" if public else "sudah tertutup untuk umum"
            raise InvalidValue("public", f"Dokumen ini {shown}.")
        self._record(ctx, DocumentVisibilityChanged, doc_id=doc_id, public=public, reason=reason)

    def claim_indicator(
        self,
        ctx: Context,
        rubric: Rubric,
        *,
        no: int,
        level: int,
        evidence: Sequence[UUID] = (),
        note: str = "",
    ) -> None:
        """Self-assessment: claim a level (0 withdraws the claim) backed by attached documents."""
        self._allow(ctx, Command.CLAIM_INDICATOR)
        _known_indicator(rubric, no)
        if not 0 <= level <= 3:
            raise InvalidValue("level", "Level indikator harus 0, 1, 2 atau 3.")
        for doc_id in evidence:
            self._live_document(doc_id)
        self._record(
            ctx,
            IndicatorClaimed,
            no=no,
            level=level,
            evidence=tuple(dict.fromkeys(evidence)),
            note=note,
        )

    def endorse(
        self,
        ctx: Context,
        *,
        endorser_name: str,
        letter_doc_id: UUID | None = None,
        note: str = "",
    ) -> None:
        """Pengesahan: the head of the organisation endorses the draft with their own account,
        or the operator records the head's signed letter (an attached ``endorsement`` document)."""
        self._allow(ctx, Command.ENDORSE)
        if self.organisation_id is None:
            raise InvalidValue(
                "organisation_id", "Usulan peserta Krenova tidak memerlukan pengesahan kepala OPD."
            )
        role = ctx.actor.role
        if role == Role.KEPALA_OPD and ctx.actor.organisation_id != self.organisation_id:
            raise NotAllowed(
                "Kepala perangkat daerah hanya dapat mengesahkan inovasi organisasinya sendiri."
            )
        if role == Role.OPERATOR and letter_doc_id is None:
            raise InvalidValue(
                "letter_doc_id",
                "Operator mencatat pengesahan dengan surat pengesahan yang ditandatangani kepala "
                "perangkat daerah: unggah suratnya lalu pilih dokumen tersebut.",
            )
        if letter_doc_id is not None:
            letter = self._live_document(letter_doc_id)
            if letter.document.kind != DocumentKind.ENDORSEMENT:
                raise InvalidValue(
                    "letter_doc_id",
                    "Dokumen yang dipilih bukan surat pengesahan kepala perangkat daerah.",
                )
        if not endorser_name.strip():
            raise InvalidValue("endorser_name", "Nama kepala perangkat daerah wajib diisi.")
        if self.endorsement is not None:
            raise InvalidValue(
                "endorsement",
                f"Inovasi ini sudah disahkan oleh {self.endorsement.endorser_name}.",
            )
        self._record(
            ctx,
            Endorsed,
            endorser_name=endorser_name.strip(),
            by_letter=role == Role.OPERATOR,
            letter_doc_id=letter_doc_id,
            note=note.strip(),
        )

    def needs_endorsement(self, call: Call) -> bool:
        """The call asks for the head's endorsement and this OPD draft does not have it yet."""
        return (
            call.requires_endorsement
            and self.organisation_id is not None
            and self.endorsement is None
        )

    def submit(self, ctx: Context, call: Call, rubric: Rubric, head: str = "") -> None:
        """``head`` names who must endorse ("Kepala Dinas …") in the refusal."""
        self._allow(ctx, Command.SUBMIT)
        call.ensure_open(ctx.timestamp())
        state = self.completeness(rubric, call)
        if state.missing:
            raise IncompleteSubmission(state.missing)
        if self.needs_endorsement(call):
            raise EndorsementRequired(head or "Kepala perangkat daerah pengusul")
        self._record(
            ctx,
            Submitted,
            completeness=state.percent,
            claimed_score=self.scorecard(rubric).claimed_total,
        )

    def withdraw(self, ctx: Context, reason: str = "") -> None:
        self._allow(ctx, Command.WITHDRAW)
        self._record(ctx, Withdrawn, reason=reason)

    def assign_reviewer(
        self,
        ctx: Context,
        *,
        reviewer_id: UUID,
        reviewer_organisation_id: UUID | None,
        reviewer_name: str = "",
    ) -> None:
        self._allow(ctx, Command.ASSIGN_REVIEWER)
        self.check_no_conflict(reviewer_organisation_id)
        if reviewer_id in self.reviewers:
            raise InvalidValue("reviewer", "Verifikator ini sudah ditugaskan.")
        self._record(ctx, ReviewerAssigned, reviewer_id=reviewer_id, reviewer_name=reviewer_name)

    def verify_document(
        self, ctx: Context, *, doc_id: UUID, accepted: bool, note: str = ""
    ) -> None:
        self._allow(ctx, Command.VERIFY_DOCUMENT)
        self._require_assigned(ctx)
        self._live_document(doc_id)
        if not accepted and not note.strip():
            raise InvalidValue("note", "Alasan penolakan dokumen wajib diisi.")
        event_cls = DocumentVerified if accepted else DocumentRejected
        self._record(ctx, event_cls, doc_id=doc_id, note=note, **self._seen())

    def request_revision(
        self, ctx: Context, *, note: str, items: Sequence[RevisionItem] = ()
    ) -> None:
        self._allow(ctx, Command.REQUEST_REVISION)
        if ctx.actor.role == Role.REVIEWER:
            self._require_assigned(ctx)
        if not note.strip():
            raise InvalidValue("note", "Catatan perbaikan wajib diisi.")
        for item in items:
            if item.kind not in ("field", "document", "indicator"):
                raise InvalidValue("items", f"Jenis butir perbaikan '{item.kind}' tidak dikenal.")
        self._record(
            ctx,
            RevisionRequested,
            round=len(self.revisions) + 1,
            note=note.strip(),
            items=tuple(items),
            **self._seen(),
        )

    def resubmit(self, ctx: Context, call: Call, rubric: Rubric, note: str = "") -> None:
        """Answer a revision request. Allowed after the deadline: the revision loop must finish."""
        self._allow(ctx, Command.RESUBMIT)
        state = self.completeness(rubric, call)
        if state.missing:
            raise IncompleteSubmission(state.missing)
        self._record(ctx, Resubmitted, round=len(self.revisions), note=note)

    def score(self, ctx: Context, rubric: Rubric, verdicts: Sequence[IndicatorVerdict]) -> None:
        self._allow(ctx, Command.SCORE)
        self._require_kind(CallKind.ANNUAL, "Usulan Krenova dinilai dengan kriteria Krenova.")
        self._require_assigned(ctx)
        seen: set[int] = set()
        for verdict in verdicts:
            _known_indicator(rubric, verdict.no)
            if not 0 <= verdict.level <= 3:
                raise InvalidValue("level", "Level indikator harus 0, 1, 2 atau 3.")
            if verdict.no in seen:
                raise InvalidValue("indicators", f"Indikator {verdict.no} dinilai dua kali.")
            seen.add(verdict.no)
        if not verdicts:
            raise InvalidValue("indicators", "Penilaian harus memuat minimal satu indikator.")
        levels = {**self.verified_levels, **{v.no: v.level for v in verdicts}}
        total = scoring.scorecard(rubric, self.indicator_inputs(levels)).verified_total
        assert ctx.actor.account_id is not None
        self._record(
            ctx,
            Scored,
            reviewer_id=ctx.actor.account_id,
            indicators=tuple(sorted(verdicts, key=lambda v: v.no)),
            total=total,
            **self._seen(),
        )

    def recommend(self, ctx: Context, *, recommendation: str, note: str = "") -> None:
        self._allow(ctx, Command.RECOMMEND)
        self._require_assigned(ctx)
        if recommendation not in ("approve", "reject"):
            raise InvalidValue("recommendation", "Rekomendasi harus 'approve' atau 'reject'.")
        self._record(ctx, Recommended, recommendation=recommendation, note=note, **self._seen())

    def approve(self, ctx: Context, rubric: Rubric, note: str = "", threshold: int = 0) -> None:
        """Approve; below the call's maturity threshold only with a written reason, so the
        exception is on the record."""
        self._allow(ctx, Command.APPROVE)
        total = self.scorecard(rubric).verified_total
        if total < threshold and not note.strip():
            raise InvalidValue(
                "note",
                f"Nilai terverifikasi {total} di bawah ambang {threshold}: "
                "persetujuan wajib disertai alasan.",
            )
        self._record(ctx, Approved, verified_score=total, note=note, **self._seen())

    def reject(self, ctx: Context, reason: str) -> None:
        self._allow(ctx, Command.REJECT)
        if not reason.strip():
            raise InvalidValue("reason", "Alasan penolakan wajib diisi.")
        self._record(ctx, Rejected, reason=reason.strip(), **self._seen())

    def establish(self, ctx: Context, *, sk_number: str, sk_date: date) -> None:
        self._allow(ctx, Command.ESTABLISH)
        if not sk_number.strip():
            raise InvalidValue("sk_number", "Nomor SK wajib diisi.")
        self._record(ctx, Established, sk_number=sk_number.strip(), sk_date=sk_date, **self._seen())

    def select_for_iga(self, ctx: Context, year: int) -> None:
        self._allow(ctx, Command.SELECT_FOR_IGA)
        self._require_kind(CallKind.ANNUAL, "Usulan Krenova tidak dilaporkan ke IGA.")
        self._record(ctx, SelectedForIGA, year=year, **self._seen())

    def report_to_iga(self, ctx: Context, *, year: int, report_id: UUID) -> None:
        self._allow(ctx, Command.REPORT_TO_IGA)
        self._require_kind(CallKind.ANNUAL, "Usulan Krenova tidak dilaporkan ke IGA.")
        if self.iga_year is not None and year != self.iga_year:
            raise InvalidValue("year", f"Inovasi ini dipilih untuk IGA tahun {self.iga_year}.")
        self._record(ctx, ReportedToIGA, year=year, report_id=report_id, **self._seen())

    def advance_stage(self, ctx: Context, *, to_stage: Stage, on: date) -> None:
        self._allow(ctx, Command.ADVANCE_STAGE)
        current = self.profile.stage
        if current is not None and STAGE_ORDER.index(to_stage) <= STAGE_ORDER.index(current):
            raise InvalidValue(
                "stage", f"Tahapan hanya dapat naik: saat ini '{current}', diminta '{to_stage}'."
            )
        self._record(ctx, StageAdvanced, from_stage=current, to_stage=to_stage, on=on)

    def publish(self, ctx: Context) -> None:
        self._allow(ctx, Command.PUBLISH)
        if self.published:
            raise InvalidValue("published", "Inovasi ini sudah dipublikasikan.")
        self._record(ctx, Published, **self._seen())

    # ---- after the IGA report --------------------------------------------------------------

    def record_ministry_verdict(
        self,
        ctx: Context,
        *,
        year: int,
        verdict: MinistryVerdict,
        reason: str = "",
        note: str = "",
        decided_on: date | None = None,
        source: str = "manual",
        import_id: UUID | None = None,
    ) -> None:
        """Record Kemendagri's decision on this reported innovation (refused when it repeats the
        latest one, so importing the same file twice records nothing new)."""
        self._allow(ctx, Command.RECORD_MINISTRY_VERDICT)
        self._require_kind(CallKind.ANNUAL, "Usulan Krenova tidak dinilai Kemendagri.")
        if year != self.iga_year:
            raise InvalidValue(
                "year", f"Inovasi ini dilaporkan untuk IGA tahun {self.iga_year}, bukan {year}."
            )
        reason, note = reason.strip(), note.strip()
        if verdict == MinistryVerdict.REJECTED and not reason:
            raise InvalidValue("reason", "Alasan penolakan Kemendagri wajib diisi.")
        if verdict in (
            MinistryVerdict.NOMINATED,
            MinistryVerdict.FIELD_VISIT,
            MinistryVerdict.AWARD,
        ) and self.ministry_verdict in (None, MinistryVerdict.REJECTED):
            raise InvalidValue(
                "verdict",
                f"'{VERDICT_LABELS[verdict]}' hanya untuk inovasi yang sudah diterima Kemendagri.",
            )
        if self.repeats_latest_verdict(verdict, reason, note):
            raise InvalidValue("verdict", "Keputusan Kemendagri ini sudah tercatat.")
        self._record(
            ctx,
            MinistryVerdictRecorded,
            year=year,
            verdict=verdict,
            reason=reason,
            note=note,
            decided_on=decided_on,
            source=source,
            import_id=import_id,
        )

    def repeats_latest_verdict(self, verdict: MinistryVerdict, reason: str, note: str) -> bool:
        latest = self.ministry_verdicts[-1] if self.ministry_verdicts else None
        return latest is not None and (latest.verdict, latest.reason, latest.note) == (
            verdict,
            reason.strip(),
            note.strip(),
        )

    def carry_forward(
        self,
        ctx: Context,
        *,
        to_id: UUID,
        call: Call,
        submitter_kind: str,
        rubric: Rubric,
        window: Window,
        max_entries: int,
    ) -> Innovation:
        """ "Bawa ke tahun berikutnya": a new draft in a later year's open call with this profile
        and these documents (same stored files), linked both ways. Refused outside the target
        year's eligibility window and beyond the number of entries one innovation may have."""
        self._allow(ctx, Command.CARRY_FORWARD)
        self._check_carry_forward(call, submitter_kind, window, max_entries)
        call.ensure_open(ctx.timestamp())
        copy = type(self)(to_id)
        copy._record(
            ctx,
            Proposed,
            call_id=call.id,
            call_kind=call.kind,
            organisation_id=self.organisation_id,
            submitter_id=ctx.actor.account_id,
            budget_year=call.budget_year,
            rubric_year=call.rubric_year,
            profile=self.profile,
            carried_from=self.id,
            entry_no=self.entry_no + 1,
        )
        known = {ind.no for ind in rubric.indicators}
        for state in self.documents.values():
            if state.removed:
                continue
            doc = state.document
            copy._record(
                ctx,
                DocumentAttached,
                document=msgspec.structs.replace(
                    doc,
                    doc_id=uuid5(to_id, str(doc.doc_id)),
                    replaces=None,
                    indicator=doc.indicator if doc.indicator in known else None,
                ),
            )
        self._record(ctx, CarriedForward, to_id=to_id, to_year=call.budget_year, call_id=call.id)
        return copy

    def _check_carry_forward(
        self, call: Call, submitter_kind: str, window: Window, max_entries: int
    ) -> None:
        """Annual only, a later year not yet carried to, within the entry limit, first applied
        inside the target year's window, and the proposer eligible for the target call."""
        self._require_kind(CallKind.ANNUAL, "Usulan Krenova tidak dibawa ke tahun berikutnya.")
        if call.kind != CallKind.ANNUAL:
            raise InvalidValue("call_id", "Tujuan harus panggilan inovasi tahunan.")
        if call.budget_year <= self.budget_year:
            raise InvalidValue(
                "call_id",
                f"Panggilan tujuan (tahun {call.budget_year}) harus setelah tahun "
                f"{self.budget_year}.",
            )
        if call.budget_year in self.carried_to:
            raise InvalidValue(
                "call_id",
                f"Inovasi ini sudah dibawa ke tahun {call.budget_year} "
                f"(draf {self.carried_to[call.budget_year]}).",
            )
        if self.entry_no + 1 > max_entries:
            raise InvalidValue(
                "entry_no",
                f"Satu inovasi paling banyak diikutkan {max_entries} kali; ini sudah keikutsertaan "
                f"ke-{self.entry_no}.",
            )
        started = self.profile.implementation_date or self.profile.trial_date
        if started is None:
            raise InvalidValue(
                "implementation_date",
                "Waktu penerapan belum diisi, sehingga kelayakan tahun berikutnya tidak dapat "
                "diperiksa.",
            )
        if not window.start <= started <= window.end:
            raise InvalidValue(
                "implementation_date",
                f"Waktu penerapan {started.isoformat()} di luar {window.name} untuk tahun "
                f"{window.year} ({window.start.isoformat()} s.d. {window.end.isoformat()}).",
            )
        if submitter_kind not in call.eligible_kinds:
            raise NotAllowed(
                f"Pengusul jenis '{submitter_kind}' tidak termasuk peserta panggilan "
                f"'{call.title}'.",
                eligible=list(call.eligible_kinds),
            )

    # ==== rules shared by commands ==============================================================

    def _require_kind(self, kind: CallKind, message: str) -> None:
        if self.call_kind != kind:
            raise InvalidValue("call_kind", message)

    def _allow(self, ctx: Context, command: Command) -> Status:
        target = next_status(self.status, command, ctx.actor.role)
        if ctx.actor.role in (Role.OPERATOR, Role.PARTICIPANT):
            self._require_owner(ctx)
        return target

    def _require_owner(self, ctx: Context) -> None:
        actor = ctx.actor
        if actor.role == Role.PARTICIPANT and actor.account_id != self.submitter_id:
            raise NotAllowed("Peserta hanya dapat mengubah usulannya sendiri.")
        if actor.role == Role.OPERATOR and actor.organisation_id != self.organisation_id:
            raise NotAllowed("Operator hanya dapat mengubah inovasi organisasinya sendiri.")

    def check_no_conflict(self, reviewer_organisation_id: UUID | None) -> None:
        """A reviewer never reviews an innovation of an organisation they belong to."""
        conflict.ensure_no_conflict(reviewer_organisation_id, self.organisation_id)

    def _require_assigned(self, ctx: Context) -> None:
        self.check_no_conflict(ctx.actor.organisation_id)
        if ctx.actor.account_id not in self.reviewers:
            raise NotAllowed("Anda belum ditugaskan sebagai verifikator inovasi ini.")

    def _live_document(self, doc_id: UUID) -> DocumentState:
        doc = self.documents.get(doc_id)
        if doc is None or doc.removed:
            raise InvalidValue("doc_id", f"Dokumen {doc_id} tidak ditemukan.")
        return doc

    def _seen(self) -> dict[str, Any]:
        return {"seen_version": self.version, "rubric_year": self.rubric_year}

    # ==== derived views =========================================================================

    def evidence_for(self, no: int) -> list[DocumentState]:
        """Documents offered for an indicator: tied to it on upload, or named in its claim."""
        claim = self.claims.get(no)
        ids = dict.fromkeys(
            [d.document.doc_id for d in self.documents.values() if d.document.indicator == no]
            + list(claim.evidence if claim else ())
        )
        return [self.documents[i] for i in ids if not self.documents[i].removed]

    def indicator_inputs(
        self, verified_levels: Mapping[int, int] | None = None
    ) -> list[scoring.IndicatorInput]:
        levels = self.verified_levels if verified_levels is None else verified_levels
        # One pass over the documents (``evidence_for`` per indicator would make one each).
        # Indicators with uploaded evidence but no claim yet count too: the operator is told
        # to pick a level, not that the evidence is missing.
        tied: dict[int, list[UUID]] = {}
        for d in self.documents.values():
            if d.document.indicator is not None:
                tied.setdefault(d.document.indicator, []).append(d.document.doc_id)
        live = {no for no, ids in tied.items() if any(not self.documents[i].removed for i in ids)}
        numbers = sorted(set(self.claims) | set(levels) | live)
        inputs = []
        for no in numbers:
            claim = self.claims.get(no)
            offered = claim.evidence if claim else ()
            uploaded = tied.get(no)
            evidence: tuple[scoring.Evidence, ...] = ()
            if offered or uploaded:  # most claims name no document: nothing to build
                ids = dict.fromkeys([*(uploaded or ()), *offered])
                evidence = tuple(
                    scoring.Evidence(
                        doc_id=str(i),
                        name=d.document.name,
                        kind=str(d.document.kind),
                        verdict=d.verdict,  # type: ignore[arg-type]
                    )
                    for i in ids
                    if not (d := self.documents[i]).removed
                )
            inputs.append(
                scoring.IndicatorInput(
                    no=no,
                    claimed_level=claim.level if claim else 0,
                    verified_level=levels.get(no),
                    evidence=evidence,
                )
            )
        return inputs

    def scorecard(self, rubric: Rubric, inputs: scoring.Inputs | None = None) -> scoring.Scorecard:
        """``inputs``: ``indicator_inputs()`` (or their assessment) when the caller has them."""
        return scoring.scorecard(rubric, self.indicator_inputs() if inputs is None else inputs)

    def reviewer_totals(self, rubric: Rubric) -> dict[UUID, int]:
        """Each reviewer's own total, so two scorings stand side by side."""
        return {
            reviewer: scoring.scorecard(
                rubric, self.indicator_inputs({n: v.level for n, v in verdicts.items()})
            ).verified_total
            for reviewer, verdicts in self.scores.items()
        }

    def completeness(
        self,
        rubric: Rubric,
        call: Call | None,
        inputs: scoring.Inputs | None = None,
    ) -> scoring.Completeness:
        """``inputs``: ``indicator_inputs()`` when the caller has them already."""
        live_kinds = {str(d.document.kind) for d in self.documents.values() if not d.removed}
        required = call.required_documents if call is not None else ()
        return scoring.completeness(
            rubric,
            fields=field_checks(self.profile, self.call_kind, self.rubric_year),
            field_labels=field_labels(self.rubric_year),
            present_document_kinds=live_kinds,
            required_document_kinds=required,
            inputs=self.indicator_inputs() if inputs is None else inputs,
            check_indicators=self.call_kind == CallKind.ANNUAL,
        )

    def open_revision(self) -> RevisionRound | None:
        if self.status == Status.REVISION_REQUESTED and self.revisions:
            return self.revisions[-1]
        return None

    # ==== state changes =========================================================================

    def apply(self, event: Event) -> None:
        previous = self.status
        target = status_after(self.status, type(event))
        if target is None:
            raise ValueError(f"{type(event).__name__} cannot follow status {self.status}")
        super().apply(event)
        self.status = target
        if target != previous:
            self.previous_status = previous
        if target != previous or isinstance(event, Proposed):
            self.status_changed_at = event.timestamp.isoformat()

    @applies(Proposed)
    def _proposed(self, e: Proposed) -> None:
        self.call_id, self.call_kind = e.call_id, e.call_kind
        self.organisation_id, self.submitter_id = e.organisation_id, e.submitter_id
        self.budget_year, self.rubric_year = e.budget_year, e.rubric_year
        self.profile = e.profile
        self.carried_from, self.entry_no = e.carried_from, e.entry_no

    @applies(ProfileUpdated)
    def _profile_updated(self, e: ProfileUpdated) -> None:
        self.profile = e.changes.apply_to(self.profile)

    @applies(DocumentAttached)
    def _document_attached(self, e: DocumentAttached) -> None:
        self.documents[e.document.doc_id] = DocumentState(document=e.document)
        if e.document.replaces is not None:
            self.documents[e.document.replaces].removed = True
            self._letter_gone(e.document.replaces)

    @applies(DocumentRemoved)
    def _document_removed(self, e: DocumentRemoved) -> None:
        self.documents[e.doc_id].removed = True
        self._letter_gone(e.doc_id)

    @applies(DocumentVisibilityChanged)
    def _document_visibility_changed(self, e: DocumentVisibilityChanged) -> None:
        state = self.documents[e.doc_id]
        state.document = msgspec.structs.replace(state.document, public=e.public)

    def _letter_gone(self, doc_id: UUID) -> None:
        """Removing or replacing the endorsement letter takes the endorsement with it."""
        if self.endorsement is not None and self.endorsement.letter_doc_id == doc_id:
            self.endorsement = None

    @applies(Endorsed)
    def _endorsed(self, e: Endorsed) -> None:
        self.endorsement = Endorsement(
            endorser_name=e.endorser_name,
            by_letter=e.by_letter,
            letter_doc_id=e.letter_doc_id,
            note=e.note,
            endorsed_at=e.timestamp.isoformat(),
            endorsed_by=e.actor.account_id,
        )

    @applies(IndicatorClaimed)
    def _indicator_claimed(self, e: IndicatorClaimed) -> None:
        if e.level == 0:
            self.claims.pop(e.no, None)
        else:
            self.claims[e.no] = Claim(level=e.level, evidence=e.evidence, note=e.note)

    @applies(Submitted)
    def _submitted(self, e: Submitted) -> None:
        self.submitted_at = e.timestamp.isoformat()

    @applies(Withdrawn)
    def _withdrawn(self, e: Withdrawn) -> None:
        self.decision_reason = e.reason

    @applies(ReviewerAssigned)
    def _reviewer_assigned(self, e: ReviewerAssigned) -> None:
        self.reviewers.append(e.reviewer_id)

    @applies(DocumentVerified, DocumentRejected)
    def _document_checked(self, e: DocumentVerified | DocumentRejected) -> None:
        doc = self.documents[e.doc_id]
        doc.verdict = "accepted" if isinstance(e, DocumentVerified) else "rejected"
        doc.note = e.note

    @applies(RevisionRequested)
    def _revision_requested(self, e: RevisionRequested) -> None:
        self.revisions.append(
            RevisionRound(
                round=e.round,
                note=e.note,
                items=e.items,
                requested_by=e.actor.account_id,
                requested_at=e.timestamp.isoformat(),
            )
        )

    @applies(Resubmitted)
    def _resubmitted(self, e: Resubmitted) -> None:
        if self.revisions:
            self.revisions[-1].resubmitted_at = e.timestamp.isoformat()
            self.revisions[-1].response = e.note

    @applies(Scored)
    def _scored(self, e: Scored) -> None:
        verdicts = self.scores.setdefault(e.reviewer_id, {})
        for v in e.indicators:
            verdicts[v.no] = v
            self.verified_levels[v.no] = v.level

    @applies(Recommended)
    def _recommended(self, e: Recommended) -> None:
        self.recommendation = e.recommendation
        if e.actor.account_id is not None:
            self.recommendations[e.actor.account_id] = (e.recommendation, e.note)

    @applies(Approved)
    def _approved(self, e: Approved) -> None:
        self.decision_reason = e.note

    @applies(Rejected)
    def _rejected(self, e: Rejected) -> None:
        self.decision_reason = e.reason

    @applies(Established)
    def _established(self, e: Established) -> None:
        self.sk_number, self.sk_date = e.sk_number, e.sk_date

    @applies(SelectedForIGA)
    def _selected(self, e: SelectedForIGA) -> None:
        self.iga_year = e.year

    @applies(ReportedToIGA)
    def _reported(self, e: ReportedToIGA) -> None:
        self.iga_year, self.iga_report_id = e.year, e.report_id

    @applies(StageAdvanced)
    def _stage_advanced(self, e: StageAdvanced) -> None:
        self.profile = e.apply_to(self.profile)

    @applies(MinistryVerdictRecorded)
    def _ministry_verdict(self, e: MinistryVerdictRecorded) -> None:
        self.ministry_verdicts.append(
            VerdictEntry(
                year=e.year,
                verdict=e.verdict,
                reason=e.reason,
                note=e.note,
                decided_on=e.decided_on,
                source=e.source,
                recorded_at=e.timestamp.isoformat(),
            )
        )

    @applies(CarriedForward)
    def _carried_forward(self, e: CarriedForward) -> None:
        self.carried_to[e.to_year] = e.to_id

    @applies(Published)
    def _published(self, e: Published) -> None:
        self.published = True


def _known_indicator(rubric: Rubric, no: int) -> None:
    """An unknown indicator number is the user's mistake (a DomainError), not a server fault."""
    if no not in {ind.no for ind in rubric.indicators}:
        raise InvalidValue(
            "indicator", f"Indikator {no} tidak ada dalam rubrik tahun {rubric.year}."
        )


_UNMATCHED_READ_ONLY = (
    "Teks urusan lama hanya berasal dari data lama; pilih kode urusan dari daftar urusan."
)


def _check_urusan(main: str, others: Sequence[str]) -> None:
    """Codes from the fixed list only; the main urusan is not repeated among the others."""
    if main and not urusan.is_known(main):
        raise InvalidValue("urusan", f"Kode urusan '{main}' tidak ada dalam daftar urusan.")
    unknown = [code for code in others if not urusan.is_known(code)]
    if unknown:
        raise InvalidValue(
            "urusan_lain", f"Kode urusan tidak ada dalam daftar urusan: {', '.join(unknown)}."
        )
    if len(set(others)) != len(others):
        raise InvalidValue("urusan_lain", "Urusan beririsan tidak boleh berulang.")
    if main and main in others:
        raise InvalidValue(
            "urusan_lain", "Urusan utama tidak perlu diulang sebagai urusan beririsan."
        )


def _empty_krenova() -> Any:
    from services.domain.values import KrenovaEntry

    return KrenovaEntry()


def replay(events: Iterable[Event]) -> Innovation | None:
    return Innovation.replay(events)
