"""The relay's view of the broker: Celery's producer for publishing, and Redis itself for the
two facts the relay needs to find lost messages (the server's ``run_id`` and the queue length)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import redis
from celery import Celery

from services.notification.outbox import Due, Key
from services.notification.relay import QUEUE, task_name

log = logging.getLogger("sirisma.notification.relay")

# Publishing gives up quickly: a message that is not accepted stays pending in the outbox and is
# tried again on the next round, so there is no point in blocking the relay on a dead broker.
RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


class RedisBroker:
    def __init__(self, app: Celery, redis_url: str) -> None:
        self.app = app
        self.client = redis.Redis.from_url(
            redis_url, socket_timeout=5, socket_connect_timeout=3, health_check_interval=10
        )

    def run_id(self) -> str:
        return str(self.client.info("server")["run_id"])

    def backlog(self) -> int:
        return int(self.client.llen(QUEUE))  # type: ignore[arg-type]

    def publish(self, items: Sequence[Due]) -> list[Key]:
        accepted: list[Key] = []
        with self.app.producer_or_acquire() as producer:
            for item in items:
                try:
                    self.app.send_task(
                        task_name(item.key.channel),
                        kwargs={**item.key.as_kwargs(), "notification_id": item.notification_id},
                        producer=producer,
                        retry=True,
                        retry_policy=RETRY_POLICY,
                    )
                except Exception:
                    if not accepted:
                        raise
                    log.warning("broker refused after %d; the rest stay pending", len(accepted))
                    break
                accepted.append(item.key)
        return accepted

    def close(self) -> None:
        self.client.close()
