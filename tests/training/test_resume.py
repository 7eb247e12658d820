"""Checkpoint + resume continues the same run: the resumed loss curve is the uninterrupted one (which
also loads its data in two worker processes: the curve does not depend on the loader either)."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from safetensors.torch import load_file

from lerobot_ros.training import OptimizerConfig, tiny_train_config, train
from lerobot_ros.training.checkpoint import PRETRAINED, last_checkpoint

# The schedule is fixed by the optimizer settings, not by the run length, so a run of 12 steps
# extended to 24 follows the same learning rates as a run of 24.
OPTIMIZER = OptimizerConfig(lr=3e-3, warmup_steps=4, decay_steps=24, decay_lr=3e-4, auto_scale_schedule=False)


def read_log(folder):
    return [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_resumed_run_repeats_the_uninterrupted_run(annotated_dataset, tmp_path):
    settings = dict(log_every=1, save_every=6, val_every=6, optimizer=OPTIMIZER)
    train(tiny_train_config(annotated_dataset, tmp_path / "whole", steps=24, num_workers=2, **settings))

    interrupted = tiny_train_config(annotated_dataset, tmp_path / "split", steps=12, **settings)
    first = train(interrupted)
    assert first.step == 12 and last_checkpoint(tmp_path / "split").name == "000012"
    # a crash after the checkpoint leaves log lines the resumed run must not keep
    with (tmp_path / "split" / "log.jsonl").open("a") as log:
        log.write(json.dumps({"step": 13, "split": "train", "loss": -1.0}) + "\n")
    resumed = train(dataclasses.replace(interrupted, steps=24, resume=True))
    assert resumed.step == 24

    whole, split = read_log(tmp_path / "whole"), read_log(tmp_path / "split")
    assert [(r["step"], r["split"]) for r in split] == [(r["step"], r["split"]) for r in whole]
    for a, b in zip(whole, split):
        for key in ("loss", "flow_loss", "text_loss"):
            assert b[key] == pytest.approx(a[key], rel=1e-5, abs=1e-7), (a["step"], a["split"], key)
        if a["split"] == "train":
            assert b["lr"] == pytest.approx(a["lr"], rel=1e-9)
    with pytest.raises(FileExistsError, match="--resume"):  # a fresh run never mixes into an old one
        train(interrupted)
    final_whole = load_file(str(last_checkpoint(tmp_path / "whole") / PRETRAINED / "model.safetensors"))
    final_split = load_file(str(last_checkpoint(tmp_path / "split") / PRETRAINED / "model.safetensors"))
    assert final_whole.keys() == final_split.keys()
    for key in final_whole:
        torch.testing.assert_close(final_split[key], final_whole[key], rtol=1e-5, atol=1e-6)


def test_resume_without_a_checkpoint_is_a_clear_error(annotated_dataset, tmp_path):
    config = tiny_train_config(annotated_dataset, tmp_path / "fresh", steps=2, resume=True)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        train(config)
