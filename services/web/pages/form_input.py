"""A page form checked by the API's own msgspec Structs, its refusals said in Bahasa Indonesia.

A page builds the same request Struct the JSON route takes (``msgspec.convert`` from the form's
strings), so the bounds in ``services.http.limits`` hold for both. msgspec words its errors in
English; ``explain`` turns each into a sentence a person can act on, naming the form's label.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

_AT = re.compile(r"at `\$\.([A-Za-z_]+)")


class FormError(Exception):
    """A refused form field: ``field`` is the form's name for it, ``message`` what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def explain(error: msgspec.ValidationError, labels: dict[str, str]) -> FormError:
    text = str(error)
    match = _AT.search(text)
    field = match.group(1) if match else ""
    label = labels.get(field, field or "Isian")
    if "length >= 1" in text:
        reason = "wajib diisi"
    elif m := re.search(r"length <= (\d+)", text):
        reason = f"paling panjang {int(m.group(1)):,} karakter".replace(",", ".")
    elif "must match pattern" in text:
        reason = "memuat karakter yang tidak diizinkan"
    elif "Invalid enum value" in text:
        reason = "pilihan tidak dikenal"
    elif m := re.search(r"Expected `int` >= (-?\d+)", text):
        reason = f"harus angka, paling kecil {m.group(1)}"
    elif m := re.search(r"Expected `int` <= (-?\d+)", text):
        reason = f"harus angka, paling besar {m.group(1)}"
    elif "Expected `int`" in text:
        reason = "harus berupa angka bulat"
    elif "datetime" in text:
        reason = "tanggal dan jam tidak valid"
    elif "uuid" in text.lower():
        reason = "pilihan tidak dikenal"
    else:
        reason = "tidak valid"
    return FormError(field, f"{label} {reason}.")


def convert(kind: type[T], values: dict[str, Any], labels: dict[str, str]) -> T:
    """The form's values as ``kind`` (str→int/datetime/enum as msgspec does), or FormError."""
    try:
        return msgspec.convert(values, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise explain(exc, labels) from None


def text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()


def many(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name) or []
    return [str(v) for v in (value if isinstance(value, list) else [value]) if str(v)]
