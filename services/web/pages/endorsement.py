"""The head's endorsement (pengesahan) on the innovation page: the head endorses with their own
account; an operator records the head's signed letter. Refusals show on the same page."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, post
from litestar.params import FromPath

from services.domain.errors import DomainError, InvalidValue
from services.domain.lifecycle import Command
from services.eventstore.store import ConcurrencyConflict
from services.http.context import runtime_of
from services.http.limits import NAME_MAX, NOTE_MAX
from services.web.pages.common import (
    conflict_page,
    guard,
    load_visible,
    parse_uuid,
    refusal,
    run_command,
    settle,
    version_of,
)
from services.web.pages.rendering import redirect, render
from services.web.pages.submission import Form, workspace


@post(
    "/inovasi/{innovation_id:str}/sahkan",
    sync_to_thread=True,
    name="page:endorse",
    status_code=303,
)
def endorse(request: Request[Any, Any, Any], innovation_id: FromPath[str], data: Form) -> Any:
    runtime = runtime_of(request)
    innovation = load_visible(request, parse_uuid(innovation_id))
    guard(request, Command.ENDORSE, innovation)
    try:
        name = _text(data, "endorser_name", NAME_MAX, "Nama kepala perangkat daerah")
        note = _text(data, "note", NOTE_MAX, "Catatan")
        letter = _letter(str(data.get("letter_doc_id", "")).strip())
        outcome = run_command(
            request,
            lambda ctx: runtime.commands.endorse(
                ctx,
                innovation.id,
                endorser_name=name,
                letter_doc_id=letter,
                note=note,
                expected_version=version_of(data),
            ),
        )
    except ConcurrencyConflict as exc:
        return conflict_page(request, innovation.id, exc, f"/inovasi/{innovation.id}")
    except DomainError as exc:
        return render(
            request,
            "submission/overview.html",
            status_code=exc.status,
            endorse_error=refusal(exc).message,
            **workspace(request, innovation, "ringkasan"),
        )
    settle(runtime, outcome)
    return redirect(f"/inovasi/{innovation.id}#pengesahan", "disahkan")


def _text(data: dict[str, Any], key: str, limit: int, label: str) -> str:
    value = str(data.get(key, "")).strip()
    if len(value) > limit:
        raise InvalidValue(key, f"{label} paling banyak {limit} karakter.")
    return value


def _letter(raw: str) -> UUID | None:
    if not raw:
        return None
    try:
        return UUID(raw)
    except ValueError:
        message = "Surat pengesahan yang dipilih tidak dikenal."
        raise InvalidValue("letter_doc_id", message) from None


route_handlers: list[Any] = [endorse]
