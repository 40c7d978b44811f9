"""Error pages for people, problem JSON for programs, from the same mapping.

The problem-details plugin (services.http.problems) stays the one place that turns an exception
into status, title and detail. This plugin runs after it and wraps each of its handlers: a browser
request outside the API (no ``/api`` prefix, and HTML accepted or sent by HTMX) gets the same
problem rendered as a page in Bahasa Indonesia; everything else gets the JSON untouched. An
unexpected exception is logged with its traceback and shown as a plain 500 page or problem.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Request, Response
from litestar.config.app import AppConfig
from litestar.plugins import InitPlugin
from litestar.response import Redirect

from services.http.problems import TITLES, problem
from services.web.pages.rendering import render

log = logging.getLogger("sirisma.web")

MACHINE_PREFIXES = ("/api", "/schema", "/health", "/metrics", "/static")

# What a person can do about each kind of error.
ADVICE: dict[int, str] = {
    400: "Periksa kembali isian Anda lalu kirim ulang.",
    403: "Akun Anda tidak memiliki wewenang untuk halaman atau tindakan ini. "
    "Hubungi admin Bappeda Litbang bila menurut Anda ini keliru.",
    404: "Alamat ini tidak ada, atau data ini tidak dapat Anda lihat.",
    405: "Tindakan ini tidak tersedia di alamat ini.",
    409: "Data telah berubah sejak halaman dibuka. Muat ulang halaman lalu ulangi tindakan Anda.",
    413: "Ukuran berkas melebihi batas yang diizinkan.",
    415: "Jenis berkas tidak didukung.",
    422: "Permintaan tidak dapat diproses. Baca keterangan di atas lalu perbaiki.",
    429: "Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi.",
    500: "Terjadi kesalahan pada server. Coba lagi beberapa saat lagi; bila berulang, "
    "hubungi admin.",
    503: "Layanan belum siap. Coba lagi beberapa saat lagi.",
}


def wants_html(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    if path.startswith(MACHINE_PREFIXES):
        return False
    if request.headers.get("hx-request") == "true":
        return True
    return "text/html" in request.headers.get("accept", "")


def _problem_of(response: Response[Any]) -> dict[str, Any]:
    content = response.content
    if isinstance(content, dict):
        return content
    if isinstance(content, bytes | str):
        try:
            decoded = msgspec.json.decode(content)
        except msgspec.DecodeError:
            return {}
        return decoded if isinstance(decoded, dict) else {}
    return {}


def error_page(request: Request[Any, Any, Any], status: int, body: dict[str, Any]) -> Response[Any]:
    if status == 401:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        if request.headers.get("hx-request") == "true":
            return Response(
                None, status_code=401, headers={"HX-Redirect": f"/masuk?next={quote(target)}"}
            )
        return Redirect(path=f"/masuk?next={quote(target)}", status_code=303)
    return render(
        request,
        "error.html",
        status_code=status,
        status=status,
        title=str(body.get("title") or TITLES.get(status, "Kesalahan")),
        detail=str(body.get("detail") or ""),
        advice=ADVICE.get(status, ""),
        missing=body.get("missing") or [],
        errors=body.get("errors") or [],
    )


def _wrap(handler: Callable[..., Response[Any]]) -> Callable[..., Response[Any]]:
    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        response = handler(request, exc)
        if not wants_html(request):
            return response
        return error_page(request, response.status_code or 500, _problem_of(response))

    return handle


def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception(
        "unhandled error", extra={"path": request.url.path, "method": request.method}, exc_info=exc
    )
    response = problem(500, "Terjadi kesalahan pada server.", "server-error").to_response(request)
    if not wants_html(request):
        return response
    return error_page(request, 500, _problem_of(response))


class HtmlErrorPages(InitPlugin):
    """Listed after the problem-details plugin in ``plugins``: it wraps that plugin's handlers."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        for key, handler in list(app_config.exception_handlers.items()):
            app_config.exception_handlers[key] = _wrap(handler)
        app_config.exception_handlers.setdefault(Exception, server_error)
        return app_config


def html_errors_plugin() -> HtmlErrorPages:
    return HtmlErrorPages()
