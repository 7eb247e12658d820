"""teleop_node end to end: a simulated leader drives a robot_node follower, each in its own process.

The test owns both simulated buses (so it moves the leader's shafts by hand, torque being off on a
leader, and reads the follower's Goal_Position registers) and hands their pseudo-terminals to the
nodes as serial ports, with calibration files it writes: the leader's differs from the follower's,
so matching poses proves the conversion through both calibrations. Bounds are documented in
docs/teleop.md; they hold on a loaded 2-core machine with margin, not by luck.
"""

from __future__ import annotations

import math
import random
import sys
import time
from dataclasses import replace

import numpy as np
import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticStatus

from lerobot_ros.motors.calibration import save_calibration
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.robots.ports import simulated_bus
from lerobot_ros.robots.sim_calibration import default_sim_calibration
from lerobot_ros.teleop.leader import LeaderFollowerMap
from ros_client import RobotClient
from ros_processes import NodeProcess, wait_for, write_params

pytestmark = [pytest.mark.slow, pytest.mark.ros]

TICK_RAD = 2 * math.pi / 4095
RAMP_TIME_S = 1.0
# Documented bounds (docs/teleop.md, "Measured bounds"):
# Tracking, leader moving at up to 1.2 rad/s: the follower's Goal_Position (the command) and its
# joint_states (servo lag included) against the leader's pose at the same instant. The bounds follow
# from the latency bounds below at that speed (75 ms p50 -> 0.09 rad, 300 ms p90 -> 0.36 rad): a
# clean-clone CI run measured command p50 0.078, max 0.35 rad (the test process serves both buses).
COMMAND_ERROR_P50_RAD, COMMAND_ERROR_MAX_RAD = 0.10, 0.40
JOINT_STATE_ERROR_P50_RAD, JOINT_STATE_ERROR_MAX_RAD = 0.18, 0.50
HAND_GAP_S, TELEPORT_WINDOW_S = 0.020, 0.150  # see test_follower_tracks_a_scripted_leader_path
SETTLED_ERROR_TICKS = 2  # leader still: the follower's goal is LeRobot's, within rounding
# Leader shaft moved -> follower Goal_Position changed: 12-36 ms p50 alone, up to 55 ms while other suites
# share the 2 cores (robot_node's rclpy executor then picks the streamed points up late). Percentiles, not the maximum: on a machine busy enough
# to hold robot_node's joint_states back for follower_timeout_s, teleop_node pauses and ramps again
# (1 s), which is the safety rule at work, not latency.
# In a clean-clone CI run alone on the machine the test measured p50 42 ms, p90 190 ms (its own process
# serves both simulated buses and the listeners, so their replies wait for its GIL): p90 bound 300 ms.
LATENCY_P50_S, LATENCY_P90_S = 0.075, 0.300
# Largest Goal_Position change between two samples at most 5 ms apart: one command's step, which the
# session bounds by max_step_rad (0.1 rad, 65 ticks). A smooth ramp moves ~5 ticks per 10 ms period, but
# a stall of either loop (robot_node's rclpy MultiThreadedExecutor, issue 20; this process serving both
# buses) makes the next command catch up the ramp's wall-clock progress: CI runs saw 43 and 59 ticks.
JUMP_TICKS = round(0.1 / TICK_RAD)


@pytest.fixture(scope="module")
def ros():
    # This process serves both simulated buses while it polls their registers: hand the GIL over every
    # 0.5 ms (Python's default is 5 ms) so the nodes' bus replies are not held up by the test's polling.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    rclpy.init()
    yield
    rclpy.shutdown()
    sys.setswitchinterval(interval)


class Listener(RobotClient):
    """Follower joint_states and /diagnostics (recorded with receive times), and teleop_node's status."""

    def __init__(self, namespace: str, teleop_name: str):
        super().__init__("listener", namespace=namespace)
        self.teleop_name = teleop_name

    def teleop_statuses(self) -> list[DiagnosticStatus]:
        with self.lock:
            return [s for a in self.diagnostics for s in a.status if s.name.startswith(f"{self.teleop_name}:")]

    def phase(self) -> str | None:
        for s in reversed(self.teleop_statuses()):
            values = {kv.key: kv.value for kv in s.values}
            if "phase" in values:
                return values["phase"]
        return None


class Pair:
    """A leader sim, a follower sim, robot_node on the follower and teleop_node on the leader.

    Each pair runs in a namespace of its own, with node names of its own, so that two pairs alive in
    one test session never drive each other's follower."""

    def __init__(self, leader_type: str, follower_type: str, tmp_path, leader_calibration):
        self.leader_type, self.follower_type = robot_type(leader_type), robot_type(follower_type)
        follower_calibration = default_sim_calibration(follower_type)
        self.map = LeaderFollowerMap(self.leader_type, leader_calibration, self.follower_type, follower_calibration)
        leader_file = save_calibration(tmp_path / "leader.json", leader_calibration)
        follower_file = save_calibration(tmp_path / "follower.json", follower_calibration)
        self.leader_sim = simulated_bus(leader_type)
        self.follower_sim = simulated_bus(follower_type)
        self.leader_sim.start()
        self.follower_sim.start()
        # The leader's shafts where the hand found them: move_leader() offsets are from here.
        self.rest = {m.name: self.leader_sim.servo(m.id).actual_position for m in self.leader_type.joints}
        self.tmp_path = tmp_path
        self.namespace = f"/{leader_type}_pair"
        self.teleop_name = f"teleop_{leader_type}"
        self.follower = self._start("lerobot_ros.nodes.robot_node", f"robot_{follower_type}", {
            "robot_type": follower_type, "port": self.follower_sim.port, "calibration_file": str(follower_file)})
        self.listener = Listener(self.namespace, self.teleop_name)
        self.teleop_params = {
            "leader_type": leader_type, "leader_port": self.leader_sim.port,
            "leader_calibration_file": str(leader_file), "follower_type": follower_type,
            "follower_calibration_file": str(follower_file), "ramp_time_s": RAMP_TIME_S,
            "diagnostics_rate_hz": 10.0}
        self.teleop: NodeProcess | None = None

    def start_teleop(self) -> None:
        self.teleop = self._start("lerobot_ros.nodes.teleop_node", self.teleop_name, self.teleop_params)

    def _start(self, module: str, name: str, params: dict) -> NodeProcess:
        # Keyed by the node's full name: a parameter file keyed by the bare name misses a namespaced node.
        params_file = write_params(self.tmp_path / f"{name}.params.yaml", f"{self.namespace}/{name}", params)
        return NodeProcess(module, name, params_file, self.tmp_path, extra_args=["-r", f"__ns:={self.namespace}"])

    def logs(self) -> str:
        teleop = self.teleop.log() if self.teleop else ""
        return f"robot_node:\n{self.follower.log()}\nteleop_node:\n{teleop}"

    def leader_raw(self) -> dict[str, int]:
        return {m.name: self.leader_sim.servo(m.id).read_register("Present_Position") for m in self.leader_type.joints}

    def expected_goal(self) -> np.ndarray:
        """The follower Goal_Position (follower joint order) LeRobot would write for the leader as it is now."""
        raw = self.map.follower_raw(self.leader_raw())
        return np.array([raw[m.name] for m in self.follower_type.joints])

    def follower_goal(self) -> np.ndarray:
        return np.array([self.follower_sim.servo(m.id).read_register("Goal_Position")
                         for m in self.follower_type.joints])

    def move_leader(self, ticks: dict[str, float]) -> None:
        """Put leader shafts at ``rest + ticks`` (a hand moving the torque-free arm)."""
        for name, delta in ticks.items():
            self.leader_sim.servo(self.leader_type.motor(name).id).set_actual_position(self.rest[name] + delta)

    def settled(self) -> bool:
        return np.abs(self.follower_goal() - self.expected_goal()).max() <= SETTLED_ERROR_TICKS

    def sample_goals_until(self, done, timeout: float) -> tuple[np.ndarray, np.ndarray]:
        """The follower's Goal_Position registers, sampled every ~2 ms with their times, until ``done()``."""
        times, goals = [time.monotonic()], [self.follower_goal()]
        deadline = times[0] + timeout
        while not done() and time.monotonic() < deadline:
            time.sleep(0.002)
            times.append(time.monotonic())
            goals.append(self.follower_goal())
        return np.array(times), np.array(goals)

    def wait_tracking(self, timeout: float = 20.0) -> None:
        assert wait_for(lambda: self.listener.phase() == "tracking", timeout), self.logs()

    def close(self) -> None:
        try:
            self.listener.close()
            codes = [self.teleop.stop() if self.teleop else 0, self.follower.stop()]
        finally:
            self.leader_sim.stop()
            self.follower_sim.stop()
        assert codes == [0, 0], self.logs()


def _shifted_leader_calibration(leader_type: str) -> dict:
    """The simulator's leader calibration with every reading shifted 120 ticks and wider ranges:
    different ticks from the follower's for the same pose."""
    calibration = {}
    for name, cal in default_sim_calibration(leader_type).items():
        if cal.range_min == 0 and cal.range_max == 4095:  # full turn: keep the fixed range
            calibration[name] = cal
            continue
        sign = 1 if robot_type(leader_type).vendor == "feetech" else -1  # Present = Actual -/+ offset
        calibration[name] = replace(cal, homing_offset=cal.homing_offset + sign * 120,
                                    range_min=max(0, cal.range_min - 120 - 60), range_max=cal.range_max - 120 + 60)
    return calibration


def _assert_ramped(times: np.ndarray, goals: np.ndarray) -> None:
    """No jump between close samples (a loaded machine may leave longer gaps), and the move took about
    the ramp time rather than one control period."""
    close = np.diff(times) <= 0.005
    steps = np.abs(np.diff(goals, axis=0))[close]
    assert close.sum() > 50 and steps.max() <= JUMP_TICKS, f"the follower jumped {steps.max()} ticks"
    moving = np.flatnonzero(np.abs(goals - goals[0]).max(axis=1) > 0)
    assert moving.size and times[-1] - times[moving[0]] >= 0.6 * RAMP_TIME_S, \
        "no ramp: the follower went straight there"


@pytest.fixture(scope="module")
def so101_pair(ros, tmp_path_factory):
    """Follower up first; the leader placed away from the follower's pose; then teleop_node starts."""
    pair = Pair("so101_leader", "so101_follower", tmp_path_factory.mktemp("so101_pair"),
                _shifted_leader_calibration("so101_leader"))
    try:
        assert wait_for(lambda: pair.listener.states, 30.0), pair.logs()
        pair.move_leader({"shoulder_pan": 300, "elbow_flex": -200, "wrist_flex": 150})  # ~0.46, -0.31, 0.23 rad
        pair.goals_before = pair.follower_goal()
        pair.start_teleop()
        yield pair
    finally:
        pair.close()


def test_teleop_starts_with_a_ramp_from_the_follower_pose(so101_pair):
    pair = so101_pair
    times, goals = pair.sample_goals_until(pair.settled, timeout=30.0)
    assert pair.settled(), f"follower goal {goals[-1]} never matched the leader's {pair.expected_goal()}"
    assert np.abs(goals[0] - pair.goals_before).max() <= 1
    assert goals[-1][0] - goals[0][0] > 250  # the pan moved ~300 ticks ...
    _assert_ramped(times, goals)  # ... and not in one go


def test_follower_tracks_a_scripted_leader_path(so101_pair):
    """The test's hand moves the leader every ~3 ms; where this process itself was held up (other
    work on the machine), the hand teleported and the samples of the next ``TELEPORT_WINDOW_S`` say
    nothing about teleop: they are left out, and at least 30 % of the samples must remain."""
    pair = so101_pair
    pair.wait_tracking()
    # Peak speeds 1.2 (pan), 0.8 (elbow), 1.0 (wrist) rad/s: a brisk human demonstration.
    amplitude = {"shoulder_pan": 260.0, "elbow_flex": 200.0, "wrist_flex": 200.0, "gripper": 150.0}  # ticks
    frequency = {"shoulder_pan": 0.5, "elbow_flex": 0.4, "wrist_flex": 0.5, "gripper": 0.5}  # Hz
    start = pair.leader_raw()
    start_rest = dict(pair.rest)
    pair.rest = {n: pair.leader_sim.servo(pair.leader_type.motor(n).id).actual_position for n in pair.rest}
    times, command_errors, state_errors = [], [], []
    t0 = time.monotonic()
    while (t := time.monotonic() - t0) < 4.0:
        pair.move_leader({n: a * math.sin(2 * math.pi * frequency[n] * t) for n, a in amplitude.items()})
        leader = pair.leader_raw()
        expected = pair.map.follower_raw(leader)
        goal = pair.follower_goal()
        command_errors.append(TICK_RAD * max(abs(g - expected[m.name])
                                             for g, m in zip(goal, pair.follower_type.joints)))
        with pair.listener.lock:
            state = pair.listener.states[-1][1]
        positions = dict(zip(state.name, state.position))
        expected_rad = pair.map.follower_positions_rad(leader)
        state_errors.append(max(abs(positions[n] - v) for n, v in zip(pair.map.follower_names, expected_rad)))
        times.append(t)
        time.sleep(0.003)
    pair.move_leader({n: 0.0 for n in amplitude})
    pair.rest = start_rest
    assert wait_for(pair.settled, 2.0)
    assert pair.leader_raw() == start

    times = np.array(times)
    teleported = times[1:][np.diff(times) > HAND_GAP_S]
    kept = np.array([not np.any((teleported <= t) & (t < teleported + TELEPORT_WINDOW_S)) for t in times])
    assert kept.mean() >= 0.3, f"this process was held up too often to measure ({kept.mean():.0%} of samples usable)"
    command, state = np.array(command_errors)[kept], np.array(state_errors)[kept]
    print(f"\ntracking error over {kept.sum()} of {kept.size} samples: command p50 {np.median(command):.4f} "
          f"p99 {np.percentile(command, 99):.4f} max {command.max():.4f} rad; joint_states p50 "
          f"{np.median(state):.4f} p99 {np.percentile(state, 99):.4f} max {state.max():.4f} rad")
    assert np.median(command) <= COMMAND_ERROR_P50_RAD and command.max() <= COMMAND_ERROR_MAX_RAD, pair.logs()
    assert np.median(state) <= JOINT_STATE_ERROR_P50_RAD and state.max() <= JOINT_STATE_ERROR_MAX_RAD, pair.logs()


def test_leader_to_follower_latency(so101_pair):
    pair = so101_pair
    pair.wait_tracking()
    pan = pair.follower_sim.servo(pair.follower_type.motor("shoulder_pan").id)
    rng = random.Random(7)
    latencies = []
    for i in range(30):
        time.sleep(rng.uniform(0.1, 0.2))  # land at random phases of both nodes' 10 ms loops
        before = pan.read_register("Goal_Position")
        step = 40 if i % 2 == 0 else -40
        moved_at = time.perf_counter()
        pair.move_leader({"shoulder_pan": 300 + (step if i % 2 == 0 else 0)})
        while (pan.read_register("Goal_Position") - before) * step <= 0 and time.perf_counter() - moved_at < 1.0:
            time.sleep(0.0005)
        latencies.append(time.perf_counter() - moved_at)
    p50, p90, worst = np.percentile(latencies, 50), np.percentile(latencies, 90), max(latencies)
    print(f"\nleader -> follower Goal_Position latency: p50 {p50 * 1e3:.1f} ms, p90 {p90 * 1e3:.1f} ms, "
          f"max {worst * 1e3:.1f} ms")
    assert p50 <= LATENCY_P50_S and p90 <= LATENCY_P90_S, latencies


def _goal_still_for(pair: Pair, duration_s: float) -> bool:
    """True when the follower's Goal_Position did not change for ``duration_s``."""
    first, t0 = pair.follower_goal(), time.monotonic()
    while time.monotonic() - t0 < duration_s:
        time.sleep(0.005)
        if np.any(pair.follower_goal() != first):
            return False
    return True


def test_unplugged_leader_leaves_the_follower_holding_then_ramps_back(so101_pair):
    pair = so101_pair
    pair.wait_tracking()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 0.5:  # unplugged mid-motion
        pair.move_leader({"shoulder_pan": 300 - 400 * (time.monotonic() - t0)})
        time.sleep(0.003)
    pair.leader_sim.unplug()

    def leader_error() -> bool:
        return any(s.level == DiagnosticStatus.ERROR and "so101_leader" in s.message
                   for s in pair.listener.teleop_statuses())

    assert wait_for(leader_error, 5.0), pair.logs()
    # The error is published when teleop_node sends the stop; the point robot_node was moving to when
    # it arrives may still finish (on a loaded machine, a few ticks): the hold is judged after that.
    at_error = pair.follower_goal()
    assert wait_for(lambda: _goal_still_for(pair, 0.2), 3.0), "the follower never came to rest"
    held = pair.follower_goal()
    assert np.abs(held - at_error).max() <= JUMP_TICKS, (held, at_error)
    samples = []
    t1 = time.monotonic()
    while time.monotonic() - t1 < 1.0:
        samples.append(pair.follower_goal())
        time.sleep(0.005)
    assert np.abs(np.array(samples) - held).max() == 0, "the follower moved while the leader was unplugged"
    assert pair.teleop.alive(), pair.logs()

    pair.move_leader({"shoulder_pan": -150})  # moved by hand meanwhile: far from where the follower holds
    pair.leader_sim.replug()
    times, goals = pair.sample_goals_until(pair.settled, timeout=10.0)
    assert pair.settled(), pair.logs()
    _assert_ramped(times, goals)
    pair.wait_tracking(5.0)


def test_koch_pair_tracks_and_the_leader_gripper_is_a_trigger(ros, tmp_path):
    pair = Pair("koch_leader", "koch_follower", tmp_path, _shifted_leader_calibration("koch_leader"))
    try:
        assert wait_for(lambda: pair.listener.states, 30.0), pair.logs()
        pair.start_teleop()
        pair.wait_tracking()
        # The trigger is held at LeRobot's gripper_open_pos (50 %) in current-position mode, torque on that motor only.
        trigger = pair.leader_sim.servo(pair.leader_type.motor("gripper").id)
        assert trigger.read_register("Torque_Enable") == 1 and trigger.read_register("Operating_Mode") == 5
        assert all(pair.leader_sim.servo(m.id).read_register("Torque_Enable") == 0
                   for m in pair.leader_type.joints if m.name != "gripper")
        for pose in ({"shoulder_lift": 250, "elbow_flex": -300}, {"shoulder_lift": -100, "wrist_flex": 200}):
            pair.move_leader(pose)
            assert wait_for(pair.settled, 3.0), f"follower {pair.follower_goal()} leader wants {pair.expected_goal()}"
        action = pair.map.lerobot_action(pair.leader_raw())
        assert action["gripper.pos"] == pytest.approx(50.0, abs=1.0)
    finally:
        pair.close()
