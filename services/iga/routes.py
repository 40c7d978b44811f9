"""HTTP routes of the IGA follow-up: the fixed urusan list, the ministry's verdicts, and
"bawa ke tahun berikutnya".

The urusan list is public reference data (the forms and any client build their choices from it).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get

from services.domain import urusan

TAG = "iga"


class UrusanView(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    group: str
    no: int  # the IID form's item number (1–38)


@get(
    "/api/reference/urusan",
    tags=[TAG],
    summary="Daftar urusan pemerintahan (38 butir IGA)",
    sync_to_thread=False,
)
def list_urusan() -> list[UrusanView]:
    """The 38 urusan an innovation is filed under, in the IID form's order: ``code`` is what
    ``profile.urusan`` and ``profile.urusan_lain`` hold."""
    return [
        UrusanView(code=u.code, name=u.name, group=u.group, no=u.no) for u in urusan.all_urusan()
    ]


route_handlers: list[Any] = [list_urusan]
