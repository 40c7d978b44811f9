"""Which profile fields are filled well enough to submit: the completeness check's field half.

A free function of the profile, the call's kind and the rubric year, so the aggregate and the
innovations read model (which folds no aggregate) ask the same question the same way.
"""

from __future__ import annotations

from services.domain.index_rules import design_min_words
from services.domain.values import CallKind, KrenovaEntry, Profile, Stage


def field_checks(p: Profile, call_kind: CallKind, rubric_year: int) -> dict[str, bool]:
    """Field name → filled; Krenova entries have their own form, annual ones the IID profile
    (dates only for the stages that have them, the design's word minimum of the year)."""
    if call_kind == CallKind.KRENOVA:
        k = p.krenova or KrenovaEntry()
        return {
            "title": bool(p.title.strip()),
            "krenova.field": k.field is not None,
            "krenova.participant_category": k.participant_category is not None,
            "krenova.abstract": bool(k.abstract.strip()),
            "krenova.advantages": bool(k.advantages.strip()),
            "krenova.benefits": bool(k.benefits.strip()),
            "krenova.application": bool(k.application.strip()),
        }
    checks = {
        "title": bool(p.title.strip()),
        "stage": p.stage is not None,
        "initiator": p.initiator is not None,
        "initiator_name": bool(p.initiator_name.strip()),
        "kind": p.kind is not None,
        "form": p.form is not None,
        "theme": p.theme is not None,
        "urusan": bool(p.urusan),
        "design": p.design.word_count() >= design_min_words(rubric_year),
        "goals": bool(p.goals.strip()),
        "benefits": bool(p.benefits.strip()),
        "results": bool(p.results.strip()),
    }
    if p.stage in (Stage.UJI_COBA, Stage.PENERAPAN):
        checks["trial_date"] = p.trial_date is not None
    if p.stage == Stage.PENERAPAN:
        checks["implementation_date"] = p.implementation_date is not None
    return checks
