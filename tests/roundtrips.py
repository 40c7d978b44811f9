"""Count database round trips by standing between the client and PostgreSQL.

``RoundTripProxy`` is a loopback TCP proxy in a thread. A round trip is one *turn* of a
connection: the client sends (one or many pipelined messages), then waits for the server's
answer. The proxy counts a turn each time client bytes arrive after the server last spoke on that
connection (or first on it): what the driver, the pool's checks and BEGIN/COMMIT really cost,
whatever library issued them. Used by tests (deterministic counts) and by ``bench/suite.py``.

SSL is refused by the server's loopback setup (``sslmode`` is never required there), so the
proxy sees the plain protocol; it does not parse it.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from urllib.parse import urlsplit, urlunsplit


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
        # per client socket: [peer socket, "client"|"server", state dict shared by both ends]
        while not self._stop.is_set():
            for key, _ in sel.select(timeout=0.1):
                if key.data is None:
                    with contextlib.suppress(BlockingIOError):
                        client, _addr = self._listener.accept()
                        server = socket.create_connection(self._target)
                        for s in (client, server):
                            s.setblocking(True)
                            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        state = {"server_spoke": True}
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
                    if state["server_spoke"]:
                        with self._lock:
                            self.turns += 1
                    state["server_spoke"] = False
                else:
                    state["server_spoke"] = True
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
