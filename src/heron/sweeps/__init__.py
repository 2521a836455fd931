"""Hyperparameter sweeps: a W&B-like YAML (``spec``), an Optuna study beside Heron's
database (``study``) and the agent that runs trials as processes (``agent``).

Needs the ``sweeps`` extra (optuna, pyyaml, cmaes). See docs/sweeps.md.
"""

from heron.sweeps.spec import SweepSpec, load_spec, parse_spec

__all__ = ["SweepSpec", "load_spec", "parse_spec"]
