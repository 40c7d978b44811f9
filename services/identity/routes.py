"""Login, logout and the current account."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.datastructures import Cookie
from litestar.params import JSONBody

from services.commands import account_id_for
from services.domain.organisation import Account
from services.domain.principal import Principal
from services.eventstore.store import NotFound
from services.http.context import principal_of, runtime_of
from services.http.limits import Code, Password
from services.http.problems import problem
from services.http.security import LOGIN_RATE_LIMIT
from services.http.writes import PROBLEM_TEXT, problem_specs
from services.identity import admin
from services.identity.auth import COOKIE, principal_for, token_from
from services.identity.passwords import verify_password
from services.identity.throttle import client_address, device_cookie, known_device, login_throttle

if TYPE_CHECKING:
    from services.runtime import Runtime

log = logging.getLogger("sirisma.auth")


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Code = msgspec.field()
    password: Password = msgspec.field()


class AccountView(msgspec.Struct):
    id: str
    username: str
    full_name: str
    role: str
    organisation_id: str | None


class LoginResponse(msgspec.Struct):
    token: str
    expires_at: str
    account: AccountView


def account_view(p: Principal) -> AccountView:
    return AccountView(
        id=str(p.account_id),
        username=p.username,
        full_name=p.full_name,
        role=str(p.role),
        organisation_id=str(p.organisation_id) if p.organisation_id else None,
    )


def _check_credentials(runtime: Runtime, username: str, password: str) -> Principal | None:
    """One argon2 verification whether or not the account exists (see passwords.py)."""
    account: Account | None
    try:
        account = runtime.store.load(Account, account_id_for(username)) if username else None
    except (NotFound, ValueError):
        account = None
    ok = verify_password(account.password_hash if account else None, password)
    return principal_for(runtime, account.id) if (ok and account) else None


LOGIN_PROBLEMS = {
    **PROBLEM_TEXT,
    401: "Nama pengguna atau kata sandi salah",
    415: "Isi harus application/json",
    429: "Terlalu banyak percobaan; lihat Retry-After",
}


@post(
    "/api/auth/login",
    tags=["auth"],
    status_code=200,
    summary="Masuk",
    middleware=[LOGIN_RATE_LIMIT.middleware],
    opt={"anonymous": True},  # services/http/input_guard.py
    responses=problem_specs(LOGIN_PROBLEMS, (400, 401, 415, 429)),
)
async def login(
    request: Request[Any, Any, Any], data: JSONBody[LoginRequest]
) -> Response[LoginResponse]:
    """Same answer, same work for a wrong password and an unknown account; failures slow down
    the caller (user name and address, address, user name), never a known device of the user
    (services.http.security.LoginThrottle)."""
    runtime = runtime_of(request)
    username = data.username.strip().lower()[:128]
    client = client_address(request)
    throttle = login_throttle(request)
    device = known_device(request, runtime.settings.secret_key, username)
    wait = await throttle.retry_after(username, client, device)
    if wait is not None:
        log.warning(
            "login throttled",
            extra={"username": username, "client": client, "route": request.url.path},
        )
        when = f"{wait} detik" if wait < 120 else f"{-(-wait // 60)} menit"
        raise problem(
            429,
            f"Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {when}.",
            "too-many-attempts",
            headers={"Retry-After": str(wait)},
            retry_after=wait,
        )
    principal = await sync_to_thread(_check_credentials, runtime, username, data.password)
    if principal is None or principal.account_id is None:
        await throttle.failed(username, client, device)
        log.info(
            "login failed",
            extra={"username": username, "client": client, "route": request.url.path},
        )
        raise problem(401, "Nama pengguna atau kata sandi salah.", "invalid-credentials")
    await throttle.succeeded(username, client, device)
    token, expires = await sync_to_thread(runtime.sessions.issue, principal.account_id)
    log.info("login", extra={"account_id": str(principal.account_id), "client": client})
    return Response(
        LoginResponse(token=token, expires_at=expires.isoformat(), account=account_view(principal)),
        cookies=[
            Cookie(
                key=COOKIE,
                value=token,
                httponly=True,
                samesite="lax",
                secure=runtime.settings.https,
                max_age=int(runtime.settings.token_ttl_hours * 3600),
                path="/",
            ),
            device_cookie(runtime.settings.secret_key, username, device, runtime.settings.https),
        ],
    )


@post(
    "/api/auth/logout",
    tags=["auth"],
    sync_to_thread=True,
    status_code=204,
    summary="Keluar",
    opt={"anonymous": True},  # services/http/input_guard.py
)
def logout(request: Request[Any, Any, Any]) -> Response[None]:
    token, _ = token_from(request)
    if token:
        runtime_of(request).sessions.revoke(token)
    return Response(
        None, status_code=204, cookies=[Cookie(key=COOKIE, value="", max_age=0, path="/")]
    )


@get("/api/me", tags=["auth"], sync_to_thread=False, summary="Akun saya")
def me(request: Request[Any, Any, Any]) -> AccountView:
    principal = principal_of(request)
    if not principal.authenticated:
        raise problem(401, "Silakan masuk terlebih dahulu.", "unauthenticated")
    return account_view(principal)


route_handlers: list[Any] = [login, logout, me, *admin.route_handlers]
