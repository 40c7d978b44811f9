"""Failed-login throttling: waits that double per failure, never an account lock.

A failed login is counted under keys in a Litestar store (``login_throttle``: in memory in the
embedded mode, Redis when ``SIRISMA_REDIS_URL`` is set, through services.http.security.stores, so
every worker shares the counts). Past a key's free failures each new failure doubles its wait;
the login route answers 429 with ``Retry-After`` until the longest wait of the caller's keys ends.
The per-address request rate (``LOGIN_RATE``) is Litestar's limiter in services.http.security.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.stores.base import Store

from services.http.security import LOGIN_THROTTLE_STORE

# Failures that cost nothing, per key (LoginThrottle); each one past these doubles the wait.
PAIR_FAILURES = 5  # one user name from one address
ADDRESS_FAILURES = 20  # any user names from one address
ACCOUNT_FAILURES = 10  # one user name from anywhere, unless from a known device
DEVICE_FAILURES = 5  # one user name from a browser that signed in as it before
DELAY_BASE_SECONDS = 30
MAX_DELAY_SECONDS = 15 * 60
FAILURE_WINDOW_SECONDS = 15 * 60  # a key is forgotten this long after its wait ends
DEVICE_COOKIE = "sirisma_device"
DEVICE_COOKIE_DAYS = 180


class LoginThrottle:
    """Failed logins counted per key in a Litestar store; past a key's free failures, each new
    failure doubles the wait before that key may try again (30 s, 1 min, 2 min … 15 min).

    A caller is counted under (user name, address), address, and user name; a caller that
    shows a known-device cookie for that user name (``DEVICE_COOKIE``, set by a successful
    login) is counted under (user name, device) only. So a stranger's failures slow the
    stranger, and a user's own device always gets its own chances. An attempt refused with 429
    is not a failure: waiting is the only way on. A key is forgotten ``FAILURE_WINDOW_SECONDS``
    after its wait ends; a successful login clears its pair or device key (never the user
    name's, which a distributed guesser would otherwise reset).
    """

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        increment = getattr(store, "increment", None)
        if increment is None:  # a plain Litestar store would count non-atomically
            raise TypeError("LoginThrottle needs a counting store (services.http.security.stores)")
        self._increment = increment

    @staticmethod
    def keys(username: str, client: str, device: str | None = None) -> list[tuple[str, int]]:
        if device:
            return [(f"device:{username}:{device}", DEVICE_FAILURES)]
        return [
            (f"pair:{username}|{client}", PAIR_FAILURES),
            (f"address:{client}", ADDRESS_FAILURES),
            (f"account:{username}", ACCOUNT_FAILURES),
        ]

    @staticmethod
    def delay(failures: int, free: int) -> int:
        """Seconds to wait after ``failures`` failures when ``free`` of them cost nothing."""
        if failures < free:
            return 0
        return int(min(MAX_DELAY_SECONDS, DELAY_BASE_SECONDS * 2 ** min(failures - free, 16)))

    async def _read(self, key: str) -> tuple[int, float]:
        raw = await self.store.get(key)
        if raw is None:
            return 0, 0.0
        count, _, last = (raw.decode() if isinstance(raw, bytes) else str(raw)).partition(":")
        try:
            return int(count), float(last or 0)
        except ValueError:
            return 0, 0.0

    async def retry_after(
        self, username: str, client: str, device: str | None = None
    ) -> int | None:
        """Seconds until this caller may try again, or None when it may try now."""
        now = self.clock()
        waits = []
        for key, free in self.keys(username, client, device):
            count, last = await self._read(key)
            wait = last + self.delay(count, free) - now
            if wait > 0:
                waits.append(math.ceil(wait))
        return max(waits) if waits else None

    @classmethod
    def keeps(cls, free: int) -> list[int]:
        """Seconds to keep a key after its 1st, 2nd … failure, up to where the wait stops
        growing (the store's counter uses the last for every failure beyond)."""
        keeps = []
        for count in range(1, free + 18):
            keeps.append(FAILURE_WINDOW_SECONDS + cls.delay(count, free))
            if cls.delay(count, free) >= MAX_DELAY_SECONDS:
                break
        return keeps

    async def failed(self, username: str, client: str, device: str | None = None) -> None:
        """Counted with the store's atomic ``increment`` (a Lua script on Redis), so two
        workers failing the same key at once both count."""
        stamp = f"{self.clock():.3f}"
        for key, free in self.keys(username, client, device):
            await self._increment(key, stamp, self.keeps(free))

    async def succeeded(self, username: str, client: str, device: str | None = None) -> None:
        await self.store.delete(f"pair:{username}|{client}")
        if device:
            await self.store.delete(f"device:{username}:{device}")


def device_cookie_value(secret: str, username: str, device: str | None = None) -> str:
    """``<device id>.<HMAC of user name and device id>``: proof this browser signed in as this
    user before; worthless for any other user name and unforgeable without the secret key."""
    device = device or secrets.token_urlsafe(16)
    mac = hmac.new(secret.encode(), f"device\x00{username}\x00{device}".encode(), hashlib.sha256)
    return f"{device}.{mac.hexdigest()}"


def known_device(
    connection: ASGIConnection[Any, Any, Any, Any], secret: str, username: str
) -> str | None:
    """The device id when the request shows a valid known-device cookie for ``username``."""
    value = connection.cookies.get(DEVICE_COOKIE, "")
    device, _, _mac = value.partition(".")
    if not device or len(value) > 200:
        return None
    expected = device_cookie_value(secret, username, device)
    return device if hmac.compare_digest(value, expected) else None


def device_cookie(secret: str, username: str, device: str | None, https: bool) -> Cookie:
    return Cookie(
        key=DEVICE_COOKIE,
        value=device_cookie_value(secret, username, device),
        max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=https,
    )


def login_throttle(connection: ASGIConnection[Any, Any, Any, Any]) -> LoginThrottle:
    app = connection.app
    throttle = getattr(app.state, "login_throttle", None)
    if throttle is None:
        throttle = LoginThrottle(app.stores.get(LOGIN_THROTTLE_STORE))
        app.state.login_throttle = throttle
    return throttle


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "unknown"
