"""The one thing pyproject.toml cannot say: kb_engine's optional C helpers (three modules).

``optional=True``: where no C compiler is found the install goes on without them, and
kb_engine uses the pure-Python loops instead (same answers; see kb_engine/speedups.py).
"""

import os

from setuptools import Extension, setup

_FLAGS = [] if os.name == "nt" else ["-O3"]

setup(ext_modules=[
    Extension(f"kb_engine.{name}", [f"kb_engine/{name}.c"], optional=True,
              depends=["kb_engine/newlines.h"], extra_compile_args=_FLAGS)
    for name in ("_speedups", "_hitbuf", "_tbscan")
])
