"""Real-time chunking through the runtime, with the real (tiny, untrained) SmolVLA2 behind it.

The runtime steps on a scripted clock (``run_next_job``, ``tick``): the observation is 0.23 s old when
the worker takes it, so at 10 fps the inference delay is 3 steps. An untrained model's chunks from
two observations disagree a lot, which is what makes the switch visible: replaced outright the
commanded trajectory jumps by that disagreement; with rtc the new chunk was guided onto the running
one and continues it. Both runs draw the same flow noise, so guidance is the only difference.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lerobot_ros.policies.smolvla2 import SmolVLA2Policy, tiny_config, write_tiny_vlm
from lerobot_ros.runtime.policy import Observation
from lerobot_ros.runtime.runtime import HierarchicalRuntime, RuntimeConfig
from lerobot_ros.runtime.schedule import ActionSchedule, RunningPrefix, inference_delay, running_prefix
from lerobot_ros.runtime.smolvla2_policy import SmolVLA2LanguagePolicy

FRONT = "observation.images.front"
TASK = "put the cube in the bowl"
LATENCY_S = 0.23
FPS = 10.0


class Outputs:
    def __init__(self):
        self.windows: list[tuple[float, ActionSchedule]] = []

    def subtask(self, text):
        pass

    plan = memory = say = subtask

    def vqa_answer(self, camera, question, answer):
        pass

    def trajectory(self, window, now_s):
        self.windows.append((now_s, window))

    def hold(self):
        pass


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


class SeededPolicy(SmolVLA2LanguagePolicy):
    """The real adapter and model for actions; every chunk's flow noise comes from one seed, so two runs
    draw the same. The subtask is given: an untrained language head writes no usable one, and the
    text path is not what is tested here (tests/runtime/test_smolvla2_policy.py runs it)."""

    def generate(self, messages, observation):
        return "reach the cube"

    def action_chunk(self, messages, observation, rtc=None):
        torch.manual_seed(7)
        self.prefixes.append(rtc)
        return super().action_chunk(messages, observation, rtc=rtc)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    torch.set_num_threads(2)
    torch.manual_seed(0)
    vlm = write_tiny_vlm(tmp_path_factory.mktemp("vlm"), corpus=[TASK])
    unit = {"mean": np.zeros(6), "std": np.ones(6)}
    policy = SmolVLA2Policy(tiny_config(vlm, state_dim=6, action_dim=6, cameras=[FRONT], chunk_size=10,
                                        n_action_steps=10), {"observation.state": unit, "action": unit})
    with torch.no_grad():  # larger than the default init, so the chunk depends visibly on the observation
        for param in policy.parameters():
            if param.ndim >= 2:
                param.normal_(0.0, param.shape[-1] ** -0.5)
    return policy.eval()


def switch(model, blending: str, blend_s: float = 0.0):
    """Two chunks, the second taken over at 100.48 s; returns (the jump at the switch, the policy)."""
    policy = SeededPolicy(model, chunk_fps=FPS)
    policy.prefixes = []
    clock = Clock()
    states = iter([np.zeros(6), np.full(6, 1.5)])
    image = np.full((48, 64, 3), 90, np.uint8)
    current = {}

    def observe():
        return current.setdefault(clock.now, Observation({FRONT: image}, next(states, np.full(6, 1.5)),
                                                         clock.now - LATENCY_S))

    outputs = Outputs()
    rt = HierarchicalRuntime(policy, RuntimeConfig(heartbeat_timeout_s=0.0, chunk_blending=blending,
                                                   blend_s=blend_s), observe, outputs, clock=clock)
    rt.set_task(TASK)
    assert rt.run_next_job() and rt.subtask
    assert rt.run_next_job() and rt.diagnostics.chunks == 1
    clock.now = 100.44
    rt.tick(clock.now)
    _, old = outputs.windows[-1]  # the running chunk's targets from 100.47 s on
    clock.now = 100.48
    assert rt.run_next_job() and rt.diagnostics.chunks == 2
    rt.tick(clock.now)
    _, new = outputs.windows[-1]
    jump = np.abs(new.positions[0] - old.at(new.times_s[0])).max()
    return jump, policy, rt


def test_rtc_continues_the_running_chunk_where_replacing_it_jumps(model):
    replaced, plain_policy, _ = switch(model, "crossfade", blend_s=0.0)
    faded, _, _ = switch(model, "crossfade", blend_s=0.2)
    guided, rtc_policy, rt = switch(model, "rtc")
    assert plain_policy.prefixes == [None, None]  # the cross-fade never asks for guidance
    first, second = rtc_policy.prefixes
    assert first is None  # nothing runs yet: the first chunk is sampled unguided
    assert second.inference_delay == 3 == rt.diagnostics.inference_delay_steps  # ceil(0.23 s * 10 fps)
    assert second.actions.shape == (5, 6)  # the running chunk's steps from the new observation to its end
    assert replaced > 0.3, replaced  # the two observations' chunks really disagree
    assert guided < 0.25 * replaced, (guided, replaced)
    assert guided < faded < replaced, (guided, faded)  # the cross-fade's first step still moves 35 % of the way
    assert rt.snapshot()["chunk_blending"] == "rtc"


def test_running_prefix_samples_the_schedule_at_the_new_chunks_steps():
    old = ActionSchedule(np.array([10.0, 10.1, 10.2, 10.3]), np.array([[0.0], [1.0], [2.0], [3.0]]))
    prefix = running_prefix(old, 10.05, 10.0, 2)
    np.testing.assert_allclose(prefix.actions[:, 0], [0.5, 1.5, 2.5])  # 10.05, 10.15, 10.25 (10.35 is past)
    assert prefix.inference_delay == 2
    assert running_prefix(old, 10.31, 10.0, 2) is None
    assert inference_delay(0.23, 10.0) == 3 and inference_delay(0.2, 10.0) == 2 and inference_delay(0.0, 30.0) == 0
    assert isinstance(prefix, RunningPrefix)


def test_an_unknown_blending_is_refused():
    with pytest.raises(ValueError, match="chunk_blending 'fade' is not one of crossfade, rtc"):
        RuntimeConfig(chunk_blending="fade")
