"""SI-RISMA benchmarks: every number next to a baseline measured in the same run.

Run through ``bench/run`` (it installs ``wrk`` when missing); ``--quick`` is a tiny smoke run.
The suite starts its own PostgreSQL and Redis (``tests/servers.py``: loopback, durability off,
removed at exit), seeds a season with ``bench/datagen.py``, and runs:

1. write path — commands/s and p50/p99 through HTTP (uvicorn on loopback, ``wrk``) at 1, 8 and
   32 clients; baseline: raw psycopg inserting the same rows, one transaction per command. Also
   the store alone (``EventStore.save``) with group commit and with one lock per save;
2. projection rebuild of the whole log — events/s; baselines: the library's ``ProjectionRunner``
   with an equivalent simple projection, and reading the log with ``select_notifications``;
3. live lag at the highest write rate the machine sustains (found by a ramp of paced command
   rates) — commit → read model (the runner on LISTEN/NOTIFY);
4. read routes under load (``read_routes.py``: status board, review queue, search, catalogue,
   the inbox) with ``wrk``; baseline: the same
   server's ``/health/live`` (the HTTP floor);
5. auditor — state as of a version of a 1,000-event stream (``bench/audit_state_as_of.py``);
6. memory — peak RSS of the HTTP worker processes and of the projector during the rebuild.

Results go to ``docs/benchmarks.md`` (``--out``) with the machine, versions and the command.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for path in (str(ROOT), str(BENCH)):
    if path not in sys.path:
        sys.path.insert(0, path)

import datagen  # noqa: E402
import msgspec  # noqa: E402
import psycopg  # noqa: E402

from services.config import Settings, load_settings  # noqa: E402

# ---- results ------------------------------------------------------------------------------------


@dataclass
class Section:
    title: str
    intro: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"## {self.title}", "", self.intro, ""]
        lines.append("| " + " | ".join(self.header) + " |")
        lines.append("|" + "|".join("---" for _ in self.header) + "|")
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        if self.notes:
            lines.append("")
            lines += [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def console(self) -> str:
        widths = [
            max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h)
            for i, h in enumerate(self.header)
        ]
        out = [f"\n== {self.title}"]
        out.append("  " + "  ".join(h.ljust(w) for h, w in zip(self.header, widths, strict=True)))
        for r in self.rows:
            out.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
        out += [f"  * {n}" for n in self.notes]
        return "\n".join(out)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def ms(value: float) -> str:
    return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def rate(value: float) -> str:
    return f"{value:,.0f}"


def ratio(value: float, base: float) -> str:
    if not base:
        return "–"
    r = value / base
    return f"{r:.2f}×" if r >= 0.1 else f"{r:.3f}×"


if __name__ == "__main__":  # the benches import ``suite``: one module, one TARGETS table
    sys.modules.setdefault("suite", sys.modules[__name__])

SCRATCH: list[str] = []  # folders removed after a successful run (kept for a failed one's logs)
TARGETS: list[list[str]] = []  # (benchmark, target, measured, verdict), filled during the run


def target(what: str, goal: str, measured: str, met: bool) -> str:
    verdict = "met" if met else "MISSED"
    TARGETS.append([what, goal, measured, verdict])
    return verdict


def _autogroup() -> str:
    """``kernel.sched_autogroup_enabled``: on, every session is a scheduling group, and each
    PostgreSQL backend starts a session of its own (README, "Kernel scheduler")."""
    try:
        from services.ops.cpu_group import AUTOGROUP

        value = AUTOGROUP.read_text().strip()
    except OSError:
        return "not in this kernel"
    return {"0": "off", "1": "on"}.get(value, value) + " (`kernel.sched_autogroup_enabled`)"


def log(message: str) -> None:
    print(f"[{datetime.now().astimezone().strftime('%H:%M:%S')}] {message}", flush=True)


# ---- scales -------------------------------------------------------------------------------------


@dataclass
class Scale:
    name: str
    regencies: int
    per_regency: int
    load_seconds: float  # per wrk / client step
    baseline_seconds: float  # library runner, bounded
    lag_seconds: float
    ramp_seconds: float  # per step of the write-rate ramp
    audit_events: int
    audit_samples: int


SCALES = {
    "quick": Scale("quick", 1, 40, 1.0, 1.0, 2.0, 1.0, 120, 40),
    "regency": Scale("regency", 1, 600, 8.0, 10.0, 15.0, 4.0, 1000, 300),
    "national": Scale("national", 50, 600, 10.0, 15.0, 20.0, 5.0, 1000, 500),
}


# ---- environment --------------------------------------------------------------------------------


def _cmd(args: list[str]) -> str:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=20, check=False)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def _dirty() -> str:
    """How many tracked files differ from the commit (the run measured the working tree)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    changed = [line for line in out.splitlines() if line.strip()]
    return f" (+ {len(changed)} tracked files changed in the working tree)" if changed else ""


def machine() -> dict[str, str]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    os_name = platform.platform()
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    from importlib.metadata import version

    from tests.servers import find_postgres_bin

    def v(name: str) -> str:
        try:
            return version(name)
        except Exception:
            return "?"

    from services.ops.pg_memory import shared_buffers

    return {
        "CPU": f"{cpu} × {os.cpu_count()} (logical)",
        "memory": mem,
        "PostgreSQL `shared_buffers`": f"{shared_buffers()} (a quarter of memory, as "
        "`sirisma cluster` sets it: `services/ops/pg_memory.py`)",
        "OS": f"{os_name}, kernel {platform.release()}",
        "kernel autogroup": _autogroup(),
        "PostgreSQL's CPU group": (_PLACEMENT[-1] if _PLACEMENT else "no server started")
        + " (`services/ops/cpu_group.py`)",
        "Python": platform.python_version(),
        "PostgreSQL": _cmd([find_postgres_bin("postgres"), "--version"]),
        "Redis": _cmd(["redis-server", "--version"]),
        "wrk": _cmd(["wrk", "--version"]) if shutil.which("wrk") else "not installed",
        "eventsourcing": v("eventsourcing"),
        "litestar": v("litestar"),
        "uvicorn": v("uvicorn"),
        "psycopg": v("psycopg"),
        "msgspec": v("msgspec"),
        "commit": _cmd(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]) + _dirty(),
    }


# ---- 1. write path ------------------------------------------------------------------------------


@dataclass
class Writer:
    """One benchmark client: an operator, its token, and fresh drafts of its own.

    A client cycles through its drafts, so streams stay the length of real ones (a few dozen
    events) instead of one stream growing by every command of the run."""

    username: str
    account_id: uuid.UUID
    organisation_id: uuid.UUID
    innovation_ids: list[uuid.UUID]
    token: str = ""

    @property
    def innovation_id(self) -> uuid.UUID:
        return self.innovation_ids[0]

    def part(self, index: int) -> list[uuid.UUID]:
        """The drafts of one run (``PARTS`` runs share them out; the last draft is the store
        runs'): a request still in flight when its run ended never meets the next run."""
        size = (len(self.innovation_ids) - 1) // PARTS
        return self.innovation_ids[index * size : (index + 1) * size]


PARTS = 4  # HTTP at 1, 8 and 32 clients, then the live-lag runs (the ramp included)
LAG_CLIENTS = 8  # paced command threads in the live-lag runs


def prepare_writers(
    settings: Settings, regency: datagen.Regency, count: int, drafts: int
) -> list[Writer]:
    """A second call wave is opened in the first regency and ``count`` operators of distinct
    organisations each propose ``drafts`` drafts: a client writes only to its own streams."""
    from services.commands import Commands
    from services.domain.aggregate import Context
    from services.domain.innovation import Innovation
    from services.domain.values import CallKind
    from services.eventstore.store import EventStore
    from tests.factories import complete_profile

    store = EventStore(settings)
    try:
        commands = Commands(store)
        now = datetime.now(UTC)
        assert regency.admin is not None
        admin = Context(actor=regency.admin, correlation_id="bench-writers", now=now)
        call_id = commands.open_call(
            admin,
            kind=CallKind.ANNUAL,
            title=f"Inovasi Daerah gelombang 2 — {regency.name}",
            budget_year=now.year,
            opens_at=now - timedelta(days=1),
            deadline=now + timedelta(days=60),
            eligible_kinds=("opd", "puskesmas", "bumd", "uptd", "kecamatan"),
            rubric_year=datagen.RUBRIC_YEAR,
            required_documents=("sk",),
        ).id
        call = commands.call(call_id)
        writers = []
        orgs = list(regency.operators.items())
        kinds = {o: str(k) for o, k, _ in regency.organisations}
        for i in range(count):
            org, actor = orgs[i % len(orgs)]
            ctx = Context(actor=actor, correlation_id="bench-writers", now=datetime.now(UTC))
            # The aggregate's own command, saved in batches (thousands of drafts in seconds).
            drafts_of = [
                Innovation.propose(
                    ctx,
                    uuid.uuid4(),
                    call=call,
                    organisation_id=org,
                    submitter_kind=kinds[org],
                    profile=complete_profile(f"Inovasi uji beban {i}.{k}"),
                )
                for k in range(drafts)
            ]
            for begin in range(0, len(drafts_of), 200):
                store.save(*drafts_of[begin : begin + 200])
            assert actor.account_id is not None
            writers.append(
                Writer(
                    regency.operator_names[org], actor.account_id, org, [d.id for d in drafts_of]
                )
            )
        return writers
    finally:
        store.close()


def issue_token(settings: Settings, account_id: uuid.UUID) -> str:
    from services.db import Database
    from services.identity.sessions import SessionStore

    db = Database(settings)
    try:
        return SessionStore(db, timedelta(hours=12)).issue(account_id)[0]
    finally:
        db.close()


def raw_baseline(url: str, clients: int, seconds: float, state: bytes) -> tuple[float, list[float]]:
    """Raw psycopg: per command one transaction inserting one event row and its chain row."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw_events (LIKE sirisma_events INCLUDING ALL)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw_chain (LIKE sirisma_events_chain INCLUDING ALL)"
        )
        conn.execute("TRUNCATE bench_raw_events, bench_raw_chain")
    stop = threading.Event()
    latencies: list[list[float]] = [[] for _ in range(clients)]
    counts = [0] * clients
    link = "0" * 64

    def client(i: int) -> None:
        oid = uuid.uuid4()
        with psycopg.connect(url) as conn:
            version = 0
            while not stop.is_set():
                version += 1
                started = time.perf_counter()
                nid = conn.execute(
                    "INSERT INTO bench_raw_events (originator_id, originator_version, topic, "
                    "state) VALUES (%s, %s, %s, %s) RETURNING notification_id",
                    (oid, version, "innovation.IndicatorClaimed", state),
                ).fetchone()[0]  # type: ignore[index]
                conn.execute(
                    "INSERT INTO bench_raw_chain VALUES (%s, %s, %s, %s, %s)",
                    (oid, version, nid, 0, link),
                )
                conn.commit()
                latencies[i].append((time.perf_counter() - started) * 1000)
                counts[i] += 1

    return _timed(clients, seconds, client, stop, counts, latencies)


def _timed(
    clients: int,
    seconds: float,
    target: Callable[[int], None],
    stop: threading.Event,
    counts: list[int],
    latencies: list[list[float]],
) -> tuple[float, list[float]]:
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(min(1.0, seconds / 4))  # warm-up, not counted
    base = sum(counts)
    marks = [len(x) for x in latencies]
    started = time.perf_counter()
    time.sleep(seconds)
    done = sum(counts) - base
    elapsed = time.perf_counter() - started
    stop.set()
    for t in threads:
        t.join(30)
    lat = [v for x, m in zip(latencies, marks, strict=True) for v in x[m:]]
    return done / elapsed, lat


def store_rate(
    settings: Settings, writers: list[Writer], clients: int, seconds: float
) -> tuple[float, list[float], float]:
    """``EventStore.save`` alone: each thread claims an indicator on its own draft and saves.

    Returns commands/s, latencies and commands per commit (group commit only)."""
    from services.domain.actor import Actor, Role
    from services.domain.aggregate import Context
    from services.domain.innovation import Innovation
    from services.domain.rubric import load_rubric
    from services.eventstore.store import EventStore

    store = EventStore(settings)
    rubric = load_rubric(datagen.RUBRIC_YEAR)
    stop = threading.Event()
    latencies: list[list[float]] = [[] for _ in range(clients)]
    counts = [0] * clients
    total = [0]

    def client(i: int) -> None:
        w = writers[i]
        actor = Actor(
            account_id=w.account_id, role=Role.OPERATOR, organisation_id=w.organisation_id
        )
        # The last draft is the store runs' own: HTTP requests still in flight after a wrk run
        # never touch it.
        innovation = store.load(Innovation, w.innovation_ids[-1])
        n = 0
        while not stop.is_set():
            n += 1
            innovation.claim_indicator(
                Context(actor=actor, correlation_id="bench"), rubric, no=n % 20 + 1, level=n % 3 + 1
            )
            started = time.perf_counter()
            store.save(innovation)
            latencies[i].append((time.perf_counter() - started) * 1000)
            counts[i] += 1
            total[0] += 1

    try:
        before = getattr(store.recorder, "groups_committed", None)
        result = _timed(clients, seconds, client, stop, counts, latencies)
        after = getattr(store.recorder, "groups_committed", None)
        groups = (after - before) if before is not None and after is not None else 0
        return result[0], result[1], (total[0] / groups if groups else 0.0)
    finally:
        store.close()


WRK_WRITE = """
-- one wrk thread per client, one connection each: every client claims indicators on its own
-- draft with its own operator's token (PUT /api/innovations/{id}/indicators/{no}).
SPECS = {%(specs)s}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  spec = SPECS[id]
  n = 0
end
function request()
  n = n + 1
  local ids = spec[2]  -- this run's own drafts
  local path = "/api/innovations/" .. ids[(n %% #ids) + 1] .. "/indicators/"
    .. ((n %% 19) + 1)
  local body = '{"level": ' .. ((n %% 3) + 1) .. ', "note": "klaim uji beban"}'
  return wrk.format("PUT", path, {["Authorization"] = "Bearer " .. spec[1],
    ["Content-Type"] = "application/json"}, body)
end
"""


@dataclass
class WrkResult:
    rps: float
    p50: float
    p99: float
    requests: int
    errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(
    url: str,
    seconds: float,
    threads: int,
    connections: int,
    script: str | None = None,
    headers: dict[str, str] | None = None,
) -> WrkResult:
    args = [
        "wrk",
        "--latency",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "10s",
    ]
    for k, v in (headers or {}).items():
        args += ["-H", f"{k}: {v}"]
    tmp = None
    if script is not None:
        tmp = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
        tmp.write(script)
        tmp.close()
        args += ["-s", tmp.name]
    args.append(url)
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60, check=True)
    finally:
        if tmp is not None:
            os.unlink(tmp.name)
    text = out.stdout
    p50 = _ms(re.search(r"\s50%\s+(\S+)", text).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", text).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors:.*?timeout (\d+)", text)
    errors = (int(bad.group(1)) if bad else 0) + (int(sock.group(1)) if sock else 0)
    return WrkResult(rps, p50, p99, requests, errors)


def query_alone(settings: Settings, call: Callable[[Any], Any], samples: int = 15) -> float:
    """p50 (ms) of the route's read-model query function called in-process, without HTTP:
    tells a slow route's query and Python apart from the HTTP stack around it."""
    from services.db import Database

    db = Database(settings)
    try:
        call(db)
        timings = []
        for _ in range(samples):
            started = time.perf_counter()
            call(db)
            timings.append((time.perf_counter() - started) * 1000)
        return pct(timings, 50)
    except Exception as exc:  # the query API moved: say so rather than stop the run
        log(f"  (query alone not measured: {type(exc).__name__}: {exc})")
        return float("nan")
    finally:
        db.close()


# ---- HTTP server --------------------------------------------------------------------------------


class Server:
    """``uvicorn services.app:create_app --factory`` with N workers on a loopback port."""

    def __init__(
        self,
        settings: Settings,
        workers: int,
        app: str = "services.app:create_app",
        env: dict[str, str] | None = None,
        ready: str = "/health/ready",
    ) -> None:
        from tests.servers import free_port

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env_extra = env
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIRISMA_")}
        env.update(
            SIRISMA_DATABASE_URL=settings.database_url,
            SIRISMA_REDIS_URL=settings.redis_url,
            SIRISMA_DATA_DIR=settings.data_dir,
            SIRISMA_POOL_SIZE="20",
            PYTHONPATH=str(ROOT),
        )
        env.update(env_extra or {})
        self.log = open(Path(settings.data_dir) / "uvicorn.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            process_group=0,  # not a session of its own: tests/servers.py, "Sessions"
            preexec_fn=_dies_with_us(),
        )
        deadline = time.monotonic() + 120
        while True:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.base + ready, timeout=2) as r,
            ):
                if r.status == 200:
                    break
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start (see {self.log.name})")
            time.sleep(0.2)
        time.sleep(1.0 if workers > 1 else 0.2)  # let every worker come up

    def workers(self) -> list[int]:
        pids: list[int] = []
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{self.process.pid}/task").iterdir():
                text = (task / "children").read_text().split()
                pids += [int(p) for p in text]
        return pids or [self.process.pid]

    def peak_rss_mb(self) -> list[float]:
        """Of the worker processes (not multiprocessing's resource tracker)."""
        pids = []
        for pid in self.workers():
            with contextlib.suppress(OSError):
                if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                    pids.append(pid)
        return [_vm(pid, "VmHWM") for pid in pids]

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.log.close()


def _dies_with_us() -> Callable[[], None] | None:
    """Children get SIGTERM if this process dies, however it dies (Linux)."""
    from tests.servers import _parent_death_signal

    return _parent_death_signal(signal.SIGTERM)


def _vm(pid: int, key: str) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ---- 2. projections -----------------------------------------------------------------------------


def raw_log_read(settings: Settings, seconds: float, page: int = 5000) -> tuple[float, int]:
    """The library's ``select_notifications``, page after page, from the start of the log."""
    from services.eventstore.store import EventStore

    store = EventStore(settings)
    try:
        position, read = 0, 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            rows = store.recorder.select_notifications(position, page, inclusive_of_start=False)
            if not rows:
                break
            read += len(rows)
            position = rows[-1].id
        return read / (time.perf_counter() - started), read
    finally:
        store.close()


REBUILD_CHILD = """
import json, resource, sys
sys.path.insert(0, {root!r})
from projections.rebuild import rebuild
from services.config import load_settings
settings = load_settings(env={{}}, data_dir={data!r}, database_url={url!r})
report = rebuild(settings)
print(json.dumps({{"notifications": report.notifications, "seconds": report.seconds,
    "rate": report.rate, "models": [m.name for m in report.models],
    "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "cpu_seconds": sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        + sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2]),
    "second_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}}))
"""


def rebuild_child(settings: Settings) -> dict[str, Any]:
    """``projections.rebuild.rebuild`` of every read model in a child process (its peak RSS)."""
    code = REBUILD_CHILD.format(root=str(ROOT), data=settings.data_dir, url=settings.database_url)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        preexec_fn=_dies_with_us(),
    )
    if out.returncode != 0:
        raise RuntimeError(f"rebuild failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def library_runner_rate(settings: Settings, seconds: float) -> tuple[float, int]:
    """eventsourcing's ``ProjectionRunner`` with an equivalent simple projection (latest topic
    and event count per stream, upserted), one event per transaction with its tracking row."""
    from eventsourcing.persistence import Tracking
    from eventsourcing.postgres import PostgresTrackingRecorder
    from eventsourcing.projection import Projection as LibraryProjection
    from eventsourcing.projection import ProjectionRunner
    from psycopg.sql import SQL

    from services.eventstore.store import SirismaApplication, persistence_env

    class StatusView(PostgresTrackingRecorder):
        def __init__(self, datastore: Any, **kwargs: Any) -> None:
            super().__init__(datastore, **kwargs)
            self.sql_create_statements.append(
                SQL(
                    "CREATE TABLE IF NOT EXISTS bench_library_view (originator_id uuid "
                    "PRIMARY KEY, topic text NOT NULL, events int NOT NULL)"
                ).format()
            )

        def record(self, originator_id: Any, topic: str, tracking: Tracking) -> None:
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(
                    "INSERT INTO bench_library_view VALUES (%s, %s, 1) ON CONFLICT "
                    "(originator_id) DO UPDATE SET topic = EXCLUDED.topic, "
                    "events = bench_library_view.events + 1",
                    (originator_id, topic),
                    prepare=True,
                )
                self._insert_tracking(curs, tracking)

    class BenchLibraryProjection(LibraryProjection[StatusView]):
        name = "benchlib"

        def process_event(self, domain_event: Any, tracking: Tracking) -> None:  # type: ignore[override]
            self.view.record(domain_event.originator_id, domain_event.TOPIC, tracking)

    env = {**persistence_env(settings), "CREATE_TABLE": "y"}
    runner = ProjectionRunner(
        application_class=SirismaApplication,
        projection_class=BenchLibraryProjection,
        view_class=StatusView,
        env=env,
    )
    with runner:
        time.sleep(min(1.0, seconds / 4))
        start = runner.view.max_tracking_id(runner.app_name) or 0
        started = time.perf_counter()
        time.sleep(seconds)
        done = (runner.view.max_tracking_id(runner.app_name) or 0) - start
        elapsed = time.perf_counter() - started
    return done / elapsed, done


PROJECTOR_CHILD = """
# What `sirisma project` runs: the runner following the log (LISTEN/NOTIFY), until SIGTERM.
import signal, threading
from projections.runner import Runner
from services.config import load_settings
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
runner = Runner(load_settings())
try:
    runner.run(stop)
finally:
    runner.close()
"""

WATCHER_CHILD = """
# The lag watcher, in a process of its own: polls every read model's tracking position each
# millisecond and prints, when its stdin closes, each position change with the CLOCK_MONOTONIC
# time it was first seen (the command threads of the parent cannot delay it through the GIL).
import json, select, sys, time
import psycopg
from projections import tracking
changes = []
last = {}
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    print("ready", flush=True)
    while True:
        rows = conn.execute(f"SELECT name, position FROM {tracking.TABLE}", prepare=True)
        now = time.monotonic()
        for name, position in rows.fetchall():
            if last.get(name) != position:
                last[name] = position
                changes.append((now, name, position))
        if select.select([sys.stdin], [], [], 0)[0] and not sys.stdin.readline():
            break
        time.sleep(0.001)
print(json.dumps(changes), flush=True)
"""


def _first_seen(
    changes: list[tuple[float, str, int]], names: list[str]
) -> dict[str, tuple[list[int], list[float]]]:
    """Per model, its positions in the order seen and when: the first time at which a position
    covered a notification id is found by bisecting the positions (they only grow)."""
    timeline: dict[str, tuple[list[int], list[float]]] = {n: ([], []) for n in names}
    for at, name, position in changes:
        if name in timeline:
            positions, times = timeline[name]
            if not positions or position > positions[-1]:
                positions.append(position)
                times.append(at)
    return timeline


# ---- 3. live lag --------------------------------------------------------------------------------


STALL_MS = 100.0  # no model's position moved for this long while commands waited: a stall


class BackgroundWork:
    """PostgreSQL's own background work during a run (autovacuum workers, a checkpoint in
    progress), sampled every 100 ms from ``pg_stat_activity`` on the watcher's clock: what a
    stall of the read models overlapped, printed beside it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> BackgroundWork:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(0.1):
                rows = conn.execute(
                    "SELECT backend_type, left(query, 70) "
                    "FROM pg_stat_activity WHERE (backend_type = 'autovacuum worker' AND "
                    "state = 'active') OR (backend_type = 'checkpointer' AND "
                    "coalesce(wait_event, '') <> 'CheckpointerMain')"
                ).fetchall()
                now = time.monotonic()
                for kind, query in rows:
                    self.seen.append((now, query if kind == "autovacuum worker" else "checkpoint"))

    def during(self, start: float, end: float) -> list[str]:
        """What was seen from ``start`` to ``end`` (and 100 ms either side), each named once."""
        return sorted({what for at, what in self.seen if start - 0.1 <= at <= end + 0.1})


def stalls(
    positions: list[int], times: list[float], sent: list[tuple[int, float]]
) -> list[tuple[float, float]]:
    """(start, length in ms) of each time a model's position stood still for over ``STALL_MS``
    while a command it had not yet covered was waiting (from that command's commit). ``sent``:
    (notification id, commit time), in id order."""
    ids = [nid for nid, _ in sent]
    found = []
    for k in range(1, len(times)):
        lo = bisect.bisect_right(ids, positions[k - 1])
        hi = bisect.bisect_right(ids, positions[k])
        if lo == hi:
            continue
        start = max(times[k - 1], min(c for _, c in sent[lo:hi]))
        if (times[k] - start) * 1000 > STALL_MS:
            found.append((start, (times[k] - start) * 1000))
    return found


def live_lag(
    settings: Settings,
    writers: list[Writer],
    per_second: float,
    seconds: float,
    clients: int = 4,
) -> dict[str, Any]:
    """Commands at a steady rate through ``Commands`` (the real command path); a watcher in its
    own process polls every read model's tracking position (written in the same transaction as
    its rows) and the lag of each command is from its commit to the first time its model's
    position covered its notification id. Per model (p50, p99, not seen); ``_sent``: (rate, 0,
    count); ``_stalls``: the first model's stalls with PostgreSQL's background work then."""
    from projections import tracking
    from services.commands import Commands
    from services.domain.actor import Actor, Role
    from services.domain.aggregate import Context
    from services.eventstore.store import EventStore

    env = {k: v for k, v in os.environ.items() if not k.startswith("SIRISMA_")}
    env.update(
        SIRISMA_DATABASE_URL=settings.database_url,
        SIRISMA_REDIS_URL=settings.redis_url,
        SIRISMA_DATA_DIR=settings.data_dir,
        PYTHONPATH=str(ROOT),
    )
    projector = subprocess.Popen(
        [sys.executable, "-c", PROJECTOR_CHILD],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        process_group=0,  # not a session of its own: tests/servers.py, "Sessions"
        preexec_fn=_dies_with_us(),
    )
    store = EventStore(settings)
    commands = Commands(store)
    sent: list[tuple[int, float]] = []
    sent_lock = threading.Lock()
    watcher: subprocess.Popen[str] | None = None
    try:
        # One command first, so "caught up" below means this projector applied it: with the
        # positions already at the head (a run before this one), the window opened while the
        # new projector was still starting (imports, locks: a second or more), and every run
        # but the first counted that start-up as lag of its first commands (p99 567-581 ms at
        # 800/s nationally; 17-19 ms with the projector up).
        _move_head(commands, writers[-1])
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            deadline = time.monotonic() + 300
            head = store.max_notification_id()
            while True:  # the projector is up and caught up
                rows = conn.execute(f"SELECT name, position FROM {tracking.TABLE}").fetchall()
                if rows and min(r[1] for r in rows) >= head:
                    break
                if projector.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("projector did not catch up")
                time.sleep(0.2)
            names = [r[0] for r in rows if not r[0].endswith("__rebuild")]

        watcher = subprocess.Popen(
            [sys.executable, "-c", WATCHER_CHILD, settings.database_url],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            process_group=0,  # not a session of its own: tests/servers.py, "Sessions"
            preexec_fn=_dies_with_us(),
        )
        assert watcher.stdin is not None and watcher.stdout is not None
        if watcher.stdout.readline().strip() != "ready":
            raise RuntimeError("lag watcher did not start")
        interval = clients / per_second

        def client(i: int) -> None:
            w = writers[i]
            actor = Actor(w.account_id, Role.OPERATOR, w.organisation_id)
            next_at = time.perf_counter() + i * interval / clients
            n = 0
            while next_at < stop_at and time.perf_counter() < stop_at:
                pause = next_at - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                n += 1
                outcome = commands.claim_indicator(
                    Context(actor=actor, correlation_id="bench-lag"),
                    w.part(3)[n % len(w.part(3))],
                    no=n % 20 + 1,
                    level=n % 3 + 1,
                )
                committed = time.monotonic()  # the watcher's clock (CLOCK_MONOTONIC)
                with sent_lock:
                    sent.append((outcome.notification_id, committed))
                next_at += interval

        began = time.perf_counter()
        stop_at = began + seconds
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        with BackgroundWork(settings.database_url) as background:
            began_at = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        seconds = time.perf_counter() - began
        last = max((nid for nid, _ in sent), default=0)
        give_up = time.monotonic() + 10
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            while time.monotonic() < give_up:  # every model covers the last command, or 10 s
                rows = conn.execute(f"SELECT name, position FROM {tracking.TABLE}").fetchall()
                if all(p >= last for n, p in rows if n in names):
                    break
                time.sleep(0.05)
        time.sleep(0.05)  # the watcher's next poll sees the final positions
        out, _ = watcher.communicate(timeout=30)
        timeline = _first_seen([tuple(c) for c in json.loads(out)], names)  # type: ignore[misc]
        result: dict[str, Any] = {}
        for name in names:
            positions, times = timeline[name]
            lags, missing = [], 0
            for nid, committed in sent:
                k = bisect.bisect_left(positions, nid)
                if k < len(positions):
                    lags.append((times[k] - committed) * 1000)
                else:
                    missing += 1
            result[name] = (pct(lags, 50), pct(lags, 99), missing)
        result["_sent"] = (len(sent) / seconds, 0.0, len(sent))
        positions, times = timeline[names[0]] if names else ([], [])
        result["_stalls"] = [
            (start - began_at, length, background.during(start, start + length / 1000))
            for start, length in stalls(positions, times, sorted(sent))
        ]
        return result
    finally:
        store.close()
        for child in (watcher, projector):
            if child is not None and child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            projector.wait(20)


def _move_head(commands: Any, writer: Writer) -> None:
    """One command that changes the log (a claim at a level it does not have yet)."""
    from services.domain.actor import Actor, Role
    from services.domain.aggregate import Context

    actor = Actor(writer.account_id, Role.OPERATOR, writer.organisation_id)
    before = commands.store.max_notification_id()
    for level in (1, 2, 3):
        commands.claim_indicator(
            Context(actor=actor, correlation_id="bench-lag"),
            writer.innovation_ids[-1],
            no=1,
            level=level,
        )
        if commands.store.max_notification_id() > before:
            return
    raise RuntimeError("no command moved the log's head")


SUSTAINED = 0.95  # a rate is sustained when at least this share of the offered commands went


def sustained_rate(
    settings: Settings, writers: list[Writer], seconds: float, clients: int = LAG_CLIENTS
) -> tuple[float, list[tuple[float, float]]]:
    """The highest paced command rate the machine keeps up with, the projector running: offered
    rates double from 100/s until fewer than ``SUSTAINED`` of the commands go in time, then one
    step halfway back. Returns (that rate, [(offered, achieved), …])."""
    steps: list[tuple[float, float]] = []

    def offer(rate: float) -> bool:
        achieved = live_lag(settings, writers, rate, seconds, clients)["_sent"][0]
        steps.append((rate, achieved))
        log(f"  offered {rate:,.0f}/s: {achieved:,.0f}/s")
        return achieved >= SUSTAINED * rate

    met, rate = 0.0, 100.0
    while rate <= 12_800 and offer(rate):
        met, rate = rate, rate * 2
    if met and rate <= 12_800 and offer((met + rate) / 2):
        met = (met + rate) / 2
    return met or max(a for _, a in steps), steps


LAG_RETRIES = 2  # lower rates tried when the lag run itself does not sustain its rate
LAG_STEP_DOWN = 0.75


def lag_at_sustained_rate(
    settings: Settings, writers: list[Writer], rate: float, seconds: float
) -> tuple[dict[str, Any], list[tuple[float, float]]]:
    """``live_lag`` at ``rate``, the ramp's best; when the lag run itself (longer than a ramp
    step, so more likely to meet an autovacuum or a checkpoint) sends fewer than ``SUSTAINED``
    of its commands in time, the machine did not sustain that rate, and the lag measured there
    is that of a growing queue: measured again at ``LAG_STEP_DOWN`` of it, up to
    ``LAG_RETRIES`` times. Returns the last run and every (offered, sent) tried."""
    tried: list[tuple[float, float]] = []
    while True:
        log(f"live lag at {rate:,.0f} commands/s")
        lags = live_lag(settings, writers, rate, seconds, LAG_CLIENTS)
        tried.append((rate, lags["_sent"][0]))
        if lags["_sent"][0] >= SUSTAINED * rate or len(tried) > LAG_RETRIES:
            return lags, tried
        log(f"  sent {lags['_sent'][0]:,.0f}/s: not sustained over {seconds:.0f} s")
        rate = round(rate * LAG_STEP_DOWN, -2)


# ---- the run ------------------------------------------------------------------------------------


@contextlib.contextmanager
def servers() -> Iterator[tuple[str, str]]:
    from tests.servers import start_postgres, start_redis

    pg = start_postgres()
    _size_buffers(pg)
    _PLACEMENT[:] = [str(pg.cpu_placement or "the caller's server, left where it runs")]
    redis = start_redis()
    _POSTGRES.append(pg)
    try:
        name = f"bench_{uuid.uuid4().hex[:10]}"
        url = pg.create_database(name)
        yield url, redis.url
    finally:
        _POSTGRES.remove(pg)
        redis.close()
        pg.close()


_POSTGRES: list[Any] = []  # the server ``servers()`` started, while it runs
_PLACEMENT: list[str] = []  # where ``servers()`` put PostgreSQL (services.ops.cpu_group)


def _size_buffers(pg: Any) -> None:
    """The buffer pool a deployment gets (``services.ops.pg_memory``: ``sirisma cluster``, and
    compose.yaml's default), not PostgreSQL's 128 MB: the bench measures what users run. A
    server the bench did not start (``SIRISMA_TEST_POSTGRES_URL``) is left as it is."""
    from services.ops.pg_memory import shared_buffers
    from tests.servers import NotManaged

    wanted = shared_buffers()
    with pg.connect() as conn:
        conn.autocommit = True
        now = conn.execute(
            "SELECT setting::bigint * 8192 / 1048576 FROM pg_settings WHERE name = 'shared_buffers'"
        ).fetchone()
        if now is not None and f"{now[0]}MB" == wanted:
            return
        conn.execute(f"ALTER SYSTEM SET shared_buffers = '{wanted}'")
    with contextlib.suppress(NotManaged):
        pg.restart()


def extra_database(name: str) -> str:
    """Another empty database on the run's PostgreSQL (for a bench that seeds its own world)."""
    return str(_POSTGRES[-1].create_database(f"{name}_{uuid.uuid4().hex[:6]}"))


def run(args: argparse.Namespace) -> list[Section]:
    scale = SCALES[args.scale]
    if args.regencies:
        scale.regencies = args.regencies
    sections: list[Section] = []
    started = time.perf_counter()
    load_start = os.getloadavg()
    data_dir = tempfile.mkdtemp(prefix="sirisma-bench-")
    SCRATCH.append(data_dir)
    with servers() as (url, redis_url):
        settings = load_settings(env={}, data_dir=data_dir, database_url=url, redis_url=redis_url)
        from services.eventstore.store import EventStore
        from services.startup import start_runtime

        # -- data ----------------------------------------------------------------------------
        log(f"generating {scale.regencies} regency/ies × {scale.per_regency} innovations")
        store = EventStore(settings)
        regions: list[datagen.Regency] = []
        original = datagen.setup_regencies

        def keep(*a: Any, **k: Any) -> list[datagen.Regency]:
            regions.extend(original(*a, **k))
            return regions

        datagen.setup_regencies = keep  # type: ignore[assignment]
        try:
            summary = datagen.generate(
                store,
                scale.regencies,
                scale.per_regency,
                progress=lambda name, n: log(f"  {name:<12} {n:>9,} events"),
            )
        finally:
            datagen.setup_regencies = original  # type: ignore[assignment]
        verified = ""
        if args.verify or summary.events <= 100_000:
            log("verifying the hash chain (sirisma audit verify)")
            t = time.perf_counter()
            report = datagen.verify(store)
            verified = f"{report.message} ({time.perf_counter() - t:.0f} s)"
            if not report.ok:
                raise SystemExit(f"generated log does not verify: {report.message}")
        store.close()
        sections.append(
            Section(
                "Data",
                f"Seeded with `bench/datagen.py` (seed 2026) through the real aggregates, mapper "
                f"and "
                f"recorder (hash chain included), {summary.seconds:.0f} s "
                f"({summary.events / max(summary.seconds, 0.1):,.0f} events/s).",
                ["regencies", "organisations", "accounts", "innovations", "events"],
                [
                    [
                        str(summary.regencies),
                        f"{summary.organisations:,}",
                        f"{summary.accounts:,}",
                        f"{summary.innovations:,}",
                        f"{summary.events:,}",
                    ]
                ],
                notes=[
                    "statuses: " + ", ".join(f"{k} {v:,}" for k, v in summary.statuses.items()),
                    "stages: " + ", ".join(f"{k} {v:,}" for k, v in summary.stages.items()),
                    *([f"hash chain: {verified}"] if verified else []),
                ],
            )
        )
        start_runtime(settings, background=False).close()  # read-side tables, sessions

        # -- 2. projections ------------------------------------------------------------------
        log("raw log read (select_notifications)")
        raw_rate, raw_read = raw_log_read(settings, 60.0 if scale.name != "quick" else 5.0)
        log(f"  {raw_rate:,.0f} notifications/s")
        log("rebuild of every read model (child process)")
        rebuilt = rebuild_child(settings)
        log(f"  {rebuilt['rate']:,.0f} events/s, peak RSS {rebuilt['maxrss_mb']:.0f} MB")
        log("raw log read again (the baseline is the faster of both reads)")
        raw_again, _ = raw_log_read(settings, 60.0 if scale.name != "quick" else 5.0)
        raw_first, raw_rate = raw_rate, max(raw_rate, raw_again)
        log(f"  {raw_again:,.0f} notifications/s")
        log("library ProjectionRunner (bounded)")
        lib_rate, lib_done = library_runner_rate(settings, scale.baseline_seconds)
        log(f"  {lib_rate:,.0f} events/s")
        sections.append(
            Section(
                "Projection rebuild",
                f"`projections.rebuild.rebuild()` of every read model "
                f"({', '.join(rebuilt['models'])}) from the whole log of "
                f"{rebuilt['notifications']:,} events, into shadow tables and swapped in, as "
                "`sirisma rebuild` runs it. Target: ≥ 0.8× the raw log-read rate of the same "
                "run.",
                ["what", "events/s", "events", "ratio of rebuild to it"],
                [
                    [
                        "SI-RISMA rebuild (all read models)",
                        rate(rebuilt["rate"]),
                        f"{rebuilt['notifications']:,}",
                        "1.00×",
                    ],
                    [
                        "library `ProjectionRunner`, one simple projection (bounded "
                        f"{scale.baseline_seconds:.0f} s)",
                        rate(lib_rate),
                        f"{lib_done:,}",
                        ratio(rebuilt["rate"], lib_rate),
                    ],
                    [
                        "reading the log: `select_notifications` pages of 5,000, no decoding "
                        f"(the faster of a read before the rebuild, {raw_first:,.0f}/s, and one "
                        f"after it, {raw_again:,.0f}/s)",
                        rate(raw_rate),
                        f"{raw_read:,}",
                        ratio(rebuilt["rate"], raw_rate),
                    ],
                ],
                notes=[
                    "target ≥ 0.8× the raw log read: "
                    + target(
                        "projection rebuild",
                        "≥ 0.8× the raw log-read rate",
                        f"{rebuilt['rate'] / max(raw_rate, 1):.2f}× "
                        f"({rebuilt['rate']:,.0f} / {raw_rate:,.0f} events/s)",
                        rebuilt["rate"] >= 0.8 * raw_rate,
                    ),
                    f"the rebuild's processes (the caller folding `innovations`, its second "
                    f"process the other models, `projections/second_process.py`) used "
                    f"{rebuilt['cpu_seconds']:.0f} s of CPU in {rebuilt['seconds']:.0f} s: "
                    f"{rebuilt['notifications'] / max(rebuilt['cpu_seconds'], 0.001):,.0f} events "
                    "per CPU-second of the projector (its Python: decoding and folding; each "
                    "process reads and decodes the log itself). PostgreSQL's own CPU is not in "
                    "it; the machine has two cores for both processes, PostgreSQL and the bench.",
                ],
            )
        )

        # -- HTTP ----------------------------------------------------------------------------
        # Enough drafts that no stream grows far past a real one's few dozen events in a run.
        per_run = 2 if scale.name == "quick" else 40
        writers = prepare_writers(settings, regions[0], 32, PARTS * per_run + 1)
        for w in writers:
            w.token = issue_token(settings, w.account_id)
        log("starting uvicorn (2 workers)")
        server = Server(settings, workers=2)
        try:
            # -- 4. read routes (bench/read_routes.py) ----------------------------------------
            secs = scale.load_seconds
            log("read routes under load (wrk)")
            import read_routes

            sections += read_routes.measure(
                settings,
                server,
                secs,
                summary.innovations,
                5 if scale.name == "quick" else 15,
            )

            # -- 1. write path ----------------------------------------------------------------
            log("write path")
            from services.domain.actor import Actor, Role
            from services.domain.aggregate import Context
            from services.domain.innovation import Innovation
            from services.domain.rubric import load_rubric
            from services.eventstore.store import MsgspecMapper

            probe_store = EventStore(settings)
            probe = probe_store.load(Innovation, writers[0].innovation_id)
            probe.claim_indicator(
                Context(
                    actor=Actor(writers[0].account_id, Role.OPERATOR, writers[0].organisation_id)
                ),
                load_rubric(datagen.RUBRIC_YEAR),
                no=3,
                level=2,
                note="klaim uji beban",
            )
            state = MsgspecMapper().to_stored_event(probe.pending_events[0]).state
            probe_store.close()
            write_rows = []
            store_rows = []
            lock_settings = msgspec.structs.replace(settings, group_commit=False)
            for level, clients in enumerate((1, 8, 32)):
                raw_rps, raw_lat = raw_baseline(url, clients, secs, state)
                spec = ", ".join(
                    '{"' + w.token + '", {' + ", ".join(f'"{i}"' for i in w.part(level)) + "}}"
                    for w in writers[:clients]
                )
                res = wrk(
                    server.base + "/", secs, clients, clients, script=WRK_WRITE % {"specs": spec}
                )
                time.sleep(2.0)  # requests still in flight when wrk stopped finish first
                # The ceiling on this machine: the same server answering a route that does no
                # work at all (no database), with the same clients.
                floor_w = wrk(server.base + "/health/live", secs, clients, clients)
                grp_rps, grp_lat, groups = store_rate(settings, writers, clients, secs)
                lck_rps, lck_lat, _ = store_rate(lock_settings, writers, clients, secs)
                log(
                    f"  {clients:>2} clients: HTTP {res.rps:,.0f}/s (errors {res.errors}), raw "
                    f"{raw_rps:,.0f}/s, store group {grp_rps:,.0f}/s, store lock {lck_rps:,.0f}/s"
                )
                write_rows.append(
                    [
                        str(clients),
                        rate(res.rps),
                        ms(res.p50),
                        ms(res.p99),
                        str(res.errors),
                        rate(raw_rps),
                        ms(pct(raw_lat, 50)),
                        ms(pct(raw_lat, 99)),
                        f"{res.rps / raw_rps * 100:.0f} %",
                        rate(floor_w.rps),
                        f"{floor_w.rps / raw_rps * 100:.0f} %",
                        f"{res.rps / floor_w.rps * 100:.0f} %",
                    ]
                )
                store_rows.append(
                    [
                        str(clients),
                        rate(grp_rps),
                        ms(pct(grp_lat, 50)),
                        ms(pct(grp_lat, 99)),
                        f"{groups:.1f}" if groups else "–",
                        rate(lck_rps),
                        ms(pct(lck_lat, 99)),
                        f"{grp_rps / raw_rps * 100:.0f} %",
                        f"{lck_rps / raw_rps * 100:.0f} %",
                    ]
                )
            at8 = next(r for r in write_rows if r[0] == "8")
            sections.append(
                Section(
                    "Write path through HTTP",
                    "Each client is an operator claiming indicators on its own draft: "
                    "`PUT /api/innovations/{id}/indicators/{no}` (token check, policy, load, "
                    "decide, save with the hash chain, the record returned as it now stands), "
                    f"`wrk` with one thread and one connection per client, {secs:.0f} s per "
                    "step, uvicorn with 2 workers, group commit on. Baseline: raw psycopg "
                    "inserting the same rows (the event and its chain row), one transaction "
                    "per command, the same number of client threads: context, not a target "
                    '(the write path\'s targets are in "Write path against its yardsticks").',
                    [
                        "clients",
                        "commands/s",
                        "p50",
                        "p99",
                        "errors",
                        "raw rows/s",
                        "raw p50",
                        "raw p99",
                        "HTTP / raw",
                        "empty route req/s",
                        "empty / raw",
                        "HTTP / empty",
                    ],
                    write_rows,
                    notes=[
                        f"at 8 clients: {at8[8]} of raw. Not a target any more: a minimal "
                        "Litestar route doing the same two INSERTs and COMMIT through a psycopg "
                        "pool reaches about a third of raw psycopg itself, so ≥ 50 % of raw "
                        "measured the framework; issue 19 replaced it with the floor route and "
                        'the plain-library route (section "Write path against its yardsticks").',
                        "`empty route` is the same server answering `GET /health/live` (no "
                        "database, no body) with the same clients: the most any route can "
                        f"reach here. At 8 clients even that is {at8[10]} of raw; a write "
                        "request does that route's work and then authenticates, authorises, "
                        "loads, decides, saves and answers, on the same 2 cores as PostgreSQL "
                        "and the load generator. `HTTP / empty` shows how much of that "
                        "ceiling the write path reaches.",
                        "Where a write request's time goes: see \"What issue 19's work "
                        'bought" at the end of the report (a cProfile of the claim, '
                        "`bench/profile_inproc.py --profile put`). The raw baseline is two "
                        "INSERTs and a COMMIT from a tight loop; the save is the cheap part "
                        "(next table): the request's own CPU is the ceiling, not the lock.",
                    ],
                )
            )
            sections.append(
                Section(
                    "Write path: the store alone",
                    "`EventStore.save` of one new event per command (an indicator claim on the "
                    "client's own draft, decided in memory), client threads in one process, "
                    "no HTTP: with group commit (the default on PostgreSQL) and with the "
                    "previous recorder that takes the writers' lock once per save.",
                    [
                        "clients",
                        "group commit /s",
                        "p50",
                        "p99",
                        "commands per commit",
                        "lock per save /s",
                        "p99",
                        "group / raw",
                        "lock / raw",
                    ],
                    store_rows,
                    notes=[
                        "With one lock per save, throughput stays flat (or falls) as clients "
                        "are added: every save waits for the one before it to commit. Group "
                        "commit puts every save queued during a commit into the next one, so "
                        "throughput grows with concurrency while notification ids still "
                        "commit in order and each stream's hash chain stays whole.",
                    ],
                )
            )

            # -- 3. live lag ------------------------------------------------------------------
            log("write-rate ramp (commands through `Commands`, projector running)")
            best, ramp = sustained_rate(settings, writers, scale.ramp_seconds)
            lags, tried = lag_at_sustained_rate(settings, writers, best, scale.lag_seconds)
            best = tried[-1][0]
            sent_rate, _, sent = lags.pop("_sent")
            stalled = lags.pop("_stalls")
            lag_rows = [
                [
                    name,
                    ms(p50),
                    ms(p99),
                    str(missing),
                    target(
                        f"live lag, read model `{name}`",
                        f"p99 < 50 ms at the highest sustained write rate ({best:,.0f}/s)",
                        f"p99 {ms(p99)} at {sent_rate:,.0f}/s",
                        p99 < 50,
                    ),
                ]
                for name, (p50, p99, missing) in sorted(lags.items())
            ]
            sections.append(
                Section(
                    "Live lag",
                    f"{sent:,} commands at {sent_rate:.0f}/s for {scale.lag_seconds:.0f} s "
                    f"through `Commands` ({LAG_CLIENTS} paced threads), `sirisma project` "
                    "running as its own process on LISTEN/NOTIFY. The rate is the highest the "
                    "machine sustained in a ramp just before (below), and in the lag run itself: "
                    "where that run sent fewer than "
                    f"{SUSTAINED:.0%} of its commands in time, it was run again at "
                    f"{LAG_STEP_DOWN:.0%} of the rate. Lag: from the command's "
                    "commit to the moment the read model's tracking position (committed in the "
                    "same transaction as its rows) covers its notification id, polled every "
                    "millisecond by a watcher in its own process (in the command threads' "
                    "process it waited for the GIL and its own stalls showed as lag). Target: "
                    "p99 < 50 ms at that rate.",
                    ["read model", "p50", "p99", "not seen", "target"],
                    lag_rows,
                    notes=[
                        f"ramp ({scale.ramp_seconds:.0f} s per step; sustained when at least "
                        f"{SUSTAINED:.0%} of the offered commands went in time): "
                        + "; ".join(
                            f"offered {o:,.0f}/s → {a:,.0f}/s"
                            + ("" if a >= SUSTAINED * o else " (not sustained)")
                            for o, a in ramp
                        ),
                        "lag runs: "
                        + "; ".join(
                            f"offered {o:,.0f}/s → {a:,.0f}/s"
                            + ("" if a >= SUSTAINED * o else " (not sustained: measured lower)")
                            for o, a in tried
                        ),
                        f"sustained: {best:,.0f} commands/s. The commands, the projector, "
                        "PostgreSQL and the watcher share the machine's cores (see the load "
                        "average under Run).",
                        f"stalls (no position moved for over {STALL_MS:.0f} ms while a command "
                        "waited; every model moves in the same transaction, so one list): "
                        + (
                            "; ".join(
                                f"at {at:.1f} s, {length:,.0f} ms"
                                + (f" (PostgreSQL meanwhile: {', '.join(bg)})" if bg else "")
                                for at, length, bg in stalled
                            )
                            or "none"
                        ),
                    ],
                )
            )
            rss = server.peak_rss_mb()
        finally:
            server.close()

        # -- 1b. the write path against its yardsticks (bench/write_baselines.py) --------------
        import write_baselines

        quick = scale.name == "quick"
        sections.append(write_baselines.measure(settings, regions[0], secs, 10 if quick else 40))

        # -- 5b. a command's cost against its stream's length (bench/stream_length.py) ----------
        import stream_length

        log("a command's cost at 10, 100 and 1,000 events in its stream")
        sections.append(stream_length.measure(extra_database("stream"), 10 if quick else 60))

        # -- 5. auditor ------------------------------------------------------------------------
        log("auditor: state as of a version")
        import audit_state_as_of

        audit = audit_state_as_of.run(url, scale.audit_events, scale.audit_samples, 50)
        sections.append(
            Section(
                "Auditor: state as of a version",
                f"`bench/audit_state_as_of.py`: one innovation with {audit.events:,} events "
                f"(saved one command per transaction); {audit.samples} random versions, "
                "each the full state (snapshot ≤ N with its chain link checked, replay, "
                "scorecard against the call as it then stood). Baseline: the same without "
                "snapshots (full replay). Target: p95 < 20 ms on PostgreSQL.",
                ["what", "p50", "p95", "p99", "target"],
                [
                    [
                        "state as of a version (snapshots every 50)",
                        ms(audit.p50_ms),
                        ms(audit.p95_ms),
                        ms(audit.p99_ms),
                        target(
                            f"auditor: state as of a version ({audit.events:,}-event stream)",
                            "p95 < 20 ms",
                            f"p95 {ms(audit.p95_ms)}",
                            audit.passed,
                        ),
                    ],
                    [
                        "baseline: full replay",
                        "–",
                        ms(audit.no_snapshot_p95_ms),
                        "–",
                        ratio(audit.no_snapshot_p95_ms, audit.p95_ms) + " slower",
                    ],
                ],
            )
        )

        # -- 6. memory ---------------------------------------------------------------------------
        sections.append(
            Section(
                "Memory",
                "Peak resident set size (VmHWM / ru_maxrss).",
                ["process", "peak RSS"],
                [
                    *[
                        [f"HTTP worker {i + 1} (after the read and write runs)", f"{m:.0f} MB"]
                        for i, m in enumerate(rss)
                    ],
                    [
                        f"projector during the rebuild of {rebuilt['notifications']:,} events",
                        f"{rebuilt['maxrss_mb']:.0f} MB",
                    ],
                    [
                        "the rebuild's second process (the other read models)",
                        f"{rebuilt.get('second_rss_mb', 0):.0f} MB",
                    ],
                ],
            )
        )
    log(f"done in {time.perf_counter() - started:.0f} s")
    load_end = os.getloadavg()
    sections.append(
        Section(
            "Run",
            "Load average (1/5/15 min) of the whole machine when the run started and ended: "
            "whatever else runs on it shares the cores with the servers and the clients.",
            ["scale", "wall time", "load average at start", "at end"],
            [
                [
                    scale.name,
                    f"{time.perf_counter() - started:.0f} s",
                    " / ".join(f"{x:.1f}" for x in load_start),
                    " / ".join(f"{x:.1f}" for x in load_end),
                ]
            ],
        )
    )
    return sections


def write_report(path: Path, sections: list[Section], argv: list[str], scale: str) -> None:
    info = machine()
    lines = [
        "# Benchmarks",
        "",
        "Written by `bench/run` down to the line that says otherwise — do not edit that part "
        "by hand; run it again. Every figure is measured "
        "in the same run as its baseline, on the machine below. PostgreSQL and Redis are the "
        "suite's own throwaway servers on loopback (`tests/servers.py`: fsync, "
        "synchronous_commit and full_page_writes off), so write figures measure CPU and "
        "locking, not disk flushes; with durable commits group commit gains more, since one "
        "flush then serves a whole group.",
        "",
        f"Generated {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, scale `{scale}`.",
        "",
        "Reproduce:",
        "",
        "```",
        " ".join(["bench/run", *argv]) + ("   # the default: national scale" if not argv else ""),
        "```",
        "",
        "## Machine and versions",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in info.items()],
        "",
    ]
    if TARGETS:
        lines += [
            "## Targets",
            "",
            "| benchmark | target | measured | verdict |",
            "|---|---|---|---|",
            *[f"| {' | '.join(t)} |" for t in TARGETS],
            "",
            "Where a target is missed, the section below says what the time goes to.",
            "",
        ]
    lines += [s.markdown() for s in sections]
    kept = path.read_text().partition(HAND_WRITTEN)[2] if path.exists() else ""
    if kept:  # the notes written by hand below the marker outlive the run
        lines += [HAND_WRITTEN + kept.rstrip("\n") + "\n"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


#: Everything after this line of the report is written by hand and kept by ``write_report``.
HAND_WRITTEN = "<!-- written by hand below this line; bench/run keeps it -->"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description="SI-RISMA benchmarks (see bench/suite.py)")
    parser.add_argument("--quick", action="store_true", help="tiny scale, seconds per step")
    parser.add_argument("--scale", choices=sorted(SCALES), default="national")
    parser.add_argument("--regencies", type=int, default=0, help="override the scale's count")
    parser.add_argument("--verify", action="store_true", help="verify the chain at any size")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    if args.quick:
        args.scale = "quick"
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (bench/run installs it: apt-get install wrk)")
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    # SIGTERM unwinds like Ctrl-C, so the servers and children are stopped by their finally/atexit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sections = run(args)
    except BaseException:
        print(f"logs (uvicorn.log) kept in: {', '.join(SCRATCH)}", file=sys.stderr)
        raise
    for folder in SCRATCH:
        shutil.rmtree(folder, ignore_errors=True)
    for s in sections:
        print(s.console())
    write_report(Path(args.out), sections, argv, args.scale)
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
