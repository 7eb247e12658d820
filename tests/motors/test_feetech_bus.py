"""The Feetech bus against simulated STS3215 (protocol 0) and SCS0009 (protocol 1) servos."""

from __future__ import annotations

import threading

import pytest
from bus_helpers import FAST, drop_first_reply_only, open_bus

from lerobot_ros.motors.bus import BusMotor
from lerobot_ros.motors.vendor_bus import make_bus
from lerobot_ros.robots.ports import robot_bus
from lerobot_ros.motors.errors import (
    BusError,
    CorruptPacketError,
    ModelMismatchError,
    NoResponseError,
    NotConnectedError,
    ServoStatusError,
)
from lerobot_ros.servo_sim.bus import ServoSpec, SimulatedBus
from lerobot_ros.robots.ports import simulated_bus

SO_IDS = {"shoulder_pan": 1, "shoulder_lift": 2, "elbow_flex": 3, "wrist_flex": 4, "wrist_roll": 5, "gripper": 6}


def test_handshake_names_the_missing_id_and_model():
    with SimulatedBus([ServoSpec(i, "sts3215") for i in (1, 2, 4, 5, 6)]) as sim:
        bus = robot_bus(sim.port, "so101_follower", **FAST)
        with pytest.raises(NoResponseError) as err:
            bus.connect()
        assert f"port {sim.port}: no servo answered at id 3 (expected sts3215); check power and the id table" in str(err.value)
        assert err.value.ids == (3,)
        assert not bus.is_connected  # the port was closed again


def test_handshake_rejects_another_model():
    with SimulatedBus([ServoSpec(1, "sts3215"), ServoSpec(2, "sts3250")]) as sim:
        bus = make_bus(sim.port, {"a": BusMotor(1, "sts3215"), "b": BusMotor(2, "sts3215")}, **FAST)
        with pytest.raises(ModelMismatchError, match=r"servo id 2 \(b\) is sts3250 \(model number 2825\), expected sts3215"):
            bus.connect()


def test_transactions_need_a_connection():
    bus = robot_bus("/dev/null", "so101_follower")
    with pytest.raises(NotConnectedError, match="call connect"):
        bus.read("Present_Position", "gripper")


def test_sync_read_and_write_round_trip(so101):
    sim, bus = so101
    positions = bus.sync_read("Present_Position")
    assert positions == {n: sim.servo(i).read_register("Present_Position") for n, i in SO_IDS.items()}
    goals = {n: 1000 + 100 * i for n, i in SO_IDS.items()}
    bus.sync_write("Goal_Position", goals)  # unacknowledged: the read below is what orders it
    assert bus.sync_read("Goal_Position", ["gripper", "shoulder_pan"]) == {"gripper": 1600, "shoulder_pan": 1100}
    assert {n: sim.servo(i).read_register("Goal_Position") for n, i in SO_IDS.items()} == goals


def test_signed_fields_use_sign_magnitude(so101):
    sim, bus = so101
    with bus.torque_disabled():
        bus.write("Homing_Offset", "elbow_flex", -300)
    assert bus.read("Homing_Offset", "elbow_flex") == -300
    assert sim.servo(3).memory.raw("Homing_Offset") == (1 << 11) | 300  # on the wire: sign bit 11


def test_a_dropped_reply_is_retried(so101):
    sim, bus = so101
    drop_first_reply_only(sim)
    value = bus.read("Present_Position", "wrist_flex")
    sim.faults.drop_probability = 0.0
    assert value == sim.servo(4).read_register("Present_Position")
    assert bus.diagnostics()["wrist_flex"].timeouts == 1


def test_silence_raises_after_the_retries_and_counts_them(so101):
    sim, bus = so101
    sim.servo(3).faults.no_reply = True
    with pytest.raises(NoResponseError, match=r"no reply from servo id 3 \(elbow_flex\) to sync read of Present_Position after 3 attempts") as err:
        bus.sync_read("Present_Position", ["elbow_flex", "gripper"])
    assert err.value.ids == (3,) and err.value.port == sim.port
    assert bus.diagnostics()["elbow_flex"].timeouts == 3
    with pytest.raises(NoResponseError):
        bus.write("Goal_Position", "elbow_flex", 2000)
    assert bus.diagnostics()["elbow_flex"].timeouts == 6
    sim.servo(3).faults.no_reply = False
    assert bus.read("Present_Position", "elbow_flex") == sim.servo(3).read_register("Present_Position")


def test_corrupt_replies_raise_their_own_error(so101):
    sim, bus = so101
    sim.servo(6).faults.corrupt_checksum = True
    with pytest.raises(CorruptPacketError, match="corrupt reply from servo id 6 .gripper."):
        bus.read("Present_Position", "gripper")
    diag = bus.diagnostics()["gripper"]
    assert diag.corrupt_packets == 3 and diag.timeouts == 0 and "corrupt" in diag.last_error


def test_status_bits_keep_the_data_and_are_reported(so101):
    sim, bus = so101
    sim.servo(2).faults.error_bits = 0x20 | 0x04
    positions = bus.sync_read("Present_Position")
    assert positions["shoulder_lift"] == sim.servo(2).read_register("Present_Position")
    diag = bus.diagnostics()
    assert diag["shoulder_lift"].last_status == ("overheat", "overload")
    assert diag["shoulder_lift"].status_errors == 1
    assert diag["shoulder_pan"].last_status == ()
    assert bus.read_hardware_errors(["shoulder_lift", "gripper"]) == {"shoulder_lift": ("overheat", "overload"),
                                                                      "gripper": ()}
    with pytest.raises(ServoStatusError, match=r"shoulder_lift \(id 2\): overheat, overload") as err:
        bus.raise_for_status()
    assert err.value.errors == {"shoulder_lift": ("overheat", "overload")}
    sim.servo(2).faults.clear()
    bus.sync_read("Present_Position")
    bus.raise_for_status()  # healthy again


def test_torque_goes_with_the_eeprom_lock(so101):
    sim, bus = so101
    bus.enable_torque(["gripper"])
    assert (sim.servo(6).read_register("Torque_Enable"), sim.servo(6).read_register("Lock")) == (1, 1)
    bus.disable_torque()
    assert all((s.read_register("Torque_Enable"), s.read_register("Lock")) == (0, 0) for s in sim.servos)


def test_eeprom_writes_persist_inside_torque_disabled(so101):
    sim, bus = so101
    bus.enable_torque()
    bus.write("Max_Position_Limit", "gripper", 3000)  # Lock is on: the servo drops the EEPROM byte
    assert sim.servo(6).read_register("Max_Position_Limit") == 4095
    with bus.torque_disabled(["gripper"]):
        assert sim.servo(6).read_register("Torque_Enable") == 0
        bus.write("Max_Position_Limit", "gripper", 3000)
    assert sim.servo(6).read_register("Max_Position_Limit") == 3000
    assert (sim.servo(6).read_register("Torque_Enable"), sim.servo(6).read_register("Lock")) == (1, 1)


def test_torque_disabled_leaves_torque_off_where_it_was_off(so101):
    sim, bus = so101
    bus.disable_torque()
    with bus.torque_disabled():
        pass
    assert all(s.read_register("Torque_Enable") == 0 for s in sim.servos)


def test_operating_mode_changes(so101):
    sim, bus = so101
    bus.set_operating_mode("wrist_roll", "velocity")
    assert sim.servo(5).read_register("Operating_Mode") == 1
    bus.set_operating_mode("wrist_roll", "position")
    assert sim.servo(5).read_register("Operating_Mode") == 0
    with pytest.raises(ValueError, match="no operating mode 'current'"):
        bus.set_operating_mode("wrist_roll", "current")


def test_configure_motors_writes_lerobots_settings(so101):
    sim, bus = so101
    bus.configure_motors()
    for s in sim.servos:
        assert s.read_register("Return_Delay_Time") == 0
        assert s.read_register("Maximum_Acceleration") == 254
        assert s.read_register("Acceleration") == 254
        assert s.read_register("Phase") & 0x10 == 0


def test_read_only_registers_refuse_writes(so101):
    _, bus = so101
    with pytest.raises(ValueError, match="Present_Position is read-only on sts3215"):
        bus.write("Present_Position", "gripper", 5)


def test_broadcast_ping_lists_every_servo(so101):
    _, bus = so101
    assert bus.broadcast_ping() == dict.fromkeys(range(1, 7), 777)
    assert bus.ping(4) == 777 and bus.ping(42) is None


def test_setup_motor_assigns_id_and_baud_rate():
    with SimulatedBus([ServoSpec(1, "sts3215")]) as sim:
        bus = robot_bus(sim.port, "so101_follower", **FAST)
        bus.connect(handshake=False)
        assert bus.setup_motor("gripper", target_baudrate=500_000) == 1
        servo = sim.servos[0]
        assert servo.id == 6 and servo.read_register("Baud_Rate") == 1
        bus.disconnect(disable_torque=False)


def test_setup_motor_wants_a_single_servo():
    with SimulatedBus([ServoSpec(1, "sts3215"), ServoSpec(2, "sts3215")]) as sim:
        bus = robot_bus(sim.port, "so101_follower", **FAST)
        bus.connect(handshake=False)
        with pytest.raises(Exception, match=r"2 servos answer at 1000000 baud \(ids 1, 2\); connect only the gripper"):
            bus.setup_motor("gripper")


def test_one_lock_serializes_threads(so101):
    sim, bus = so101
    errors = []

    def reader():
        try:
            for _ in range(150):
                assert len(bus.sync_read("Present_Position")) == 6
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def writer():
        try:
            for i in range(150):
                bus.sync_write("Goal_Position", {"gripper": 2000 + i})
                bus.write("Goal_Position", "shoulder_pan", 2000 + i)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader), threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sim.servo(1).read_register("Goal_Position") == 2149


# -- protocol 1 (SCS) ---------------------------------------------------------------------------


def test_scs_protocol_1_round_trips_without_sync_read(scs):
    sim, bus = scs
    assert not bus.supports_sync_read
    assert bus.sync_read("Present_Position") == {f"finger{i}": sim.servo(i).read_register("Present_Position")
                                                  for i in (1, 2, 3)}
    bus.sync_write("Goal_Position", {"finger1": 700, "finger3": 300})
    assert bus.sync_read("Goal_Position", ["finger3", "finger1"]) == {"finger3": 300, "finger1": 700}
    assert sim.servo(1).read_register("Goal_Position") == 700 and sim.servo(3).read_register("Goal_Position") == 300
    bus.write("Goal_Position", "finger2", 0x0102)  # big-endian words: a byte swap would read 0x0201
    assert sim.servo(2).read_register("Goal_Position") == 0x0102
    assert bus.read("Goal_Position", "finger2") == 0x0102
    bus.enable_torque(["finger2"])
    assert sim.servo(2).read_register("Lock") == 1  # SCS Lock is at 48, not 55
    with pytest.raises(NotImplementedError, match="no broadcast ping"):
        bus.broadcast_ping()


def test_two_feetech_protocols_share_a_process(scs):
    """Byte order is per bus, not the SDK's SCS_END global: both protocols work side by side."""
    scs_sim, scs_bus = scs
    with simulated_bus("so101_follower") as sts_sim:
        sts_bus = open_bus(sts_sim, "so101_follower")
        for _ in range(3):
            assert sts_bus.read("Model_Number", "gripper") == 777
            assert scs_bus.read("Model_Number", "finger1") == 1284
        sts_bus.disconnect(disable_torque=False)


def test_a_vanished_adapter_is_a_bus_error_naming_the_cable(so101):
    sim, bus = so101
    sim.unplug(vanish=True)
    with pytest.raises(BusError, match="check the USB cable"):
        bus.sync_read("Present_Position")


def test_scs_setup_scans_ids_one_by_one():
    with SimulatedBus([ServoSpec(9, "scs0009")]) as sim:
        bus = make_bus(sim.port, {"thumb": BusMotor(2, "scs0009")}, timeout_ms=20)
        bus.connect(handshake=False)
        assert bus.setup_motor("thumb") == 9
        assert sim.servos[0].id == 2
        assert set(bus.diagnostics()) <= {"thumb", "id9"}  # the scan's silent ids are not recorded as failures
        bus.disconnect(disable_torque=False)
