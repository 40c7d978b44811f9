"""HTTP pieces the JSON write APIs share: the If-Match header, problem responses, write headers.

Each context keeps its own wording where it differs (what If-Match is for, what a 403 or 409
means there); the parsing and the OpenAPI shapes live here once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter

from services.http.problems import problem

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,12})"?\s*$')

# Problem texts that mean the same in every context; a context adds or overrides the rest.
PROBLEM_TEXT: dict[int, str] = {
    400: "Permintaan tidak valid (kolom salah atau hilang)",
    401: "Perlu masuk",
    404: "Tidak ditemukan (atau tidak terlihat oleh Anda)",
}


class Problem(msgspec.Struct, kw_only=True):
    """RFC 9457 problem details (other members, e.g. ``errors`` or ``items``, may be present)."""

    type: str
    title: str
    status: int
    detail: str


def if_match_header(description: str) -> Any:
    """The optional ``If-Match`` header for OpenAPI, worded for the context.

    Use as ``Annotated[str | None, if_match_header("...")]``.
    """
    return HeaderParameter(name="If-Match", required=False, description=description)


def parse_version(raw: str) -> int:
    """The version in an ``If-Match`` value (``"5"``, ``W/"5"`` or ``5``); 400 otherwise."""
    match = _ETAG.match(raw)
    if match is None:
        raise problem(
            400,
            'If-Match harus berisi satu versi, mis. "3" (nilai ETag dari respons terakhir).',
            "invalid-if-match",
        )
    return int(match.group(1))


def problem_specs(texts: Mapping[int, str], codes: tuple[int, ...]) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem responses a route can give."""
    return {
        code: ResponseSpec(
            data_container=Problem,
            description=texts[code],
            media_type="application/problem+json",
            generate_examples=False,
        )
        for code in codes
    }


def write_headers(version: int | None, notification_id: int | None) -> dict[str, str]:
    """``ETag`` for the version written and ``X-Notification-Id`` for read-your-writes."""
    headers = {}
    if version is not None:
        headers["ETag"] = f'"{version}"'
    if notification_id is not None:
        headers["X-Notification-Id"] = str(notification_id)
    return headers
