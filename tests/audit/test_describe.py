"""describe(): every topic of the catalogue reads as a Bahasa Indonesia line, no secrets leak."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import msgspec
import msgspec.inspect as mi
import pytest

from services.audit.describe import AuditLine, describe, described_topics, jakarta_time
from services.domain import events as ev
from services.domain.actor import Actor, Role
from services.domain.innovation import Innovation
from services.domain.values import Design, IndicatorVerdict, Profile, ProfilePatch, RevisionItem
from tests.factories import complete_profile, document

WHEN = datetime(2025, 3, 5, 7, 3, 22, tzinfo=UTC)  # 14.03.22 WIB
SECRET = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0$SECRETHASHVALUE"


def _sample(t: mi.Type) -> Any:
    """A plausible value for any field type used by the catalogue."""
    match t:
        case mi.UnionType(types=types):
            return _sample(next(x for x in types if not isinstance(x, mi.NoneType)))
        case mi.UUIDType():
            return uuid4()
        case mi.IntType():
            return 2
        case mi.StrType():
            return "catatan"
        case mi.BoolType():
            return True
        case mi.DateTimeType():
            return WHEN
        case mi.DateType():
            return date(2025, 3, 5)
        case mi.DecimalType():
            return Decimal("1000")
        case mi.EnumType(cls=cls):
            return next(iter(cls))
        case mi.LiteralType(values=values):
            return values[0]
        case mi.TupleType() | mi.VarTupleType() | mi.ListType():
            return ()
        case mi.StructType(cls=cls) if cls is Profile:
            return complete_profile()
        case mi.StructType(cls=cls) if cls.__name__ == "Document":
            return document(indicator=1)
        case mi.StructType(cls=cls) if cls is ProfilePatch:
            return ProfilePatch(title="Judul baru", design=Design(problem="masalah baru"))
        case mi.StructType(cls=cls):
            return cls(**{f.name: _sample(f.type) for f in mi.type_info(cls).fields if f.required})
    raise AssertionError(f"no sample for {t}")


def sample_event(cls: type[ev.Event]) -> ev.Event:
    info = mi.type_info(cls)
    values: dict[str, Any] = {}
    for f in info.fields:
        if f.name in ("originator_id", "originator_version", "timestamp", "actor"):
            continue
        if f.name == "password_hash":
            values[f.name] = SECRET
        elif f.required:
            values[f.name] = _sample(f.type)
    if cls is ev.Scored:
        values["indicators"] = (IndicatorVerdict(no=1, level=3),)
    if cls is ev.RevisionRequested:
        values["items"] = (RevisionItem(kind="document", key="sk", note="SK belum ditandatangani"),)
    return cls(
        originator_id=uuid4(),
        originator_version=2,
        timestamp=WHEN,
        actor=Actor(account_id=uuid4(), role=Role.ADMIN),
        correlation_id="req-1",
        **values,
    )


#: The domain's topics; a test module imported first may have registered its own (test_store).
DOMAIN_TOPICS = sorted(t for t, c in ev.CATALOGUE.items() if not c.__module__.startswith("tests."))


@pytest.mark.parametrize("topic", DOMAIN_TOPICS)
def test_every_topic_has_a_description(topic: str) -> None:
    assert topic in described_topics()
    line = describe(sample_event(ev.CATALOGUE[topic]), None, who="budi")
    assert isinstance(line, AuditLine)
    assert line.summary.startswith("Admin budi ")
    assert line.summary.endswith("(5 Maret 2025 14.03.22 WIB).")
    assert type(ev.CATALOGUE[topic]).__name__ not in line.summary
    encoded = msgspec.json.encode(line).decode()
    assert SECRET not in encoded
    assert "argon2" not in encoded


def test_profile_update_has_field_level_before_and_after() -> None:
    before = complete_profile("Si Cepat")
    event = sample_event(ev.ProfileUpdated)
    line = describe(event, before)
    by_field = {c.field: c for c in line.changes}
    assert by_field["title"].before == "Si Cepat"
    assert by_field["title"].after == "Judul baru"
    assert by_field["title"].label == "Nama inovasi"
    # Nested design: only the section that changed, flattened.
    assert by_field["design.problem"].after == "masalah baru"
    assert by_field["design.problem"].before == before.design.problem
    assert "Nama inovasi" in line.summary


def test_without_before_the_before_side_is_unknown() -> None:
    line = describe(sample_event(ev.ProfileUpdated), None)
    assert {c.field for c in line.changes} >= {"title"}
    assert all(c.before is None for c in line.changes)
    assert "akun " in line.summary  # no name given: the account's short id


def test_status_change_and_claim_level_read_from_the_aggregate() -> None:
    innovation = Innovation(uuid4())
    proposed = sample_event(ev.Proposed)
    proposed = msgspec.structs.replace(
        proposed, originator_id=innovation.id, originator_version=1, rubric_year=2025
    )
    innovation.apply(proposed)
    claim = ev.IndicatorClaimed(
        originator_id=innovation.id,
        originator_version=2,
        timestamp=WHEN,
        actor=Actor(account_id=uuid4(), role=Role.OPERATOR),
        no=1,
        level=3,
    )
    line = describe(claim, innovation)
    change = next(c for c in line.changes if c.field == "claims.1.level")
    assert (change.before, change.after) == (0, 3)
    assert change.label.startswith("Indikator 1 ")
    assert "Operator" in line.summary and "'Si Cepat Adminduk'" in line.summary


def test_system_actor_and_jakarta_time() -> None:
    e = msgspec.structs.replace(sample_event(ev.OrganisationRegistered), actor=Actor.system())
    assert describe(e).summary.startswith("Sistem mendaftarkan organisasi")
    assert jakarta_time(datetime(2025, 12, 31, 17, 0, tzinfo=UTC)) == "1 Januari 2026 00.00.00 WIB"


def test_a_document_marked_public_says_so() -> None:
    """Issue 15 item 8: auditors see which documents were put on the public face, and by whom."""
    event = msgspec.structs.replace(
        sample_event(ev.DocumentAttached),
        document=msgspec.structs.replace(document(), public=True),
    )
    line = describe(event, None, who="budi")
    assert ", terbuka untuk umum pada " in line.summary
    assert line.changes[0].after["public"] is True  # type: ignore[index]
    private = describe(sample_event(ev.DocumentAttached), None, who="budi")
    assert "terbuka untuk umum" not in private.summary


def test_care_files_and_moved_visits_read_with_hash_and_reason() -> None:
    photo = ev.FileRef(
        id=uuid4(),
        name="loket.png",
        content_type="image/png",
        size=2048,
        sha256="ab" * 32,
        storage_key="ab/" + "ab" * 32,
        caption="Antrean di loket",
    )
    stamp: dict[str, Any] = {
        "originator_id": uuid4(),
        "originator_version": 2,
        "timestamp": WHEN,
        "actor": Actor(account_id=uuid4(), role=Role.REVIEWER),
        "innovation_id": uuid4(),
    }
    moved = ev.MonevVisitRescheduled(
        **stamp,
        visit_id=uuid4(),
        due_on=date(2025, 3, 20),
        previous_due_on=date(2025, 3, 10),
        reason="Bentrok rapat",
    )
    line = describe(moved, None, who="sari")
    assert "dari 10 Maret 2025 ke 20 Maret 2025 (alasan: Bentrok rapat)" in line.summary
    photo_line = describe(ev.MonevPhotoAttached(**stamp, photo=photo, visit_id=uuid4()), None)
    assert "foto kunjungan monev" in photo_line.summary
    assert "loket.png (2048 bita, SHA-256 abababababab…) — Antrean di loket" in photo_line.summary
    attached = describe(
        ev.MentoringAttachmentAdded(**stamp, session_id=uuid4(), attachment=photo), None
    )
    assert "melampirkan berkas pada sesi pendampingan" in attached.summary
    assert "loket.png (2048 bita" in attached.summary
