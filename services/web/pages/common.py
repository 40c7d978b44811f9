"""What several pages need: loading a record the caller may see, names for ids, the buttons the
lifecycle table allows, and turning a refused command into something a person can act on.

Pages talk to the service layer (``Commands``, the store, the policy) directly, never to the
JSON API, so the rules are the same ones the API enforces.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from litestar import Request

from services.commands import Outcome
from services.domain.call import Call
from services.domain.errors import DomainError
from services.domain.innovation import Innovation
from services.domain.lifecycle import Command
from services.domain.organisation import Account, Organisation
from services.domain.principal import Principal
from services.domain.rubric import Rubric, load_rubric
from services.eventstore.store import ConcurrencyConflict, NotFound
from services.http.context import command_context, principal_of, runtime_of
from services.identity import policy
from services.runtime import Runtime
from services.web.pages.rendering import render

log = logging.getLogger("sirisma.web")
T = TypeVar("T")


def now() -> datetime:
    return datetime.now(UTC)


def parse_uuid(value: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound("Data", value) from None


class Names:
    """Display names for organisation and account ids, loaded once per request."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._orgs: dict[UUID, Organisation | None] = {}
        self._accounts: dict[UUID, Account | None] = {}

    def organisation(self, id: UUID | None) -> Organisation | None:
        if id is None:
            return None
        if id not in self._orgs:
            try:
                self._orgs[id] = self.runtime.store.load(Organisation, id)
            except NotFound:
                self._orgs[id] = None
        return self._orgs[id]

    def org_name(self, id: UUID | None) -> str:
        org = self.organisation(id)
        return org.name if org else "Masyarakat (Krenova)"

    def account(self, id: UUID | None) -> Account | None:
        if id is None:
            return None
        if id not in self._accounts:
            try:
                self._accounts[id] = self.runtime.store.load(Account, id)
            except NotFound:
                self._accounts[id] = None
        return self._accounts[id]

    def person(self, id: UUID | None) -> str:
        account = self.account(id)
        if account is None:
            return "Sistem" if id is None else "akun tidak dikenal"
        return account.full_name or account.username


def load_visible(
    request: Request[Any, Any, Any], id: UUID, version: int | None = None
) -> Innovation:
    """The innovation if this caller may see it; otherwise 404 (ids do not leak)."""
    innovation = runtime_of(request).commands.innovation(id, version)
    policy.ensure_view(principal_of(request), innovation)
    return innovation


def load_record(request: Request[Any, Any, Any], id: UUID) -> Innovation:
    """The innovation for a page that shows its internal record (workspace, verification):
    404 outside staff and the owning organisation, 403 to a conflicted reviewer
    (``policy.ensure_record``, the rule the API and the review view follow too)."""
    innovation = runtime_of(request).commands.innovation(id)
    policy.ensure_record(principal_of(request), innovation)
    return innovation


def call_of(runtime: Runtime, innovation: Innovation) -> Call | None:
    if innovation.call_id is None:
        return None
    try:
        return runtime.store.load(Call, innovation.call_id)
    except NotFound:
        return None


def rubric_of(innovation: Innovation) -> Rubric:
    return load_rubric(innovation.rubric_year)


def allowed(principal: Principal, innovation: Innovation) -> set[str]:
    """The buttons to show: the policy's ``allowed_commands``."""
    return {str(c) for c in policy.allowed_commands(principal, innovation)}


def guard(request: Request[Any, Any, Any], command: Command, innovation: Innovation) -> None:
    """The policy's answer (404/403/conflict of interest) before a command is attempted."""
    policy.ensure_command(principal_of(request), command, innovation)


# The read models the pages list from; a page waits for these only, at most SETTLE_SECONDS.
PAGE_MODELS = ("directory", "innovations", "catalogue", "compliance")
SETTLE_SECONDS = 5.0


def settle(runtime: Runtime, outcome: Outcome | int | None) -> None:
    """Read-your-writes: wait (bounded) until the read models include this command's events."""
    notification_id = outcome.notification_id if isinstance(outcome, Outcome) else outcome
    if not notification_id:
        return
    read_models = getattr(runtime, "read_models", None)
    if read_models is None:
        return
    try:
        if not read_models.wait_for(notification_id, SETTLE_SECONDS, PAGE_MODELS):
            log.info("read models still behind", extra={"notification": notification_id})
    except Exception:  # a slow read model must not turn a stored command into an error page
        log.warning("read models did not catch up", extra={"notification": notification_id})


def revision_items(innovation: Innovation) -> list[dict[str, str]]:
    """The open revision round's items as the operator reads them (label and the note)."""
    from services.review.views import item_label

    revision = innovation.open_revision()
    if revision is None:
        return []
    rubric = rubric_of(innovation)
    return [{"label": item_label(i, innovation, rubric), "note": i.note} for i in revision.items]


def version_of(data: dict[str, Any]) -> int | None:
    """The version the form was rendered from (hidden field), for optimistic concurrency."""
    raw = data.get("version")
    if raw in (None, ""):
        return None
    try:
        return int(str(raw))
    except ValueError:
        return None


class Refusal(msgspec.Struct, frozen=True):
    """A command the domain refused, as the page shows it."""

    status: int
    message: str
    field: str = ""
    missing: list[str] = msgspec.field(default_factory=list)


def refusal(exc: DomainError) -> Refusal:
    missing = [str(getattr(item, "label", item)) for item in (exc.details.get("missing") or [])]
    return Refusal(
        status=exc.status,
        message=exc.message,
        field=str(exc.details.get("field") or getattr(exc, "field", "") or ""),
        missing=missing,
    )


async def call_handler(handler: Any, *args: Any) -> Any:
    """Run another context's route handler function (sync or async) from a page handler, so a
    page does exactly what the API route does (its checks, its throttling, its events)."""
    result = handler.fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


def run_command(request: Request[Any, Any, Any], action: Callable[[Any], T]) -> T:
    """Run ``action(ctx)`` with the caller's command context (who, correlation id, time)."""
    return action(command_context(request))


# ---------------------------------------------------------------------------------------------
# stale forms: 409 with what changed


def changes_since(runtime: Runtime, innovation_id: UUID, version: int) -> list[dict[str, Any]]:
    """Each event after ``version``: who, when, a readable summary and field before → after."""
    from services.audit.describe import describe_stream

    names = Names(runtime)
    events = runtime.store.events(innovation_id)
    who = {e.actor.account_id: names.person(e.actor.account_id) for e in events}
    described: list[dict[str, Any]] = []
    for event, line in describe_stream(events, {k: v for k, v in who.items() if k}):
        if event.originator_version <= version:
            continue
        described.append(
            {
                "version": event.originator_version,
                "who": names.person(event.actor.account_id),
                "when": event.timestamp,
                "summary": line.summary,
                "changes": [
                    {"label": c.label, "before": c.before, "after": c.after} for c in line.changes
                ],
            }
        )
    return described


def conflict_page(
    request: Request[Any, Any, Any],
    innovation_id: UUID,
    exc: ConcurrencyConflict,
    back: str,
    unsaved: list[tuple[str, str]] | None = None,
) -> Any:
    """409: nothing was saved; show who changed what since the form was opened, and what the
    user had typed (so it can be entered again on the fresh version)."""
    runtime = runtime_of(request)
    submitted = max(exc.attempted_version - 1, 0)
    current = runtime.commands.innovation(innovation_id)
    policy.ensure_record(principal_of(request), current)  # it shows the record's changes
    return render(
        request,
        "conflict.html",
        status_code=409,
        innovation=current,
        submitted_version=submitted,
        current_version=exc.current_version,
        changes=changes_since(runtime, innovation_id, submitted),
        back=back,
        unsaved=unsaved or [],
    )
