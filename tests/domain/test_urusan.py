"""The fixed urusan list, matching old free text to codes, and what the innovation accepts."""

from __future__ import annotations

import msgspec
import pytest

from services.domain import urusan
from services.domain.errors import InvalidValue
from services.domain.events import ProfileUpdated, Proposed
from services.domain.profile_checks import field_checks
from services.domain.values import ProfilePatch
from services.eventstore.store import MsgspecMapper, decode_event
from tests.domain.test_innovation import OPERATOR, ctx, propose
from tests.factories import complete_profile


def test_the_reference_holds_the_38_iga_urusan_with_their_groups() -> None:
    items = urusan.all_urusan()
    assert [u.no for u in items] == list(range(1, 39))
    assert items[0].code == "1.01" and items[31].code == "3.32"
    assert [u.code for u in items[32:37]] == ["5.01", "5.02", "5.03", "5.04", "5.05"]
    assert items[37].code == "fungsi_lain"
    basic = [u.code for u in items if u.group == "wajib pelayanan dasar"]
    assert basic == ["1.01", "1.02", "1.03", "1.04", "1.05", "1.06"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Kesehatan", "1.02"),
        ("  KESEHATAN ", "1.02"),
        ("Pendídikan", "1.01"),  # accents folded
        ("Pendidikan dan Pelatihan", "5.04"),  # the longer name wins, not the prefix
        ("Administrasi Kependudukan", "2.12"),  # an unambiguous beginning
        ("Ketenteraman, Ketertiban Umum & Perlindungan Masyarakat", "1.05"),  # spelling variant
        ("PUPR", "1.03"),
        ("2.16", "2.16"),
        ("38", "fungsi_lain"),
        ("Pelayanan publik", None),
        ("Pemberdayaan", None),  # one word is never enough for a prefix
        ("", None),
    ],
)
def test_free_text_is_matched_to_a_code_or_to_nothing(text: str, code: str | None) -> None:
    assert urusan.match(text) == code


def _stored_v1(event: Proposed | ProfileUpdated, old_fields: dict[str, object]) -> bytes:
    """The JSON an event of class version 1 was stored as: the old free-text fields."""
    state = msgspec.to_builtins(event)
    target = state["profile"] if isinstance(event, Proposed) else state["changes"]
    for key in ("urusan", "urusan_lain", "urusan_unmatched", "urusan_lain_unmatched"):
        target.pop(key, None)
    target.update(old_fields)
    state.pop("carried_from", None)
    return msgspec.json.encode(state)


def test_old_proposals_are_upcast_and_unmatched_text_is_kept_visibly() -> None:
    innovation = propose()
    proposed = innovation.pending_events[0]
    assert isinstance(proposed, Proposed)
    old = _stored_v1(
        proposed,
        {"affair": "Pelayanan publik", "other_affairs": ["Kesehatan", "Sosial", "Ekonomi kreatif"]},
    )
    decoded = decode_event(Proposed.TOPIC, old)
    assert isinstance(decoded, Proposed)
    p = decoded.profile
    assert p.urusan == "" and p.urusan_unmatched == "Pelayanan publik"
    assert p.urusan_lain == ("1.02", "1.06")
    assert p.urusan_lain_unmatched == ("Ekonomi kreatif",)
    assert urusan.text(p.urusan, p.urusan_unmatched) == "Pelayanan publik (perlu dipilih ulang)"


def test_an_old_profile_change_is_upcast_only_in_the_fields_it_changed() -> None:
    innovation = propose()
    innovation.update_profile(ctx(OPERATOR), ProfilePatch(goals="baru"))
    updated = innovation.pending_events[-1]
    assert isinstance(updated, ProfileUpdated)
    decoded = decode_event(ProfileUpdated.TOPIC, _stored_v1(updated, {"affair": "kesehatan"}))
    assert isinstance(decoded, ProfileUpdated)
    assert decoded.changes.changed() == {
        "goals": "baru",
        "urusan": "1.02",
        "urusan_unmatched": "",
    }


def test_new_events_are_stored_as_version_2_and_read_back_unchanged() -> None:
    innovation = propose(msgspec.structs.replace(complete_profile(), urusan_lain=("1.02",)))
    proposed = innovation.pending_events[0]
    stored = MsgspecMapper().to_stored_event(proposed)
    assert msgspec.json.decode(stored.state)["class_version"] == 2
    assert decode_event(Proposed.TOPIC, stored.state) == proposed


def test_unknown_or_repeated_codes_are_refused() -> None:
    with pytest.raises(InvalidValue, match="tidak ada dalam daftar urusan"):
        propose(msgspec.structs.replace(complete_profile(), urusan="Kesehatan"))
    innovation = propose()
    with pytest.raises(InvalidValue, match="9.99"):
        innovation.update_profile(ctx(OPERATOR), ProfilePatch(urusan_lain=("1.02", "9.99")))
    with pytest.raises(InvalidValue, match="berulang"):
        innovation.update_profile(ctx(OPERATOR), ProfilePatch(urusan_lain=("1.02", "1.02")))
    with pytest.raises(InvalidValue, match="Urusan utama"):
        innovation.update_profile(ctx(OPERATOR), ProfilePatch(urusan_lain=("2.12",)))
    with pytest.raises(InvalidValue, match="data lama"):
        innovation.update_profile(ctx(OPERATOR), ProfilePatch(urusan_unmatched="bebas"))


def test_choosing_a_code_settles_the_old_text_and_completeness_asks_for_it() -> None:
    innovation = propose()
    old = Proposed(**{**msgspec.structs.asdict(innovation.pending_events[0])})
    legacy = decode_event(
        Proposed.TOPIC, _stored_v1(old, {"affair": "Pelayanan publik", "other_affairs": []})
    )
    restored = type(innovation).replay([legacy])
    assert restored is not None
    assert (
        field_checks(restored.profile, restored.call_kind, restored.rubric_year)["urusan"] is False
    )  # must be re-chosen before submitting
    restored.update_profile(ctx(OPERATOR), ProfilePatch(urusan="2.12"))
    assert restored.profile.urusan == "2.12" and restored.profile.urusan_unmatched == ""
    assert (
        field_checks(restored.profile, restored.call_kind, restored.rubric_year)["urusan"] is True
    )
    changed = restored.pending_events[-1]
    assert isinstance(changed, ProfileUpdated)
    assert changed.changes.changed()["urusan_unmatched"] == ""  # the audit trail shows it
