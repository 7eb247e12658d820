"""``lerobot-ros train`` end to end: checkpoint, JSON-lines log and PNG from the command line."""

from __future__ import annotations

import json

import pytest

import numpy as np

from lerobot_ros.cli.main import main
from lerobot_ros.dataset import DatasetReader
from lerobot_ros.policies.smolvla2 import SmolVLA2Policy
from lerobot_ros.training.synthetic import SyntheticSpec, write_synthetic_dataset


@pytest.mark.slow
def test_cli_trains_and_writes_checkpoint_log_and_plot(tiny_cli_args, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(tiny_cli_args(out, 6, 4)) == 0
    assert "trained to step 6" in capsys.readouterr().out
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["split"] == "train"] == [1, 2, 3, 4, 5, 6]
    assert [r["step"] for r in records if r["split"] == "val"] == [3, 6]
    assert all({"loss", "flow_loss", "text_loss", "lr", "grad_norm", "samples_per_s"} <= set(r)
               for r in records if r["split"] == "train")
    assert (out / "loss_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    checkpoint = out / "checkpoints" / "last" / "pretrained_model"
    policy = SmolVLA2Policy.from_pretrained(checkpoint)
    assert policy.config.chunk_size == 10 and policy.config.image_features == ["observation.images.front"]
    saved = json.loads((out / "train_config.json").read_text())
    assert saved["steps"] == 6 and saved["optimizer_overrides"]["lr"] == 3e-3

    # --resume with more steps continues from the checkpoint, reusing the saved configuration
    assert main(["train", "--output-dir", str(out), "--resume", "--steps", "8", "--no-progress"]) == 0
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["split"] == "train"] == list(range(1, 9))


@pytest.mark.slow
def test_cli_fine_tunes_a_checkpoint_with_the_new_dataset_statistics(tiny_cli_args, tmp_path):
    assert main(tiny_cli_args(tmp_path / "base", 2, 2)) == 0
    base = tmp_path / "base" / "checkpoints" / "last" / "pretrained_model"
    other = write_synthetic_dataset(tmp_path / "other", SyntheticSpec(episodes=2, frames_per_phase=6))
    assert main(["train", "--dataset", str(other), "--policy-path", str(base), "--output-dir", str(tmp_path / "ft"),
                 "--steps", "2", "--batch-size", "2", "--device", "cpu", "--num-workers", "0", "--lr", "1e-3",
                 "--no-progress"]) == 0
    tuned = SmolVLA2Policy.from_pretrained(tmp_path / "ft" / "checkpoints" / "last" / "pretrained_model")
    stats = DatasetReader(other).stats["action"]
    np.testing.assert_allclose(tuned.stats()["action"]["mean"].numpy(), stats["mean"], rtol=1e-6)
    assert not np.allclose(SmolVLA2Policy.from_pretrained(base).stats()["action"]["mean"].numpy(), stats["mean"])


def test_cli_errors_name_the_problem(tmp_path, capsys):
    assert main(["train", "--output-dir", str(tmp_path)]) == 2
    assert "--dataset is required" in capsys.readouterr().err
    assert main(["train", "--dataset", str(tmp_path / "missing"), "--output-dir", str(tmp_path / "out")]) == 2
    assert "no such folder, and not a Hub repo id" in capsys.readouterr().err
    assert main(["train", "--output-dir", str(tmp_path / "never_ran"), "--resume"]) == 2
    assert "--resume needs the output folder of an earlier run" in capsys.readouterr().err
