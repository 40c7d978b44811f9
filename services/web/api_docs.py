"""The API reference at ``/schema``: Scalar, vendored and pinned, under the app's normal CSP.

Litestar's ``ScalarRenderPlugin`` loads Scalar (unpinned) and its stylesheet and icon from
jsDelivr and configures it with an inline script: blank without internet, foreign code on this
origin, and a wider CSP. Here the page loads ``standalone.js`` (``@scalar/api-reference``, version
and sha256 in ``static/vendor/scalar/VERSION``) and a small starter script from
``/schema/assets``, served by every HTTP service (the review service mounts no pages, so not from
``/static``). No inline script, no other host.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.static_files import create_static_files_router

ASSETS = Path(__file__).resolve().parent / "static" / "vendor" / "scalar"
ASSETS_PATH = "/schema/assets"


class OfflineScalarRenderPlugin(ScalarRenderPlugin):
    def __init__(self) -> None:
        super().__init__(
            js_url=f"{ASSETS_PATH}/standalone.js",
            css_url="",
            favicon="<link rel='icon' type='image/svg+xml' href='/static/favicon.svg'>",
        )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema["info"]["title"]))
        url = html.escape(self.get_openapi_json_route(request), quote=True)
        return f"""<!DOCTYPE html>
<html lang="id">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  {self.favicon}
</head>
<body>
  <noscript>Dokumentasi API memerlukan JavaScript.
    Skema mentah: <a href="{url}">{url}</a></noscript>
  <div id="sirisma-api-reference" data-url="{url}"></div>
  <script src="{ASSETS_PATH}/standalone.js"></script>
  <script src="{ASSETS_PATH}/start.js"></script>
</body>
</html>
""".encode()


def assets_router() -> Any:
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[ASSETS],
        name="api-docs-assets",
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=86400, public=True),
    )
