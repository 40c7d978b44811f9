"""The one label table: every code the domain stores has a Bahasa Indonesia label.

The codes are enumerated from the domain itself (enums, the event catalogue, the profile's
fields), so a new status, command, event, role or category without a label fails here.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec
import pytest

from services.domain import events as ev
from services.domain import labels
from services.domain.actor import Role
from services.domain.lifecycle import Command, Status
from services.domain.mentoring import MentoringCommand
from services.domain.ministry import MinistryVerdict
from services.domain.monev import MonevCommand
from services.domain.monev_visits import VisitCommand, VisitStatus
from services.domain.values import (
    Award,
    CallKind,
    DocumentKind,
    Initiator,
    InnovationForm,
    InnovationKind,
    KrenovaField,
    OrganisationKind,
    ParticipantCategory,
    Profile,
    Stage,
    Theme,
)

ENUM_TABLES: list[tuple[type[StrEnum], dict[str, str]]] = [
    (Status, labels.STATUS),
    (Command, labels.COMMAND),
    (Role, labels.ROLE),
    (Role, labels.ROLE_TITLE),
    (Stage, labels.STAGE),
    (Initiator, labels.INITIATOR),
    (InnovationKind, labels.INNOVATION_KIND),
    (InnovationForm, labels.FORM),
    (Theme, labels.THEME),
    (KrenovaField, labels.KRENOVA_FIELD),
    (ParticipantCategory, labels.PARTICIPANT_CATEGORY),
    (CallKind, labels.CALL_KIND),
    (OrganisationKind, labels.ORGANISATION_KIND),
    (DocumentKind, labels.DOCUMENT_KIND),
    (MinistryVerdict, labels.MINISTRY_VERDICT),
    (Award, labels.AWARD),
    (VisitStatus, labels.MONEV_VISIT_STATUS),
    (VisitCommand, labels.MONEV_VISIT_COMMAND),
    (MonevCommand, labels.MONEV_COMMAND),
    (MentoringCommand, labels.MENTORING_COMMAND),
]


def _concrete_events() -> list[type[ev.Event]]:
    """Every event class of the catalogue that is not a base of others."""
    classes = [c for c in vars(ev).values() if isinstance(c, type) and issubclass(c, ev.Event)]
    return [c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)]


def _profile_leaves() -> list[str]:
    leaves = []
    for field in msgspec.structs.fields(Profile):
        nested = msgspec.inspect.type_info(field.type)
        struct = next(
            (
                t
                for t in getattr(nested, "types", (nested,))
                if isinstance(t, msgspec.inspect.StructType)
            ),
            None,
        )
        if struct is not None and field.name in ("design", "budget", "krenova"):
            leaves += [f"{field.name}.{f.name}" for f in struct.fields]
        else:
            leaves.append(field.name)
    return leaves


@pytest.mark.parametrize(("enum", "table"), ENUM_TABLES, ids=lambda x: getattr(x, "__name__", ""))
def test_every_code_of_each_enum_has_a_label(enum: type[StrEnum], table: dict[str, str]) -> None:
    missing = [m.value for m in enum if not table.get(m.value, "").strip()]
    assert not missing, f"{enum.__name__} without a label: {missing}"


def test_every_event_type_has_a_label() -> None:
    events = _concrete_events()
    assert len(events) > 40  # the enumeration found the catalogue
    missing = [c.__name__ for c in events if c.__name__ not in labels.EVENT]
    assert not missing, f"events without a label: {missing}"
    assert set(labels.EVENT) <= {c.__name__ for c in events}, "a label for no event"


def test_every_profile_field_has_a_label() -> None:
    leaves = _profile_leaves()
    assert "design.legal_basis" in leaves and "krenova.abstract" in leaves
    missing = [leaf for leaf in leaves if leaf not in labels.PROFILE_FIELD]
    assert not missing, f"profile fields without a label: {missing}"


def test_every_aggregate_a_not_found_can_name_has_a_label() -> None:
    from services.domain.call import Call
    from services.domain.innovation import Innovation
    from services.domain.organisation import Account, Organisation

    for aggregate in (Innovation, Call, Account, Organisation):
        assert aggregate.__name__ in labels.RECORD_KIND


def test_labels_are_bahasa_text_not_codes() -> None:
    for name, table in labels.TABLES.items():
        for code, text in table.items():
            assert text.strip() and "_" not in text, f"{name}.{code}: {text!r}"


def test_value_label_names_codes_and_leaves_other_values() -> None:
    assert labels.value_label("status", "revision_requested") == "Perlu Perbaikan"
    assert labels.value_label("profile.stage".removeprefix("profile."), "penerapan") == "Penerapan"
    assert labels.value_label("initiator", "kepala_daerah") == "Kepala Daerah"
    assert labels.value_label("form", "tata_kelola").startswith("Inovasi tata kelola")
    assert labels.value_label("recommendation", "approve") == "Setujui"
    assert labels.value_label("documents.9af28f1c.verdict", "accepted") == "Diterima"
    assert labels.value_label("required_documents", ["sk", "sop"]) == ["SK", "SOP"]
    assert labels.value_label("published", True) == "Ya"
    assert labels.value_label("title", "penerapan") == "penerapan"  # free text stays as typed
    assert labels.value_label("status", None) is None
    assert labels.label(labels.STATUS, "unknown_code") == "unknown_code"
