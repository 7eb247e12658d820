"""The physics twin's speed: how fast MuJoCo steps the pick-and-place world, how close to real time it
runs behind the simulated servo bus while the real driver reads and writes at 100 Hz, and how fast
the cameras render (EGL through Mesa on the CPU here).

    .venv/bin/python benchmarks/physics_twin.py [--seconds 10]

Prints one line per figure, with the load average (the machine is shared: say so beside the numbers).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from lerobot_ros.robots.setup import RobotSetup
from lerobot_ros.sim.physics.camera import MujocoCamera
from lerobot_ros.sim.physics.coupling import running_world
from lerobot_ros.sim.physics.world import PhysicsWorld
from lerobot_ros.sim.worlds import attach_physics_world

PARAMS = dict(robot_type="so101_follower", port="sim://so101_follower?world=pick_place", calibration_file="",
              calibration_id="", calibration_dir="", torque="", max_relative_target=0.0, baudrate=1_000_000)


def free_stepping(seconds: float) -> float:
    """Steps per second of the world alone, as fast as it goes (the ceiling of the real-time factor)."""
    world = PhysicsWorld("so101_follower", "pick_place")
    world.reset_objects(0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        world.step(100)
        steps += 100
    return steps / (time.perf_counter() - start)


def coupled(seconds: float) -> tuple[float, float, float]:
    """(real-time factor, dropped seconds, driver cycles/s) with the Feetech SDK driving the world at 100 Hz."""
    setup = RobotSetup.from_parameters(PARAMS, attach_world=attach_physics_world)
    robot = setup.robot
    robot.connect()
    world = running_world("pick_place")
    start_stats = world.stats()
    cycles, start = 0, time.monotonic()
    try:
        while (t := time.monotonic() - start) < seconds:
            robot.read()
            robot.send_goal(np.array([0.4 * np.sin(t), -0.3, 0.3, 0.5, 0.0, 0.5]))
            cycles += 1
            time.sleep(max(0.0, start + cycles * 0.01 - time.monotonic()))
        stats = world.stats()
    finally:
        setup.close()
    sim = stats.sim_time_s - start_stats.sim_time_s
    wall = stats.wall_time_s - start_stats.wall_time_s
    return sim / wall, stats.dropped_s - start_stats.dropped_s, cycles / seconds


def render_rate(width: int, height: int, seconds: float) -> float:
    world = PhysicsWorld("so101_follower", "pick_place")
    world.reset_objects(0)
    camera = MujocoCamera(world, "front", width, height)
    camera.render()  # the context and its first frame
    frames, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        camera.render()
        frames += 1
    camera.disconnect()
    return frames / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(f"{platform.node()} {os.cpu_count()} cores, MUJOCO_GL={os.environ.get('MUJOCO_GL')}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    load = lambda: "load %.1f %.1f %.1f" % os.getloadavg()  # noqa: E731
    steps = free_stepping(args.seconds)
    print(f"free stepping: {steps:,.0f} steps/s = {steps * 0.002:.0f}x real time at the 2 ms step ({load()})")
    rtf, dropped, cycles = coupled(args.seconds)
    print(f"coupled to the Feetech SDK at 100 Hz: real-time factor {rtf:.3f}, {dropped:.3f} s dropped, "
          f"{cycles:.1f} driver cycles/s ({load()})")
    for width, height in ((640, 480), (320, 240), (128, 96)):
        print(f"render {width}x{height}: {render_rate(width, height, args.seconds / 2):.1f} frames/s ({load()})")


if __name__ == "__main__":
    main()
