"""A function run in a fresh interpreter beside this one, its result or exception brought back.

Why: a rebuild is Python-bound (decoding and folding hold the GIL), so on a machine with a
spare core a second *process* folding some of the read models finishes sooner than any thread
could. ``spawn``, not ``fork``: the parent has threads and open connections a forked child must
not inherit. The function, its arguments and its result travel by pickle.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger("sirisma.projections.second_process")


class SecondProcessFailed(RuntimeError):
    """The second process died, or raised an exception that could not be pickled back."""


class SecondProcess:
    """``function(**kwargs)`` in a spawned process, started at once; ``result()`` waits."""

    def __init__(self, function: Callable[..., Any], kwargs: dict[str, Any]) -> None:
        context = multiprocessing.get_context("spawn")
        self._receive, send = context.Pipe(duplex=False)
        level = logging.getLogger().getEffectiveLevel()
        self._process = context.Process(
            target=_main,
            args=(send, function, kwargs, level if logging.getLogger().handlers else None),
            kwargs={"parent": os.getpid()},
            name="sirisma-second-process",
            daemon=True,  # ended when this process exits (and killed with it: ``_die_with``)
        )
        self._process.start()
        send.close()  # the child's end: EOF here if it dies without an answer

    def result(self) -> Any:
        """The function's return value; its exception is raised here."""
        try:
            ok, value = self._receive.recv()
        except EOFError:
            self._process.join()
            raise SecondProcessFailed(
                f"the second process ended without an answer (exit code {self._process.exitcode})"
            ) from None
        finally:
            self._receive.close()
        self._process.join()
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        """End the process now (its open transaction is rolled back by the server)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._receive.close()


def _main(
    send: Connection,
    function: Callable[..., Any],
    kwargs: dict[str, Any],
    level: int | None,
    *,
    parent: int,
) -> None:
    _die_with(parent)
    if level is not None:  # the parent logs: so does its helper, to the same stderr
        logging.basicConfig(level=level, format="%(relativeCreated)8.0f %(name)s %(message)s")
    try:
        answer: tuple[bool, Any] = (True, function(**kwargs))
    except BaseException as exc:
        answer = (False, exc)
    try:
        send.send(answer)
    except Exception as exc:  # an exception that does not pickle: its text instead
        send.send((False, SecondProcessFailed(f"{answer[1]!r} ({exc})")))
    finally:
        send.close()


def _die_with(parent: int) -> None:
    """Linux: SIGTERM when the parent dies, even by SIGKILL (``daemon`` only covers its normal
    exit), so no orphan keeps folding, holding its models' locks, after the caller is gone."""
    if sys.platform != "linux":
        return
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)
