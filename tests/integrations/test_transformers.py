"""HeronCallback on a real transformers Trainer with a tiny BERT built from a config."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

import heron
from heron.integrations.transformers import HeronCallback, rewrite_key

from .conftest import QUIET, read


class Pairs(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    def __init__(self, n: int) -> None:
        gen = torch.Generator().manual_seed(0)
        self.ids = torch.randint(0, 32, (n, 6), generator=gen)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "labels": self.ids[i][0] % 2}


def tiny_bert() -> BertForSequenceClassification:
    config = BertConfig(
        vocab_size=32,
        hidden_size=8,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=16,
        num_labels=2,
    )
    return BertForSequenceClassification(config)


def arguments(tmp_path: Path, **kwargs: object) -> TrainingArguments:
    options: dict[str, object] = {
        "output_dir": str(tmp_path / "out"),
        "max_steps": 4,
        "per_device_train_batch_size": 4,
        "learning_rate": 1e-3,
        "logging_steps": 1,
        "eval_strategy": "steps",
        "eval_steps": 2,
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": True,
        "disable_tqdm": True,
    }
    options.update(kwargs)
    return TrainingArguments(**options)  # type: ignore[arg-type]


def test_args_as_config_metrics_at_the_global_step_and_the_summary(
    store_dir: Path, tmp_path: Path
) -> None:
    callback = HeronCallback(project="hf", name="bert", dir=store_dir, **QUIET)
    trainer = Trainer(
        model=tiny_bert(),
        args=arguments(tmp_path),
        train_dataset=Pairs(16),
        eval_dataset=Pairs(8),
        callbacks=[callback],
    )
    trainer.train()
    assert callback.run.state == "finished"  # the callback started the run and ended it
    trainer.evaluate()  # reopens it (same id), open until finished or the process exits
    assert callback.run.state == "running"
    callback.run.finish()
    with read(store_dir) as api:
        run = api.run(callback.run.id)
        assert run.state == "finished" and run.name == "bert"
        assert run.config["learning_rate"] == 1e-3 and run.config["max_steps"] == 4
        assert run.config["model"]["num_hidden_layers"] == 2
        assert run.config["model_num_parameters"] > 0
        series = run.series()
        assert list(series["train/loss"].steps) == [1, 2, 3, 4]
        assert list(series["eval/loss"].steps) == [2, 4, 4]  # two evals, then evaluate()
        assert "train/learning_rate" in series and "train/epoch" in series
        assert run.summary["train_runtime"] > 0 and "train_loss" in run.summary
        assert "train/train_runtime" not in series
        assert run.artifacts() == []


def test_checkpoints_are_logged_with_retention(store_dir: Path, tmp_path: Path) -> None:
    with heron.init(project="hf", dir=store_dir, **QUIET) as run:
        callback = HeronCallback(log_checkpoints=True)
        args = arguments(
            tmp_path,
            save_strategy="steps",
            save_steps=2,
            save_total_limit=1,
            metric_for_best_model="loss",
            greater_is_better=False,
        )
        Trainer(
            model=tiny_bert(),
            args=args,
            train_dataset=Pairs(16),
            eval_dataset=Pairs(8),
            callbacks=[callback],
        ).train()
        assert callback.run is run and run.state == "running"  # a run it did not start
    with read(store_dir) as api:
        versions = api.run(run.id).artifacts(used=False)
    # checkpoints at steps 2 and 4; save_total_limit=1 keeps the last, keep_best the best
    assert {v.type for v in versions} == {"checkpoint"}
    assert max(v.metadata["step"] for v in versions) == 4
    assert all("eval_loss" in v.metadata["metrics"] for v in versions)
    assert all(any(f.path == "config.json" for f in v.files) for v in versions)
    assert 1 <= len(versions) <= 2


@pytest.mark.parametrize(
    ("key", "expected"),
    [("loss", "train/loss"), ("eval_loss", "eval/loss"), ("test_f1", "test/f1")],
)
def test_keys_follow_the_usual_layout(key: str, expected: str) -> None:
    assert rewrite_key(key) == expected
