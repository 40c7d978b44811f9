"""The process's wiring: settings, event store, command service and background workers.

HTTP handlers, the CLI and tests all get the same ``Runtime``; in the embedded mode it also
runs the projections and notification tasks in background threads of this process.
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
from services.migrate import migrate


class Runtime:
    def __init__(self, settings: Settings | None = None, *, background: bool = True) -> None:
        """``background=False``: no in-process runners (workers, CLI tools, one-shot scripts)."""
        self.settings = settings or load_settings()
        self.store = EventStore(self.settings)
        self.commands = Commands(self.store)
        self.extensions: dict[str, Any] = {}
        self.db = Database(self.settings)
        migrate(self.db)
        self.sessions = SessionStore(self.db, timedelta(hours=self.settings.token_ttl_hours))
        self._on_close: list[Callable[[], Any]] = []
        # Read models: ``read_models.wait_for(notification_id, timeout)`` for read-your-writes;
        # in the embedded mode the projection runner runs in a thread of this process.
        from projections.runner import ReadModels

        self.read_models = ReadModels(self.settings, self.db, self.store)
        if background and self.settings.embedded:
            self.read_models.start()
            self.on_close(self.read_models.stop)
        if background and not self.settings.redis_url:
            # Embedded mode: no broker, so relay + notification tasks run in a thread here.
            from services.notification.embedded import start_embedded

            start_embedded(self)

    def on_close(self, callback: Callable[[], Any]) -> None:
        """Register cleanup (a background runner's stop, a pool's close), run in reverse order."""
        self._on_close.append(callback)

    def close(self) -> None:
        while self._on_close:
            self._on_close.pop()()
        self.db.close()
        self.store.close()
