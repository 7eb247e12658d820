"""The Dynamixel bus against simulated XL430-W250 and XL330-M288 servos (protocol 2.0)."""

from __future__ import annotations

import pytest
from bus_helpers import FAST, drop_first_reply_only

from lerobot_ros.robots.ports import robot_bus
from lerobot_ros.motors.errors import CorruptPacketError, ModelMismatchError, NoResponseError, ServoStatusError
from lerobot_ros.servo_sim.bus import ServoSpec, SimulatedBus

KOCH_IDS = {"shoulder_pan": 1, "shoulder_lift": 2, "elbow_flex": 3, "wrist_flex": 4, "wrist_roll": 5, "gripper": 6}


def test_handshake_names_the_missing_id_and_model():
    with SimulatedBus([ServoSpec(i, "xl430-w250" if i < 3 else "xl330-m288") for i in (1, 2, 3, 4, 5)]) as sim:
        bus = robot_bus(sim.port, "koch_follower", **FAST)
        with pytest.raises(NoResponseError, match=r"no servo answered at id 6 \(expected xl330-m288\); check power"):
            bus.connect()


def test_handshake_rejects_another_model():
    with SimulatedBus([ServoSpec(i, "xl330-m288") for i in range(1, 7)]) as sim:
        with pytest.raises(ModelMismatchError, match=r"id 1 \(shoulder_pan\) is xl330-m288 .* expected xl430-w250"):
            robot_bus(sim.port, "koch_follower", **FAST).connect()


def test_sync_read_and_write_round_trip_with_signed_values(koch):
    sim, bus = koch
    assert bus.sync_read("Present_Position") == {n: sim.servo(i).read_register("Present_Position")
                                                 for n, i in KOCH_IDS.items()}
    goals = {n: -5000 + 1000 * i for n, i in KOCH_IDS.items()}  # two's complement, 4 bytes
    bus.sync_write("Goal_Position", goals)
    assert bus.sync_read("Goal_Position") == goals
    assert {n: sim.servo(i).read_register("Goal_Position") for n, i in KOCH_IDS.items()} == goals
    assert sim.servo(1).memory.raw("Goal_Position") == (-4000) & 0xFFFFFFFF


def test_eeprom_write_with_torque_on_is_rejected(koch):
    sim, bus = koch
    bus.enable_torque(["elbow_flex"])
    with pytest.raises(ServoStatusError, match=r"servo id 3 \(elbow_flex\) rejected write of Homing_Offset=100: "
                                               r"access error; EEPROM registers accept writes only with torque off"):
        bus.write("Homing_Offset", "elbow_flex", 100)
    with bus.torque_disabled(["elbow_flex"]):
        bus.write("Homing_Offset", "elbow_flex", 100)
    assert sim.servo(3).read_register("Homing_Offset") == 100
    assert sim.servo(3).read_register("Torque_Enable") == 1


def test_hardware_alert_keeps_the_data_and_is_decoded(koch):
    sim, bus = koch
    sim.servo(5).faults.error_bits = 0x20  # overload
    values = bus.sync_read("Present_Position")
    assert values["wrist_roll"] == sim.servo(5).read_register("Present_Position")
    assert bus.diagnostics()["wrist_roll"].last_status == ("hardware alert (see Hardware_Error_Status)",)
    assert bus.read_hardware_errors()["wrist_roll"] == ("overload",)
    with pytest.raises(ServoStatusError, match="wrist_roll"):
        bus.raise_for_status()


def test_retry_timeout_and_corruption(koch):
    sim, bus = koch
    drop_first_reply_only(sim)
    bus.read("Present_Position", "gripper")
    sim.faults.drop_probability = 0.0
    assert bus.diagnostics()["gripper"].timeouts == 1
    sim.servo(2).faults.no_reply = True
    with pytest.raises(NoResponseError, match=r"servo id 2 \(shoulder_lift\)"):
        bus.sync_read("Present_Position", ["shoulder_lift", "gripper"])
    assert bus.diagnostics()["shoulder_lift"].timeouts == 3
    sim.servo(2).faults.clear()
    sim.servo(4).faults.corrupt_checksum = True
    with pytest.raises(CorruptPacketError, match=r"servo id 4 \(wrist_flex\)"):
        bus.sync_read("Present_Position", ["wrist_flex"])
    assert bus.diagnostics()["wrist_flex"].corrupt_packets == 3


def test_operating_modes_and_configuration(koch):
    sim, bus = koch
    bus.set_operating_mode("gripper", "current_position")
    assert sim.servo(6).read_register("Operating_Mode") == 5
    with pytest.raises(ValueError, match="xl430-w250 has no operating mode 'current'"):
        bus.set_operating_mode("shoulder_pan", "current")
    bus.configure_motors()
    assert all(s.read_register("Return_Delay_Time") == 0 for s in sim.servos)


def test_setup_motor_assigns_id_and_baud_rate():
    with SimulatedBus([ServoSpec(1, "xl330-m288")]) as sim:
        bus = robot_bus(sim.port, "koch_follower", **FAST)
        bus.connect(handshake=False)
        assert bus.setup_motor("wrist_flex") == 1
        assert sim.servos[0].id == 4 and sim.servos[0].read_register("Baud_Rate") == 3  # 1 Mbps
        bus.disconnect(disable_torque=False)
