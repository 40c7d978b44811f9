"""Krenova judging for admins and judges: the ranking of one contest, the shortlist, the winners.

Each judge scores an entry on its review page (criteria of the year's Krenova rubric); this page
ranks the entries by the judges' mean and lets the admin shortlist and announce winners through
the review context's own functions (``services.review.krenova``), so the same checks apply.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery

from services.domain.actor import Role
from services.domain.errors import DomainError, InvalidValue
from services.domain.values import AWARD_LABELS, Award
from services.eventstore.store import ConcurrencyConflict, NotFound
from services.http.context import principal_of, runtime_of
from services.identity import policy
from services.web.pages import queries
from services.web.pages.common import now, parse_uuid, run_command, settle
from services.web.pages.forms import KRENOVA_FIELD_LABELS, PARTICIPANT_LABELS
from services.web.pages.rendering import redirect, render

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
JUDGING_ROLES = (Role.ADMIN, Role.REVIEWER, Role.AUDITOR)


def _value(data: dict[str, Any], name: str) -> str:
    raw = data.get(name, "")
    if isinstance(raw, list):
        raw = raw[-1] if raw else ""
    return str(raw).strip()


def _page(
    request: Request[Any, Any, Any], call_id: str | None, error: str = "", status: int = 200
) -> Any:
    from services.review.krenova import ranking

    runtime = runtime_of(request)
    contests = queries.calls(runtime, kind="krenova")
    chosen = call_id or (str(contests[-1].id) if contests else "")
    board = None
    if chosen:
        try:
            board = ranking(runtime.commands, parse_uuid(chosen))
        except (NotFound, DomainError):
            board = None
    return render(
        request,
        "review/krenova.html",
        status_code=status,
        contests=contests,
        chosen=chosen,
        board=board,
        awards=AWARD_LABELS,
        fields=KRENOVA_FIELD_LABELS,
        categories=PARTICIPANT_LABELS,
        error=error,
        server_now=now(),
    )


@get("/krenova/penjurian", sync_to_thread=True, name="page:krenova-judging")
def judging(request: Request[Any, Any, Any], panggilan: FromQuery[str | None] = None) -> Any:
    policy.ensure_role(principal_of(request), *JUDGING_ROLES)
    return _page(request, panggilan)


@post(
    "/krenova/penjurian/{call_id:str}/nominasi",
    sync_to_thread=True,
    name="page:krenova-shortlist",
    status_code=303,
)
def shortlist(request: Request[Any, Any, Any], call_id: FromPath[str], data: Form) -> Any:
    from services.review.krenova import shortlist as record_shortlist

    policy.ensure_role(principal_of(request), Role.ADMIN)
    runtime = runtime_of(request)
    contest = parse_uuid(call_id)
    raw_ids = data.get("entry") or []
    ids = [parse_uuid(str(v)) for v in (raw_ids if isinstance(raw_ids, list) else [raw_ids])]
    top_raw = _value(data, "top")
    try:
        top = int(top_raw) if top_raw and not ids else None
    except ValueError:
        return _page(request, call_id, "Jumlah nominasi harus angka.", 422)
    try:
        outcomes = run_command(
            request,
            lambda ctx: record_shortlist(
                runtime.commands,
                ctx,
                contest,
                innovation_ids=ids,
                top=top,
                note=_value(data, "note")[:2000],
            ),
        )
    except (DomainError, ConcurrencyConflict) as exc:
        return _page(request, call_id, getattr(exc, "message", str(exc)), 422)
    settle(runtime, max((o.notification_id for o in outcomes), default=0))
    return redirect(f"/krenova/penjurian?panggilan={contest}", "diputuskan")


@post(
    "/krenova/penjurian/{call_id:str}/pemenang",
    sync_to_thread=True,
    name="page:krenova-award",
    status_code=303,
)
def award(request: Request[Any, Any, Any], call_id: FromPath[str], data: Form) -> Any:
    from services.review.krenova import Winner
    from services.review.krenova import award as record_award

    policy.ensure_role(principal_of(request), Role.ADMIN)
    runtime = runtime_of(request)
    contest = parse_uuid(call_id)
    winners: list[Winner] = []
    try:
        for key in data:
            if not key.startswith("award-"):
                continue
            kind = _value(data, key)
            if not kind:
                continue
            entry = key.removeprefix("award-")
            rank = _value(data, f"rank-{entry}")
            if kind not in {str(a) for a in Award} or not rank.isdigit() or int(rank) < 1:
                raise InvalidValue("winners", "Pilih penghargaan dan peringkat (1, 2, 3, …).")
            winners.append(Winner(innovation_id=UUID(entry), award=Award(kind), rank=int(rank)))
        outcomes = run_command(
            request,
            lambda ctx: record_award(
                runtime.commands, ctx, contest, winners, note=_value(data, "note")[:2000]
            ),
        )
    except ValueError:
        return _page(request, call_id, "Usulan tidak dikenal.", 422)
    except (DomainError, ConcurrencyConflict) as exc:
        return _page(request, call_id, getattr(exc, "message", str(exc)), 422)
    settle(runtime, max((o.notification_id for o in outcomes), default=0))
    return redirect(f"/krenova/penjurian?panggilan={contest}", "diputuskan")


@get("/krenova/pemenang", sync_to_thread=True, name="page:krenova-winners")
def winners(request: Request[Any, Any, Any]) -> Any:
    """Public: every Krenova contest's announced winners, juara before harapan, by rank."""
    from services.review.krenova import ranking

    runtime = runtime_of(request)
    contests = []
    for call in sorted(
        queries.calls(runtime, kind="krenova"), key=lambda c: c.deadline, reverse=True
    ):
        try:
            board = ranking(runtime.commands, call.id)
        except (NotFound, DomainError):
            continue
        awarded = [e for e in board.entries if e.award is not None]
        if awarded:
            order: dict[Any, int] = {Award.JUARA: 0, Award.HARAPAN: 1}
            awarded.sort(key=lambda e: (order.get(e.award, 2), e.award_rank or 0, e.title))
            contests.append((call, awarded))
    return render(
        request,
        "public/krenova_winners.html",
        contests=contests,
        fields=KRENOVA_FIELD_LABELS,
        categories=PARTICIPANT_LABELS,
    )


route_handlers: list[Any] = [judging, shortlist, award, winners]
