"""LazyList: a list whose items are unpickled on first read, and nothing else changes."""

from __future__ import annotations

import pickle

import pytest

from kb_engine.lazy import LazyList


class Store:
    """Stands for the one object every item refers to (the causes' text store)."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts


class Item:
    def __init__(self, n: int, store: Store | None = None) -> None:
        self.n = n
        self.store = store

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Item) and other.n == self.n


class Plain:
    """State of every kind an item may hold."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Plain) and other.value == self.value

    def __repr__(self) -> str:
        return f"Plain({self.value!r})"


def test_it_reads_like_the_list_it_was_made_from() -> None:
    items = [Plain(v) for v in (("a", 1), None, ["x", {"y": 2.5}], b"\x00bytes", "",
                                10**30, frozenset({1, 2}), True)]
    lazy = LazyList(items, Plain)
    assert len(lazy) == len(items)
    assert list(lazy) == items
    assert [lazy[i] for i in range(-len(items), len(items))] == items + items
    assert lazy[1:5:2] == items[1:5:2] and lazy[::-1] == items[::-1]
    with pytest.raises(IndexError):
        lazy[len(items)]
    with pytest.raises(IndexError):
        lazy[-len(items) - 1]
    assert list(LazyList([], Plain)) == [] and len(LazyList([], Plain)) == 0


def test_items_are_built_on_first_read_once() -> None:
    lazy = LazyList([Item(i) for i in range(100)], Item)
    assert lazy.built == 0
    first = lazy[42]
    assert first.n == 42 and lazy.built == 1
    assert lazy[42] is first and lazy[-58] is first  # built once, same object after
    assert lazy.built == 1


def test_pickling_copies_bytes_not_items() -> None:
    lazy = LazyList([Item(i) for i in range(50)], Item)
    lazy[3]
    again = pickle.loads(pickle.dumps(lazy))
    assert again.built == 0 and list(again) == list(lazy)


def test_the_shared_object_is_stored_once_and_given_back_to_every_item() -> None:
    store = Store(["t" * 1000])
    lazy = LazyList([Item(i, store) for i in range(20)], Item, shared=("store", store))
    assert len(lazy._data) < 20 * 1000  # not a copy of the store per item
    assert all(item.store is store for item in lazy)
    again = pickle.loads(pickle.dumps(lazy))
    assert again[0].store is again[19].store
    assert again[0].store is not store and again[0].store.texts == store.texts


def test_items_of_another_class_or_without_the_shared_object_are_refused() -> None:
    with pytest.raises(TypeError, match="a LazyList of Item got a Plain"):
        LazyList([Item(1), Plain(2)], Item)
    store = Store([])
    with pytest.raises(ValueError, match="'store' must be the shared object"):
        LazyList([Item(1, store), Item(2, Store([]))], Item, shared=("store", store))
    with pytest.raises(ValueError):  # state marshal cannot hold
        LazyList([Plain(Store([]))], Plain)


def test_dataclass_defaults_left_out_of_the_state_come_back_from_the_class() -> None:
    from kb_engine.compiled import Sig

    sig = Sig(sid=1, cause=0, kind="regex", weight=0.5, negative=False, index=0, label="x",
              patterns=("a+",))
    lazy = LazyList([sig], Sig)
    assert lazy[0] == sig and lazy[0].window == 50 and lazy[0].frame_fields == (None,) * 3
