"""Local PostgreSQL and Redis processes from the machine's own binaries.

Shared by ``sirisma cluster`` and the test fixtures (``tests/servers.py``): finding the binaries
(PATH, then Debian's ``/usr/lib/postgresql/*/bin``), ``initdb``, running PostgreSQL as an
unprivileged user when we are root (it refuses to run as root), waiting for a server to answer,
and stopping a child process with a signal and a deadline.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


class ServerError(RuntimeError):
    """A server could not be found, started, or stopped."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else "(log is empty)"


def parent_death_signal(sig: int) -> Callable[[], None] | None:
    """A preexec_fn that makes the child receive ``sig`` when its parent dies (Linux only).

    The kernel sends it when the *thread* that started the child exits, so start children from
    a thread that lives as long as they should (the main thread)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, int(sig), 0, 0, 0)

    return preexec


@dataclass(frozen=True)
class RunAs:
    """subprocess arguments that run a child as ``account`` (or unchanged when None)."""

    account: pwd.struct_passwd | None

    @property
    def user(self) -> int | None:
        return None if self.account is None else self.account.pw_uid

    @property
    def group(self) -> int | None:
        return None if self.account is None else self.account.pw_gid

    @property
    def extra_groups(self) -> list[int] | None:
        return None if self.account is None else []

    def chown(self, path: Path) -> None:
        if self.user is not None and self.group is not None:
            os.chown(path, self.user, self.group)


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    process: subprocess.Popen[bytes] | None,
    log: Path | None,
) -> None:
    """Poll ``ready`` until it returns True; fail fast if ``process`` exits meanwhile."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        if process is not None and process.poll() is not None:
            raise ServerError(
                f"{what} exited with code {process.returncode} while starting.\n"
                + (f"--- {log} (tail) ---\n{log_tail(log)}" if log else "")
            )
        try:
            if ready():
                return
        except Exception as exc:  # noqa: BLE001 - any failure here just means "not yet"
            last_error = exc
        if time.monotonic() > deadline:
            raise ServerError(
                f"{what} was not ready after {timeout:.0f}s (last error: {last_error!r}).\n"
                + (f"--- {log} (tail) ---\n{log_tail(log)}" if log else "")
            )
        time.sleep(0.1)


def stop_process(process: subprocess.Popen[bytes], first: int, timeout: float) -> None:
    """Send ``first``, wait up to ``timeout`` seconds, then SIGKILL; always reaps the process."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(first)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait(10)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---- PostgreSQL ----------------------------------------------------------------------------


def find_postgres_bin(name: str) -> str:
    """Path of a PostgreSQL server binary: PATH first, then the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> tuple[int, ...]:
        part = Path(path).parent.parent.name
        return tuple(int(p) for p in part.split(".") if p.isdigit())

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version, reverse=True)
    if candidates:
        return candidates[0]
    raise ServerError(
        f"PostgreSQL binary {name!r} not found on PATH or under /usr/lib/postgresql/*/bin. "
        "Install PostgreSQL (Debian: apt-get install postgresql)."
    )


def find_redis_server() -> str:
    found = shutil.which("redis-server")
    if found is None:
        raise ServerError(
            "redis-server not found on PATH. Install it (Debian: apt-get install redis-server)."
        )
    return found


def unprivileged_user(name: str) -> pwd.struct_passwd | None:
    """The account to run PostgreSQL as when we are root (``name``, created as a system user if
    missing, else ``nobody``); None when we are not root."""
    if os.geteuid() != 0:
        return None
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    with contextlib.suppress(OSError):
        subprocess.run(
            [useradd, "--system", "--user-group", "--no-create-home",
             "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
            check=False, capture_output=True, timeout=30,
        )  # fmt: skip
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)  # created now, or by a concurrent process
    return pwd.getpwnam("nobody")


def reachable_by(path: Path, runas: RunAs) -> bool:
    """Whether ``runas`` can walk down to ``path`` (every ancestor searchable by it)."""
    if runas.account is None:
        return True
    for folder in [path, *path.parents]:
        if not folder.exists():
            continue
        st = folder.stat()
        if st.st_uid == runas.user:
            ok = bool(st.st_mode & 0o100)
        elif st.st_gid == runas.group:
            ok = bool(st.st_mode & 0o010)
        else:
            ok = bool(st.st_mode & 0o001)
        if not ok:
            return False
    return True


def postgres_env(home: Path) -> dict[str, str]:
    """The environment for PostgreSQL's binaries: no inherited PG* variables, C locale, UTC."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C", LANG="C", TZ="UTC", HOME=str(home))
    return env


def initdb(data_dir: Path, runas: RunAs, env: dict[str, str], *, sync: bool = False) -> None:
    """A new cluster in ``data_dir`` with superuser ``postgres`` and trust authentication.

    Trust is acceptable only because the servers started here listen on loopback alone."""
    command = [
        find_postgres_bin("initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust",
        "--encoding=UTF8", "--locale=C", "--no-instructions",
    ]  # fmt: skip
    if not sync:
        command.append("--no-sync")
    result = subprocess.run(
        command,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=data_dir.parent, env=env,
        timeout=120, check=False,
        user=runas.user, group=runas.group, extra_groups=runas.extra_groups,
    )  # fmt: skip
    if result.returncode != 0:
        raise ServerError(f"initdb failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def append_postgres_conf(data_dir: Path, settings: dict[str, str], marker: str) -> None:
    """Append ``settings`` to postgresql.conf (later lines win; appending keeps the owner)."""
    with (data_dir / "postgresql.conf").open("a") as f:
        f.write(f"\n# --- {marker} ---\n")
        for key, value in settings.items():
            f.write(f"{key} = {value}\n")


def postgres_command(data_dir: Path) -> list[str]:
    """The postmaster in the foreground: SIGINT is a fast shutdown, SIGQUIT an immediate one."""
    return [find_postgres_bin("postgres"), "-D", str(data_dir)]


def redis_command(port: int, folder: Path, *, persistent: bool) -> list[str]:
    """redis-server on loopback; ``persistent`` keeps an append-only file in ``folder`` (as the
    compose file's Redis does), else nothing survives a restart."""
    # fmt: off
    return [
        find_redis_server(),
        "--port", str(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "yes" if persistent else "no",
        "--dir", str(folder), "--logfile", "",
        "--daemonize", "no", "--databases", "16",
    ]
    # fmt: on


def stop_signal_for(kind: str) -> int:
    """How each kind of server is asked to stop cleanly."""
    return {"postgres": signal.SIGINT}.get(kind, signal.SIGTERM)
