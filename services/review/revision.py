"""Revision items must point at something real, so the operator sees exactly what to fix."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from services.domain.errors import InvalidValue
from services.domain.innovation import FIELD_LABELS, Innovation
from services.domain.rubric import DOCUMENT_KINDS, Rubric
from services.domain.values import PROFILE_FIELDS, Budget, Design, RevisionItem

MAX_ITEMS = 60

FIELD_KEYS: frozenset[str] = frozenset(
    {
        *FIELD_LABELS,
        *PROFILE_FIELDS,
        *(f"design.{name}" for name in Design.__struct_fields__),
        *(f"budget.{name}" for name in Budget.__struct_fields__),
    }
)


def check_items(innovation: Innovation, rubric: Rubric, items: Sequence[RevisionItem]) -> None:
    """Refuse an item whose key names no field, document or indicator of this innovation.

    A document item names a live document (its id) or a kind of document still to supply
    ("sk", "sop", …); an indicator item names an indicator number of the innovation's rubric.
    """
    if len(items) > MAX_ITEMS:
        raise InvalidValue("items", f"Paling banyak {MAX_ITEMS} butir perbaikan per putaran.")
    indicators = {str(ind.no) for ind in rubric.indicators}
    for item in items:
        key = item.key.strip()
        if item.kind == "field":
            if key not in FIELD_KEYS:
                raise InvalidValue("items", f"Isian '{key}' tidak dikenal.")
        elif item.kind == "indicator":
            if key not in indicators:
                raise InvalidValue(
                    "items", f"Indikator {key} tidak ada dalam rubrik tahun {rubric.year}."
                )
        elif item.kind == "document":
            if key in DOCUMENT_KINDS:
                continue
            try:
                doc = innovation.documents.get(UUID(key))
            except ValueError:
                doc = None
            if doc is None or doc.removed:
                raise InvalidValue(
                    "items",
                    f"Dokumen '{key}' tidak ditemukan: sebutkan id dokumen atau jenis dokumen.",
                )
        else:
            raise InvalidValue("items", f"Jenis butir perbaikan '{item.kind}' tidak dikenal.")
