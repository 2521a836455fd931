"""The compiled part of Heron: ``heron.sdk._fastlog``, ``Run.log``'s known-shape fast
path in C (everything else is in pyproject.toml). Optional: without a C compiler the
build goes on and ``Run.log`` uses its pure-Python path (same bytes, slower)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "heron.sdk._fastlog",
            sources=["src/heron/sdk/_fastlog.c"],
            optional=True,
        )
    ]
)
