"""Real-time chunking through the LeRobot backend: LeRobot's own RTC, switched on at load.

LeRobot's SmolVLA (random weights, on the tiny local SmolVLM, saved by LeRobot with its processors:
the fixture of test_lerobot_smolvla_backend.py) is asked for a chunk with the running chunk in the
dataset's units; the backend normalizes it with the saved preprocessor's normalizer and calls
``predict_action_chunk(inference_delay=..., prev_chunk_left_over=...)`` as LeRobot's RTC rollout does.
A policy without RTC (ACT) is refused at load, naming its type.
"""

from __future__ import annotations

import numpy as np
import pytest

from lerobot_ros.policies.rtc import RTCConfig
from lerobot_ros.runtime.lerobot_policy import LeRobotPolicy
from lerobot_ros.runtime.schedule import RunningPrefix

from test_lerobot_backend import act_folder  # noqa: F401  (fixture)
from lerobot_saved import DIM, STEPS, observation
from test_lerobot_smolvla_backend import TASK, smolvla_folder  # noqa: F401  (fixture)

MESSAGES = [{"role": "user", "content": TASK}]


def test_rtc_is_refused_for_a_lerobot_policy_without_it(act_folder):  # noqa: F811
    with pytest.raises(ValueError, match="the act policy has none: use chunk_blending crossfade"):
        LeRobotPolicy.load(str(act_folder), chunk_fps=10.0, rtc=RTCConfig())


def test_lerobots_smolvla_chunk_is_guided_onto_the_running_chunk(smolvla_folder):  # noqa: F811
    import torch

    guided_policy = LeRobotPolicy.load(str(smolvla_folder), chunk_fps=10.0, robot_type="so101_follower",
                                       rtc=RTCConfig(execution_horizon=4, max_guidance_weight=10.0))
    rtc_config = guided_policy.policy.config.rtc_config
    assert rtc_config.enabled and rtc_config.execution_horizon == 4  # LeRobot's own RTCConfig, in its policy
    plain_policy = LeRobotPolicy.load(str(smolvla_folder), chunk_fps=10.0, robot_type="so101_follower")
    seen = observation()
    torch.manual_seed(3)
    first = guided_policy.action_chunk(MESSAGES, seen)  # nothing runs yet: sampled unguided
    torch.manual_seed(3)
    np.testing.assert_allclose(first, plain_policy.action_chunk(MESSAGES, seen), rtol=1e-5, atol=1e-4)
    assert first.shape == (STEPS, DIM)

    running = first[:4] + 45.0  # dataset units (the action's std is 30): far from what this chunk would be
    delay = 2
    torch.manual_seed(3)
    guided = guided_policy.action_chunk(MESSAGES, seen, rtc=RunningPrefix(running, delay))
    before = np.abs(first[:delay] - running[:delay]).max()
    after = np.abs(guided[:delay] - running[:delay]).max()
    assert after < 0.1 * before, (before, after)
    with pytest.raises(ValueError, match="loaded without real-time chunking"):
        plain_policy.action_chunk(MESSAGES, seen, rtc=RunningPrefix(running, delay))
