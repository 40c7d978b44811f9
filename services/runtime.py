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
from services.identity.sessions import SessionStore
from services.migrate import migrate
from services.store import EventStore


class Runtime:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self.store = EventStore(self.settings)
        self.commands = Commands(self.store)
        self.extensions: dict[str, Any] = {}
        self.db = Database(self.settings)
        migrate(self.db)
        self.sessions = SessionStore(self.db, timedelta(hours=self.settings.token_ttl_hours))
        self._on_close: list[Callable[[], Any]] = []

    def on_close(self, callback: Callable[[], Any]) -> None:
        """Register cleanup (a background runner's stop, a pool's close), run in reverse order."""
        self._on_close.append(callback)

    def close(self) -> None:
        while self._on_close:
            self._on_close.pop()()
        self.db.close()
        self.store.close()
