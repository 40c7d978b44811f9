"""`sirisma` subprocesses for the operations tests: real entry points, stderr (the logs) and stdout
kept in separate files so the JSON log lines can be checked one by one."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from services.config import Settings
from services.ops.cluster import sirisma_command
from services.ops.servers import log_tail, parent_death_signal


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The SIRISMA_* environment that gives a subprocess these settings (and nothing inherited)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIRISMA_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    for name in Settings.__struct_fields__:
        value = getattr(settings, name)
        env[f"SIRISMA_{name.upper()}"] = (
            str(value).lower() if isinstance(value, bool) else str(value)
        )
    env.update(extra)
    return env


def wait_for(predicate: Callable[[], Any], *, timeout: float, what: str, every: float = 0.1) -> Any:
    """Poll until ``predicate`` returns something truthy (exceptions mean "not yet")."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - not ready yet
            last = exc
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


class Sirisma:
    """One ``sirisma <args>`` process with its own log files."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.stderr_path = folder / f"{name}.stderr.log"
        self.stdout_path = folder / f"{name}.stdout.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Sirisma:
        with self.stderr_path.open("ab") as err, self.stdout_path.open("ab") as out:
            self.process = subprocess.Popen(
                [*sirisma_command(), *self.args],
                env=self.env,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=parent_death_signal(signal.SIGKILL),
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            raise AssertionError(f"{self.name} exited:\n{self.tail()}")

    def tail(self, lines: int = 60) -> str:
        return log_tail(self.stderr_path, lines) + "\n" + log_tail(self.stdout_path, 20)

    def log_lines(self) -> list[dict[str, Any]]:
        """Every line the process wrote to stderr, each parsed as JSON (fails on any other)."""
        lines = []
        for number, line in enumerate(self.stderr_path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise AssertionError(
                    f"{self.name} stderr line {number} is not JSON: {line}"
                ) from exc
        return lines

    def signal(self, sig: int) -> None:
        if self.alive():
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self, timeout: float = 30) -> None:
        if not self.alive():
            return
        self.signal(signal.SIGTERM)
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.wait(10)


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def value(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    return sum(v for n, lab, v in samples(text) if n == name and labels.items() <= lab.items())
