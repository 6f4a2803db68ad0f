"""A list of one class's instances, each built only when it is read.

Every ``kb`` start reads its rule cache, and with 5,000 rules most of that time went into
building objects no scan looks at: the signatures, probes and causes of rules that match
nothing in the input. ``LazyList`` keeps each item's state (its ``__dict__``, or what its
``__getstate__`` gives) marshalled in one ``bytes`` object and builds an item on its first
read. ``marshal`` rather than ``pickle``: the state is plain data, and unmarshalling needs
no class lookup or unpickler per item (about 3x quicker for a signature).
"""

from __future__ import annotations

import marshal
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class LazyList(Sequence[T], Generic[T]):
    """An immutable sequence of ``cls`` instances, each built on its first read.

    An item's state must be plain data (``str``, ``bytes``, numbers, ``None``, tuples,
    lists, dicts, sets of those), except for the attribute named by ``shared``: every item
    holds the same object there (the causes' text store), kept once beside them. Items
    come back as ``cls.__new__`` plus their state, as unpickling builds them (class
    attributes stand for fields left at their defaults). Pickling a LazyList copies its
    bytes, not its items.
    """

    def __init__(
        self, items: Iterable[T], cls: type[T], shared: tuple[str, Any] | None = None
    ) -> None:
        blobs: list[bytes] = []
        ends = array("Q")
        size = 0
        for item in items:
            blob = marshal.dumps(_state(item, cls, shared))
            blobs.append(blob)
            size += len(blob)
            ends.append(size)
        self._setup(b"".join(blobs), ends, cls, shared)

    def _setup(self, data: bytes, ends: array[int], cls: type[T],
               shared: tuple[str, Any] | None) -> None:
        self._data = data
        self._ends = ends
        self._cls = cls
        self._shared = shared
        self._items: list[Any] = [_MISSING] * len(ends)

    @classmethod
    def _restore(cls, data: bytes, ends: bytes, item_cls: type[T],
                 shared: tuple[str, Any] | None) -> LazyList[T]:
        out = cls.__new__(cls)
        offsets = array("Q")
        offsets.frombytes(ends)
        out._setup(data, offsets, item_cls, shared)
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self)._restore, (self._data, self._ends.tobytes(), self._cls, self._shared))

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        item = self._items[index]  # IndexError and negative indexes as a list has them
        if item is _MISSING:
            item = self._build(index)  # type: ignore[arg-type]
        elif isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return item

    def _build(self, index: int) -> T:
        i = index % len(self._ends)
        start = self._ends[i - 1] if i else 0
        item = self._cls.__new__(self._cls)
        state = item.__dict__
        state.update(marshal.loads(self._data[start:self._ends[i]]))
        if self._shared is not None:
            state[self._shared[0]] = self._shared[1]
        self._items[i] = item
        return item

    @property
    def built(self) -> int:
        """How many items have been built so far."""
        return sum(item is not _MISSING for item in self._items)

    def __iter__(self) -> Iterator[T]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"LazyList({len(self)} {self._cls.__name__})"


_MISSING: Any = object()


def _state(item: Any, cls: type[Any], shared: tuple[str, Any] | None) -> dict[str, Any]:
    if type(item) is not cls:
        raise TypeError(f"a LazyList of {cls.__name__} got a {type(item).__name__}")
    state = dict(item.__getstate__() or {})  # object's own gives the __dict__
    if shared is not None:
        name, obj = shared
        if state.pop(name, obj) is not obj:
            raise ValueError(f"every item's {name!r} must be the shared object")
    return state


__all__ = ["LazyList"]
