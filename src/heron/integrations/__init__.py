"""Adapters that let a framework's own hooks log to Heron.

Each module adapts one framework (``heron.integrations.lightning``, ``transformers``,
``keras``, ``xgboost``, ``lightgbm``, ``optuna``, ``sklearn``, ``ray``) and is a thin
skin over the public SDK: ``heron.init``, ``Run.log``, ``run.config``, ``run.summary``,
``Run.log_checkpoint`` and ``Run.log_artifact``. Importing this package imports no
framework; importing one of its modules imports that framework (install it with its
extra, e.g. ``pip install 'heron[lightning]'``). See docs/integrations.md.
"""
