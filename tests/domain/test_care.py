"""The care records' new rules on the pure domain: a monev visit moved (not into the past, with a
reason) or cancelled (reasons; then nothing more), photos of visits and reports (types, alt
text, count), session attachments (who may add them), and which records evidence which
indicator at which level (one rule: services/domain/care_evidence.py)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from services.domain.actor import Role
from services.domain.care_evidence import bimtek_level, offers
from services.domain.care_files import MAX_PHOTOS
from services.domain.errors import IllegalTransition, InvalidValue, NotAllowed
from services.domain.events import FileRef, MonevVisitCancelled, MonevVisitRescheduled
from services.domain.lifecycle import Status
from services.domain.mentoring import Mentoring, Mode
from services.domain.monev import Monev
from services.domain.monev_visits import VisitStatus
from services.domain.rubric import load_rubric
from tests.domain.test_mentoring import MENTOR, OPERATOR, OTHER_OPERATOR, assigned, session
from tests.domain.test_monev import ADMIN, ORG, REVIEWER, TODAY, ctx, report
from tests.domain.test_monev import OPERATOR as MONEV_OPERATOR

E = Status.ESTABLISHED


def _file(content_type: str = "image/png", caption: str = "Loket layanan") -> FileRef:
    return FileRef(
        id=uuid4(),
        name="foto.png",
        content_type=content_type,
        size=1024,
        sha256="ab" * 32,
        storage_key="ab/" + "ab" * 32,
        caption=caption,
    )


def _with_visit() -> tuple[Monev, UUID]:
    m = Monev.start(uuid4(), ORG)
    visit = uuid4()
    m.schedule_visit(
        ctx(ADMIN), status=E, visit_id=visit, due_on=TODAY + timedelta(5), kind="rapat"
    )
    return m, visit


def test_a_visit_moved_then_cancelled_replays_and_accepts_nothing_more() -> None:
    m, visit = _with_visit()
    later = TODAY + timedelta(days=20)
    m.reschedule_visit(ctx(REVIEWER), status=E, visit_id=visit, due_on=later, reason=" Cuti ")
    v = m.visits[visit]
    assert (v.due_on, v.first_due_on, v.reason) == (later, TODAY + timedelta(5), "Cuti")
    m.cancel_visit(ctx(ADMIN), status=E, visit_id=visit, reason="Digabung")
    assert v.status == VisitStatus.CANCELLED and m.open_visits() == []
    events = m.collect_events()
    assert [type(e) for e in events[1:]] == [MonevVisitRescheduled, MonevVisitCancelled]
    replayed = Monev(m.id)
    for e in events:
        replayed.apply(e)
    assert replayed.visits == m.visits
    for attempt in (
        lambda: m.cancel_visit(ctx(ADMIN), status=E, visit_id=visit, reason="lagi"),
        lambda: m.reschedule_visit(ctx(ADMIN), status=E, visit_id=visit, due_on=later, reason="x"),
        lambda: m.attach_photo(ctx(ADMIN), status=E, photo=_file(), visit_id=visit),
        lambda: report(m, visit_id=visit),
    ):
        with pytest.raises(InvalidValue, match="Dibatalkan"):
            attempt()
    assert m.pending_events == ()


@pytest.mark.parametrize(
    ("due", "reason", "words"),
    [
        (TODAY - timedelta(days=1), "x", "masa lalu"),
        (TODAY + timedelta(days=5), "x", "sama"),
        (TODAY + timedelta(days=9), "  ", "Alasan"),
    ],
)
def test_bad_reschedules_record_nothing(due: date, reason: str, words: str) -> None:
    m, visit = _with_visit()
    m.collect_events()
    with pytest.raises(InvalidValue, match=words):
        m.reschedule_visit(ctx(ADMIN), status=E, visit_id=visit, due_on=due, reason=reason)
    assert m.pending_events == ()


def test_the_organisation_neither_moves_nor_photographs() -> None:
    m, visit = _with_visit()
    with pytest.raises(IllegalTransition):
        m.cancel_visit(ctx(MONEV_OPERATOR), status=E, visit_id=visit, reason="x")
    with pytest.raises(IllegalTransition):
        m.attach_photo(ctx(MONEV_OPERATOR), status=E, photo=_file(), visit_id=visit)


def test_photos_need_a_photo_type_alt_text_one_target_and_stop_at_the_limit() -> None:
    m, visit = _with_visit()
    with pytest.raises(InvalidValue, match="JPEG, PNG, WebP"):
        m.attach_photo(ctx(ADMIN), status=E, photo=_file("application/pdf"), visit_id=visit)
    with pytest.raises(InvalidValue, match="teks alternatif"):
        m.attach_photo(ctx(ADMIN), status=E, photo=_file(caption=" "), visit_id=visit)
    with pytest.raises(InvalidValue, match="satu kunjungan atau satu laporan"):
        m.attach_photo(ctx(ADMIN), status=E, photo=_file())
    for _ in range(MAX_PHOTOS):
        m.attach_photo(ctx(ADMIN), status=E, photo=_file("image/webp"), visit_id=visit)
    with pytest.raises(InvalidValue, match=f"Paling banyak {MAX_PHOTOS}"):
        m.attach_photo(ctx(ADMIN), status=E, photo=_file(), visit_id=visit)
    assert len(m.photos_of(visit)) == MAX_PHOTOS


def test_session_attachments_by_mentor_or_owning_operator() -> None:
    m = assigned()
    session(m)
    sid = m.sessions[0].id
    m.attach_file(ctx(MENTOR), session_id=sid, file=_file("application/pdf", caption=""))
    m.attach_file(ctx(OPERATOR), session_id=sid, file=_file())
    with pytest.raises(NotAllowed):
        m.attach_file(ctx(OTHER_OPERATOR), session_id=sid, file=_file())
    with pytest.raises(InvalidValue, match="teks alternatif"):
        m.attach_file(ctx(MENTOR), session_id=sid, file=_file(caption=""))
    with pytest.raises(InvalidValue, match="tidak ditemukan"):
        m.attach_file(ctx(MENTOR), session_id=uuid4(), file=_file())
    replayed = Mentoring(m.id)
    for e in m.collect_events():
        replayed.apply(e)
    assert [f.content_type for f in replayed.attachments_of(sid)] == [
        "application/pdf",
        "image/png",
    ]


def test_care_records_evidence_bimtek_and_monev_at_their_levels() -> None:
    rubric = load_rubric(2025)
    marked = {i.no: i.care_evidence for i in rubric.indicators if i.care_evidence}
    assert marked == {5: "mentoring", 19: "monev"}
    assert [bimtek_level(n) for n in (0, 1, 2, 3, 7)] == [0, 1, 2, 3, 3]
    mentoring = assigned()
    session(mentoring, mode=Mode.BIMTEK)
    session(mentoring, mode=Mode.BIMTEK, held_on=TODAY - timedelta(days=800))  # too old
    session(mentoring, mode=Mode.KLINIK)
    monev = Monev.start(uuid4(), ORG)
    report(monev, kind="internal")
    report(monev, kind="skm")
    found = offers(rubric, mentoring, monev, TODAY)
    assert (found[5].level, len(found[5].records)) == (1, 1)
    assert (found[19].level, len(found[19].records)) == (2, 2)
    assert "mendukung level 2" in found[19].summary
    empty = offers(rubric, None, None, TODAY)
    assert empty[5].level == 0 and empty[19].records == ()


def test_role_table_keeps_the_organisation_reading() -> None:
    from services.domain.monev import RULES

    assert all(Role.OPERATOR not in roles for roles in RULES.values())
