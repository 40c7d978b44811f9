"""The served OpenAPI document says what the server enforces (issue 15, item 13).

Litestar writes the document from the handlers' types; what it cannot see from them is added
here, once, by rules that hold for every route:

* the two ways to authenticate (``Authorization: Bearer`` and the session cookie) as
  ``securitySchemes``; routes an anonymous caller may use (login, logout, Krenova registration,
  the public reads) also accept no credentials;
* every error answer is ``application/problem+json`` (services/http/problems.py), and every answer
  the app-wide layers can give is listed: 401/403 where an account is needed, 404 where the path
  names a record, 409/413 on writes, 422 everywhere (control characters in any query string or
  form field are refused before the handler, services/http/input_guard.py), 429 on login, 503
  when the database cannot be reached;
* the ``Idempotency-Key`` request header on POST (services/http/idempotency.py) and the
  ``X-Notification-Id``/``ETag`` answer headers of writes;
* ``additionalProperties: false`` on every request body that refuses unknown fields.

Applied lazily, the first time the document is asked for (building it takes a second or two).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import Components, OpenAPI, SecurityScheme
from litestar.routes import HTTPRoute
from msgspec import inspect as mi

SECURITY_SCHEMES = {
    "bearerAuth": SecurityScheme(
        type="http", scheme="bearer", description="Token dari POST /api/auth/login."
    ),
    "sessionCookie": SecurityScheme(
        type="apiKey",
        name="sirisma_session",
        security_scheme_in="cookie",
        description="Cookie sesi halaman web (formulir juga perlu token CSRF).",
    ),
}
SIGNED_IN: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"sessionCookie": []}]
# Reads the public may make (also answered, narrowed by scope, for signed-in callers).
PUBLIC_READS = frozenset(
    {
        "/api/calls",
        "/api/calls/{id}",
        "/api/innovations",
        "/api/innovations/{id}",
        "/api/innovations/{id}/documents/{doc_id}",
        "/api/organisations",
        "/api/public/innovations",
        "/metrics",
    }
)
UNSAFE = frozenset({"post", "put", "patch", "delete"})
PROBLEM_TEXT = {
    400: "Permintaan tidak valid (skema, JSON rusak, angka di luar batas)",
    401: "Perlu masuk",
    403: "Tidak diizinkan",
    404: "Tidak ditemukan (atau tidak terlihat oleh Anda)",
    409: "Konflik (versi usang, status, atau Idempotency-Key yang masih diproses)",
    413: "Isi permintaan terlalu besar",
    422: "Data tidak dapat diproses (mis. karakter kendali pada isian atau parameter)",
    429: "Terlalu banyak permintaan (lihat Retry-After)",
    503: "Basis data tidak dapat dihubungi (lihat Retry-After)",
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Kunci acak (1–255 karakter ASCII) per operasi: pengulangan mengembalikan "
    "jawaban pertama tanpa mencatat apa pun lagi.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}
WRITE_HEADERS: dict[str, dict[str, Any]] = {
    "X-Notification-Id": {
        "description": "Posisi log dari perintah ini: kirim sebagai ?after= agar model baca "
        "memuatnya.",
        "schema": {"type": "integer", "minimum": 1},
    },
    "ETag": {"description": "Versi rekaman yang ditulis.", "schema": {"type": "string"}},
}


class _FinishingOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's plugin, finishing the document it builds (Litestar has no hook after the build
    and creates the plugin itself, so ``install`` swaps the class of the instance it made)."""

    __slots__ = ()

    def _build_openapi(self) -> OpenAPI:
        return finish(super()._build_openapi(), self.app)


def install(app: Litestar) -> None:
    """Finish the document whenever Litestar builds it (first request for ``/schema``)."""
    app.plugins.get(OpenAPIPlugin).__class__ = _FinishingOpenAPIPlugin


def finish(document: OpenAPI, app: Litestar) -> OpenAPI:
    components = document.components or Components()
    components.security_schemes = {**(components.security_schemes or {}), **SECURITY_SCHEMES}
    document.components = components
    document.security = SIGNED_IN
    strict = _strict_bodies(app)
    for name, schema in (components.schemas or {}).items():
        if name in strict:
            schema.additional_properties = False
    anonymous = _anonymous_paths(app)
    bounds = _parameter_bounds(app)
    for path, item in (document.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method, None)
            if operation is not None:
                _operation(path, method, operation, public=(method, path) in anonymous)
                _restore_bounds(operation, bounds.get((method, path), {}))
    return document


# Litestar leaves out a bound that is 0 (``ge=0`` on ``after``): the handlers' own bounds are
# written back into the parameter's schema.
_BOUND_NAMES = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusive_minimum",
    "lt": "exclusive_maximum",
    "min_length": "min_length",
    "max_length": "max_length",
}


def _parameter_bounds(app: Litestar) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    found: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for name, field in handler.parsed_fn_signature.parameters.items():
                definition = field.kwarg_definition
                if definition is None:
                    continue
                given = {
                    target: getattr(definition, source, None)
                    for source, target in _BOUND_NAMES.items()
                    if getattr(definition, source, None) is not None
                }
                if given:
                    public_name = getattr(definition, "query", None) or name
                    for method in handler.http_methods:
                        key = (method.lower(), route.path_format)
                        found.setdefault(key, {})[public_name] = given
    return found


def _restore_bounds(operation: Any, bounds: dict[str, dict[str, Any]]) -> None:
    for parameter in operation.parameters or []:
        wanted = bounds.get(getattr(parameter, "name", ""))
        schema = getattr(parameter, "schema", None)
        if wanted and schema is not None:
            for attribute, value in wanted.items():
                if getattr(schema, attribute, None) is None:
                    setattr(schema, attribute, value)


def _operation(path: str, method: str, operation: Any, public: bool) -> None:
    from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Parameter, Reference
    from litestar.openapi.spec import Schema as OSchema

    public = public or (method == "get" and path in PUBLIC_READS)
    if public:
        operation.security = [{}, *SIGNED_IN]
    responses = operation.responses = dict(operation.responses or {})
    codes = {422, 503}
    if operation.parameters or operation.request_body is not None:
        codes.add(400)
    if not public:
        codes |= {401, 403}
    if "{" in path:
        codes.add(404)
    if method in UNSAFE:
        codes |= {400, 409}
        if operation.request_body is not None:
            codes.add(413)
    if path == "/api/auth/login":
        codes |= {401, 429}
    problem_ref = Reference(ref="#/components/schemas/Problem")
    for code in codes:
        responses.setdefault(str(code), OpenAPIResponse(description=PROBLEM_TEXT[code]))
    for code, response in responses.items():
        if isinstance(response, OpenAPIResponse) and code == "204":
            response.content = None  # "No Content": Litestar documents the handler's JSON type
        if isinstance(response, OpenAPIResponse) and code.isdigit() and int(code) >= 400:
            response.content = {"application/problem+json": OpenAPIMediaType(schema=problem_ref)}
            if code == "400" and "validation" in (response.description or "").lower():
                response.description = PROBLEM_TEXT[400]
        elif isinstance(response, OpenAPIResponse) and code.startswith("2") and method in UNSAFE:
            from litestar.openapi.spec import OpenAPIHeader

            response.headers = {
                **{
                    name: OpenAPIHeader(
                        description=str(spec["description"]),
                        schema=OSchema(**_schema_kwargs(spec["schema"])),
                    )
                    for name, spec in WRITE_HEADERS.items()
                },
                **(response.headers or {}),
            }
    if method == "post" and path.startswith("/api/") and not path.startswith("/api/auth/"):
        parameters = list(operation.parameters or [])
        if not any(getattr(p, "name", "") == "Idempotency-Key" for p in parameters):
            spec = IDEMPOTENCY_KEY
            parameters.append(
                Parameter(
                    name=str(spec["name"]),
                    param_in="header",
                    required=False,
                    description=str(spec["description"]),
                    schema=OSchema(**_schema_kwargs(spec["schema"])),  # type: ignore[arg-type]
                )
            )
        operation.parameters = parameters


def _schema_kwargs(spec: Any) -> dict[str, Any]:
    from litestar.openapi.spec import OpenAPIType

    names = {"minLength": "min_length", "maxLength": "max_length"}
    out: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "type":
            out["type"] = OpenAPIType(value)
        else:
            out[names.get(key, key)] = value
    return out


def _anonymous_paths(app: Litestar) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if (handler.opt or {}).get("anonymous"):
                    for method in handler.http_methods:
                        found.add((method.lower(), route.path_format))
    return found


def _strict_bodies(app: Litestar) -> set[str]:
    """Names of the request-body Structs (and Structs inside them) that forbid unknown fields."""
    names: set[str] = set()
    seen: set[Any] = set()

    def walk(info: Any) -> None:
        if isinstance(info, mi.Metadata):
            walk(info.type)
        elif isinstance(info, mi.UnionType):
            for t in info.types:
                walk(t)
        elif isinstance(info, (mi.ListType, mi.SetType, mi.VarTupleType, mi.FrozenSetType)):
            walk(info.item_type)
        elif isinstance(info, mi.DictType):
            walk(info.value_type)
        elif isinstance(info, mi.StructType) and info.cls not in seen:
            seen.add(info.cls)
            if info.forbid_unknown_fields:
                names.add(info.cls.__name__)
            for field in info.fields:
                walk(field.type)

    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                data = handler.parsed_fn_signature.parameters.get("data")
                if data is None:
                    continue
                try:
                    walk(mi.type_info(data.annotation))
                except (TypeError, ValueError, msgspec.ValidationError):
                    continue
    return names
