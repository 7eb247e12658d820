"""Every robot type, end to end: robot_node in its own process on a simulated bus owned by the test.

The test owns the simulator (so it can read the servos' raw registers) and hands its pseudo-terminal
to robot_node as an ordinary serial port, with a LeRobot calibration file written by the test.
``lerobot:so101_follower`` is LeRobot's own SO101Follower driving the same simulated bus behind
robot_node (robots/lerobot_robot.py), held to the same checks.
"""

from __future__ import annotations

import math
import sys
import time

import pytest

from lerobot_ros.motors.calibration import save_calibration, write_calibration
from lerobot_ros.motors.normalization import radians_to_raw, raw_to_radians
from lerobot_ros.motors.tables import motor_model
from lerobot_ros.robots.tables import ROBOT_TYPES
from lerobot_ros.robots.ports import robot_bus, simulated_bus
from lerobot_ros.robots.sim_calibration import default_sim_calibration

from ros_processes import NodeProcess, wait_for
from ros_client import RobotClient

pytestmark = [pytest.mark.slow, pytest.mark.ros]

RATE_HZ = 100.0
# LeRobot's SO101Follower takes 12-16 ms per read + write on this simulated bus (its SDK polling, on
# 2 loaded cores): it runs at LeRobot's own order of rates (lerobot-record: 30 fps), checked at 50 Hz.
LEROBOT_RATE_HZ = 50.0
MIN_RATE_FRACTION = 0.95
ARRIVAL_TOLERANCE_RAD = 0.02


LEROBOT = "lerobot:"


@pytest.mark.parametrize("type_name", [*sorted(ROBOT_TYPES), LEROBOT + "so101_follower"])
def test_robot_node_publishes_follows_and_matches_registers(type_name, tmp_path, ros):
    native = type_name.removeprefix(LEROBOT)
    if type_name.startswith(LEROBOT) and sys.version_info < (3, 12):
        pytest.skip("LeRobot 0.6 needs Python >= 3.12")
    rtype = ROBOT_TYPES[native]
    rate_hz = LEROBOT_RATE_HZ if type_name.startswith(LEROBOT) else RATE_HZ
    calibration = default_sim_calibration(native)
    calibration_file = save_calibration(tmp_path / f"{native}.json", calibration)
    with simulated_bus(native) as sim:
        if type_name.startswith(LEROBOT):  # LeRobot does not write a file's calibration into the servos
            bus = robot_bus(sim.port, rtype)
            bus.connect()
            with bus.torque_disabled():
                write_calibration(bus, calibration)
            bus.disconnect(disable_torque=True)
        node = NodeProcess("lerobot_ros.nodes.robot_node", f"robot_{native}", {
            "robot_type": type_name, "port": sim.port, "calibration_file": str(calibration_file),
            "torque": "on", "publish_rate_hz": rate_hz}, tmp_path)
        client = RobotClient(f"client_{native}")
        try:
            client.wait_for_state(timeout=30.0)
            rate, periods = client.rate_hz(2.0)
            assert rate >= MIN_RATE_FRACTION * rate_hz, f"joint_states at {rate:.1f} Hz; log:\n{node.log()}"

            start = client.positions()
            joints = rtype.joint_names
            assert set(joints) <= set(start)
            # Move every joint 0.25 rad toward the middle of its nominal range (or up, with no nominal range).
            target = {}
            for spec in rtype.joints:
                lo, hi = spec.limits_rad if spec.limits_rad else (-math.pi / 2, math.pi / 2)
                direction = 1.0 if start[spec.name] < (lo + hi) / 2 else -1.0
                target[spec.name] = start[spec.name] + 0.25 * direction
            client.send(joints, [([target[j] for j in joints], 1.0)])
            sent_at = time.monotonic()

            def arrived() -> bool:
                now = client.positions()
                return all(abs(now[j] - target[j]) < ARRIVAL_TOLERANCE_RAD for j in joints)

            assert wait_for(arrived, timeout=6.0), (
                f"joints did not arrive: target {target}, now {client.positions()}; log:\n{node.log()}")

            # The simulator's raw registers agree with the calibration maths (once the trajectory has ended).
            time.sleep(max(0.0, sent_at + 1.3 - time.monotonic()))
            final = client.positions()
            for spec in rtype.joints:
                cal = calibration[spec.name]
                max_res = motor_model(spec.model).max_position
                apply_drive = rtype.vendor == "feetech"
                servo = sim.servo(spec.id)
                expected_goal = radians_to_raw(target[spec.name], cal, max_res, apply_drive)
                assert abs(servo.read_register("Goal_Position") - expected_goal) <= 2
                present = servo.read_register("Present_Position")
                assert raw_to_radians(present, cal, max_res, apply_drive) == pytest.approx(final[spec.name],
                                                                                           abs=0.01)
                if "Homing_Offset" in motor_model(spec.model).registers:
                    assert servo.read_register("Homing_Offset") == cal.homing_offset
                assert servo.read_register("Torque_Enable") == 1
        finally:
            client.close()
            assert node.stop() == 0, node.log()
        # torque_off_on_shutdown (default true): every servo is limp after SIGINT.
        assert all(sim.servo(m.id).read_register("Torque_Enable") == 0 for m in rtype.motors)
