"""The stream cache's private copies (services/eventstore/private_copy.py): no change made through
a copy reaches the original, nor the other way round, at any depth; values that cannot change
are shared (what makes the copy cheaper than pickling)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from uuid import UUID, uuid4

import msgspec
import pytest

from services.commands import Commands
from services.domain.errors import DomainError
from services.domain.innovation import Innovation
from services.domain.innovation_views import to_state
from services.domain.rubric import load_rubric
from services.eventstore.private_copy import fresh, private_copy
from services.eventstore.store import EventStore
from tests.factories import World, document


class Colour(Enum):
    RED = "red"


class Frozen(msgspec.Struct, frozen=True):
    name: str
    items: list[int] | tuple[int, ...] = ()


class Mutable(msgspec.Struct):
    label: str
    tags: list[str]
    inner: Frozen | None = None


class Plain:
    def __init__(self) -> None:
        self.id = uuid4()
        self.colour = Colour.RED
        self.when = datetime.now(UTC)
        self.frozen = Frozen("a", (1, 2))
        self.frozen_with_list = Frozen("b", [1, 2])
        self.mutable = Mutable("m", ["x"], Frozen("c", [3]))
        self.by_id: dict[UUID, Mutable] = {uuid4(): Mutable("n", ["y"])}
        self.nested: dict[int, dict[int, list[int]]] = {1: {2: [3]}}
        self.pairs = [(1, [2]), (3, 4)]
        self.seen = {1, 2}


def test_values_that_cannot_change_are_shared_and_the_rest_copied() -> None:
    original = Plain()
    clone = private_copy(original)
    assert type(clone) is Plain and clone is not original
    for name in ("id", "colour", "when", "frozen"):
        assert getattr(clone, name) is getattr(original, name)
    assert clone.pairs[1] is original.pairs[1]  # a tuple of shared values
    for name in ("frozen_with_list", "mutable", "by_id", "nested", "pairs", "seen"):
        assert getattr(clone, name) is not getattr(original, name)
        assert getattr(clone, name) == getattr(original, name)


def test_no_change_through_the_copy_reaches_the_original_or_back() -> None:
    original = Plain()
    before = msgspec.to_builtins(vars(original), builtin_types=(datetime, UUID))
    clone = private_copy(original)
    clone.frozen_with_list.items.append(9)  # type: ignore[union-attr]
    clone.mutable.tags.append("z")
    clone.mutable.inner.items.append(9)  # type: ignore[union-attr]
    clone.mutable.label = "changed"
    next(iter(clone.by_id.values())).tags.clear()
    clone.nested[1][2].append(4)
    clone.pairs[0][1].append(5)
    clone.seen.add(3)
    assert msgspec.to_builtins(vars(original), builtin_types=(datetime, UUID)) == before
    again = private_copy(original)
    original.nested[1][2].append(7)
    original.mutable.tags.append("w")
    assert again.nested == {1: {2: [3]}} and again.mutable.tags == ["x"]


def test_a_frozen_struct_is_shared_only_when_its_tuples_hold_nothing_changeable() -> None:
    ids = Frozen("ids", (uuid4(), uuid4()))  # type: ignore[arg-type]
    empty = Frozen("empty")
    deep = Frozen("deep", ((1, [2]),))  # type: ignore[arg-type]
    inner = Frozen("inner", (Mutable("m", ["x"]),))  # type: ignore[arg-type]
    assert fresh(ids) is ids and fresh(empty) is empty
    for value in (deep, inner):
        copied = fresh(value)
        assert copied is not value and copied == value
    copied_deep = fresh(deep)
    copied_deep.items[0][1].append(3)  # type: ignore[index]
    assert deep.items == ((1, [2]),)
    copied_inner = fresh(inner)
    copied_inner.items[0].tags.append("y")  # type: ignore[union-attr]
    assert inner.items[0].tags == ["x"]  # type: ignore[union-attr]


def test_a_frozen_struct_found_unchangeable_is_remembered_and_the_memory_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.eventstore import private_copy as module

    monkeypatch.setattr(module, "_IMMUTABLE", {})
    monkeypatch.setattr(module, "IMMUTABLE_MAX", 4)
    claim = Frozen("claim", (uuid4(),))  # type: ignore[arg-type]
    holder = Plain()
    holder.by_id = {uuid4(): claim}  # type: ignore[dict-item]
    assert private_copy(holder).by_id == holder.by_id
    assert module._IMMUTABLE[id(claim)] is claim  # held: its id cannot pass to another object
    assert next(iter(private_copy(holder).by_id.values())) is claim
    with_list = Frozen("list", [1])
    assert fresh(with_list) is not with_list
    assert id(with_list) not in module._IMMUTABLE
    for n in range(10):
        fresh(Frozen(f"n{n}"))
        assert len(module._IMMUTABLE) <= 4


def test_a_kind_of_value_not_known_is_deep_copied() -> None:
    class Box:
        def __init__(self) -> None:
            self.content = [1]

    box = Box()
    copied = fresh(box)
    copied.content.append(2)
    assert copied is not box and box.content == [1]


def test_a_command_that_fails_halfway_leaves_the_cached_state_whole(store: EventStore) -> None:
    """The aggregate a load hands out is a private copy: a command that changes it and then
    fails (here: the second claim of a batch is refused) leaves the next load as it was."""
    world = World(Commands(store))
    iid = world.complete_draft()
    rubric = load_rubric(2025)
    cached = store.load(Innovation, iid)
    before = msgspec.to_builtins(to_state(cached, rubric, None))
    ctx = world.ctx(world.operator)
    doc = document(indicator=6)
    cached.attach_document(ctx, doc, rubric)
    cached.claim_indicator(ctx, rubric, no=6, level=1, evidence=[doc.doc_id])
    with pytest.raises(DomainError):
        cached.claim_indicator(ctx, rubric, no=999, level=2)
    assert cached.claims[6].level == 1 and doc.doc_id in cached.documents
    again = store.load(Innovation, iid)
    assert again is not cached
    assert msgspec.to_builtins(to_state(again, rubric, None)) == before
    assert doc.doc_id not in again.documents
