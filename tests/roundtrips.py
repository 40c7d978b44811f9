"""Count database round trips by standing between the client and PostgreSQL.

``RoundTripProxy`` is a loopback TCP proxy in a thread that reads the client's side of the
protocol. A round trip is a point where the client waits for the server: in PostgreSQL's
protocol, after a simple ``Query``, a ``Sync`` (which ends one extended-protocol statement, or a
whole psycopg pipeline of them) or a ``Flush`` (psycopg asks for a pipeline's results so far).
The proxy counts, per connection, each answer the server sends after the client sent one of
those (several sent together before the answer count once): what the driver, the pool's
checks and BEGIN/COMMIT really cost, whatever library issued them. Used by tests
(deterministic counts) and by ``bench/suite.py``.

The loopback test server has no SSL (the client's SSL request is refused), so the proxy sees the
plain protocol.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_SSL_OR_GSS_REQUEST = (80877103, 80877104)
_WAITS = (b"Q", b"S", b"H")  # simple Query, Sync, Flush


def _waits(state: dict[str, Any], data: bytes) -> int:
    """Client messages in ``data`` after which the client waits (Query, Sync)."""
    buffer = state["buffer"] + data
    count = 0
    while True:
        if not state["typed"]:  # SSL/GSS request or startup message: length, code, no type
            if len(buffer) < 8:
                break
            length = int.from_bytes(buffer[:4], "big")
            if len(buffer) < length:
                break
            code = int.from_bytes(buffer[4:8], "big")
            state["typed"] = code not in _SSL_OR_GSS_REQUEST
            buffer = buffer[length:]
            continue
        if len(buffer) < 5:
            break
        length = int.from_bytes(buffer[1:5], "big")
        if len(buffer) < 1 + length:
            break
        count += buffer[:1] in _WAITS
        buffer = buffer[1 + length :]
    state["buffer"] = buffer
    return count


class RoundTripProxy:
    """``with RoundTripProxy(url) as proxy:`` connect to ``proxy.url``; read ``proxy.turns``."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._listener = socket.create_server(("127.0.0.1", 0))
        port = self._listener.getsockname()[1]
        netloc = parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{port}"
        self.url = urlunsplit(
            parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host)
        )
        self.turns = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RoundTripProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reset(self) -> int:
        """Zero the count; return what it was."""
        with self._lock:
            turns, self.turns = self.turns, 0
        return turns

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def _serve(self) -> None:
        sel = selectors.DefaultSelector()
        self._listener.setblocking(False)
        sel.register(self._listener, selectors.EVENT_READ, None)
        # per socket: (peer socket, "client"|"server", the client side's parse state)
        while not self._stop.is_set():
            for key, _ in sel.select(timeout=0.1):
                if key.data is None:
                    with contextlib.suppress(BlockingIOError):
                        client, _addr = self._listener.accept()
                        server = socket.create_connection(self._target)
                        for s in (client, server):
                            s.setblocking(True)
                            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        state: dict[str, Any] = {"buffer": b"", "typed": False, "awaiting": False}
                        sel.register(client, selectors.EVENT_READ, (server, "client", state))
                        sel.register(server, selectors.EVENT_READ, (client, "server", state))
                        with self._lock:
                            self.connections += 1
                    continue
                peer, side, state = key.data
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    for s in (sock, peer):
                        with contextlib.suppress(KeyError, ValueError):
                            sel.unregister(s)
                        s.close()
                    continue
                if side == "client":
                    state["awaiting"] = state["awaiting"] or _waits(state, data) > 0
                elif state["awaiting"]:  # the answer to what the client waits for
                    state["awaiting"] = False
                    with self._lock:
                        self.turns += 1
                try:
                    peer.sendall(data)
                except OSError:
                    for s in (sock, peer):
                        with contextlib.suppress(KeyError, ValueError):
                            sel.unregister(s)
                        s.close()
        for key in list(sel.get_map().values()):
            if key.data is not None:
                with contextlib.suppress(OSError):
                    key.fileobj.close()  # type: ignore[union-attr]
        sel.close()
