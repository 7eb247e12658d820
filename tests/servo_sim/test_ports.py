"""``sim`` port values and the factory calibration of simulated arms."""

from __future__ import annotations

import math

import dynamixel_sdk as dxl
import pytest
import scservo_sdk as scs

from lerobot_ros.motors.normalization import raw_to_radians
from lerobot_ros.robots.sim_calibration import default_sim_calibration
from lerobot_ros.robots.ports import is_sim_port, open_sim_port


def test_is_sim_port():
    assert is_sim_port("sim")
    assert is_sim_port("sim://so101_follower")
    assert is_sim_port("sim?timing=1mbps")
    assert not is_sim_port("/dev/ttyACM0")
    assert not is_sim_port("simulated")


def test_open_sim_port_uses_the_configured_or_named_type(connect_feetech):
    bus = open_sim_port("sim", "so101_follower")
    try:
        sdk = connect_feetech(bus)
        assert [sdk.ph.ping(sdk.port, i)[0] for i in range(1, 7)] == [777] * 6
        sdk.port.closePort()
    finally:
        bus.stop()
    bus = open_sim_port("sim://koch_follower")
    try:
        port = dxl.PortHandler(bus.port)
        assert port.openPort()
        assert dxl.PacketHandler(2.0).ping(port, 1) == (1060, dxl.COMM_SUCCESS, 0)
        port.closePort()
    finally:
        bus.stop()


def test_open_sim_port_options():
    bus = open_sim_port("sim://so101_follower?timing=1mbps&seed=3&drop=0.25", "so101_follower")
    try:
        assert bus.timing_baudrate == 1_000_000
        assert (bus.faults.seed, bus.faults.drop_probability) == (3, 0.25)
    finally:
        bus.stop()
    bus = open_sim_port("sim?timing=off", "lekiwi")
    try:
        assert bus.timing_baudrate is None
        assert len(bus.servos) == 9
    finally:
        bus.stop()


@pytest.mark.parametrize(("port", "robot_type", "message"), [
    ("sim://koch_follower", "so101_follower", "robot_type is 'so101_follower'"),
    ("sim", None, "does not say which robot"),
    ("sim://no_such_robot", None, "unknown robot_type 'no_such_robot'"),
    ("sim://so101_follower?speed=9", None, "unknown sim port option(s) speed"),
    ("sim://so101_follower?timing=fast", None, "bad option"),
    ("/dev/ttyUSB0", "so101_follower", "not a simulated port"),
])
def test_open_sim_port_errors(port, robot_type, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_sim_port(port, robot_type)


def test_so101_sim_calibration_zero_is_the_default_pose(connect_feetech):
    """Written to a fresh simulated arm, the calibration makes every joint read 0 rad."""
    cal = default_sim_calibration("so101_follower")
    assert (cal["wrist_roll"].range_min, cal["wrist_roll"].range_max) == (0, 4095)
    half_pan = 1.91986 * 4095 / (2 * math.pi)
    assert (cal["shoulder_pan"].range_min, cal["shoulder_pan"].range_max) == (round(2047 - half_pan), round(2047 + half_pan))
    bus = open_sim_port("sim", "so101_follower")
    try:
        sdk = connect_feetech(bus)
        for name, motor in cal.items():
            assert sdk.ph.write1ByteTxRx(sdk.port, motor.id, 55, 0) == (scs.COMM_SUCCESS, 0)  # Lock
            offset = scs.SCS_TOSCS(motor.homing_offset, 11)
            assert sdk.ph.write2ByteTxRx(sdk.port, motor.id, 31, offset) == (scs.COMM_SUCCESS, 0)
            raw = scs.SCS_TOHOST(sdk.ph.read2ByteTxRx(sdk.port, motor.id, 56)[0], 15)
            assert raw == 2047, name
            assert abs(raw_to_radians(raw, motor, 4095, True)) < 1e-3, name
        sdk.port.closePort()
    finally:
        bus.stop()


def test_koch_sim_calibration_through_dynamixel_offsets():
    cal = default_sim_calibration("koch_follower")
    assert all((m.range_min, m.range_max) == (0, 4095) for m in cal.values())  # no limits in the table
    bus = open_sim_port("sim", "koch_follower")
    try:
        port = dxl.PortHandler(bus.port)
        assert port.openPort()
        ph = dxl.PacketHandler(2.0)
        for motor in cal.values():
            assert ph.write4ByteTxRx(port, motor.id, 20, motor.homing_offset & 0xFFFFFFFF) == (0, 0)
            assert ph.read4ByteTxRx(port, motor.id, 132)[0] == 2047
        port.closePort()
    finally:
        bus.stop()


def test_wheels_and_factory_calibrated_types():
    lekiwi = default_sim_calibration("lekiwi")
    for wheel in ("base_left_wheel", "base_back_wheel", "base_right_wheel"):
        assert (lekiwi[wheel].homing_offset, lekiwi[wheel].range_min, lekiwi[wheel].range_max) == (0, 0, 4095)
    assert lekiwi["arm_shoulder_pan"].homing_offset != 0
    omx = default_sim_calibration("omx_follower")
    assert all((m.homing_offset, m.range_min, m.range_max) == (0, 0, 4095) for m in omx.values())
    assert default_sim_calibration("koch_leader")["elbow_flex"].drive_mode == 1
