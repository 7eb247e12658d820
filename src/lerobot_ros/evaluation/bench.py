"""The simulated bench: a physics world behind the real ROS graph, and the people who run episodes on it.

One rclpy context, the nodes composed in one process (:class:`~lerobot_ros.nodes.composition.Graph`):
robot_node on ``sim://<robot_type>?world=<task>`` (the real driver, SDK and calibration path over the
physics), camera_node ``source:=mujoco`` per camera, and :class:`BenchOperator`, the person at the
bench: it gives the task and the heartbeat, speaks the annotations, moves the arm home between
episodes (a trajectory to robot_node, as a teach pendant would), and watches the follower's
``joint_states`` and the first camera's images. Two ways to drive an episode:

* :class:`ExpertBench`: teleop_node, its simulated leader turned by the scripted expert's hand
  (:mod:`lerobot_ros.scenarios.pick_place_expert`), so a recorder sees what it sees with a person;
* :class:`PolicyBench`: policy_node on a checkpoint (or a policy object), started by the task and
  stopped through its ``~/stop`` service.

The world is read only to place objects (a person setting the table) and to score.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import numpy as np
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Empty, String
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from ..nodes.composition import Graph
from ..nodes.camera_node import CameraNode
from ..nodes.policy_node import PolicyNode
from ..nodes.recorder_node import RecorderNode
from ..nodes.robot_node import RobotNode
from ..nodes.teleop_node import TeleopNode
from ..scenarios.pick_place_expert import PacedPlayback, PickPlaceExpert, Trajectory
from ..scenarios.scripted_leader import ScriptedLeader
from ..sim.physics.coupling import running_world
from ..teleop.teleop_session import Phase
from .metrics import EpisodeOutcome
from .settings import BenchConfig

STARTUP_TIMEOUT_S = 30.0
LEADER_RATE_HZ = 50
SUCCESS_POLL_HZ = 20
SETTLE_S = 1.0  # after the expert's last pose, how long the cube may take to come to rest
HOME_TOLERANCE_RAD = 0.05
HOME_MOVE_S = 1.5
HEARTBEAT_PERIOD_S = 0.2


class BenchError(RuntimeError):
    """The bench could not run an episode (a node never came up, the arm never got home)."""


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.05)


def camera_node_options(config: BenchConfig, name: str) -> dict:
    """camera_node's options for camera ``name`` of the world (a node of its own name, mujoco source)."""
    return {"cli_args": ["--ros-args", "-r", f"__node:={name}_camera_node"],
            "parameter_overrides": [
                Parameter("name", value=name), Parameter("source", value="mujoco"),
                Parameter("world", value=config.world), Parameter("width", value=config.image_width),
                Parameter("height", value=config.image_height), Parameter("fps", value=config.fps),
                Parameter("publish_compressed", value=False), Parameter("warmup_s", value=0.0)]}


class BenchOperator(Node):
    """The person at the bench (see the module docstring)."""

    def __init__(self, joint_names: list[str], controller: str, camera: str | None, language_topics=("plan", "subtask",
                                                                                                     "memory")):
        super().__init__("bench_operator")
        self.joint_names = joint_names
        self._lock = threading.Lock()
        self._watching = False
        self._latest: np.ndarray | None = None
        self.times: list[float] = []
        self.poses: list[np.ndarray] = []
        self.frames: list[np.ndarray] = []
        self.beating = False
        self.task_pub = self.create_publisher(String, "task", 10)
        self.heartbeat_pub = self.create_publisher(Empty, "heartbeat", 10)
        self.trajectory_pub = self.create_publisher(JointTrajectory, f"{controller}/joint_trajectory", 10)
        self.language_pubs = {topic: self.create_publisher(String, topic, 10) for topic in language_topics}
        self.create_subscription(JointState, "joint_states", self._on_state, 10)
        if camera:
            self.create_subscription(Image, f"{camera}/image_raw", self._on_image, qos_profile_sensor_data)
        self.stop_client = self.create_client(Trigger, "policy_node/stop")
        self.create_timer(HEARTBEAT_PERIOD_S, self._beat)

    def _beat(self) -> None:
        if self.beating:
            self.heartbeat_pub.publish(Empty())

    def _on_state(self, msg: JointState) -> None:
        positions = dict(zip(msg.name, msg.position))
        if not all(n in positions for n in self.joint_names):
            return
        pose = np.array([positions[n] for n in self.joint_names])
        with self._lock:
            self._latest = pose
            if self._watching:  # the driver's sample time (wall clock), not this callback's
                self.times.append(msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9)
                self.poses.append(pose)

    def _on_image(self, msg: Image) -> None:
        with self._lock:
            if self._watching:
                self.frames.append(np.frombuffer(bytes(msg.data), np.uint8).reshape(msg.height, msg.width, 3))

    @property
    def latest_pose(self) -> np.ndarray | None:
        with self._lock:
            return None if self._latest is None else self._latest.copy()

    def watch(self) -> None:
        with self._lock:
            self.times, self.poses, self.frames = [], [], []
            self._watching = True

    def stop_watching(self) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        with self._lock:
            self._watching = False
            poses = np.array(self.poses).reshape(-1, len(self.joint_names))
            return np.array(self.times), poses, self.frames

    def say(self, topic: str, text: str) -> None:
        self.language_pubs[topic].publish(String(data=text))

    def send_task(self, task: str) -> None:
        self.task_pub.publish(String(data=task))

    def move_to(self, pose: np.ndarray, duration_s: float) -> None:
        """One trajectory point ``duration_s`` ahead: robot_node interpolates there."""
        msg = JointTrajectory(joint_names=self.joint_names)
        seconds = int(duration_s)
        msg.points = [JointTrajectoryPoint(positions=[float(a) for a in pose])]
        msg.points[0].time_from_start.sec = seconds
        msg.points[0].time_from_start.nanosec = int((duration_s - seconds) * 1e9)
        self.trajectory_pub.publish(msg)

    def stop_policy(self, timeout_s: float = 5.0) -> None:
        if not self.stop_client.wait_for_service(timeout_sec=timeout_s):
            raise BenchError("policy_node's ~/stop service did not appear")
        done = threading.Event()
        self.stop_client.call_async(Trigger.Request()).add_done_callback(lambda _: done.set())
        if not done.wait(timeout_s):
            raise BenchError("policy_node's ~/stop did not answer")


class _Bench:
    """What both benches share: robot_node on the physics world, the cameras, the operator."""

    def __init__(self, graph: Graph, config: BenchConfig):
        self.graph, self.config = graph, config
        self.robot = graph.add(RobotNode())
        self.world = running_world(config.world)
        for camera in config.cameras:
            graph.add(CameraNode(**camera_node_options(config, camera)))
        self.operator = graph.add(BenchOperator(self.world.joint_names, config.controller,
                                                config.cameras[0] if config.cameras else None))
        self.expert = PickPlaceExpert(self.world)
        wait_until(lambda: self.operator.latest_pose is not None, STARTUP_TIMEOUT_S, "the follower's joint_states")

    def at_home(self) -> bool:
        pose = self.operator.latest_pose
        return pose is not None and float(np.abs(pose - self.expert.home).max()) < HOME_TOLERANCE_RAD

    def _score(self, start: float, deadline_s: Callable[[], float], stop_early: bool,
               each_tick: Callable[[float], None], rate_hz: float = SUCCESS_POLL_HZ) -> tuple[bool, float | None]:
        """Check the task's predicate at ``rate_hz`` until ``deadline_s()`` after ``start`` (or its first
        success, with ``stop_early``), calling ``each_tick(t)`` first; (success, first success time)."""
        first = None
        while (t := time.monotonic() - start) <= deadline_s():
            each_tick(t)
            if first is None and self.world.success():
                first = t
                if stop_early:
                    break
            time.sleep(1.0 / rate_hz)
        return first is not None, first


class ExpertBench(_Bench):
    """The scripted expert on the leader arm, through teleop_node; optionally recorded by recorder_node
    (parameters from the graph's parameter file), which keeps an episode only when the task succeeded
    and no tick was lost, as an operator discards a failed take."""

    def __init__(self, graph: Graph, config: BenchConfig, speed: float = 1.0, recorder: bool = False):
        super().__init__(graph, config)
        self.expert = PickPlaceExpert(self.world, speed=speed)
        self.teleop = graph.add(TeleopNode())
        self.recorder = graph.add(RecorderNode()) if recorder else None
        self.saved: list[int] = []  # the seeds of the recorded episodes
        self.leader = ScriptedLeader(self.teleop.setup.sim, self.teleop.map)
        self.leader.hold(self.expert.home)
        wait_until(lambda: self.teleop.session.status.phase is Phase.TRACKING, STARTUP_TIMEOUT_S,
                   "teleop_node to track the leader")
        wait_until(self.at_home, STARTUP_TIMEOUT_S, "the follower to reach the expert's home pose")

    def episode(self, seed: int, narrate: Callable[[Trajectory, float], None] | None = None) -> EpisodeOutcome:
        """One take of the scene ``seed``. ``narrate(plan, t)``, when given, is called at every leader
        tick with the plan's time ``t``, after the expert's own cues: more language than the expert's
        plan, subtasks and memories (the demo's question about the view and its interjection)."""
        self.world.reset_objects(seed)
        plan = Trajectory(self.expert.waypoints())
        clock = PacedPlayback(plan)
        cues = plan.cues()
        if self.recorder is not None:
            ok, message, _ = self.recorder.start_episode(self.world.task.task_text)
            if not ok:
                raise BenchError(f"the recorder did not start an episode: {message}")
        self.operator.watch()
        start, start_wall = time.monotonic(), time.time()

        def play(t: float) -> None:
            t = clock.time(t, self.operator.latest_pose)
            self.leader.hold(plan.pose(t))
            while cues and cues[0].at_s <= t:
                cue = cues.pop(0)
                self.operator.say(cue.topic, cue.text)
            if narrate is not None:
                narrate(plan, t)

        success, first = self._score(start, lambda: plan.duration_s + clock.held_s + SETTLE_S, False, play,
                                     LEADER_RATE_HZ)
        duration = time.monotonic() - start
        times, poses, _ = self.operator.stop_watching()
        if self.recorder is not None:
            if success and not self.recorder.session.status().truncated:
                saved, message = self.recorder.stop_episode(wait=True)
                if not saved:
                    raise BenchError(f"episode of seed {seed} was not saved: {message}")
                self.saved.append(seed)
            else:
                self.recorder.discard_episode()
        return EpisodeOutcome(seed, success, first, duration, times - start_wall, poses)


class PolicyBench(_Bench):
    """policy_node drives the follower; episodes start with the task and end by its ``~/stop``."""

    def __init__(self, graph: Graph, config: BenchConfig, checkpoint: str = "", policy=None):
        super().__init__(graph, config)
        overrides = [Parameter("checkpoint", value=checkpoint)] if checkpoint else []
        self.policy_node = graph.add(PolicyNode(policy=policy, parameter_overrides=overrides))

    def go_home(self, timeout_s: float = 20.0) -> None:
        """Move the arm home, sending the trajectory again (as an operator would press again) when the
        driver dropped it (a read failed on a busy machine: the driver holds and drops the trajectory)."""
        deadline = time.monotonic() + timeout_s
        while not self.at_home():
            self.operator.move_to(self.expert.home, HOME_MOVE_S)
            try:
                wait_until(self.at_home, min(HOME_MOVE_S + 1.5, max(deadline - time.monotonic(), 0.0)), "")
            except BenchError:
                if time.monotonic() >= deadline:
                    raise BenchError(f"the follower did not reach the home pose within {timeout_s:g} s") from None

    def episode(self, seed: int, timeout_s: float) -> tuple[EpisodeOutcome, list[np.ndarray]]:
        self.go_home()
        self.world.reset_objects(seed)
        time.sleep(0.5)  # the cameras show the new scene before the policy looks
        self.operator.watch()
        self.operator.beating = True
        start, start_wall = time.monotonic(), time.time()
        self.operator.send_task(self.world.task.task_text)
        success, first = self._score(start, lambda: timeout_s, True, lambda t: None)
        duration = time.monotonic() - start
        self.operator.stop_policy()
        self.operator.beating = False
        times, poses, frames = self.operator.stop_watching()
        return EpisodeOutcome(seed, success, first, duration, times - start_wall, poses), frames
