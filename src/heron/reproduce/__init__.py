"""Reproducing runs: :mod:`~heron.reproduce.verify` says whether a run reproduced
another (metrics step by step, config and environment differences). See
docs/reproducibility.md."""

from heron.reproduce.verify import Verification, compare, load

__all__ = ["Verification", "compare", "load"]
