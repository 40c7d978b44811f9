"""Login and logout pages: the same credential check and session cookie as ``/api/auth/login``.

The page posts to a page route that runs the identity context's own login handler, so the
throttling, constant-time failure and cookie settings are exactly the API's; a failure re-shows
the form with the message instead of a problem document.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, FromQuery

from services.http.context import principal_of
from services.http.security import LOGIN_RATE_LIMIT
from services.identity import routes as identity_routes
from services.web.pages.common import call_handler
from services.web.pages.rendering import HOME_FOR_ROLE, redirect, render

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def safe_next(value: str | None) -> str:
    """Only a local path is followed after login (no open redirect to another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return ""


@get("/masuk", sync_to_thread=False, name="page:login")
def login_page(request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Any:
    principal = principal_of(request)
    if principal.authenticated:
        return redirect(safe_next(next) or HOME_FOR_ROLE.get(str(principal.role), "/"))
    return render(request, "login.html", next=safe_next(next), username="", error="")


@post(
    "/masuk",
    name="page:login-submit",
    status_code=303,
    middleware=[LOGIN_RATE_LIMIT.middleware],
)
async def login_submit(request: Request[Any, Any, Any], data: Form) -> Any:
    username = str(data.get("username", "")).strip()
    password = str(data.get("password", ""))
    target = safe_next(str(data.get("next", "")))
    if not username or not password:
        return render(
            request,
            "login.html",
            status_code=422,
            next=target,
            username=username,
            error="Isi nama pengguna dan kata sandi.",
        )
    try:
        api_response: Response[Any] = await call_handler(
            identity_routes.login,
            request,
            identity_routes.LoginRequest(username=username, password=password),
        )
    except HTTPException as exc:
        status = exc.status_code
        message = (
            "Terlalu banyak percobaan masuk. Tunggu sebentar lalu coba lagi."
            if status == 429
            else str(exc.detail or "Nama pengguna atau kata sandi salah.")
        )
        return render(
            request,
            "login.html",
            status_code=status if status in (401, 429) else 422,
            next=target,
            username=username,
            error=message,
        )
    role = str(api_response.content.account.role)
    response = redirect(target or HOME_FOR_ROLE.get(role, "/"), "masuk")
    response.cookies.extend(api_response.cookies)
    return response


@post("/keluar", name="page:logout", status_code=303)
async def logout_submit(request: Request[Any, Any, Any]) -> Any:
    api_response: Response[Any] = await call_handler(identity_routes.logout, request)
    response = redirect("/", "keluar")
    response.cookies.extend(api_response.cookies)
    return response


route_handlers: list[Any] = [login_page, login_submit, logout_submit]
