"""Helpers shared by the motor-bus tests (a module of its own: importing `conftest` by name picks
whichever conftest.py was imported first)."""

from __future__ import annotations

import random

from lerobot_ros.motors.vendor_bus import make_bus
from lerobot_ros.robots.ports import robot_bus
from lerobot_ros.servo_sim.bus import SimulatedBus

FAST = {"timeout_ms": 30}  # a shorter reply window than the default 50 ms: fault tests end sooner


def open_bus(sim: SimulatedBus, robot_or_motors, **kwargs):
    opener = make_bus if isinstance(robot_or_motors, dict) else robot_bus
    bus = opener(sim.port, robot_or_motors, **{**FAST, **kwargs})
    bus.connect()
    return bus


def drop_first_reply_only(sim: SimulatedBus) -> None:
    """Seed the line's random drops so the next status packet is lost and the one after arrives."""
    for seed in range(1000):
        rng = random.Random(seed)
        if rng.random() < 0.5 <= rng.random():
            sim.faults.drop_probability = 0.5
            sim.faults.reseed(seed)
            return
    raise AssertionError("no suitable seed")
