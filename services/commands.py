"""Command handlers: load the aggregate, let it decide, save with optimistic concurrency.

Each handler does one thing and returns ``Outcome`` (id, new version, the last notification id it
produced, for read-your-writes). Handlers take a ``Context`` (who, request id, time) so the
domain never reads a clock or a request itself. Account and organisation ids are derived from the
username and code (UUID v5), so uniqueness is enforced by the event store itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import msgspec

from services.domain import ministry
from services.domain.actor import Role
from services.domain.aggregate import Aggregate, Context
from services.domain.call import Call
from services.domain.errors import DomainError, InvalidValue
from services.domain.events import CallOpened
from services.domain.innovation import Innovation
from services.domain.lifecycle import Status
from services.domain.ministry import MinistryVerdict
from services.domain.organisation import Account, Organisation
from services.domain.rubric import Rubric, load_rubric
from services.domain.values import (
    Award,
    CallKind,
    CriterionScore,
    Document,
    IndicatorVerdict,
    OrganisationKind,
    Profile,
    ProfilePatch,
    RevisionItem,
    Stage,
)
from services.eventstore.store import ConcurrencyConflict, EventStore, NotFound

NAMESPACE = uuid5(NAMESPACE_URL, "https://sirisma.local/")


def account_id_for(username: str) -> UUID:
    return uuid5(NAMESPACE, f"account:{username.strip().lower()}")


def organisation_id_for(code: str) -> UUID:
    return uuid5(NAMESPACE, f"organisation:{code.strip().upper()}")


class Outcome(msgspec.Struct, frozen=True):
    id: UUID
    version: int
    notification_id: int


class Duplicate(InvalidValue):
    code = "duplicate"
    status = 409


class BatchRefused(DomainError):
    """A command over several innovations refused as a whole: ``items`` says why, per item."""

    code = "batch-refused"

    def __init__(self, failures: Sequence[tuple[UUID, DomainError]]) -> None:
        statuses = {error.status for _, error in failures}
        self.status = statuses.pop() if len(statuses) == 1 else 422
        super().__init__(
            f"{len(failures)} inovasi tidak dapat diproses; tidak ada yang dicatat.",
            items=[
                {"id": str(id), "code": e.code, "detail": e.message, **e.details}
                for id, e in failures
            ],
        )


class Commands:
    """The application service used by HTTP routes, the CLI and the demo seeder alike."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    # -- plumbing ----------------------------------------------------------------------------

    def _save(self, aggregate: Aggregate, expected_version: int | None = None) -> Outcome:
        ids = self.store.save(aggregate)
        return Outcome(aggregate.id, aggregate.version, ids[-1] if ids else 0)

    def _create(self, aggregate: Aggregate, what: str) -> Outcome:
        try:
            return self._save(aggregate)
        except ConcurrencyConflict:
            raise Duplicate("id", f"{what} sudah terdaftar.") from None

    def innovation(self, id: UUID, version: int | None = None) -> Innovation:
        return self.store.load(Innovation, id, version)

    def call(self, id: UUID) -> Call:
        return self.store.load(Call, id)

    def account(self, id: UUID) -> Account:
        return self.store.load(Account, id)

    def organisation(self, id: UUID) -> Organisation:
        return self.store.load(Organisation, id)

    def rubric_for(self, innovation: Innovation) -> Rubric:
        return load_rubric(innovation.rubric_year)

    def _require_organisation(self, organisation_id: UUID | None) -> None:
        """The id must be an organisation's (any stored id would pass a mere existence check)."""
        if organisation_id is None:
            return
        try:
            self.organisation(organisation_id)
        except NotFound:
            raise InvalidValue("organisation_id", "Organisasi tidak ditemukan.") from None

    def _load_for_write(
        self, id: UUID, expected_version: int | None, loaded: Innovation | None = None
    ) -> Innovation:
        """``loaded``: the innovation the caller has just loaded (and checked), so the command
        does not read its stream again; the caller then holds the aggregate as saved. A write
        that happened in between still fails the save with ConcurrencyConflict."""
        if loaded is not None and loaded.id != id:
            raise ValueError(f"loaded innovation {loaded.id} is not {id}")
        innovation = loaded or self.innovation(id)
        if expected_version is not None and expected_version != innovation.version:
            raise ConcurrencyConflict(id, expected_version + 1, innovation.version)
        return innovation

    # -- organisations and accounts ----------------------------------------------------------

    def register_organisation(
        self, ctx: Context, *, kind: OrganisationKind, code: str, name: str
    ) -> Outcome:
        org = Organisation.register(
            ctx, organisation_id_for(code), kind=kind, code=code.upper(), name=name
        )
        return self._create(org, f"Organisasi dengan kode {code.upper()}")

    def create_account(
        self,
        ctx: Context,
        *,
        username: str,
        full_name: str,
        email: str,
        role: Role,
        organisation_id: UUID | None,
        password_hash: str,
        phone: str = "",
        members: tuple[str, ...] = (),
    ) -> Outcome:
        self._require_organisation(organisation_id)
        account = Account.create(
            ctx,
            account_id_for(username),
            username=username,
            full_name=full_name,
            email=email,
            role=role,
            organisation_id=organisation_id,
            password_hash=password_hash,
            phone=phone,
            members=members,
        )
        return self._create(account, f"Nama pengguna '{username}'")

    def change_role(self, ctx: Context, account_id: UUID, role: Role) -> Outcome:
        account = self.account(account_id)
        account.change_role(ctx, role)
        return self._save(account)

    def change_account_organisation(
        self, ctx: Context, account_id: UUID, organisation_id: UUID | None
    ) -> Outcome:
        self._require_organisation(organisation_id)
        account = self.account(account_id)
        account.change_organisation(ctx, organisation_id)
        return self._save(account)

    def disable_account(self, ctx: Context, account_id: UUID, reason: str = "") -> Outcome:
        account = self.account(account_id)
        account.disable(ctx, reason)
        return self._save(account)

    def enable_account(self, ctx: Context, account_id: UUID) -> Outcome:
        account = self.account(account_id)
        account.enable(ctx)
        return self._save(account)

    def reset_password(self, ctx: Context, account_id: UUID, password_hash: str) -> Outcome:
        account = self.account(account_id)
        account.reset_password(ctx, password_hash)
        return self._save(account)

    # -- calls -------------------------------------------------------------------------------

    def open_call(
        self,
        ctx: Context,
        *,
        kind: CallKind,
        title: str,
        budget_year: int,
        opens_at: datetime,
        deadline: datetime,
        eligible_kinds: Sequence[str],
        rubric_year: int,
        required_documents: Sequence[str] = (),
        threshold: int = 0,
        description: str = "",
        id: UUID | None = None,
        requires_endorsement: bool = False,
    ) -> Outcome:
        load_rubric(rubric_year)  # an unknown rubric year fails here, not at scoring time
        call = Call.open(
            ctx,
            id or uuid4(),
            kind=kind,
            title=title,
            budget_year=budget_year,
            opens_at=opens_at,
            deadline=deadline,
            eligible_kinds=tuple(eligible_kinds),
            rubric_year=rubric_year,
            required_documents=tuple(required_documents),
            threshold=threshold,
            description=description,
            requires_endorsement=requires_endorsement,
        )
        return self._create(call, "Panggilan")

    def change_deadline(
        self, ctx: Context, call_id: UUID, deadline: datetime, reason: str
    ) -> Outcome:
        call = self.call(call_id)
        call.change_deadline(ctx, deadline, reason)
        return self._save(call)

    # -- innovation: submitter side ----------------------------------------------------------

    def propose(
        self,
        ctx: Context,
        *,
        call_id: UUID,
        profile: Profile,
        id: UUID | None = None,
    ) -> Outcome:
        call = self.call(call_id)
        if ctx.actor.role == Role.PARTICIPANT:
            organisation_id, kind = None, "masyarakat"
        else:
            if ctx.actor.organisation_id is None:
                raise InvalidValue("organisation_id", "Akun operator belum terikat organisasi.")
            organisation_id = ctx.actor.organisation_id
            kind = str(self.organisation(organisation_id).kind)
        innovation = Innovation.propose(
            ctx,
            id or uuid4(),
            call=call,
            organisation_id=organisation_id,
            submitter_kind=kind,
            profile=profile,
        )
        return self._create(innovation, "Inovasi")

    def update_profile(
        self,
        ctx: Context,
        id: UUID,
        patch: ProfilePatch,
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.update_profile(ctx, patch)
        return self._save(innovation)

    def attach_document(
        self,
        ctx: Context,
        id: UUID,
        document: Document,
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.attach_document(ctx, document, self.rubric_for(innovation))
        return self._save(innovation)

    def remove_document(
        self,
        ctx: Context,
        id: UUID,
        doc_id: UUID,
        reason: str = "",
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.remove_document(ctx, doc_id, reason)
        return self._save(innovation)

    def set_document_visibility(
        self,
        ctx: Context,
        id: UUID,
        doc_id: UUID,
        public: bool,
        reason: str = "",
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.set_document_visibility(ctx, doc_id, public, reason)
        return self._save(innovation)

    def claim_indicator(
        self,
        ctx: Context,
        id: UUID,
        *,
        no: int,
        level: int,
        evidence: Sequence[UUID] = (),
        note: str = "",
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.claim_indicator(
            ctx, self.rubric_for(innovation), no=no, level=level, evidence=evidence, note=note
        )
        return self._save(innovation)

    def submit(
        self,
        ctx: Context,
        id: UUID,
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        assert innovation.call_id is not None
        innovation.submit(
            ctx,
            self.call(innovation.call_id),
            self.rubric_for(innovation),
            head=self.head_of(innovation.organisation_id),
        )
        return self._save(innovation)

    def head_of(self, organisation_id: UUID | None) -> str:
        """'Kepala Dinas Kesehatan': who must endorse this organisation's innovations."""
        if organisation_id is None:
            return ""
        return f"Kepala {self.organisation(organisation_id).name}"

    def endorse(
        self,
        ctx: Context,
        id: UUID,
        *,
        endorser_name: str = "",
        letter_doc_id: UUID | None = None,
        note: str = "",
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        """The head endorses with their own account (their name is the account's), or the
        operator records the head's signed letter and types the head's name."""
        innovation = self._load_for_write(id, expected_version, loaded)
        if ctx.actor.role == Role.KEPALA_OPD and ctx.actor.account_id is not None:
            endorser_name = self.account(ctx.actor.account_id).full_name
        innovation.endorse(ctx, endorser_name=endorser_name, letter_doc_id=letter_doc_id, note=note)
        return self._save(innovation)

    def withdraw(
        self,
        ctx: Context,
        id: UUID,
        reason: str = "",
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.withdraw(ctx, reason)
        return self._save(innovation)

    def resubmit(
        self,
        ctx: Context,
        id: UUID,
        note: str = "",
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        assert innovation.call_id is not None
        innovation.resubmit(ctx, self.call(innovation.call_id), self.rubric_for(innovation), note)
        return self._save(innovation)

    # -- innovation: review side -------------------------------------------------------------

    def assign_reviewer(
        self,
        ctx: Context,
        id: UUID,
        reviewer_id: UUID,
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        try:
            reviewer = self.account(reviewer_id)
        except NotFound:
            raise InvalidValue("reviewer", "Akun verifikator tidak ditemukan.") from None
        if reviewer.role != Role.REVIEWER or reviewer.disabled:
            raise InvalidValue("reviewer", f"Akun '{reviewer.username}' bukan verifikator aktif.")
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.assign_reviewer(
            ctx,
            reviewer_id=reviewer_id,
            reviewer_organisation_id=reviewer.organisation_id,
            reviewer_name=reviewer.full_name,
        )
        return self._save(innovation)

    def verify_document(
        self,
        ctx: Context,
        id: UUID,
        doc_id: UUID,
        *,
        accepted: bool,
        note: str = "",
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.verify_document(ctx, doc_id=doc_id, accepted=accepted, note=note)
        return self._save(innovation)

    def request_revision(
        self,
        ctx: Context,
        id: UUID,
        *,
        note: str,
        items: Sequence[RevisionItem] = (),
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.request_revision(ctx, note=note, items=items)
        return self._save(innovation)

    def score(
        self,
        ctx: Context,
        id: UUID,
        verdicts: Sequence[IndicatorVerdict],
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.score(ctx, self.rubric_for(innovation), verdicts)
        return self._save(innovation)

    def recommend(
        self,
        ctx: Context,
        id: UUID,
        *,
        recommendation: str,
        note: str = "",
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.recommend(ctx, recommendation=recommendation, note=note)
        return self._save(innovation)

    def approve(
        self,
        ctx: Context,
        id: UUID,
        note: str = "",
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        call = self.call(innovation.call_id) if innovation.call_id else None
        threshold = call.threshold if call is not None else 0
        innovation.approve(ctx, self.rubric_for(innovation), note, threshold=threshold)
        return self._save(innovation)

    def reject(
        self,
        ctx: Context,
        id: UUID,
        reason: str,
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.reject(ctx, reason)
        return self._save(innovation)

    def establish(
        self,
        ctx: Context,
        id: UUID,
        *,
        sk_number: str,
        sk_date: date,
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.establish(ctx, sk_number=sk_number, sk_date=sk_date)
        return self._save(innovation)

    def publish(
        self,
        ctx: Context,
        id: UUID,
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.publish(ctx)
        return self._save(innovation)

    def advance_stage(
        self,
        ctx: Context,
        id: UUID,
        *,
        to_stage: Stage,
        on: date,
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.advance_stage(ctx, to_stage=to_stage, on=on)
        return self._save(innovation)

    def record_ministry_verdict(
        self,
        ctx: Context,
        id: UUID,
        *,
        year: int,
        verdict: MinistryVerdict,
        reason: str = "",
        note: str = "",
        decided_on: date | None = None,
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.record_ministry_verdict(
            ctx, year=year, verdict=verdict, reason=reason, note=note, decided_on=decided_on
        )
        return self._save(innovation)

    def carry_forward(
        self,
        ctx: Context,
        id: UUID,
        *,
        call_id: UUID | None = None,
        to_id: UUID | None = None,
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> tuple[Outcome, Outcome]:
        """ "Bawa ke tahun berikutnya": (the new draft, the source), saved atomically. Without
        ``call_id`` the target is the one open annual call of the next budget year."""
        _, draft, source = self.carry_forward_draft(
            ctx, id, call_id=call_id, to_id=to_id, expected_version=expected_version, loaded=loaded
        )
        return draft, source

    def carry_forward_draft(
        self,
        ctx: Context,
        id: UUID,
        *,
        call_id: UUID | None = None,
        to_id: UUID | None = None,
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> tuple[Innovation, Outcome, Outcome]:
        """``carry_forward`` that also hands back the new draft as saved (its answer is built
        from it, not from a second read)."""
        source = self._load_for_write(id, expected_version, loaded)
        org = self.organisation(source.organisation_id) if source.organisation_id else None
        kind = str(org.kind) if org is not None else ""
        call = self.call(call_id) if call_id else self._next_year_call(source, kind, ctx)
        draft = source.carry_forward(
            ctx,
            to_id=to_id or uuid4(),
            call=call,
            submitter_kind=kind,
            rubric=load_rubric(call.rubric_year),
            window=ministry.eligibility_window(call.budget_year),
            max_entries=ministry.max_entries(),
        )
        ids = self.store.save(draft, source)
        by_id = dict.fromkeys((draft.id, source.id), 0)
        # The notification ids come in save order: the draft's events, then the source's.
        by_id[draft.id] = ids[len(ids) - 2] if len(ids) >= 2 else 0
        by_id[source.id] = ids[-1] if ids else 0
        return (
            draft,
            Outcome(draft.id, draft.version, by_id[draft.id]),
            Outcome(source.id, source.version, by_id[source.id]),
        )

    def _next_year_call(self, source: Innovation, kind: str, ctx: Context) -> Call:
        year = source.budget_year + 1
        calls = [
            c
            for c in self.open_calls(CallKind.ANNUAL, ctx.timestamp())
            if c.budget_year == year and (not kind or kind in c.eligible_kinds)
        ]
        if len(calls) != 1:
            raise InvalidValue(
                "call_id",
                f"Belum ada panggilan inovasi tahun {year} yang dibuka untuk organisasi ini."
                if not calls
                else "Ada beberapa panggilan terbuka; sebutkan call_id: "
                + "; ".join(f"{c.title} ({c.id})" for c in calls),
            )
        return calls[0]

    def open_calls(self, kind: CallKind, moment: datetime) -> list[Call]:
        """Calls of this kind open at ``moment``, read from the log's CallOpened records."""
        calls: list[Call] = []
        start = 1
        while True:
            page = self.store.notifications(start, 500, topics=[CallOpened.TOPIC])
            for notification in page:
                call = self.call(UUID(str(notification.originator_id)))
                if call.kind == kind and call.is_open(moment):
                    calls.append(call)
            if len(page) < 500:
                return calls
            start = page[-1].id + 1

    def select_for_iga(
        self,
        ctx: Context,
        id: UUID,
        year: int,
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.select_for_iga(ctx, year)
        return self._save(innovation)

    def report_to_iga(
        self,
        ctx: Context,
        id: UUID,
        *,
        year: int,
        report_id: UUID,
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.report_to_iga(ctx, year=year, report_id=report_id)
        return self._save(innovation)

    # -- several innovations in one atomic save (IGA report, Krenova shortlist and winners) --

    def _load_many(
        self, ids: Sequence[UUID], expected_versions: Mapping[UUID, int] | None
    ) -> list[Innovation]:
        if len(set(ids)) != len(ids):
            raise InvalidValue("innovation_ids", "Daftar inovasi memuat id yang sama dua kali.")
        if not ids:
            raise InvalidValue("innovation_ids", "Pilih minimal satu inovasi.")
        expected = expected_versions or {}
        return [self._load_for_write(id, expected.get(id)) for id in ids]

    def _decide_many(
        self, innovations: Sequence[Innovation], decide: Callable[[Innovation], None]
    ) -> list[Outcome]:
        """Apply ``decide`` to each; if any refuses, raise BatchRefused and store nothing."""
        failures: list[tuple[UUID, DomainError]] = []
        for innovation in innovations:
            try:
                decide(innovation)
            except DomainError as error:
                failures.append((innovation.id, error))
        if failures:
            raise BatchRefused(failures)
        counts = [len(i.pending_events) for i in innovations]
        ids = self.store.save(*innovations)
        outcomes, position = [], 0
        for innovation, count in zip(innovations, counts, strict=True):
            position += count
            last = ids[position - 1] if count and ids else 0
            outcomes.append(Outcome(innovation.id, innovation.version, last))
        return outcomes

    def report_iga(
        self,
        ctx: Context,
        ids: Sequence[UUID],
        *,
        year: int,
        report_id: UUID,
        expected_versions: Mapping[UUID, int] | None = None,
    ) -> list[Outcome]:
        """Select (where not yet selected) and report every innovation of one IGA report."""

        def decide(innovation: Innovation) -> None:
            if innovation.status != Status.SELECTED_FOR_IGA:
                innovation.select_for_iga(ctx, year)
            innovation.report_to_iga(ctx, year=year, report_id=report_id)

        return self._decide_many(self._load_many(ids, expected_versions), decide)

    # -- innovation: Krenova judging ---------------------------------------------------------

    def pass_administration(
        self,
        ctx: Context,
        id: UUID,
        note: str = "",
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.pass_administration(ctx, note)
        return self._save(innovation)

    def fail_administration(
        self,
        ctx: Context,
        id: UUID,
        reason: str,
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.fail_administration(ctx, reason)
        return self._save(innovation)

    def judge(
        self,
        ctx: Context,
        id: UUID,
        scores: Sequence[CriterionScore],
        expected_version: int | None = None,
        loaded: Innovation | None = None,
    ) -> Outcome:
        innovation = self._load_for_write(id, expected_version, loaded)
        innovation.judge(ctx, self.rubric_for(innovation), scores)
        return self._save(innovation)

    def shortlist(
        self,
        ctx: Context,
        ranks: Mapping[UUID, int],
        note: str = "",
        expected_versions: Mapping[UUID, int] | None = None,
    ) -> list[Outcome]:
        """Shortlist several Krenova entries at once, each with its place in the ranking."""
        innovations = self._load_many(list(ranks), expected_versions)
        return self._decide_many(
            innovations, lambda i: i.shortlist(ctx, rank=ranks[i.id], note=note)
        )

    def award(
        self,
        ctx: Context,
        awards: Mapping[UUID, tuple[Award, int]],
        note: str = "",
        expected_versions: Mapping[UUID, int] | None = None,
    ) -> list[Outcome]:
        """Announce Krenova winners (juara 1..n, harapan 1..n) in one atomic decision."""
        if len(set(awards.values())) != len(awards):
            raise InvalidValue("winners", "Setiap peringkat juara/harapan hanya untuk satu usulan.")
        innovations = self._load_many(list(awards), expected_versions)

        def decide(innovation: Innovation) -> None:
            award, rank = awards[innovation.id]
            innovation.award_prize(ctx, award=award, rank=rank, note=note)

        return self._decide_many(innovations, decide)
