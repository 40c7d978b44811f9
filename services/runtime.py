"""The process's wiring: settings, event store, command service, sessions and read models.

HTTP handlers, the CLI and tests all get the same ``Runtime``. It creates no schema and starts
no background runner: the process's start does both (``services.startup.start_runtime`` for
the app, the CLI and tests; ``sirisma migrate`` before the distributed shape's workers), so a
Celery worker that builds one loads no HTTP code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from services.commands import Commands
from services.config import Settings, load_settings
from services.db import Database
from services.eventstore.store import EventStore
from services.identity.sessions import SessionStore


class Runtime:
    def __init__(self, settings: Settings | None = None) -> None:
        """The process's parts, with no schema work and no background runner: those are the
        process start's (``services.startup``)."""
        self.settings = settings or load_settings()
        self.store = EventStore(self.settings)
        self.commands = Commands(self.store)
        self.extensions: dict[str, Any] = {}
        self.db = Database(self.settings)
        self.sessions = SessionStore(self.db, timedelta(hours=self.settings.token_ttl_hours))
        self._on_close: list[Callable[[], Any]] = []
        # Read models: ``read_models.wait_for(notification_id, timeout)`` for read-your-writes;
        # in the embedded mode the projection runner runs in a thread of this process.
        from projections.runner import ReadModels

        self.read_models = ReadModels(self.settings, self.db, self.store)

    def on_close(self, callback: Callable[[], Any]) -> None:
        """Register cleanup (a background runner's stop, a pool's close), run in reverse order."""
        self._on_close.append(callback)

    def close(self) -> None:
        while self._on_close:
            self._on_close.pop()()
        self.db.close()
        self.store.close()
