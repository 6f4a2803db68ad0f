"""The one thing pyproject.toml cannot say: kb_engine's optional C helpers.

``optional=True``: where no C compiler is found the install goes on without them, and
kb_engine uses the pure-Python loops instead (same answers; see kb_engine/speedups.py).
"""

import os

from setuptools import Extension, setup

setup(ext_modules=[Extension(
    "kb_engine._speedups", ["kb_engine/_speedups.c"], optional=True,
    extra_compile_args=[] if os.name == "nt" else ["-O3"],
)])
