"""The one label table: every code the system stores (status, command, event, role, category)
with the Bahasa Indonesia label people read.

The labels are data (``reference/labels.json``); pages, the audit text and the API's display
fields all read them here, so a code is named the same way everywhere. ``tests/domain/
test_labels.py`` enumerates the domain's codes and fails on one without a label.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import Enum
from importlib import resources
from typing import Any


def _load() -> dict[str, dict[str, str]]:
    raw = resources.files("services.domain.reference").joinpath("labels.json").read_bytes()
    data = json.loads(raw)
    return {name: table for name, table in data.items() if not name.startswith("_")}


TABLES: Mapping[str, dict[str, str]] = _load()

STATUS = TABLES["status"]
COMMAND = TABLES["command"]
EVENT = TABLES["event"]
ROLE = TABLES["role"]  # short, in running text: "Verifikator Sri Wahyuni"
ROLE_TITLE = TABLES["role_title"]  # long, on its own: the header, the 403 page
STAGE = TABLES["stage"]
INITIATOR = TABLES["initiator"]
INNOVATION_KIND = TABLES["innovation_kind"]
FORM = TABLES["form"]
THEME = TABLES["theme"]
KRENOVA_FIELD = TABLES["krenova_field"]
PARTICIPANT_CATEGORY = TABLES["participant_category"]
CALL_KIND = TABLES["call_kind"]
ORGANISATION_KIND = TABLES["organisation_kind"]
DOCUMENT_KIND = TABLES["document_kind"]
DOCUMENT_VERDICT = TABLES["document_verdict"]
RECOMMENDATION = TABLES["recommendation"]
ADMINISTRATION = TABLES["administration"]
REVISION_ITEM = TABLES["revision_item"]
MINISTRY_VERDICT = TABLES["ministry_verdict"]
AWARD = TABLES["award"]
PROFILE_FIELD = TABLES["profile_field"]
SPD_ROW_STATUS = TABLES["spd_row_status"]
RECORD_KIND = TABLES["record_kind"]  # the aggregate a "not found" names
MONEV_VISIT_STATUS = TABLES["monev_visit_status"]
MONEV_VISIT_COMMAND = TABLES["monev_visit_command"]  # a verb, in running text
MONEV_COMMAND = TABLES["monev_command"]
MENTORING_COMMAND = TABLES["mentoring_command"]


def _code(value: Any) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def label(table: Mapping[str, str], code: Any) -> str:
    """The label of ``code`` in ``table``; the code itself if the table does not know it."""
    return table.get(_code(code), _code(code))


# Which table names the values of a changed field (audit changes, diffs). "kind" is the profile's
# jenis, a call's kind or an organisation's kind: their codes do not overlap.
_FIELD_TABLES: dict[str, Mapping[str, str]] = {
    "status": STATUS,
    "stage": STAGE,
    "initiator": INITIATOR,
    "kind": {**INNOVATION_KIND, **CALL_KIND, **ORGANISATION_KIND},
    "form": FORM,
    "theme": THEME,
    "krenova.field": KRENOVA_FIELD,
    "krenova.participant_category": PARTICIPANT_CATEGORY,
    "recommendation": RECOMMENDATION,
    "administration": ADMINISTRATION,
    "ministry_verdict": MINISTRY_VERDICT,
    "award": AWARD,
    "role": ROLE,
    "verdict": DOCUMENT_VERDICT,
    "eligible_kinds": ORGANISATION_KIND,
    "required_documents": DOCUMENT_KIND,
}
_LAST_PART = re.compile(r"^documents\.[^.]+\.(?P<part>verdict|kind)$")


def value_label(field: str, value: Any) -> Any:
    """A changed field's value as people read it: codes to labels, yes/no for flags; other
    values (names, numbers, dates, free text) unchanged."""
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    match = _LAST_PART.match(field)
    key = ("verdict" if match.group("part") == "verdict" else "document_kind") if match else field
    table = DOCUMENT_KIND if key == "document_kind" else _FIELD_TABLES.get(key)
    if table is None or value is None:
        return value
    if isinstance(value, list | tuple):
        return [label(table, v) for v in value]
    if isinstance(value, str | Enum):
        return label(table, value)
    return value
