"""Importers: runs from MLflow, TensorBoard and W&B into Heron, through the service
(``heron.service.Tracking``), idempotent and resumable (:mod:`heron.importers.base`).

Each reads its source with the source's own package (imported only when used):
:mod:`~heron.importers.mlflow`, :mod:`~heron.importers.tensorboard`,
:mod:`~heron.importers.wandb`. ``heron import`` is their command line.
"""

from __future__ import annotations

from heron.importers.base import DONE_SEQ, ImportReport, Progress

__all__ = ["DONE_SEQ", "ImportReport", "Progress"]
