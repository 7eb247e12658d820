"""``lerobot-ros train`` end to end: checkpoint, JSON-lines log and PNG from the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lerobot_ros.cli.main import main
from lerobot_ros.policies.smolvla2 import SmolVLA2Policy


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


def test_cli_errors_name_the_problem(tmp_path):
    done = subprocess.run([sys.executable, "-m", "lerobot_ros.cli.main", "train", "--output-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--dataset is required" in done.stderr
    done = subprocess.run([sys.executable, "-m", "lerobot_ros.cli.main", "train", "--dataset",
                           str(tmp_path / "missing"), "--output-dir", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "no such folder, and not a Hub repo id" in done.stderr
