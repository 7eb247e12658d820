"""LeRobot's SO101Follower on our simulated bus: the reference side of benchmarks/driver_loop.py.

Runs in LeRobot's own venv with ``PYTHONPATH=<repo>/src`` (for the simulator only). Prints one JSON
line: ``{"cycle_s": [...]}``, the time of each get_observation() + send_action().
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from lerobot.robots.so_follower import SO101Follower, SO101FollowerConfig

from lerobot_ros.robots.ports import robot_bus
from lerobot_ros.motors.calibration import save_calibration, write_calibration
from lerobot_ros.robots.ports import simulated_bus
from lerobot_ros.robots.sim_calibration import default_sim_calibration


def main(cycles: int) -> None:
    calibration = default_sim_calibration("so101_follower")
    calibration_dir = Path(tempfile.mkdtemp(prefix="lerobot_ref_cal_"))
    save_calibration(calibration_dir / "bench.json", calibration)  # the same file format LeRobot reads
    with simulated_bus("so101_follower", timing_baudrate=1_000_000) as sim:
        # Put the calibration in the servos first, so LeRobot finds it matching and does not prompt.
        bus = robot_bus(sim.port, "so101_follower")
        bus.connect()
        with bus.torque_disabled():
            write_calibration(bus, calibration)
        bus.disconnect(disable_torque=True)

        robot = SO101Follower(SO101FollowerConfig(port=sim.port, id="bench", calibration_dir=calibration_dir))
        robot.connect(calibrate=False)
        start = robot.get_observation()
        times = []
        for i in range(cycles):
            t0 = time.perf_counter()
            robot.get_observation()
            robot.send_action({k: v + (1.0 if i % 2 else -1.0) for k, v in start.items()})
            times.append(time.perf_counter() - t0)
        robot.disconnect()
    print(json.dumps({"cycle_s": times}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
