"""How a context's ``sirisma`` subcommand (users, relay, digests, …) starts a ``Runtime``.

The ``sirisma`` group (services/cli.py) puts the process start, ``services.startup.start_runtime``
(migrate, then wire), in click's context; the subcommands take it from there. So a context's
commands start a migrated Runtime without importing the top of the house (startup imports the
schema of every context), and no package imports another in a circle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from services.config import load_settings

if TYPE_CHECKING:
    from services.runtime import Runtime

KEY = "sirisma.start_runtime"


def provide(ctx: click.Context, start: Callable[..., Any]) -> None:
    """Called by the ``sirisma`` group: ``start(settings, background=...)`` for subcommands."""
    ctx.meta[KEY] = start


def start_runtime(*, background: bool = True) -> Runtime:
    """A Runtime on an up-to-date schema, from this process's settings."""
    start = click.get_current_context().meta[KEY]
    runtime: Runtime = start(load_settings(), background=background)
    return runtime
