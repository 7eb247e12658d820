"""The runtime's scheduling: which model call when, what reaches the arm, what is rejected.

These tests use a scripted policy double instead of SmolVLA2: what is tested is the scheduling
(priorities, timing, threads, state changes), and a trained model cannot be scripted to say "", a
broken <say>, or a chosen subtask sequence on cue. The real model runs in
tests/runtime/test_smolvla2_policy.py and in the end-to-end test (tests/nodes/test_policy_end_to_end.py).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from lerobot_ros.policies import prompts
from lerobot_ros.nodes.fixed_rate_loop import FixedRateLoop
from lerobot_ros.runtime.policy import Observation
from lerobot_ros.runtime.runtime import HierarchicalRuntime, Mode, RuntimeConfig

FRONT, WRIST = "observation.images.front", "observation.images.wrist"
JOINTS = 3


class ScriptedPolicy:
    """Answers by the kind of prompt (recognised by the prompt builders' shapes); records the calls."""

    chunk_fps = 50.0

    def __init__(self, subtasks=("reach",), memory="cube reached", reply="1. reach 2. place <say>Okay.</say>",
                 answer='{"count": 1}', chunk_delay_s=0.0, chunk_value=0.5):
        self.subtasks = list(subtasks)
        self.memory, self.reply, self.answer = memory, reply, answer
        self.chunk_delay_s = chunk_delay_s
        self.chunk_value = chunk_value
        self.calls: list[tuple[str, list[dict], Observation]] = []

    def _kind(self, messages):
        if len(messages) == 1 and "\nPlan: " not in messages[0]["content"]:
            return "vqa"
        if messages[-1]["role"] == "assistant":
            return "action"
        if len(messages) == 2 and messages[1]["content"].startswith("Completed subtask: "):
            return "memory"
        return "interjection" if len(messages) == 2 else "subtask"

    def generate(self, messages, observation):
        kind = self._kind(messages)
        self.calls.append((kind, messages, observation))
        if kind == "subtask":
            return self.subtasks.pop(0) if len(self.subtasks) > 1 else self.subtasks[0]
        return {"memory": self.memory, "interjection": self.reply, "vqa": self.answer}[kind]

    def action_chunk(self, messages, observation):
        self.calls.append(("action", messages, observation))
        if self.chunk_delay_s:
            time.sleep(self.chunk_delay_s)
        return np.full((50, JOINTS), self.chunk_value)

    def kinds(self):
        return [kind for kind, _, _ in self.calls]


class Recorder:
    """The runtime's outputs, as lists."""

    def __init__(self):
        self.events: list[tuple[str, object]] = []
        self.trajectories: list[tuple[float, object]] = []
        self.holds = 0

    def subtask(self, text):
        self.events.append(("subtask", text))

    def plan(self, text):
        self.events.append(("plan", text))

    def memory(self, text):
        self.events.append(("memory", text))

    def say(self, text):
        self.events.append(("say", text))

    def vqa_answer(self, camera, question, answer):
        self.events.append(("vqa", (camera, question, answer)))

    def trajectory(self, window, now_s):
        self.trajectories.append((now_s, window))

    def hold(self):
        self.holds += 1

    def of(self, kind):
        return [value for k, value in self.events if k == kind]


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def make(policy=None, clock=None, **config):
    policy = policy or ScriptedPolicy()
    clock = clock or Clock()
    images = {FRONT: np.zeros((8, 8, 3), np.uint8), WRIST: np.ones((8, 8, 3), np.uint8)}
    observe = lambda: Observation(images, np.zeros(JOINTS), clock())  # noqa: E731
    outputs = Recorder()
    config = {"heartbeat_timeout_s": 0.0, "vqa_cameras": (FRONT, WRIST), **config}
    return HierarchicalRuntime(policy, RuntimeConfig(**config), observe, outputs, clock=clock), policy, outputs, clock


def test_a_task_asks_for_the_subtask_then_acts_on_the_training_prompt():
    rt, policy, out, clock = make()
    assert not rt.run_next_job()  # nothing to do without a task
    rt.set_task("put the cube in the bowl")
    assert rt.mode is Mode.RUNNING
    assert rt.run_next_job() and rt.run_next_job()
    assert policy.kinds() == ["subtask", "action"]
    assert policy.calls[0][1] == prompts.subtask_messages("put the cube in the bowl", None, None)
    assert policy.calls[1][1] == prompts.action_messages("put the cube in the bowl", None, None, "reach")
    assert out.of("subtask") == ["reach"]
    rt.tick(clock())
    (now, window), = out.trajectories
    assert window.times_s[0] > now and np.all(window.positions == 0.5)


def test_the_subtask_is_asked_again_at_its_rate_and_a_change_updates_the_memory():
    rt, policy, out, clock = make(ScriptedPolicy(subtasks=("reach", "reach", "grasp")), subtask_hz=1.0)
    rt.set_task("put the cube in the bowl")
    rt.run_next_job(), rt.run_next_job()  # subtask, first chunk (1 s of actions)
    assert not rt.run_next_job()  # the chunk lasts, the subtask is not due yet
    clock.now += 0.3
    assert not rt.run_next_job()
    clock.now += 0.8  # subtask due; actions nearly over
    rt.run_next_job(), rt.run_next_job(), rt.run_next_job()
    assert policy.kinds() == ["subtask", "action", "action", "subtask", "action"][:len(policy.kinds())]
    clock.now += 1.0
    while rt.run_next_job():
        pass
    assert out.of("subtask") == ["reach", "grasp"]
    memory_calls = [m for kind, m, _ in policy.calls if kind == "memory"]
    assert memory_calls == [prompts.memory_update_messages("put the cube in the bowl", None, None, "reach")]
    assert out.of("memory") == ["cube reached"] and rt.memory == "cube reached"
    # the next chunk is conditioned on the new memory and subtask
    rt._schedule = None
    rt.run_next_job()
    assert policy.calls[-1][1] == prompts.action_messages("put the cube in the bowl", None, "cube reached", "grasp")


@pytest.mark.parametrize("bad", ["", "\n", "<end_of_utterance>", "!!! ..."])
def test_empty_or_malformed_text_keeps_the_previous_subtask_and_is_reported(bad):
    rt, policy, out, clock = make(ScriptedPolicy(subtasks=("reach", bad)))
    rt.set_task("tidy up")
    rt.run_next_job()
    clock.now += 1.5
    while rt.run_next_job():
        pass
    assert rt.subtask == "reach" and out.of("subtask") == ["reach"]
    snapshot = rt.snapshot()
    assert int(snapshot["rejected_texts"]) >= 1
    assert snapshot["last_rejected"].startswith("subtask: ")
    assert any(key.startswith("rejected.subtask.") for key in snapshot)


def test_an_interjection_makes_a_new_plan_and_speech():
    rt, policy, out, _ = make()
    rt.set_task("tidy up")
    rt.run_next_job()
    rt.interject("not the red one!")
    rt.run_next_job()
    assert policy.calls[-1][1] == prompts.interjection_messages("tidy up", None, None, "not the red one!")
    assert out.of("plan") == ["1. reach 2. place"] and out.of("say") == ["Okay."]
    assert rt.plan == "1. reach 2. place"


def test_a_malformed_reply_changes_nothing():
    rt, _, out, _ = make(ScriptedPolicy(reply="new plan <say>unfinished"))
    rt.set_task("tidy up")
    rt.interject("stop that")
    rt.run_next_job()
    assert rt.plan is None and not out.of("plan") and not out.of("say")
    assert rt.diagnostics.rejected[("interjection", "unbalanced <say> markers")] == 1


def test_without_a_task_user_input_becomes_the_task():
    rt, _, _, _ = make()
    rt.interject("clean up the table")
    assert rt.task == "clean up the table" and rt.mode is Mode.RUNNING


def test_a_question_is_answered_per_camera_seeing_only_that_camera_and_before_acting():
    rt, policy, out, _ = make()
    rt.set_task("tidy up")
    rt.ask("how many cubes are there?")
    rt.run_next_job(), rt.run_next_job()
    assert policy.kinds() == ["vqa", "vqa"]
    assert [sorted(obs.images) for _, _, obs in policy.calls] == [[FRONT], [WRIST]]
    assert out.of("vqa") == [(FRONT, "how many cubes are there?", '{"count": 1}'),
                             (WRIST, "how many cubes are there?", '{"count": 1}')]


def test_by_default_a_question_is_answered_once_seeing_every_camera():
    rt, policy, out, _ = make(vqa_cameras=())
    rt.ask("where is the cube?")
    rt.run_next_job()
    assert not rt.run_next_job()
    assert [sorted(obs.images) for _, _, obs in policy.calls] == [[FRONT, WRIST]]
    assert out.of("vqa") == [("", "where is the cube?", '{"count": 1}')]


def test_a_stale_heartbeat_holds_the_arm_and_drops_its_actions():
    rt, _, out, clock = make(heartbeat_timeout_s=0.5)
    rt.set_task("tidy up")
    rt.beat()
    rt.run_next_job(), rt.run_next_job()
    rt.tick(clock())
    assert len(out.trajectories) == 1 and out.holds == 0
    clock.now += 0.6  # the operator went silent
    rt.tick(clock())
    assert len(out.trajectories) == 1 and out.holds == 1
    rt.tick(clock())
    assert out.holds == 1  # held once, not every tick
    assert not rt.run_next_job()  # no chunks are computed for a stale heartbeat
    rt.beat()
    assert rt.run_next_job()  # a fresh chunk, not the old schedule
    rt.tick(clock())
    assert len(out.trajectories) == 2
    assert int(rt.snapshot()["stale_heartbeat_ticks"]) == 2


def test_pause_holds_and_discards_the_chunk_in_flight_stop_clears_the_task():
    policy = ScriptedPolicy()
    rt, _, out, clock = make(policy)
    rt.set_task("tidy up")
    rt.run_next_job(), rt.run_next_job()
    rt.tick(clock())
    original_chunk = policy.action_chunk

    def pause_while_computing(messages, observation):
        rt.pause()
        return original_chunk(messages, observation)

    policy.action_chunk = pause_while_computing
    clock.now += 0.8
    rt.run_next_job()
    assert out.holds == 1 and rt.diagnostics.chunks_discarded == 1
    rt.tick(clock())
    assert len(out.trajectories) == 1
    policy.action_chunk = original_chunk
    rt.start()
    assert rt.task == "tidy up" and rt.run_next_job()
    rt.tick(clock())
    assert len(out.trajectories) == 2
    rt.stop()
    assert rt.task is None and rt.mode is Mode.STOPPED and out.holds == 2


def test_actions_are_clamped_to_max_step_from_the_measured_state():
    rt, _, out, clock = make(ScriptedPolicy(chunk_value=1.0), max_step_rad=0.1)
    rt.set_task("tidy up")
    rt.run_next_job(), rt.run_next_job()
    rt.tick(clock())
    (_, window), = out.trajectories
    # from the measured 0 rad, 0.1 rad per 20 ms step
    np.testing.assert_allclose(window.positions[:3, 0], [0.1, 0.2, 0.3])
    assert rt.diagnostics.clamped_values > 0


def test_actions_are_clamped_into_the_follower_joint_limits():
    limits = ((-0.5, 0.4), (-1.0, 1.0), (0.6, 2.0))
    rt, _, out, clock = make(ScriptedPolicy(chunk_value=1.0), joint_limits_rad=limits)
    rt.set_task("tidy up")
    rt.run_next_job(), rt.run_next_job()
    rt.tick(clock())
    (_, window), = out.trajectories
    # the model asks 1.0 rad everywhere: above joint 0's upper limit, inside the others'
    np.testing.assert_allclose(window.positions[-1], [0.4, 1.0, 1.0])
    assert window.positions[:, 0].max() == 0.4
    assert rt.diagnostics.limited_values >= len(window.positions)
    assert rt.snapshot()["limited_values"] == str(rt.diagnostics.limited_values)


def test_joint_limits_with_lower_above_upper_are_refused():
    with pytest.raises(ValueError, match="joints \\[1\\]"):
        RuntimeConfig(joint_limits_rad=((0.0, 1.0), (0.5, 0.5)))


def test_wrong_action_size_is_an_error_that_names_the_shapes():
    rt, policy, _, _ = make()
    policy.action_chunk = lambda messages, observation: np.zeros((50, JOINTS + 1))
    rt.set_task("tidy up")
    rt.run_next_job()
    with pytest.raises(ValueError, match=r"shape \(50, 4\); expected \(steps, 3\)"):
        rt.run_next_job()


@pytest.mark.slow
def test_a_slow_model_never_stalls_dispatch():
    """A real worker thread and a real 50 Hz loop; each chunk takes 0.3 s to compute."""
    policy = ScriptedPolicy(chunk_delay_s=0.3)
    rt, _, out, _ = make(policy, clock=time.monotonic, refill_s=0.6)
    tick_durations = []

    def body(now_s):
        started = time.monotonic()
        rt.tick(now_s)
        tick_durations.append(time.monotonic() - started)

    loop = FixedRateLoop(1 / 50, body)
    rt.start_worker()
    loop.start()
    try:
        rt.set_task("tidy up")
        deadline = time.monotonic() + 10
        while not out.trajectories and time.monotonic() < deadline:
            time.sleep(0.01)
        first = len(tick_durations)
        starved_before = rt.diagnostics.starved_ticks  # ticks before the first chunk was ready
        time.sleep(3.0)
    finally:
        loop.stop()
        rt.close()
    assert rt.failure is None
    assert policy.kinds().count("action") >= 5  # the model was busy most of the time
    steady = tick_durations[first:]
    # every tick returned promptly although the model was mid-call most of the time (bounds for a loaded
    # machine: a tick is ~0.1 ms of work)
    assert max(steady) < 0.1, max(steady)
    dispatch_times = [now for now, _ in out.trajectories]
    gaps = np.diff(dispatch_times)
    assert len(dispatch_times) >= 0.8 * 3.0 * 50, len(dispatch_times)
    assert np.percentile(gaps, 99) < 0.1
    assert rt.diagnostics.starved_ticks - starved_before < 5  # actions were due on every tick
