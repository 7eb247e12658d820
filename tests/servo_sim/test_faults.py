"""Fault injection, observed through the SDKs exactly as a driver would see real faults."""

from __future__ import annotations

import os
import termios

import dynamixel_sdk as dxl
import pytest
import scservo_sdk as scs
import serial

from lerobot_ros.servo_sim import SimulatedBus

from lerobot_ros.robots.ports import simulated_bus

STS_PRESENT_POSITION = 56
DXL_PRESENT_POSITION, DXL_HARDWARE_ERROR = 132, 70


def test_feetech_error_bits_reach_the_sdk(sts_bus):
    servo = sts_bus.bus.servo(2)
    servo.faults.error_bits = 0x20  # overload
    _, result, error = sts_bus.ph.read2ByteTxRx(sts_bus.port, 2, STS_PRESENT_POSITION)
    assert (result, error) == (scs.COMM_SUCCESS, scs.ERRBIT_OVERLOAD)
    assert "Overload" in sts_bus.ph.getRxPacketError(error)
    servo.faults.error_bits = 0x04 | 0x01
    assert sts_bus.ph.ping(sts_bus.port, 2)[2] == scs.ERRBIT_OVERHEAT | scs.ERRBIT_VOLTAGE
    servo.faults.clear()
    assert sts_bus.ph.ping(sts_bus.port, 2) == (777, scs.COMM_SUCCESS, 0)


def test_dynamixel_error_sets_alert_and_hardware_error_status(dxl_bus):
    dxl_bus.bus.servo(3).faults.error_bits = 0x20 | 0x04  # overload, overheating
    _, result, error = dxl_bus.ph.read4ByteTxRx(dxl_bus.port, 3, DXL_PRESENT_POSITION)
    assert result == dxl.COMM_SUCCESS and error == dxl.ERRBIT_ALERT
    assert dxl_bus.ph.read1ByteTxRx(dxl_bus.port, 3, DXL_HARDWARE_ERROR) == (0x24, dxl.COMM_SUCCESS, 0x80)
    assert dxl_bus.ph.read1ByteTxRx(dxl_bus.port, 4, DXL_HARDWARE_ERROR) == (0, dxl.COMM_SUCCESS, 0)


def test_corrupt_checksum_is_reported_corrupt(sts_bus, dxl_bus):
    sts_bus.bus.servo(1).faults.corrupt_checksum = True
    assert sts_bus.ph.read2ByteTxRx(sts_bus.port, 1, STS_PRESENT_POSITION)[1] == scs.COMM_RX_CORRUPT
    assert sts_bus.ph.read2ByteTxRx(sts_bus.port, 2, STS_PRESENT_POSITION)[1] == scs.COMM_SUCCESS
    dxl_bus.bus.servo(1).faults.corrupt_checksum = True
    assert dxl_bus.ph.read4ByteTxRx(dxl_bus.port, 1, DXL_PRESENT_POSITION)[1] == dxl.COMM_RX_CORRUPT


def test_no_reply_times_out_and_breaks_sync_read(sts_bus, dxl_bus):
    sts_bus.bus.servo(4).faults.no_reply = True
    assert sts_bus.ph.ping(sts_bus.port, 4)[1] == scs.COMM_RX_TIMEOUT
    reader = scs.GroupSyncRead(sts_bus.port, sts_bus.ph, STS_PRESENT_POSITION, 2)
    for servo_id in range(1, 7):
        reader.addParam(servo_id)
    assert reader.txRxPacket() == scs.COMM_RX_TIMEOUT
    dxl_bus.bus.servo(5).faults.no_reply = True
    assert dxl_bus.ph.ping(dxl_bus.port, 5)[1] == dxl.COMM_RX_TIMEOUT
    assert dxl_bus.ph.ping(dxl_bus.port, 6)[1] == dxl.COMM_SUCCESS


def test_silent_unplug_then_replug(sts_bus):
    sts_bus.bus.unplug(vanish=False)
    assert not sts_bus.bus.plugged
    assert sts_bus.ph.ping(sts_bus.port, 1)[1] == scs.COMM_RX_TIMEOUT
    sts_bus.bus.replug()
    assert sts_bus.ph.ping(sts_bus.port, 1)[1] == scs.COMM_SUCCESS


def test_vanishing_unplug_fails_the_open_port_and_replug_reconnects(connect_feetech):
    with simulated_bus("so101_follower") as bus:
        sdk = connect_feetech(bus)
        bus.servo(1).set_actual_position(1500)
        bus.unplug()
        assert not os.path.exists(bus.port)
        # As with a pulled USB adapter: the SDK call dies in pyserial/termios with EIO.
        with pytest.raises((serial.SerialException, termios.error, OSError)):
            sdk.ph.ping(sdk.port, 1)
        sdk.port.closePort()
        with pytest.raises(serial.SerialException):
            connect_feetech(bus)
        bus.replug()
        sdk = connect_feetech(bus)
        # Same servos, same state, same path: only the connection was lost.
        assert sdk.ph.read2ByteTxRx(sdk.port, 1, STS_PRESENT_POSITION)[:2] == (1500, scs.COMM_SUCCESS)
        sdk.port.closePort()


def test_seeded_random_drops_are_reproducible(connect_feetech):
    def outcomes(seed: int) -> list[int]:
        with SimulatedBus([(1, "sts3215")], drop_probability=0.3, seed=seed) as bus:
            sdk = connect_feetech(bus)
            results = [sdk.ph.ping(sdk.port, 1)[1] for _ in range(12)]
            sdk.port.closePort()
            return results

    first = outcomes(3)
    assert first == outcomes(3)
    assert 1 <= first.count(scs.COMM_RX_TIMEOUT) <= 9
    assert first.count(scs.COMM_SUCCESS) + first.count(scs.COMM_RX_TIMEOUT) == 12
    assert first != outcomes(4)
