"""The "data per tanggal" picker of the dashboard, compliance, queue and catalogue pages.

Staff (reviewers, admins, auditors) may pick a past day (``?per=YYYY-MM-DD``); the page then
reads the read models as they stood at the end of that day (``projections.as_of``) and says so.
The public catalogue offers the picker to staff only: a past catalogue can show what has since
been withdrawn or unpublished, and each new date costs a rebuild from the log.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec
from litestar import Request

from projections import as_of as models
from services.http.context import principal_of, runtime_of
from services.http.problems import problem
from services.identity.policy import STAFF


class AsOfView(msgspec.Struct, frozen=True):
    """What the picker template needs (``_as_of.html``)."""

    day: date | None
    first: date | None
    latest: date
    params: list[tuple[str, str]]  # the page's other query parameters, kept by the picker


class _Runtime:
    """The runtime with ``db`` reading the as-of schema; everything else is the real one."""

    def __init__(self, runtime: Any, db: Any) -> None:
        self._runtime = runtime
        self.db = db

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runtime, name)


def page_as_of(request: Request[Any, Any, Any], raw: str | None) -> tuple[Any, AsOfView | None]:
    """(the runtime to read from, the picker) for this request; None: no picker (not staff)."""
    runtime = runtime_of(request)
    staff = principal_of(request).role in STAFF
    if raw and not staff:
        raise problem(
            403, "Data per tanggal lampau hanya untuk verifikator, admin dan auditor.", "forbidden"
        )
    if not staff:
        return runtime, None
    found = models.of(runtime)
    params = [(k, v) for k, v in request.query_params.items() if k not in ("per", "halaman")]
    view = AsOfView(None, found.first_day(), models.latest_allowed(), params)
    if not raw:
        return runtime, view
    try:
        day = found.check(models.parse_day(raw))
        db = found.database(day)
    except models.AsOfError as exc:
        raise problem(400, exc.message, "validation") from None
    except models.AsOfBusy as exc:
        raise problem(503, exc.message, "busy", headers={"Retry-After": "30"}) from None
    return _Runtime(runtime, db), msgspec.structs.replace(view, day=day)


def moment(view: AsOfView | None) -> datetime | None:
    """The end of the picked day (what "now" was), or None for live data."""
    return models.end_of_day(view.day) if view is not None and view.day else None
