"""Writes sent from a background thread while the caller computes the next rows.

Why: a rebuild's final flush derives every row in Python and then waits, chunk after chunk, for
PostgreSQL to take each COPY (heap, primary key, TOAST): on the national log about 1.7 s of its
4.4 s were that wait, with the Python idle. Handing each chunk's writes to one thread lets the
server work on chunk *n* while the caller derives chunk *n + 1* (psycopg releases the GIL while
it waits on the socket).

The writes stay in the caller's transaction and in the caller's order (one thread, a FIFO);
the caller must not touch the connection itself until the block ends. The first failure stops
the writes after it and is raised when the block ends, so the transaction is rolled back as if
the write had run inline.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Write = Callable[[], Any]
_DONE: Any = object()


@contextmanager
def overlapped(enabled: bool = True, depth: int = 2) -> Iterator[Callable[[Write], None]]:
    """``submit(write)`` runs ``write()`` in a background thread, in order; at most ``depth``
    writes wait (bounded memory). The block's end waits for every write and raises the first
    failure. ``enabled=False``: each write runs at once, inline (a small flush)."""
    if not enabled:
        yield _run
        return
    pending: queue.Queue[Any] = queue.Queue(maxsize=depth)
    failures: list[BaseException] = []
    stop = threading.Event()  # a failure here or in the caller: write nothing more

    def work() -> None:
        while True:
            write = pending.get()
            if write is _DONE:
                return
            if stop.is_set():
                continue
            try:
                write()
            except BaseException as exc:
                failures.append(exc)
                stop.set()

    thread = threading.Thread(target=work, name="sirisma-overlapped-writes", daemon=True)
    thread.start()

    def submit(write: Write) -> None:
        if failures:
            raise failures[0]
        pending.put(write)

    try:
        yield submit
    except BaseException:
        stop.set()
        raise
    finally:
        pending.put(_DONE)
        thread.join()
    if failures:
        raise failures[0]


def _run(write: Write) -> None:
    write()
