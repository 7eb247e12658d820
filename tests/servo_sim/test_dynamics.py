"""Shaft physics seen through the SDK: goals are reached, speed is capped, limits and modes hold."""

from __future__ import annotations

import time

import dynamixel_sdk as dxl
import scservo_sdk as scs

from lerobot_ros.motors.dynamixel_tables import X_SERIES_TABLE
from lerobot_ros.motors.feetech_tables import STS_SMS_TABLE
from lerobot_ros.servo_sim import Dynamics, SimulatedBus

F = {name: reg.address for name, reg in STS_SMS_TABLE.items()}
D = {name: reg.address for name, reg in X_SERIES_TABLE.items()}
VMAX = Dynamics().max_speed_tps
TAU = Dynamics().time_constant_s


def present(sdk, servo_id: int) -> int:
    value, result, _ = sdk.ph.read2ByteTxRx(sdk.port, servo_id, F["Present_Position"])
    assert result == scs.COMM_SUCCESS
    return scs.SCS_TOHOST(value, 15)


def test_position_goal_reached_under_the_speed_cap(sts_bus):
    ph, port = sts_bus.ph, sts_bus.port
    start = present(sts_bus, 1)
    goal = start + 1500
    assert ph.write1ByteTxRx(port, 1, F["Torque_Enable"], 1) == (scs.COMM_SUCCESS, 0)
    t0 = time.monotonic()
    assert ph.write2ByteTxRx(port, 1, F["Goal_Position"], goal) == (scs.COMM_SUCCESS, 0)
    speeds, moving_seen = [], False
    while abs(present(sts_bus, 1) - goal) > 1:
        assert time.monotonic() - t0 < 1.5, "goal not reached"
        speeds.append(scs.SCS_TOHOST(ph.read2ByteTxRx(port, 1, F["Present_Velocity"])[0], 15))
        moving_seen |= ph.read1ByteTxRx(port, 1, F["Moving"])[0] == 1
        time.sleep(0.005)
    elapsed = time.monotonic() - t0
    # At the cap the saturated part of the trip alone takes (distance - vmax*tau) / vmax.
    assert elapsed >= (1500 - VMAX * TAU) / VMAX
    assert max(speeds) <= VMAX + 1 and max(speeds) > 0.5 * VMAX
    assert moving_seen
    time.sleep(6 * TAU)
    assert present(sts_bus, 1) == goal
    assert ph.read1ByteTxRx(port, 1, F["Moving"])[0] == 0
    assert ph.read2ByteTxRx(port, 1, F["Present_Velocity"])[0] == 0


def test_torque_off_shaft_stays_until_moved_by_hand(sts_bus):
    ph, port, servo = sts_bus.ph, sts_bus.port, sts_bus.bus.servo(2)
    start = present(sts_bus, 2)
    assert ph.write2ByteTxRx(port, 2, F["Goal_Position"], start + 800) == (scs.COMM_SUCCESS, 0)
    time.sleep(0.05)
    assert present(sts_bus, 2) == start
    servo.move_by_hand(-300)
    assert present(sts_bus, 2) == start - 300
    # Enabling torque holds the hand-set pose instead of jumping to the stale goal.
    assert ph.write1ByteTxRx(port, 2, F["Torque_Enable"], 1) == (scs.COMM_SUCCESS, 0)
    time.sleep(0.05)
    assert present(sts_bus, 2) == start - 300
    assert ph.read2ByteTxRx(port, 2, F["Goal_Position"])[0] == start - 300


def test_feetech_position_limits_clamp_goals(sts_bus):
    ph, port = sts_bus.ph, sts_bus.port
    assert ph.write1ByteTxRx(port, 3, F["Lock"], 0) == (scs.COMM_SUCCESS, 0)
    assert ph.write2ByteTxRx(port, 3, F["Max_Position_Limit"], 2200) == (scs.COMM_SUCCESS, 0)
    assert ph.write1ByteTxRx(port, 3, F["Torque_Enable"], 1) == (scs.COMM_SUCCESS, 0)
    assert ph.write2ByteTxRx(port, 3, F["Goal_Position"], 3000) == (scs.COMM_SUCCESS, 0)
    time.sleep(0.3)
    assert present(sts_bus, 3) == 2200


def test_feetech_velocity_mode_integrates_sign_magnitude_speed(sts_bus):
    ph, port, servo = sts_bus.ph, sts_bus.port, sts_bus.bus.servo(5)
    assert ph.write1ByteTxRx(port, 5, F["Lock"], 0) == (scs.COMM_SUCCESS, 0)
    assert ph.write1ByteTxRx(port, 5, F["Operating_Mode"], 1) == (scs.COMM_SUCCESS, 0)
    assert ph.write1ByteTxRx(port, 5, F["Torque_Enable"], 1) == (scs.COMM_SUCCESS, 0)
    before, t0 = servo.actual_position, time.monotonic()
    assert ph.write2ByteTxRx(port, 5, F["Goal_Velocity"], scs.SCS_TOSCS(-2000, 15)) == (scs.COMM_SUCCESS, 0)
    time.sleep(0.2)
    assert ph.read2ByteTxRx(port, 5, F["Present_Velocity"])[0] == 0x8000 | 2000
    travelled = servo.actual_position - before
    assert -2000 * (time.monotonic() - t0 + 0.01) <= travelled <= -2000 * 0.19
    assert ph.write2ByteTxRx(port, 5, F["Goal_Velocity"], 0) == (scs.COMM_SUCCESS, 0)
    stopped = servo.actual_position
    time.sleep(0.05)
    assert servo.actual_position == stopped


def test_dynamixel_limits_apply_in_position_mode_not_extended():
    fast = Dynamics(time_constant_s=0.005, max_speed_tps=50_000)
    with SimulatedBus([(1, "xl330-m288", 2000)], dynamics=fast) as bus:
        port = dxl.PortHandler(bus.port)
        assert port.openPort()
        ph = dxl.PacketHandler(2.0)
        assert ph.write4ByteTxRx(port, 1, D["Max_Position_Limit"], 2200) == (0, 0)
        assert ph.write1ByteTxRx(port, 1, D["Torque_Enable"], 1) == (0, 0)
        assert ph.write4ByteTxRx(port, 1, D["Goal_Position"], 2600) == (0, 0)
        time.sleep(0.1)
        assert ph.read4ByteTxRx(port, 1, D["Present_Position"])[0] == 2200
        assert ph.write1ByteTxRx(port, 1, D["Torque_Enable"], 0) == (0, 0)
        assert ph.write1ByteTxRx(port, 1, D["Operating_Mode"], 4) == (0, 0)
        assert ph.write1ByteTxRx(port, 1, D["Torque_Enable"], 1) == (0, 0)
        assert ph.write4ByteTxRx(port, 1, D["Goal_Position"], 4096 + 2600) == (0, 0)
        time.sleep(0.2)
        assert ph.read4ByteTxRx(port, 1, D["Present_Position"])[0] == 4096 + 2600  # multi-turn, no limits
        port.closePort()


def test_dynamixel_velocity_mode_reports_velocity_units(dxl_bus):
    ph, port, servo = dxl_bus.ph, dxl_bus.port, dxl_bus.bus.servo(1)
    assert ph.write1ByteTxRx(port, 1, D["Operating_Mode"], 1) == (0, 0)
    assert ph.write1ByteTxRx(port, 1, D["Torque_Enable"], 1) == (0, 0)
    assert ph.write4ByteTxRx(port, 1, D["Goal_Velocity"], 100) == (0, 0)  # 22.9 rpm
    before = servo.actual_position
    time.sleep(0.1)
    assert ph.read4ByteTxRx(port, 1, D["Present_Velocity"])[0] == 100
    assert servo.actual_position - before >= 100 * 0.229 * 4096 / 60 * 0.09
