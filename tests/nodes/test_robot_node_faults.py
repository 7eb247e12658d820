"""Fault injection under robot_node: timeouts, bad checksums, error bits and an unplugged cable.

The node must keep running, report each fault in /diagnostics, and never command a goal outside the
joint limits or jump: a sampler thread watches the servos' Goal_Position registers the whole time.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticStatus

from lerobot_ros.motors.calibration import save_calibration
from lerobot_ros.motors.normalization import radians_to_raw
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.servo_sim.bus import SimulatedBus
from lerobot_ros.robots.ports import simulated_bus
from lerobot_ros.robots.sim_calibration import default_sim_calibration
from ros_client import RobotClient
from ros_processes import NodeProcess, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.ros]

SO101 = robot_type("so101_follower")
MAX_STEP_TICKS = 40  # ~0.06 rad between two samples 2 ms apart: anything more is a jump


class GoalSampler(threading.Thread):
    """Polls every servo's Goal_Position register in the simulator."""

    def __init__(self, sim: SimulatedBus):
        super().__init__(daemon=True)
        self.sim, self.samples, self._halt = sim, [], threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append([self.sim.servo(m.id).read_register("Goal_Position") for m in SO101.joints])
            time.sleep(0.002)

    def stop(self) -> np.ndarray:
        self._halt.set()
        self.join()
        return np.array(self.samples)


def _statuses(client: RobotClient) -> list[DiagnosticStatus]:
    with client.lock:
        return [s for array in client.diagnostics for s in array.status]


def test_faults_never_crash_show_in_diagnostics_and_never_jump(tmp_path, ros):
    calibration = default_sim_calibration("so101_follower")
    calibration_file = save_calibration(tmp_path / "so101.json", calibration)
    with simulated_bus("so101_follower") as sim:
        node = NodeProcess("lerobot_ros.nodes.robot_node", "so101_faults", {
            "robot_type": "so101_follower", "port": sim.port, "calibration_file": str(calibration_file),
            "diagnostics_rate_hz": 5.0, "command_timeout_s": 0.0}, tmp_path)
        client = RobotClient("faults_client")
        sampler = GoalSampler(sim)
        try:
            client.wait_for_state(timeout=30.0)
            sampler.start()
            start = client.positions()
            target = [start[j] + 0.6 for j in SO101.joint_names]
            client.send(SO101.joint_names, [(target, 6.0)])

            time.sleep(0.5)
            sim.servo(2).faults.no_reply = True  # a servo stops answering for a moment: retries, then errors
            time.sleep(0.05)
            sim.servo(2).faults.no_reply = False
            sim.servo(3).faults.corrupt_checksum = True
            time.sleep(0.1)
            sim.servo(3).faults.corrupt_checksum = False
            sim.servo(4).faults.error_bits = 0x20  # overload, reported in every status packet from now on

            assert wait_for(lambda: any("overload" in s.message for s in _statuses(client)), timeout=5.0), \
                "overload never reached /diagnostics"
            assert any(s.level >= DiagnosticStatus.WARN and "communication errors" in s.message
                       for s in _statuses(client)), "bus errors never reached /diagnostics"

            sim.unplug()
            assert wait_for(lambda: any(s.level == DiagnosticStatus.ERROR for s in _statuses(client)), 5.0), \
                "the unplugged bus never showed as an error"
            goals_while_unplugged = [sim.servo(m.id).read_register("Goal_Position") for m in SO101.joints]
            time.sleep(0.5)
            # The servos lost power too (limp), and the arm was pushed meanwhile.
            sim.servo(1).write_register("Torque_Enable", 0)
            sim.servo(1).move_by_hand(150)
            sim.replug()
            assert wait_for(lambda: sim.servo(1).read_register("Torque_Enable") == 1, 10.0), node.log()
            time.sleep(1.0)
            assert node.alive(), node.log()
            # After the fault the arm holds where it was found; the old trajectory is not resumed.
            held = sim.servo(1).read_register("Goal_Position")
            assert abs(held - sim.servo(1).read_register("Present_Position")) <= 3
            assert abs(held - goals_while_unplugged[0]) >= 100
        finally:
            node.stop()
            client.close()
            samples = sampler.stop() if sampler.is_alive() else np.array(sampler.samples)

    assert len(samples) > 500
    for i, spec in enumerate(SO101.joints):
        cal = calibration[spec.name]
        lo = radians_to_raw(spec.limits_rad[0], cal, 4095, True)
        hi = radians_to_raw(spec.limits_rad[1], cal, 4095, True)
        column = samples[:, i]
        assert column.min() >= min(lo, hi) - 1 and column.max() <= max(lo, hi) + 1, spec.name
        steps = np.abs(np.diff(column))
        # The only large change allowed is joint 1's hold at its hand-moved pose, which is where it is.
        allowed = MAX_STEP_TICKS + (150 if spec.id == 1 else 0)
        assert steps.max() <= allowed, f"{spec.name} jumped {steps.max()} ticks"
