"""The compiled parts of Heron (everything else is in pyproject.toml):
``heron.sdk._fastlog``, ``Run.log``'s known-shape fast path in C, and
``heron.store._codec``, the metric chunk codec and block summaries in C. Optional:
without a C compiler the build goes on and both use their pure-Python code (same
bytes, slower)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "heron.sdk._fastlog",
            sources=["src/heron/sdk/_fastlog.c"],
            optional=True,
        ),
        Extension(
            "heron.store._codec",
            sources=["src/heron/store/_codec.c"],
            optional=True,
        ),
    ]
)
