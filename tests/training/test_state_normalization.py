"""A joint that never moved in the training data: the policy's normalization keeps its run-time
noise small (the state's std is floored) instead of dividing it by ~1e-8."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from lerobot_ros.cli.main import build_parser
from lerobot_ros.cli.train import build_config
from lerobot_ros.dataset import DatasetReader, DatasetWriter
from lerobot_ros.policies.smolvla2.normalization import Normalizer, as_stats
from lerobot_ros.policies.smolvla2 import SmolVLA2Config
from lerobot_ros.training.policy_setup import dataset_stats

NAMES = ["shoulder_pan", "wrist_roll", "gripper"]
STILL = 1  # wrist_roll never moves
QUANTIZATION_RAD = 2 * np.pi / 4096  # one step of a 12-bit servo encoder


@pytest.fixture(scope="module")
def still_joint_dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("still") / "dataset"
    features = {key: {"dtype": "float32", "shape": [len(NAMES)], "names": NAMES} for key in ("observation.state", "action")}
    writer = DatasetWriter.create(root, 10, features, robot_type="so101_follower")
    rng = np.random.default_rng(0)
    try:
        for _ in range(2):
            for _ in range(20):
                state = rng.uniform(-1.0, 1.0, len(NAMES)).astype(np.float32)
                state[STILL] = 0.25
                writer.add_frame({"observation.state": state, "action": state}, task="hold the wrist")
            writer.save_episode()
    finally:
        writer.close()
    return DatasetReader(root)


def test_a_still_joint_is_normalized_with_the_floor_and_named(still_joint_dataset, caplog):
    recorded = still_joint_dataset.stats["observation.state"]["std"]
    assert recorded[STILL] < 1e-6
    with caplog.at_level(logging.WARNING, logger="lerobot_ros.training.policy_setup"):
        stats = dataset_stats(still_joint_dataset, min_state_std=0.01)
    assert "wrist_roll barely moved" in caplog.text
    np.testing.assert_allclose(stats["observation.state"]["std"], [recorded[0], 0.01, recorded[2]], rtol=1e-6)
    np.testing.assert_array_equal(stats["action"]["std"], still_joint_dataset.stats["action"]["std"])

    # At run time the servo reads the still joint one encoder step off: a small input, as in training.
    normalizer = Normalizer(as_stats(stats), SmolVLA2Config().normalization_mapping, 1e-8)
    state = torch.tensor(np.asarray(stats["observation.state"]["mean"]) + QUANTIZATION_RAD).reshape(1, -1)
    normalized = normalizer.normalize("observation.state", state)
    assert abs(float(normalized[0, STILL])) < 0.2
    unfloored = Normalizer(as_stats(dataset_stats(still_joint_dataset)), SmolVLA2Config().normalization_mapping, 1e-8)
    assert abs(float(unfloored.normalize("observation.state", state)[0, STILL])) > 1e3  # what the floor prevents


def test_the_floor_is_a_train_option(tmp_path):
    args = build_parser().parse_args(["train", "--dataset", str(tmp_path), "--output-dir", str(tmp_path / "out"),
                                      "--min-state-std", "0.05"])
    assert build_config(args).min_state_std == 0.05
    args = build_parser().parse_args(["train", "--dataset", str(tmp_path), "--output-dir", str(tmp_path / "out"),
                                      "--min-state-std", "-1"])
    with pytest.raises(ValueError, match="min_state_std must be >= 0"):
        build_config(args)
