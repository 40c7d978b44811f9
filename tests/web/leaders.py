"""The leadership accounts and a year with something in every section of the summary: an
established innovation with an overdue monev visit and a report, an overdue mentoring
follow-up, a research agenda and a submitted proposal, one SPD row filled and verified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import jakarta_today
from services.domain.events import FollowUpItem
from services.domain.values import DocumentKind, SpdValues
from services.identity.passwords import hash_password
from services.mentoring.service import MentoringCommands
from services.monev.service import MonevCommands
from services.research.service import ResearchCommands
from services.spd.service import SpdCommands
from tests.research.factories import THEME, complete_body
from tests.web.world import PASSWORD, WebWorld

SPD_ROW = "4"  # a Bappeda row the admin fills (APBD for research and innovation)


class Leaders:
    """What the seed made, for the tests to look for."""

    def __init__(self, world: WebWorld) -> None:
        self.world = world
        self.year = world.now.year
        system = Context(actor=Actor.system(), correlation_id="leaders-seed")
        hashed = hash_password(PASSWORD)
        self.bupati = world._account(system, "bupati", Role.PIMPINAN, None, hashed)
        self.head = world._account(
            system, "kepala.bappeda", Role.PIMPINAN, world.bappeda_id, hashed
        )
        self.innovation = world.published("Posyandu Digital Dipantau")
        self.follow_up = "Lengkapi data sasaran balita"
        self._monev()
        self._mentoring()
        self.proposal = self._research()
        self._spd()
        runtime = world.runtime
        runtime.read_models.wait_for(runtime.store.max_notification_id(), 10)

    def _monev(self) -> None:
        w = self.world
        innovation = w.runtime.commands.innovation(self.innovation)
        monev = MonevCommands(w.runtime.store, w.runtime.commands)
        past = Context(actor=w.reviewer, now=datetime.now(UTC) - timedelta(days=20))
        monev.schedule_visit(
            past,
            innovation,
            visit_id=uuid4(),
            due_on=jakarta_today() - timedelta(days=6),
            kind="kunjungan",
        )
        monev.record_report(
            w.ctx(w.reviewer),
            innovation,
            report_id=uuid4(),
            kind="internal",
            reported_on=jakarta_today(),
            findings="Cakupan naik, data belum rapi.",
            recommendation="perbaiki",
        )

    def _mentoring(self) -> None:
        w = self.world
        innovation = w.runtime.commands.innovation(self.innovation)
        MentoringCommands(w.runtime.store, w.runtime.commands).record_session(
            w.ctx(w.admin),
            innovation,
            session_id=uuid4(),
            held_on=jakarta_today() - timedelta(days=10),
            mode="klinik",
            attendees=["Operator Dukcapil"],
            topics=["Data sasaran"],
            follow_ups=[
                FollowUpItem(
                    id=uuid4(), text=self.follow_up, due=jakarta_today() - timedelta(days=3)
                )
            ],
        )

    def _research(self) -> UUID:
        w = self.world
        research = ResearchCommands(w.runtime.store)
        research.set_theme(w.ctx(w.admin), self.year, THEME)
        op = w.ctx(w.operator)
        pid = research.propose(op, year=self.year, body=complete_body("Kajian Posyandu")).id
        research.submit(op, pid)
        return pid

    def _spd(self) -> None:
        w = self.world
        spd = SpdCommands(w.runtime.store)
        admin = w.ctx(w.admin)
        spd.fill(
            admin,
            self.year,
            SPD_ROW,
            SpdValues(t1=Decimal("38500000"), t2=Decimal("36900000")),
            assign=True,
            owner=w.bappeda_id,
        )
        spd.attach(admin, self.year, SPD_ROW, w.pdf(DocumentKind.REPORT, None))
        spd.submit(admin, self.year, SPD_ROW)
        spd.verify(admin, self.year, SPD_ROW, accepted=True, note="sesuai APBD")
