"""Fixtures: simulated buses and real vendor-SDK handles opened on their pty ports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import dynamixel_sdk
import dynamixel_sdk.port_handler
import pytest
import scservo_sdk
import scservo_sdk.port_handler

from lerobot_ros.servo_sim import SimulatedBus

from lerobot_ros.robots.ports import simulated_bus


# The SDKs wait 2 x LATENCY_TIMER (16 ms, a USB adapter's latency timer) + 2 ms for a status packet.
# The simulator answers in about a millisecond, but on a loaded two-core test machine its thread may
# wait longer than that for a CPU; a late reply is then taken as the answer to the *next* request
# (as it would be on hardware). A wider window keeps the suite deterministic; timeouts stay short.
TEST_LATENCY_TIMER_MS = 60


@pytest.fixture(autouse=True)
def patient_sdks(monkeypatch):
    for module in (scservo_sdk.port_handler, dynamixel_sdk.port_handler):
        monkeypatch.setattr(module, "LATENCY_TIMER", TEST_LATENCY_TIMER_MS)


@dataclass
class Sdk:
    """A started simulated bus with an SDK port and packet handler talking to it."""

    bus: SimulatedBus
    port: Any
    ph: Any


def open_feetech(bus: SimulatedBus, protocol_end: int = 0) -> Sdk:
    port = scservo_sdk.PortHandler(bus.port)
    assert port.openPort() and port.setBaudRate(1_000_000)
    return Sdk(bus, port, scservo_sdk.PacketHandler(protocol_end))


def open_dynamixel(bus: SimulatedBus) -> Sdk:
    port = dynamixel_sdk.PortHandler(bus.port)
    assert port.openPort() and port.setBaudRate(1_000_000)
    return Sdk(bus, port, dynamixel_sdk.PacketHandler(2.0))


def _close(sdk: Sdk) -> None:
    if sdk.port.is_open:
        sdk.port.closePort()
    sdk.bus.stop()


@pytest.fixture
def sts_bus() -> Iterator[Sdk]:
    """An SO-101 follower bus (six STS3215, ids 1-6, protocol 0)."""
    bus = simulated_bus("so101_follower")
    bus.start()
    sdk = open_feetech(bus)
    yield sdk
    _close(sdk)


@pytest.fixture
def scs_bus() -> Iterator[Sdk]:
    """Two SCS0009 on protocol 1; restores the SDK's module-global byte order afterwards."""
    bus = SimulatedBus([(1, "scs0009"), (2, "scs0009")])
    bus.start()
    sdk = open_feetech(bus, protocol_end=1)
    yield sdk
    _close(sdk)
    scservo_sdk.scservo_def.SCS_SETEND(0)


@pytest.fixture
def dxl_bus() -> Iterator[Sdk]:
    """A Koch follower bus (XL430/XL330, ids 1-6, protocol 2.0)."""
    bus = simulated_bus("koch_follower")
    bus.start()
    sdk = open_dynamixel(bus)
    yield sdk
    _close(sdk)


@pytest.fixture
def connect_feetech():
    """``connect_feetech(bus)``: an SDK port (protocol 0) on a bus the test starts itself."""
    return open_feetech
