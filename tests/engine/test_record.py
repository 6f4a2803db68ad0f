"""Record: what @dataclass gave kb's data classes, without its import-time cost."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from kb_engine.compiled import Sig
from kb_engine.errors import Location
from kb_engine.hits import Hit, SigHits
from kb_engine.record import Record
from kb_engine.report import Evidence


def test_equality_and_repr_go_field_by_field() -> None:
    assert Hit(3, "x") == Hit(3, "x", None) and Hit(3, "x") != Hit(4, "x")
    assert Hit(3, "x") != Evidence(3, "x", "s", 0.5)  # another class is never equal
    assert repr(Location("r.yaml", 4, "id")) == "Location(path='r.yaml', line=4, field='id')"
    assert SigHits().hits == [] and SigHits().hits is not SigHits().hits  # no shared default


def test_immutable_records_hash_and_mutable_ones_do_not() -> None:
    assert hash(Location("a", 1)) == hash(Location("a", 1))
    assert len({Evidence(1, "t", "s", 0.5), Evidence(1, "t", "s", 0.5)}) == 1
    with pytest.raises(TypeError):
        hash(Hit(1, "t"))


def test_a_lean_signature_equals_a_full_one_and_pickles() -> None:
    full = Sig(1, 0, "regex", 0.5, False, 0, "regex /a/", patterns=("a",))
    lean = Sig.__new__(Sig)
    lean.__dict__.update(full.__getstate__())  # defaults left to the class, as the cache
    assert "window" not in lean.__dict__ and lean == full and hash(lean) == hash(full)
    assert pickle.loads(pickle.dumps(full)) == full


def test_a_diagnosis_imports_neither_dataclasses_nor_inspect_nor_openssl() -> None:
    # Only what kb adds counts: a site hook of the environment may have imported them.
    code = ("import sys; before = set(sys.modules); import kb_cli.main; "
            "from kb_engine import load_rules, fingerprint; "
            "load_rules().diagnose('ValueError: x'); fingerprint('x'); "
            "print(sorted({'dataclasses', 'inspect', 'hashlib', '_hashlib'} "
            "& (set(sys.modules) - before)))")
    # A warm rule cache, as every start but the first has (compiling imports pydantic).
    subprocess.run([sys.executable, "-c", "import kb_engine; kb_engine.load_rules()"],
                   check=True)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_every_record_takes_its_fields_in_order_and_pickles_through_init() -> None:
    import importlib
    import inspect
    import pkgutil

    import kb_engine
    from kb_engine.record import Record

    for info in pkgutil.iter_modules(kb_engine.__path__):
        importlib.import_module(f"kb_engine.{info.name}")
    records = _subclasses(Record)
    assert len(records) >= 20
    for cls in records:
        params = list(inspect.signature(cls.__init__).parameters)[1:]
        assert tuple(params) == cls._fields, cls.__name__
    hit = Hit(7, "text", {"k": "v"})
    assert pickle.loads(pickle.dumps(hit)) == hit


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return [c for c in out
            if c.__module__.startswith("kb_engine.") and c.__name__ != "FrozenRecord"]


class _One(Record):
    value: int

    def __init__(self, value: int) -> None:
        self.value = value


class _Defaulted(Record):
    a: int
    b: str

    def __init__(self, a: int, b: str = "class default") -> None:
        self.a = a
        if b != "class default":
            self.b = b


_Defaulted.b = "class default"  # type: ignore[misc]  # read as the lean Sig reads its own


def test_values_come_as_a_tuple_for_one_field_and_class_defaults_count() -> None:
    assert _One(5)._values() == (5,) and pickle.loads(pickle.dumps(_One(5))) == _One(5)
    assert _One(5) != _One(6)
    lean = _Defaulted(1)
    assert "b" not in lean.__dict__ and lean._values() == (1, "class default")
    assert pickle.loads(pickle.dumps(lean)) == lean == _Defaulted(1, "class default")
    assert _Defaulted(1, "x") != lean
