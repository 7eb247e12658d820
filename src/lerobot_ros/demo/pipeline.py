"""The demo's three stages in one rclpy context, each on its own executor: record with teleoperation, train, run the policy.

Stage 1 composes robot_node (a simulated SO-101 follower), camera_node (the simulated view of it),
teleop_node (its simulated leader moved by :class:`~lerobot_ros.scenarios.scripted_leader.ScriptedLeader`
through :class:`~lerobot_ros.scenarios.demonstration.Demonstration`), recorder_node and the annotator,
and removes them all when the episodes are saved. Stage 2 (``__main__``) plots the episodes and
trains a tiny SmolVLA2 with the CPU to itself: a simulated bus starved of CPU by the training
misses replies, which robot_node rightly reports as errors. Stage 3 brings up a fresh simulated arm
and camera (the arm starts where the demonstrations started) with policy_node on the checkpoint
and the operator who sends the task and keeps the heartbeat.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rclpy.parameter import Parameter

from ..nodes.camera_node import CameraNode
from ..nodes.composition import Graph, GraphError
from ..nodes.policy_node import PolicyNode
from ..nodes.recorder_node import RecorderNode
from ..nodes.robot_node import RobotNode
from ..nodes.teleop_node import TeleopNode
from ..scenarios.demonstration import TASK, Demonstration
from ..scenarios.scripted_leader import ScriptedLeader
from ..teleop.teleop_session import Phase
from .people import Annotator, Operator
from .settings import DemoSettings

LEADER_RATE_HZ = 50  # how often the scripted hand moves the leader
STARTUP_TIMEOUT_S = 20.0
HEARTBEAT_WARMUP_S = 1.0
RECORD_ATTEMPTS = 3
CUE_DELAY_S = 0.02  # cues go out this long after a recorder tick (the play loop adds up to a period)


class DemoError(GraphError):
    """A stage did not do what it must (an episode not saved, the policy never moved): the message says."""


@dataclass
class PolicyRun:
    subtasks: list[str]
    plans: list[str]
    memories: list[str]
    poses: np.ndarray  # the follower's joint_states while the policy drove it (rows in joint order)

    @property
    def max_displacement_rad(self) -> float:
        """The farthest any joint got from where it started."""
        return float(np.abs(self.poses - self.poses[0]).max()) if len(self.poses) else 0.0

    @property
    def path_length_rad(self) -> float:
        """The length of the joint-space path travelled (Euclidean, summed over samples)."""
        return float(np.linalg.norm(np.diff(self.poses, axis=0), axis=1).sum()) if len(self.poses) > 1 else 0.0


def wait_until(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.05)


def simulated_arm(graph: Graph) -> RobotNode:
    """robot_node on a simulated SO-101 follower and camera_node looking at it (demo_parameters.yaml)."""
    robot = graph.add(RobotNode())
    graph.add(CameraNode())
    return robot


def record(graph: Graph, settings: DemoSettings, log) -> list[str]:
    """Stage 1: teleoperate the follower from the scripted leader and record ``settings.episodes``;
    returns the recorder's message for each saved episode."""
    demo = Demonstration(phase_s=settings.phase_s)
    simulated_arm(graph)
    teleop = graph.add(TeleopNode())
    recorder = graph.add(RecorderNode())
    annotator = graph.add(Annotator({cue.topic for cue in demo.cues()}))
    leader = ScriptedLeader(teleop.setup.sim, teleop.map)
    leader.hold(demo.start_pose)
    wait_until(lambda: teleop.session.status.phase is Phase.TRACKING, STARTUP_TIMEOUT_S,
               "teleop_node to track the leader (the follower's joint_states)")
    time.sleep(1.0)  # the camera and the recorder's streams fill
    saved = []
    for _ in range(settings.episodes):
        saved.append(record_episode(recorder, demo, leader, annotator, log))
        reset(demo, leader, settings.reset_s)
    ok, message = recorder.finalize()
    log(f"  {message}")
    graph.remove_all()
    return saved


def record_episode(recorder: RecorderNode, demo: Demonstration, leader: ScriptedLeader, annotator: Annotator,
                   log) -> str:
    """One saved episode of the demonstration; the recorder's message. An episode that lost a tick
    (a stream stalled for longer than its max_age_s: the recorder truncates it) is re-recorded, as
    an operator would, up to ``RECORD_ATTEMPTS`` times; the last attempt is kept as it is."""
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        ok, message, index = recorder.start_episode(TASK)
        if not ok:
            raise DemoError(f"the recorder did not start an episode: {message}")
        log(f"  episode {index}: the leader plays the demonstration ({demo.duration_s:g} s), annotated live")
        start_after_next_tick(recorder)
        play(demo, leader, annotator)
        if not recorder.session.status().truncated or attempt == RECORD_ATTEMPTS:
            break
        recorder.discard_episode()
        log(f"  episode {index} lost a tick (a stream stalled on this busy machine): discarded, recording it again")
        reset(demo, leader, 1.0)
    saved, message = recorder.stop_episode(wait=True)
    if not saved:
        raise DemoError(f"episode {index} was not saved: {message}")
    log(f"  {message}")
    return message


def start_after_next_tick(recorder: RecorderNode) -> None:
    """Wait until just after the recorder's next grid tick: cues are due on multiples of 0.1 s from
    here, so the cues of one moment are published well inside one frame period and share a frame."""
    session = recorder.session
    period, origin, now = 1.0 / session.config.fps, session.tick_time(0), session.clock()
    next_tick = origin + (math.floor((now - origin) / period) + 1) * period
    time.sleep(next_tick + CUE_DELAY_S - now)


def play(demo: Demonstration, leader: ScriptedLeader, annotator: Annotator) -> None:
    """Move the leader along the demonstration and publish its cues on time."""
    cues = demo.cues()
    start = time.monotonic()
    while (t := time.monotonic() - start) <= demo.duration_s:
        leader.hold(demo.pose(t))
        while cues and cues[0].at_s <= t:
            annotator.say(cues.pop(0))
        time.sleep(1.0 / LEADER_RATE_HZ)
    for cue in cues:
        annotator.say(cue)


def reset(demo: Demonstration, leader: ScriptedLeader, duration_s: float) -> None:
    """Between episodes: the hand brings the leader back to the start pose."""
    end_pose = demo.pose(demo.duration_s)
    start = time.monotonic()
    while (t := time.monotonic() - start) <= duration_s:
        leader.hold(demo.return_pose(end_pose, t, duration_s))
        time.sleep(1.0 / LEADER_RATE_HZ)
    leader.hold(demo.start_pose)


def drive(graph: Graph, checkpoint: Path, settings: DemoSettings, log) -> PolicyRun:
    """Stage 3: policy_node drives the follower with the trained checkpoint for ``settings.policy_s``."""
    robot = simulated_arm(graph)
    operator = graph.add(Operator(robot.joint_names))
    policy = graph.add(PolicyNode(parameter_overrides=[Parameter("checkpoint", value=str(checkpoint))]))
    wait_until(lambda: len(operator.states_since(0.0)) > 0, STARTUP_TIMEOUT_S, "the follower's joint_states")
    time.sleep(HEARTBEAT_WARMUP_S)  # the heartbeat and the camera's frames reach policy_node before the task
    start = time.monotonic()
    log(f"  task: {TASK!r}; the policy drives the arm for {settings.policy_s:g} s")
    operator.send_task(TASK)
    time.sleep(settings.policy_s)
    run = PolicyRun(operator.texts_since(start, "subtask"), operator.texts_since(start, "plan"),
                    operator.texts_since(start, "memory"), operator.states_since(start))
    try:
        graph.remove_all()  # policy_node first: the arm holds where the policy left it
    except SystemExit:  # policy_node's shutdown exits 1 after a model error
        raise DemoError(f"the policy failed: {policy.runtime.failure!r}") from None
    return run
