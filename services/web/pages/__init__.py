"""Server-rendered pages (mounted by services.app)."""

from __future__ import annotations

from typing import Any

route_handlers: list[Any] = []
