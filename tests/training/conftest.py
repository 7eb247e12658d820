"""Fixtures of the training tests: one synthetic annotated dataset per session (written with our
DatasetWriter, real PyAV video), and torch kept to one thread per process on the shared cores."""

from __future__ import annotations

import json

import pytest
import torch

from lerobot_ros.training.synthetic import SyntheticSpec, write_synthetic_dataset


@pytest.fixture(autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def annotated_dataset(tmp_path_factory):
    """4 episodes x 3 phases x 10 frames at 10 fps, one 32x48 camera, every language row kind."""
    return write_synthetic_dataset(tmp_path_factory.mktemp("training") / "annotated", SyntheticSpec())


@pytest.fixture(scope="session")
def tiny_cli_args(annotated_dataset, tmp_path_factory):
    """``lerobot-ros train`` options for a fresh tiny policy on the annotated dataset: a function of
    the output folder, the step count and the per-process batch size."""
    from lerobot_ros.policies.smolvla2 import write_tiny_vlm
    from lerobot_ros.training.quick import dataset_corpus, tiny_policy_overrides

    vlm = write_tiny_vlm(tmp_path_factory.mktemp("tiny_vlm"), corpus=dataset_corpus(annotated_dataset))
    overrides = json.dumps(tiny_policy_overrides(vlm, chunk_size=10, n_action_steps=10))

    def args(output_dir, steps: int, batch_size: int) -> list[str]:
        return ["train", "--dataset", str(annotated_dataset), "--vlm", str(vlm), "--policy-overrides", overrides,
                "--output-dir", str(output_dir), "--steps", str(steps), "--batch-size", str(batch_size),
                "--lr", "3e-3", "--warmup-steps", "2", "--decay-steps", str(steps), "--decay-lr", "3e-4",
                "--device", "cpu", "--num-workers", "0", "--log-every", "1", "--val-every", str(steps // 2),
                "--save-every", str(steps), "--no-progress"]

    return args
