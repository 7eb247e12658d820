"""Runs in a LeRobot venv with PYTHONPATH=<repo>/src: LeRobot's own SO101Follower and our Robot (what
robot_node publishes from) read the same protocol-level simulated SO-101 at rest, pose after pose.

    python lerobot_reads_sim_arm.py OUT.json [--use-degrees true|false|default]

Writes, per pose, LeRobot's ``get_observation()`` and our reading in radians, plus the calibration
file both used. Converting our radians into LeRobot's units is left to the test (our venv), so the
conversion under test runs where users run it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from lerobot.robots.so_follower import SO101Follower, SO101FollowerConfig

from lerobot_ros.robots.ports import robot_bus
from lerobot_ros.motors.calibration import save_calibration, write_calibration
from lerobot_ros.robots.robot import Robot
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.robots.ports import simulated_bus
from lerobot_ros.robots.sim_calibration import default_sim_calibration

# Fractions of each joint's calibrated range; the gripper (last) at both ends too.
POSES = [
    [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    [0.1, 0.8, 0.3, 0.65, 0.2, 0.0],
    [0.9, 0.25, 0.7, 0.15, 0.95, 1.0],
    [0.37, 0.61, 0.52, 0.44, 0.73, 0.33],
]


def main(out: Path, use_degrees: str) -> None:
    rtype = robot_type("so101_follower")
    calibration = default_sim_calibration(rtype.name)
    folder = Path(tempfile.mkdtemp(prefix="lerobot_units_"))
    save_calibration(folder / "arm.json", calibration)  # the file format LeRobot reads
    config = {"port": None, "id": "arm", "calibration_dir": folder}
    if use_degrees != "default":
        config["use_degrees"] = use_degrees == "true"
    poses = []
    with simulated_bus(rtype.name) as sim:
        bus = robot_bus(sim.port, rtype)
        bus.connect()
        with bus.torque_disabled():  # the calibration in the servos too: LeRobot then does not prompt
            write_calibration(bus, calibration)
        bus.disconnect(disable_torque=True)
        config["port"] = sim.port
        for fractions in POSES:
            for spec, fraction in zip(rtype.joints, fractions):  # torque off: turned by hand to the pose
                cal = calibration[spec.name]
                servo = sim.servo(spec.id)
                servo.move_by_hand(round(cal.range_min + fraction * (cal.range_max - cal.range_min))
                                   - servo.read_register("Present_Position"))
            lerobot = SO101Follower(SO101FollowerConfig(**config))
            lerobot.connect(calibrate=False)
            observation = {k: float(v) for k, v in lerobot.get_observation().items()}
            lerobot.disconnect()
            ours = Robot(rtype, robot_bus(sim.port, rtype), calibration, torque_enabled=False)
            reading = ours.connect()
            ours.disconnect()
            poses.append({"lerobot": observation, "radians": [float(a) for a in reading.positions_rad],
                          "raw": dict(reading.raw)})
    out.write_text(json.dumps({"calibration_file": str(folder / "arm.json"), "joints": rtype.joint_names,
                               "use_degrees": use_degrees, "poses": poses}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "default")
