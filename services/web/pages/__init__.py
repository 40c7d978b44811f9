"""Server-rendered pages in Bahasa Indonesia for every role (mounted by services.app).

One module per audience; all page routes sit in one router that is left out of the OpenAPI
document (they answer HTML, not the JSON API). ``template_config`` and ``html_errors_plugin`` are
wired into the app by ``services.app``.
"""

from __future__ import annotations

from typing import Any

from litestar import Router

from services.web.pages import (
    admin,
    audit,
    auth,
    dashboards,
    endorsement,
    exports,
    krenova,
    mentoring,
    mentoring_files,
    monev,
    monev_care,
    notifications,
    ops,
    printouts,
    public,
    research,
    research_forms,
    review,
    spd,
    submission,
)
from services.web.pages.errors import html_errors_plugin
from services.web.pages.rendering import static_files, template_config

pages_router = Router(
    path="/",
    route_handlers=[
        *public.route_handlers,
        *admin.route_handlers,
        *auth.route_handlers,
        *submission.route_handlers,
        *endorsement.route_handlers,
        *monev.route_handlers,
        *review.route_handlers,
        *audit.route_handlers,
        *dashboards.route_handlers,
        *exports.route_handlers,
        *krenova.route_handlers,
        *notifications.route_handlers,
        *ops.route_handlers,
        *printouts.route_handlers,
        *spd.route_handlers,
        *research.route_handlers,
        *research_forms.route_handlers,
        *mentoring.route_handlers,
        *monev_care.route_handlers,
        *mentoring_files.route_handlers,
    ],
    include_in_schema=False,
)

route_handlers: list[Any] = [static_files(), pages_router]

__all__ = ["html_errors_plugin", "route_handlers", "template_config"]
