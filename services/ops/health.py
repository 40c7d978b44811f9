"""Readiness of the services a process depends on, beyond the event store.

Redis (where configured) is reported but does not make the HTTP service unready: commands,
reads and pages go on without it, notifications wait in the outbox until it is back, so taking
every HTTP process out of the load balancer during a Redis outage would turn a delay into an
outage. ``/health/ready`` therefore answers 200 with ``"status": "degraded"`` and the failing
check named; only the event store decides 503.
"""

from __future__ import annotations

from typing import Any

REDIS_CLIENT = "ops.redis_client"


def optional_checks(runtime: Any) -> dict[str, str]:
    """Check results (``ok`` or ``error: <type>``) of the dependencies that only degrade."""
    checks: dict[str, str] = {}
    url = runtime.settings.redis_url
    if url:
        client = runtime.extensions.get(REDIS_CLIENT)
        if client is None:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
            runtime.extensions[REDIS_CLIENT] = client
            runtime.on_close(client.close)
        try:
            client.ping()
            checks["redis"] = "ok"
        except Exception as exc:  # a probe reports, it does not raise
            checks["redis"] = f"error: {type(exc).__name__}"
    return checks
