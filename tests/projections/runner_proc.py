"""A projection runner process for the multi-process tests: every read model plus a *ledger*
that records which runner applied which notification (no unique key, so a double application
would show as a duplicate row instead of an error).

Run as ``python -m tests.projections.runner_proc <label>`` with ``SIRISMA_DATABASE_URL`` set;
SIGTERM stops it cleanly, SIGKILL is what the tests use to simulate a crash.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from projections.base import Envelope
from projections.registry import all_projections
from projections.runner import Runner
from services.config import load_settings
from services.db import Tx

LEDGER = "test_ledger"


class Ledger:
    name = "ledger"
    tables: tuple[str, ...] = (LEDGER,)

    def __init__(self, label: str) -> None:
        self.label = label

    def schema(self, dialect: str, suffix: str = "") -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {LEDGER}{suffix} (notification_id BIGINT, runner TEXT)"
        ]

    def apply(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        tx.executemany(
            f"INSERT INTO {LEDGER}{suffix} (notification_id, runner) VALUES (?, ?)",
            [(e.notification_id, self.label) for e in batch],
        )


def main(label: str) -> None:
    logging.basicConfig(level=logging.INFO, format=f"[{label}] %(name)s: %(message)s")
    settings = load_settings()
    runner = Runner(
        settings,
        [*all_projections(), Ledger(label)],
        owner=label,
        lock_retry=0.2,
        poll_interval=0.5,
        batch_size=50,
    )
    stop = threading.Event()

    def _stop(*_: Any) -> None:
        stop.set()
        runner.nudge()

    signal.signal(signal.SIGTERM, _stop)
    print(f"{label} started", flush=True)
    runner.run(stop)
    runner.close()


if __name__ == "__main__":
    main(sys.argv[1])
