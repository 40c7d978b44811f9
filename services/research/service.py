"""Commands on riset daerah: load the agenda or the proposal, let the aggregate decide, save.

The rules are the aggregates' (``services.domain.research``); this layer only finds what they
need from elsewhere: the year's agenda themes a proposal must answer, the reviewer's account
(role and organisation, for the conflict-of-interest rule).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from services.commands import Outcome
from services.domain.actor import Role
from services.domain.aggregate import Aggregate, Context
from services.domain.errors import InvalidValue
from services.domain.organisation import Account
from services.domain.research.agenda import ResearchAgenda, agenda_id
from services.domain.research.proposal import ResearchProposal
from services.domain.research.values import (
    AgendaStatus,
    CriterionScore,
    FollowUpStatus,
    LinkKind,
    Output,
    OutputFile,
    ProposalBody,
    Theme,
)
from services.eventstore.store import ConcurrencyConflict, EventStore, NotFound


class ResearchCommands:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    # ---- loading ---------------------------------------------------------------------------

    def agenda(self, year: int, version: int | None = None) -> ResearchAgenda | None:
        try:
            return self.store.load(ResearchAgenda, agenda_id(year), version)
        except NotFound:
            return None

    def themes(self, year: int) -> set[str]:
        agenda = self.agenda(year)
        return set(agenda.themes) if agenda is not None else set()

    def proposal(self, id: UUID, version: int | None = None) -> ResearchProposal:
        """The proposal (raises NotFound, answered 404, for an unknown id or another stream)."""
        proposal = self.store.load(ResearchProposal, id, version)
        if proposal.year == 0:
            raise NotFound("Usulan riset", id)
        return proposal

    def _for_write(self, id: UUID, expected: int | None) -> ResearchProposal:
        proposal = self.proposal(id)
        if expected is not None and expected != proposal.version:
            raise ConcurrencyConflict(proposal.id, expected + 1, proposal.version)
        return proposal

    def _save(self, aggregate: Aggregate) -> Outcome:
        ids = self.store.save(aggregate) if aggregate.pending_events else []
        return Outcome(aggregate.id, aggregate.version, ids[-1] if ids else 0)

    # ---- agenda ----------------------------------------------------------------------------

    def _agenda_for_write(self, ctx: Context, year: int, title: str = "") -> ResearchAgenda:
        agenda = self.agenda(year)
        if agenda is None:
            agenda = ResearchAgenda.open(ctx, year, title or f"Agenda Riset Daerah {year}")
        return agenda

    def open_agenda(self, ctx: Context, year: int, title: str, rpjmd_period: str = "") -> Outcome:
        if self.agenda(year) is not None:
            raise InvalidValue("year", f"Agenda riset tahun {year} sudah ada.")
        return self._save(ResearchAgenda.open(ctx, year, title, rpjmd_period))

    def set_theme(self, ctx: Context, year: int, theme: Theme) -> Outcome:
        agenda = self._agenda_for_write(ctx, year)
        agenda.set_theme(ctx, theme)
        return self._save(agenda)

    def remove_theme(self, ctx: Context, year: int, code: str, reason: str) -> Outcome:
        agenda = self._agenda_for_write(ctx, year)
        agenda.remove_theme(ctx, code, reason)
        return self._save(agenda)

    def agenda_status(
        self, ctx: Context, year: int, status: AgendaStatus, perkada: str = ""
    ) -> Outcome:
        agenda = self._agenda_for_write(ctx, year)
        agenda.change_status(ctx, status, perkada)
        return self._save(agenda)

    # ---- proposals -------------------------------------------------------------------------

    def propose(
        self,
        ctx: Context,
        *,
        year: int,
        body: ProposalBody,
        organisation_id: UUID | None = None,
        id: UUID | None = None,
    ) -> Outcome:
        proposal = ResearchProposal.propose(
            ctx,
            id or uuid4(),
            year=year,
            body=body,
            themes=self.themes(year),
            organisation_id=organisation_id,
        )
        return self._save(proposal)

    def update(
        self, ctx: Context, id: UUID, body: ProposalBody, expected_version: int | None = None
    ) -> Outcome:
        p = self._for_write(id, expected_version)
        p.update(ctx, body, self.themes(p.year))
        return self._save(p)

    def submit(self, ctx: Context, id: UUID) -> Outcome:
        p = self.proposal(id)
        p.submit(ctx, self.themes(p.year))
        return self._save(p)

    def withdraw(self, ctx: Context, id: UUID, reason: str) -> Outcome:
        p = self.proposal(id)
        p.withdraw(ctx, reason)
        return self._save(p)

    def assign_reviewer(self, ctx: Context, id: UUID, reviewer_id: UUID) -> Outcome:
        try:
            reviewer = self.store.load(Account, reviewer_id)
        except NotFound:
            raise InvalidValue("reviewer_id", "Akun penelaah tidak ditemukan.") from None
        if reviewer.role != Role.REVIEWER or reviewer.disabled:
            raise InvalidValue(
                "reviewer_id", f"Akun '{reviewer.username}' bukan penelaah (verifikator) aktif."
            )
        p = self.proposal(id)
        p.assign_reviewer(ctx, reviewer_id, reviewer.organisation_id)
        return self._save(p)

    def score(
        self, ctx: Context, id: UUID, scores: tuple[CriterionScore, ...], note: str = ""
    ) -> Outcome:
        p = self.proposal(id)
        p.score(ctx, scores, note)
        return self._save(p)

    def request_revision(self, ctx: Context, id: UUID, note: str) -> Outcome:
        p = self.proposal(id)
        p.request_revision(ctx, note)
        return self._save(p)

    def approve(
        self, ctx: Context, id: UUID, note: str = "", budget_ceiling: Decimal | None = None
    ) -> Outcome:
        p = self.proposal(id)
        p.approve(ctx, note, budget_ceiling)
        return self._save(p)

    def reject(self, ctx: Context, id: UUID, reason: str) -> Outcome:
        p = self.proposal(id)
        p.reject(ctx, reason)
        return self._save(p)

    def start(
        self, ctx: Context, id: UUID, mode: str, started_on: date, contract_number: str = ""
    ) -> Outcome:
        p = self.proposal(id)
        p.start(ctx, mode, started_on, contract_number)
        return self._save(p)

    def report_progress(
        self,
        ctx: Context,
        id: UUID,
        milestone: str,
        progress: int,
        reported_on: date,
        summary: str = "",
    ) -> Outcome:
        p = self.proposal(id)
        p.report_progress(ctx, milestone, progress, reported_on, summary)
        return self._save(p)

    def add_output(self, ctx: Context, id: UUID, output: Output) -> Outcome:
        p = self.proposal(id)
        p.add_output(ctx, output)
        return self._save(p)

    def attach_output_file(
        self, ctx: Context, id: UUID, output_id: UUID, file: OutputFile
    ) -> Outcome:
        p = self.proposal(id)
        p.attach_output_file(ctx, output_id, file)
        return self._save(p)

    def complete(self, ctx: Context, id: UUID, note: str = "") -> Outcome:
        p = self.proposal(id)
        p.complete(ctx, note)
        return self._save(p)

    def disseminate(
        self,
        ctx: Context,
        id: UUID,
        forum: str,
        held_on: date,
        recipients: tuple[UUID, ...] = (),
        note: str = "",
    ) -> Outcome:
        p = self.proposal(id)
        p.disseminate(ctx, forum, held_on, recipients, note)
        return self._save(p)

    def record_follow_up(
        self,
        ctx: Context,
        id: UUID,
        output_id: UUID,
        recommendation: int,
        organisation_id: UUID,
        status: FollowUpStatus,
        note: str = "",
    ) -> Outcome:
        p = self.proposal(id)
        p.record_follow_up(ctx, output_id, recommendation, organisation_id, status, note)
        return self._save(p)

    def link_innovation(
        self, ctx: Context, id: UUID, innovation_id: UUID, link: LinkKind, note: str = ""
    ) -> Outcome:
        p = self.proposal(id)
        p.link_innovation(ctx, innovation_id, link, note)
        return self._save(p)
