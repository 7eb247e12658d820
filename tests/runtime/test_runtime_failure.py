"""A model that fails ends the run at once: the runtime holds the arm, records the error and tells
``on_failure`` on its worker thread (policy_node then reports it and exits, as camera_node does when its
camera fails), instead of the node finding out at its next diagnostics tick.

The policy double raises on every call: no trained model can be made to fail on cue (the real model
runs in tests/runtime/test_smolvla2_policy.py)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from lerobot_ros.runtime.health import runtime_health
from lerobot_ros.health import Level
from lerobot_ros.runtime.policy import Observation
from lerobot_ros.runtime.runtime import HierarchicalRuntime, Mode, RuntimeConfig

JOINTS = 3


class FailingPolicy:
    chunk_fps = 50.0

    def generate(self, messages, observation):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    def action_chunk(self, messages, observation):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")


class Outputs:
    def __init__(self):
        self.holds = 0

    def subtask(self, text): ...
    def plan(self, text): ...
    def memory(self, text): ...
    def say(self, text): ...
    def vqa_answer(self, camera, question, answer): ...
    def trajectory(self, window, now_s): ...

    def hold(self):
        self.holds += 1


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the worker re-raises
def test_a_failed_model_is_reported_at_once_with_the_arm_held():
    told: list[tuple[BaseException, float]] = []
    reported = threading.Event()

    def on_failure(err: BaseException) -> None:
        told.append((err, time.monotonic()))
        reported.set()

    observe = lambda: Observation({"observation.images.front": np.zeros((8, 8, 3), np.uint8)},  # noqa: E731
                                  np.zeros(JOINTS), time.monotonic())
    outputs = Outputs()
    rt = HierarchicalRuntime(FailingPolicy(), RuntimeConfig(heartbeat_timeout_s=0.0,
                                                            vqa_cameras=("observation.images.front",)),
                             observe, outputs, on_failure=on_failure)
    rt.start_worker()
    rt.set_task("put the cube in the bowl")
    asked = time.monotonic()
    try:
        assert reported.wait(2.0), "on_failure was not called"
    finally:
        rt.close()
    err, at = told[0]
    assert at - asked < 1.0  # the worker's next call, not a diagnostics period later
    assert rt.failure is err and "illegal memory access" in str(err)
    assert rt.mode is Mode.STOPPED
    health = runtime_health(rt.mode.value, rt.failure, [], 0.0, False, None)
    assert health.level is Level.ERROR and health.message == f"model failed: {err}"
