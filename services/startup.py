"""A process's start: wire the ``Runtime``, bring the schema up to date, then start its runners.

The app factory, the ``sirisma`` commands and the tests start here; a Celery worker of the
distributed shape builds a bare ``Runtime`` (``sirisma migrate`` ran before it), so it never
imports the schema's owners (the HTTP idempotency table among them).
"""

from __future__ import annotations

from services.config import Settings, load_settings
from services.migrate import migrate
from services.runtime import Runtime


def start_runtime(settings: Settings | None = None, *, background: bool = True) -> Runtime:
    """A ``Runtime`` on an up-to-date schema (idempotent migration; ``background`` as for
    ``Runtime``: the embedded mode's projection and notification runners)."""
    runtime = Runtime(settings or load_settings(), background=False)
    try:
        migrate(runtime.db)
    except BaseException:
        runtime.close()
        raise
    if background:
        runtime.start_background()
    return runtime
