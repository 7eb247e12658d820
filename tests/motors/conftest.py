"""Simulated servo buses on pseudo-terminals, and buses of ours connected to them (real SDK bytes)."""

from __future__ import annotations

import pytest

from lerobot_ros.motors.bus import BusMotor
from lerobot_ros.servo_sim.bus import ServoSpec, SimulatedBus
from lerobot_ros.robots.ports import simulated_bus

from bus_helpers import open_bus


@pytest.fixture
def sim_robot(request):
    """A started simulated bus of a robot type (parametrize indirectly with the type name)."""
    with simulated_bus(request.param) as sim:
        yield sim


@pytest.fixture
def so101():
    """(simulator, connected bus) of a fresh SO-101 follower: six STS3215 on protocol 0."""
    with simulated_bus("so101_follower") as sim:
        bus = open_bus(sim, "so101_follower")
        yield sim, bus
        if bus.is_connected:
            bus.disconnect(disable_torque=False)


@pytest.fixture
def koch():
    """(simulator, connected bus) of a fresh Koch follower: XL430 and XL330 on protocol 2.0."""
    with simulated_bus("koch_follower") as sim:
        bus = open_bus(sim, "koch_follower")
        yield sim, bus
        if bus.is_connected:
            bus.disconnect(disable_torque=False)


@pytest.fixture
def scs():
    """(simulator, connected bus) of three SCS0009 on Feetech protocol 1."""
    motors = {f"finger{i}": BusMotor(i, "scs0009") for i in (1, 2, 3)}
    with SimulatedBus([ServoSpec(i, "scs0009") for i in (1, 2, 3)]) as sim:
        bus = open_bus(sim, motors)
        yield sim, bus
        if bus.is_connected:
            bus.disconnect(disable_torque=False)
