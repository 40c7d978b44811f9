"""A private copy of an aggregate: what the stream cache hands out and keeps.

A command changes the aggregate it is given and may fail halfway, so the state the cache holds
must never be the object a caller holds. Pickling made that copy by rebuilding every value, and
most of its cost was rebuilding values that cannot change (each UUID, enum member, datetime and
frozen Struct went through Python-level reconstruction). Here a value that cannot change is
shared and everything that can (dicts, lists, sets, Structs that are not frozen, and whatever
holds one of those) is copied, recursively, so no change made through the copy reaches the
original, nor the other way round. A frozen Struct or tuple is shared only when every value in
it is (a frozen Struct can still hold a list); a type this module does not know is deep-copied.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import enum
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from msgspec.structs import astuple

T = TypeVar("T")

# Values of these types never change: shared by every copy.
_SHARED: set[type] = {
    str,
    int,
    float,
    bool,
    bytes,
    type(None),
    UUID,
    datetime.datetime,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    decimal.Decimal,
    frozenset,  # its members are hashable: never a dict, list or set
}
_COPIERS: dict[type, Callable[[Any], Any]] = {}
# Frozen Structs found to hold nothing changeable, by id: shared at once when met again (an
# aggregate's claims recur in every copy of it). The map holds each one, so its id cannot pass
# to another object while it is here; cleared when full.
_IMMUTABLE: dict[int, Any] = {}
IMMUTABLE_MAX = 65536


def private_copy(aggregate: T) -> T:
    """A copy of ``aggregate`` (an object with a ``__dict__``) that shares no changeable value
    with it."""
    cls = type(aggregate)
    clone = cls.__new__(cls)
    shared, known = _SHARED, _IMMUTABLE
    clone.__dict__.update(
        {
            k: v if type(v) in shared or known.get(id(v)) is v else fresh(v)
            for k, v in aggregate.__dict__.items()
        }
    )
    return clone


def fresh(value: Any) -> Any:
    """``value`` itself when it cannot change, else a copy sharing nothing changeable."""
    kind = type(value)
    if kind in _SHARED:
        return value
    copier = _COPIERS.get(kind)
    if copier is None:
        copier = _COPIERS[kind] = _copier_for(kind)
    return copier(value)


# The copiers test ``type(v) in shared`` inline before calling ``fresh``: most values are shared,
# and a call per value was most of the cost.


def _same(value: Any) -> Any:
    return value


def _dict(value: dict[Any, Any]) -> dict[Any, Any]:
    shared, known = _SHARED, _IMMUTABLE  # keys are hashable: never changeable
    return {
        k: v if type(v) in shared or known.get(id(v)) is v else fresh(v) for k, v in value.items()
    }


def _list(value: list[Any]) -> list[Any]:
    shared, known = _SHARED, _IMMUTABLE
    return [v if type(v) in shared or known.get(id(v)) is v else fresh(v) for v in value]


def _set(value: set[Any]) -> set[Any]:
    return set(value)  # members are hashable


def _tuple(value: tuple[Any, ...]) -> tuple[Any, ...]:
    shared = _SHARED
    for v in value:
        if type(v) not in shared:
            break
    else:
        return value
    return tuple(v if type(v) in shared else fresh(v) for v in value)


def _copier_for(kind: type) -> Callable[[Any], Any]:
    if issubclass(kind, enum.Enum):
        _SHARED.add(kind)
        return _same
    if kind is dict:
        return _dict
    if kind is list:
        return _list
    if kind is set:
        return _set
    if kind is tuple:
        return _tuple
    if issubclass(kind, msgspec.Struct):
        fields = kind.__struct_fields__
        if kind.__struct_config__.frozen:
            return lambda value: _frozen_struct(value, fields)
        return lambda value: _struct(value, fields)
    return copy.deepcopy  # a kind of value not met before in an aggregate: correct, if slow


def _frozen_struct(value: Any, fields: tuple[str, ...]) -> Any:
    shared = _SHARED
    # First a scan without calls: most frozen Structs hold only shared values and tuples of
    # them (a claim: its level, note and evidence ids), and are shared whole.
    for item in astuple(value):
        kind = type(item)
        if kind in shared:
            continue
        if kind is tuple:
            for v in item:
                if type(v) not in shared:
                    break
            else:
                continue
        break
    else:
        if len(_IMMUTABLE) >= IMMUTABLE_MAX:
            _IMMUTABLE.clear()
        _IMMUTABLE[id(value)] = value
        return value
    changed = {}
    for name, item in zip(fields, astuple(value), strict=True):
        if type(item) in shared:
            continue
        copied = fresh(item)
        if copied is not item:
            changed[name] = copied
    return msgspec.structs.replace(value, **changed) if changed else value


def _struct(value: Any, fields: tuple[str, ...]) -> Any:
    shared = _SHARED
    return msgspec.structs.replace(
        value,
        **{
            name: item if type(item) in shared else fresh(item)
            for name, item in zip(fields, astuple(value), strict=True)
        },
    )
