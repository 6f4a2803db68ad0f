"""The base of kb's plain data classes, written out instead of ``@dataclass``.

``dataclasses`` imports ``inspect`` and compiles every class's generated methods with
``exec`` when the class is defined: for the 20-odd classes a diagnosis imports that was
about 30 ms of every ``kb`` start (a third of its import time), paid again by every
paste. A record class writes its ``__init__`` out (so it lands in the bytecode cache like
any other code); this base gives it what ``@dataclass`` did besides: field-wise ``==``,
a readable ``repr`` and, for immutable ones, ``hash``. The fields are the class's own
annotations, in order, and ``__init__`` takes them in that order (pickling relies on it).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, ClassVar


class Record:
    """Field-wise ``==`` and ``repr``; unhashable, as a mutable dataclass is."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _get: ClassVar[Callable[[Any], tuple[Any, ...]]] = staticmethod(lambda self: ())

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Annotations are strings here (postponed): only their names are read. Not
        # inspect.get_annotations: importing inspect is what this module avoids.
        own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
        cls._fields = tuple(n for n, t in own.items() if not str(t).startswith("ClassVar"))
        # One C call per object, not a generator of getattr calls: pickling the thousands
        # of hits and frames a parallel scan sends back spent most of its time there.
        # attrgetter reads class defaults as getattr does; given one name it gives no tuple.
        if len(cls._fields) > 1:
            cls._get = staticmethod(attrgetter(*cls._fields))
        elif cls._fields:
            one = attrgetter(cls._fields[0])
            cls._get = staticmethod(lambda self: (one(self),))

    def _values(self) -> tuple[Any, ...]:
        """The fields' values in order, class defaults included."""
        return type(self)._get(self)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt by its own __init__, which takes the fields in order: half the unpickling
        # time of the default (a state dict per object), and the parallel scan sends
        # thousands of hits and frames from one process to the other.
        cls = type(self)
        return (cls, cls._get(self))

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({inner})"


class FrozenRecord(Record):
    """A record nothing changes after ``__init__``: hashable by its fields."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self._values())


__all__ = ["FrozenRecord", "Record"]
