"""Snapshots of aggregates, stored in eventsourcing's snapshot table: a load of a long stream
(``EventStore.load``, the auditor's state-as-of) starts from the nearest one and replays only
the events after it. Snapshots are not events: they have no notification id, are not in the
hash chain, and no read model or verifier reads them.

A snapshot is a cache: it may be dropped at any time and is rebuilt lazily from the log. It is
used only when all of these still hold, otherwise the stream is replayed from its first event:

- the aggregate's module source is unchanged (``fingerprint``): a new attribute or a changed
  ``apply`` handler silently invalidates every old snapshot instead of resurrecting stale state;
- the chain link of the snapshot's version is the one stored now: a rewritten chain is never
  papered over by an old snapshot.

The codec is a small tagged JSON encoding of the aggregate's attributes (enums, UUIDs, dates,
decimals, dicts with non-string keys, tuples); msgspec Structs are stored as plain builtins and
restored by ``msgspec.convert`` from their own type annotations. It only ever constructs classes
from ``services.domain``, so a forged snapshot row cannot make the process import or run anything
else (which is why this is not pickle).
"""

from __future__ import annotations

import base64
import enum
import functools
import hashlib
import importlib
import inspect
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from services.domain.aggregate import Aggregate

_ALLOWED = ("services.domain.",)
CODEC = "sirisma-snapshot/1"
EVERY = 50  # a snapshot when a stream passes a multiple of this many events
TOPIC = "sirisma.audit.snapshot"  # the snapshot rows' topic (its name predates the store's use)


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    codec: str
    cls: str
    fingerprint: str
    link: str  # chain hash of the event at this version
    attrs: dict[str, Any]


def _qualname(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


@functools.cache
def _resolve(name: str) -> Any:
    module_name, _, qual = name.partition(":")
    if not module_name.startswith(_ALLOWED):
        raise ValueError(f"snapshot names a class outside the domain: {name}")
    obj: Any = importlib.import_module(module_name)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def fingerprint(cls: type) -> str:
    """Changes whenever the aggregate's code (or its base's) changes."""
    return _fingerprint(_qualname(cls))


@functools.cache
def _fingerprint(name: str) -> str:
    cls = _resolve(name)
    digest = hashlib.sha256()
    for klass in cls.__mro__:
        module = sys.modules.get(klass.__module__)
        if module is None or not klass.__module__.startswith(_ALLOWED):
            continue
        try:
            digest.update(inspect.getsource(module).encode())
        except (OSError, TypeError):  # no source shipped: the bytecode of the class's methods
            for name, attr in sorted(vars(klass).items()):
                code = getattr(attr, "__code__", None)
                digest.update(name.encode() + (code.co_code if code is not None else b""))
    return digest.hexdigest()[:16]


def encode_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):  # before the primitives: a StrEnum is also a str
        return {"$e": _qualname(type(value)), "v": value.value}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, msgspec.Struct):
        # Struct fields are fully typed: msgspec restores them (in C) from plain builtins.
        return {"$s": _qualname(type(value)), "v": msgspec.to_builtins(value)}
    if isinstance(value, UUID):
        return {"$u": str(value)}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {"$m": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, tuple):
        return {"$t": [encode_value(v) for v in value]}
    if isinstance(value, frozenset):
        return {"$fs": [encode_value(v) for v in value]}
    if isinstance(value, set):
        return {"$set": [encode_value(v) for v in value]}
    raise TypeError(f"cannot snapshot a value of type {type(value).__name__}")


def decode_value(data: Any) -> Any:
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    if not isinstance(data, dict):
        return data
    ((tag, payload), *rest) = data.items()
    if tag == "$e":
        return _resolve(payload)(data["v"])
    if tag == "$s":
        return msgspec.convert(data["v"], _resolve(payload))
    if rest:
        raise ValueError(f"malformed snapshot value: {data!r}")
    if tag == "$u":
        return UUID(payload)
    if tag == "$dt":
        return datetime.fromisoformat(payload)
    if tag == "$d":
        return date.fromisoformat(payload)
    if tag == "$dec":
        return Decimal(payload)
    if tag == "$b":
        return base64.b64decode(payload)
    if tag == "$m":
        return {decode_value(k): decode_value(v) for k, v in payload}
    if tag == "$t":
        return tuple(decode_value(v) for v in payload)
    if tag == "$fs":
        return frozenset(decode_value(v) for v in payload)
    if tag == "$set":
        return {decode_value(v) for v in payload}
    raise ValueError(f"unknown snapshot tag {tag}")


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Snapshot)


def take(aggregate: Aggregate, link: str) -> bytes:
    attrs = {k: encode_value(v) for k, v in vars(aggregate).items() if k != "_pending"}
    cls = type(aggregate)
    return _encoder.encode(
        Snapshot(
            codec=CODEC, cls=_qualname(cls), fingerprint=fingerprint(cls), link=link, attrs=attrs
        )
    )


def restore(data: bytes, expected: type[Aggregate]) -> tuple[Aggregate, str] | None:
    """(aggregate, link) or None when the snapshot no longer fits the code."""
    snap = _decoder.decode(data)
    if snap.codec != CODEC or snap.cls != _qualname(expected):
        return None
    if snap.fingerprint != fingerprint(expected):
        return None
    aggregate = expected.__new__(expected)
    aggregate.__dict__.update({k: decode_value(v) for k, v in snap.attrs.items()})
    aggregate._pending = []
    return aggregate, snap.link


def usable(
    found: tuple[int, bytes, str | None] | None, expected: type[Aggregate]
) -> Aggregate | None:
    """The aggregate of a stored snapshot (version, bytes, the chain link at that version now),
    or None when it does not fit the code or the chain any more (then: replay from the start)."""
    if found is None:
        return None
    _, data, link_now = found
    try:
        restored = restore(data, expected)
    except (ValueError, TypeError, KeyError, msgspec.MsgspecError):
        return None
    if restored is None or restored[1] != link_now:
        return None
    return restored[0]
