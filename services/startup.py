"""A process's start: wire the ``Runtime``, bring the schema up to date, then start its runners.

The app factory, the ``sirisma`` commands and the tests start here; a Celery worker of the
distributed shape builds a bare ``Runtime`` (``sirisma migrate`` ran before it), so it never
imports the schema's owners (the HTTP idempotency table among them).
"""

from __future__ import annotations

from services.config import Settings, load_settings
from services.migrate import migrate
from services.notification.embedded import start_embedded
from services.runtime import Runtime


def start_runtime(settings: Settings | None = None, *, background: bool = True) -> Runtime:
    """A ``Runtime`` on an up-to-date schema (idempotent migration). ``background``: the
    embedded mode's in-process runners too (projections; relay and notification tasks when
    there is no broker); False for workers, CLI tools and one-shot scripts."""
    runtime = Runtime(settings or load_settings())
    try:
        migrate(runtime.db)
    except BaseException:
        runtime.close()
        raise
    if background and runtime.settings.embedded:
        runtime.read_models.start()
        runtime.on_close(runtime.read_models.stop)
    if background and not runtime.settings.redis_url:
        start_embedded(runtime)  # no broker: relay + notification tasks in a thread here
    return runtime
