"""msgspec's and Litestar's validation messages, said in Indonesian with what the caller needs.

msgspec says "Invalid enum value 'ujicoba'" or "Expected `int` <= 3"; the caller needs the field,
the allowed values and the limit in words. The allowed values of an enum are read from the type
of the route being served (``CURRENT_HANDLER``, set by services/http/input_guard.py), so they are
always the ones the schema states.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from enum import Enum
from typing import Annotated, Any

import msgspec
from msgspec import Meta
from msgspec import inspect as mi

from services.http import limits

CURRENT_HANDLER: ContextVar[Any] = ContextVar("sirisma_route_handler", default=None)

TYPE_NAMES = {
    "str": "teks",
    "int": "bilangan bulat",
    "float": "angka",
    "number": "angka",
    "bool": "true atau false",
    "array": "daftar (array)",
    "object": "objek",
    "null": "null",
    "uuid": "UUID",
    "datetime": "tanggal-waktu ISO 8601",
    "date": "tanggal (YYYY-MM-DD)",
    "decimal": "angka desimal",
}
BOUNDS = {
    "<=": "paling besar",
    ">=": "paling kecil",
    "<": "harus kurang dari",
    ">": "harus lebih dari",
}


def _clean_message() -> str:
    """msgspec's message for text refused by ``limits.CLEAN_PATTERN`` (as msgspec renders it)."""
    try:
        msgspec.convert("\x00", Annotated[str, Meta(pattern=limits.CLEAN_PATTERN)])
    except msgspec.ValidationError as exc:
        return str(exc)
    raise AssertionError("the clean-text pattern accepts NUL")


CLEAN_MESSAGE = _clean_message()


class Explained(msgspec.Struct, frozen=True):
    field: str
    message: str
    refused_text: bool = False


def _n(number: str) -> str:
    return f"{int(number):,}".replace(",", ".") if number.lstrip("-").isdigit() else number


def _type(name: str) -> str:
    return TYPE_NAMES.get(name, name)


def _length(kind: str, op: str, n: str) -> str:
    unit = {"str": "karakter", "array": "butir", "object": "kolom"}.get(kind, "")
    if kind == "str" and op == ">=" and n == "1":
        return "wajib diisi (tidak boleh kosong)."
    most = "paling panjang" if kind == "str" else "paling banyak"
    return f"{most if '<' in op else 'paling sedikit'} {_n(n)} {unit}."


RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str], str, str], Explained]]] = [
    (
        re.compile(r"Object missing required field `(.+)`"),
        lambda m, field, _: Explained(
            f"{field}.{m[1]}" if field not in ("", "data", "body") else m[1],
            "wajib ada.",
        ),
    ),
    (
        re.compile(r"Object contains unknown field `(.+)`"),
        lambda m, field, _: Explained(
            f"{field}.{m[1]}" if field not in ("", "data", "body") else m[1],
            "tidak dikenal (periksa ejaan nama kolom).",
        ),
    ),
    (
        re.compile(r"Invalid enum value (.+)"),
        lambda m, field, source: Explained(
            field, f"bernilai {m[1]} yang tidak dikenal{_choices(field, source)}."
        ),
    ),
    (
        re.compile(r"Expected `str` matching regex '(.*)'", re.S),
        lambda m, field, _: (
            Explained(
                field,
                "memuat karakter kendali (mis. NUL) atau karakter Unicode tidak utuh; hanya tab "
                "dan baris baru yang diizinkan.",
                True,
            )
            if m[0] == CLEAN_MESSAGE
            else Explained(field, "formatnya tidak sesuai.")
        ),
    ),
    (
        re.compile(r"Expected `(str|array|object)` of length (<=|>=) (\d+)"),
        lambda m, field, _: Explained(field, _length(m[1], m[2], m[3])),
    ),
    (
        re.compile(r"Expected `(\w+)` (<=|>=|<|>) (\S+)"),
        lambda m, field, _: Explained(field, f"{BOUNDS[m[2]]} {_n(m[3])}."),
    ),
    (
        re.compile(r"Expected `([\w |]+)`, got `(\w+)`"),
        lambda m, field, _: Explained(
            field,
            f"harus {' atau '.join(_type(t.strip()) for t in m[1].split('|'))}, bukan "
            f"{_type(m[2])}.",
        ),
    ),
    (
        re.compile(r"Invalid RFC3339 encoded datetime"),
        lambda m, field, _: Explained(
            field, "harus tanggal-waktu ISO 8601, mis. 2025-12-31T23:59:00+07:00."
        ),
    ),
    (
        re.compile(r"Invalid RFC3339 encoded date"),
        lambda m, field, _: Explained(field, "harus tanggal YYYY-MM-DD, mis. 2025-12-31."),
    ),
    (re.compile(r"Invalid UUID"), lambda m, field, _: Explained(field, "harus UUID yang sah.")),
    (
        re.compile(r"Invalid decimal string"),
        lambda m, field, _: Explained(field, 'harus angka desimal, mis. "1500000".'),
    ),
    (
        re.compile(r"Input data was truncated"),
        lambda m, field, _: Explained(field, "Isi JSON terpotong (tidak lengkap)."),
    ),
    (
        re.compile(r"JSON is malformed: (.*)", re.S),
        lambda m, field, _: Explained(field, f"Isi JSON tidak sah ({m[1]})."),
    ),
    (
        re.compile(r"Missing required (?:query |header |cookie )?parameter '?([\w-]+)'?"),
        lambda m, field, _: Explained(m[1], "wajib ada."),
    ),
]


def explain(message: str, field: str, source: str) -> Explained:
    """The Indonesian explanation of one validation message (the original if none fits)."""
    for pattern, render in RULES:
        if match := pattern.search(message):
            return render(match, field, source)
    return Explained(field, message)


# ---- the allowed values of an enum field, from the served route's types ---------------------


def _choices(field: str, source: str) -> str:
    values = allowed_values(field, source)
    return f"; pilihan: {', '.join(values)}" if values else ""


def allowed_values(path: str, source: str) -> list[str]:
    handler = CURRENT_HANDLER.get()
    signature = getattr(handler, "parsed_fn_signature", None)
    if signature is None:
        return []
    parts = re.findall(r"[^.\[\]]+", path)
    parameters = signature.parameters
    if source == "body" or source == "":
        root = parameters.get("data")
    else:
        root = next(
            (
                p
                for name, p in parameters.items()
                if parts and parts[0] in (name, getattr(p.kwarg_definition, "query", None))
            ),
            None,
        )
        parts = parts[1:]
    if root is None:
        return []
    try:
        info = mi.type_info(root.annotation)
    except (TypeError, ValueError):
        return []
    for part in parts:
        info = _walk(_unwrap(info), part)
        if info is None:
            return []
    info = _unwrap(info, leaf=True)
    if isinstance(info, mi.EnumType) and issubclass(info.cls, Enum):
        return [str(member.value) for member in info.cls]
    if isinstance(info, mi.LiteralType):
        return [str(v) for v in info.values]
    return []


def _unwrap(info: Any, leaf: bool = False) -> Any:
    while True:
        if isinstance(info, mi.Metadata):
            info = info.type
        elif isinstance(info, mi.UnionType):
            wanted = (mi.EnumType, mi.LiteralType) if leaf else (mi.StructType, mi.ListType)
            options = [t for t in (_unwrap(t, leaf) for t in info.types) if isinstance(t, wanted)]
            if not options:
                return None
            info = options[0]
        else:
            return info


def _walk(info: Any, part: str) -> Any:
    if isinstance(info, mi.StructType):
        return next((f.type for f in info.fields if part in (f.encode_name, f.name)), None)
    if isinstance(info, (mi.ListType, mi.SetType, mi.VarTupleType, mi.FrozenSetType)):
        return info.item_type if part.isdigit() else None
    if isinstance(info, mi.DictType):
        return info.value_type
    return None
