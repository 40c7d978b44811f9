"""A function run in a fresh interpreter beside this one, its result or exception brought back.

Why: a rebuild is Python-bound (decoding and folding hold the GIL), so on a machine with a
spare core a second *process* folding some of the read models finishes sooner than any thread
could. A fresh interpreter (``python -c``), not ``fork`` (the caller has threads and open
connections a forked child must not inherit) and not ``multiprocessing``'s spawn, which imports
the caller's main script again in the child: a script without an ``if __name__ == "__main__"``
guard would start its work a second time there. The function (importable by name), its
arguments and its answer travel by pickle: the call over the child's stdin, the answer over a
pipe of its own (whatever the child prints to stdout cannot garble it).
"""

from __future__ import annotations

import ctypes
import logging
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

log = logging.getLogger("sirisma.projections.second_process")

_BOOT = (
    "import pickle, sys\n"
    "sys.path[:0] = pickle.load(sys.stdin.buffer)\n"
    "from projections.second_process import _serve\n"
    "_serve(int(sys.argv[1]))\n"
)


class SecondProcessFailed(RuntimeError):
    """The second process died, or raised an exception that could not be pickled back."""


class SecondProcess:
    """``function(**kwargs)`` in another process, started at once; ``result()`` waits."""

    def __init__(self, function: Callable[..., Any], kwargs: dict[str, Any]) -> None:
        level = logging.getLogger().getEffectiveLevel() if logging.getLogger().handlers else None
        self._answers, answer_end = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _BOOT, str(answer_end)],
                stdin=subprocess.PIPE,
                pass_fds=(answer_end,),
            )
        except BaseException:
            os.close(self._answers)
            raise
        finally:
            os.close(answer_end)  # the child's end: EOF here once it exits
        assert self._process.stdin is not None
        with self._process.stdin as call:
            pickle.dump(sys.path, call)
            pickle.dump((function, kwargs, level, os.getpid()), call)

    def result(self) -> Any:
        """The function's return value; its exception is raised here."""
        with os.fdopen(self._answers, "rb") as answers:
            data = answers.read()
        code = self._process.wait()
        if not data:
            raise SecondProcessFailed(
                f"the second process ended without an answer (exit code {code})"
            )
        ok, value = pickle.loads(data)
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        """End the process now (its open transaction is rolled back by the server)."""
        if self._process.poll() is None:
            self._process.terminate()
        self._process.wait()
        os.close(self._answers)


def _serve(answer_end: int) -> None:
    """The child's side: read the call, run it, write the answer."""
    function, kwargs, level, parent = pickle.load(sys.stdin.buffer)
    _die_with(parent)
    if level is not None:  # the parent logs: so does its helper, to the same stderr
        logging.basicConfig(level=level, format="%(relativeCreated)8.0f %(name)s %(message)s")
    try:
        answer: tuple[bool, Any] = (True, function(**kwargs))
    except BaseException as exc:
        answer = (False, exc)
    try:
        data = pickle.dumps(answer)
    except Exception as exc:  # an exception (or a value) that does not pickle: its text instead
        data = pickle.dumps((False, SecondProcessFailed(f"{answer[1]!r} ({exc})")))
    with os.fdopen(answer_end, "wb") as answers:
        answers.write(data)


def _die_with(parent: int) -> None:
    """Linux: SIGTERM when the parent dies, even by SIGKILL, so no orphan keeps folding, holding
    its models' locks, after the caller is gone."""
    if sys.platform != "linux":
        return
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)
