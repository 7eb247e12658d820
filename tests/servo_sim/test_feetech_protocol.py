"""Feetech STS (protocol 0) simulator, driven only through scservo_sdk."""

from __future__ import annotations

import scservo_sdk as scs

from lerobot_ros.motors.encoding import encode_sign_magnitude
from lerobot_ros.motors.feetech_tables import STS_SMS_TABLE

A = {name: reg.address for name, reg in STS_SMS_TABLE.items()}


def unlock(sdk, servo_id: int) -> None:
    assert sdk.ph.write1ByteTxRx(sdk.port, servo_id, A["Lock"], 0) == (scs.COMM_SUCCESS, 0)


def test_ping_returns_model_number_and_unknown_id_times_out(sts_bus):
    for servo_id in range(1, 7):
        assert sts_bus.ph.ping(sts_bus.port, servo_id) == (777, scs.COMM_SUCCESS, 0)
    _, result, _ = sts_bus.ph.ping(sts_bus.port, 42)
    assert result == scs.COMM_RX_TIMEOUT


def test_broadcast_ping_every_servo_answers(sts_bus):
    """LeRobot's Feetech broadcast ping: one PING to 0xFE, then status packets until silence."""
    tx = [0] * 6
    tx[scs.PKT_ID], tx[scs.PKT_LENGTH], tx[scs.PKT_INSTRUCTION] = scs.BROADCAST_ID, 2, scs.INST_PING
    assert sts_bus.ph.txPacket(sts_bus.port, tx) == scs.COMM_SUCCESS
    sts_bus.port.setPacketTimeoutMillis(50)
    seen = []
    while True:
        rx, result = sts_bus.ph.rxPacket(sts_bus.port)
        if result != scs.COMM_SUCCESS:
            break
        seen.append(rx[scs.PKT_ID])
    assert seen == [1, 2, 3, 4, 5, 6]


def test_read_one_two_and_four_bytes(sts_bus):
    value, result, error = sts_bus.ph.read1ByteTxRx(sts_bus.port, 1, A["Return_Delay_Time"])
    assert (value, result, error) == (250, scs.COMM_SUCCESS, 0)
    value, result, _ = sts_bus.ph.read2ByteTxRx(sts_bus.port, 1, A["Model_Number"])
    assert (value, result) == (777, scs.COMM_SUCCESS)
    # Max_Position_Limit (11) and Max_Temperature_Limit (13), Max_Voltage_Limit (14) in one dword.
    value, result, _ = sts_bus.ph.read4ByteTxRx(sts_bus.port, 1, A["Max_Position_Limit"])
    assert result == scs.COMM_SUCCESS
    assert value == 4095 | 70 << 16 | 140 << 24


def test_write_one_two_and_four_bytes_round_trip(sts_bus):
    ph, port = sts_bus.ph, sts_bus.port
    assert ph.write1ByteTxRx(port, 2, A["Acceleration"], 254) == (scs.COMM_SUCCESS, 0)
    assert ph.read1ByteTxRx(port, 2, A["Acceleration"])[0] == 254
    assert ph.write2ByteTxRx(port, 2, A["Torque_Limit"], 777) == (scs.COMM_SUCCESS, 0)
    assert ph.read2ByteTxRx(port, 2, A["Torque_Limit"])[0] == 777
    # Goal_Position (42,2) + Goal_Time (44,2) in one 4-byte write; torque is off so nothing moves.
    assert ph.write4ByteTxRx(port, 2, A["Goal_Position"], 1234 | 56 << 16) == (scs.COMM_SUCCESS, 0)
    assert sts_bus.bus.servo(2).read_register("Goal_Position") == 1234
    assert sts_bus.bus.servo(2).read_register("Goal_Time") == 56


def test_sync_read_and_sync_write(sts_bus):
    ph, port, bus = sts_bus.ph, sts_bus.port, sts_bus.bus
    writer = scs.GroupSyncWrite(port, ph, A["Goal_Position"], 2)
    for servo_id in range(1, 7):
        writer.addParam(servo_id, [scs.SCS_LOBYTE(1000 + servo_id), scs.SCS_HIBYTE(1000 + servo_id)])
    assert writer.txPacket() == scs.COMM_SUCCESS
    reader = scs.GroupSyncRead(port, ph, A["Goal_Position"], 2)
    for servo_id in range(1, 7):
        reader.addParam(servo_id)
    assert reader.txRxPacket() == scs.COMM_SUCCESS
    assert [reader.getData(i, A["Goal_Position"], 2) for i in range(1, 7)] == [1001, 1002, 1003, 1004, 1005, 1006]
    # Present_Position by sync read matches each shaft (no homing offset yet).
    reader = scs.GroupSyncRead(port, ph, A["Present_Position"], 2)
    for servo_id in range(1, 7):
        reader.addParam(servo_id)
    assert reader.txRxPacket() == scs.COMM_SUCCESS
    for servo_id in range(1, 7):
        assert reader.getData(servo_id, A["Present_Position"], 2) == round(bus.servo(servo_id).actual_position)


def test_fresh_arm_is_near_but_not_at_the_middle(sts_bus):
    positions = [sts_bus.ph.read2ByteTxRx(sts_bus.port, i, A["Present_Position"])[0] for i in range(1, 7)]
    assert all(abs(p - 2047) <= 30 for p in positions)
    assert all(p != 2047 for p in positions)
    assert len(set(positions)) == 6


def test_eprom_writes_ignored_while_locked(sts_bus):
    ph, port = sts_bus.ph, sts_bus.port
    assert ph.read1ByteTxRx(port, 3, A["Lock"])[0] == 1  # factory state: locked
    assert ph.write1ByteTxRx(port, 3, A["P_Coefficient"], 16) == (scs.COMM_SUCCESS, 0)
    assert ph.read1ByteTxRx(port, 3, A["P_Coefficient"])[0] == 32  # ignored, as on hardware
    unlock(sts_bus, 3)
    assert ph.write1ByteTxRx(port, 3, A["P_Coefficient"], 16) == (scs.COMM_SUCCESS, 0)
    assert ph.read1ByteTxRx(port, 3, A["P_Coefficient"])[0] == 16


def test_read_only_registers_ignore_writes(sts_bus):
    ph, port = sts_bus.ph, sts_bus.port
    before = ph.read2ByteTxRx(port, 1, A["Present_Position"])[0]
    assert ph.write2ByteTxRx(port, 1, A["Present_Position"], 100) == (scs.COMM_SUCCESS, 0)
    assert ph.read2ByteTxRx(port, 1, A["Present_Position"])[0] == before
    unlock(sts_bus, 1)
    assert ph.write2ByteTxRx(port, 1, A["Model_Number"], 1) == (scs.COMM_SUCCESS, 0)
    assert ph.read2ByteTxRx(port, 1, A["Model_Number"])[0] == 777


def test_homing_offset_present_is_actual_minus_offset(sts_bus):
    """Present = Actual - Homing_Offset, the offset sign-magnitude with its sign in bit 11."""
    ph, port, servo = sts_bus.ph, sts_bus.port, sts_bus.bus.servo(4)
    servo.set_actual_position(2100)
    unlock(sts_bus, 4)
    raw_offset = encode_sign_magnitude(-300, 11)
    assert raw_offset == 0x800 | 300
    assert ph.write2ByteTxRx(port, 4, A["Homing_Offset"], raw_offset) == (scs.COMM_SUCCESS, 0)
    assert ph.read2ByteTxRx(port, 4, A["Homing_Offset"])[0] == raw_offset
    assert servo.read_register("Homing_Offset") == -300
    assert ph.read2ByteTxRx(port, 4, A["Present_Position"])[0] == 2400
    assert ph.write2ByteTxRx(port, 4, A["Homing_Offset"], 53) == (scs.COMM_SUCCESS, 0)
    assert ph.read2ByteTxRx(port, 4, A["Present_Position"])[0] == 2047


def test_negative_positions_are_sign_magnitude_bit_15(sts_bus):
    """With Phase bit 4 set (factory) a position below the offset reads negative, bit 15 as sign."""
    ph, port, servo = sts_bus.ph, sts_bus.port, sts_bus.bus.servo(5)
    servo.set_actual_position(100)
    unlock(sts_bus, 5)
    assert ph.write2ByteTxRx(port, 5, A["Homing_Offset"], 250) == (scs.COMM_SUCCESS, 0)
    raw = ph.read2ByteTxRx(port, 5, A["Present_Position"])[0]
    assert raw == 0x8000 | 150
    assert scs.SCS_TOHOST(raw, 15) == -150
    # A negative goal written sign-magnitude drives the shaft below the offset.
    assert ph.write1ByteTxRx(port, 5, A["Torque_Enable"], 1) == (scs.COMM_SUCCESS, 0)
    assert ph.write2ByteTxRx(port, 5, A["Goal_Position"], scs.SCS_TOSCS(-50, 15)) == (scs.COMM_SUCCESS, 0)
    assert servo.read_register("Goal_Position") == -50
    # With Phase bit 4 cleared positions wrap into 0..4095 instead.
    assert ph.write1ByteTxRx(port, 5, A["Torque_Enable"], 0) == (scs.COMM_SUCCESS, 0)
    phase = ph.read1ByteTxRx(port, 5, A["Phase"])[0]
    assert ph.write1ByteTxRx(port, 5, A["Phase"], phase & ~0x10) == (scs.COMM_SUCCESS, 0)
    servo.set_actual_position(100)
    assert ph.read2ByteTxRx(port, 5, A["Present_Position"])[0] == 4096 - 150


def test_response_status_level_zero_silences_write_replies(sts_bus):
    ph, port = sts_bus.ph, sts_bus.port
    unlock(sts_bus, 6)
    ph.write1ByteTxRx(port, 6, A["Response_Status_Level"], 0)
    result, _ = ph.write1ByteTxRx(port, 6, A["Acceleration"], 10)
    assert result == scs.COMM_RX_TIMEOUT
    assert ph.read1ByteTxRx(port, 6, A["Acceleration"])[:2] == (10, scs.COMM_SUCCESS)


def test_id_change_answers_with_the_old_id_then_the_new(sts_bus):
    """LeRobot's motor setup writes ID and expects the status from the id it addressed."""
    ph, port = sts_bus.ph, sts_bus.port
    unlock(sts_bus, 6)
    assert ph.write1ByteTxRx(port, 6, A["ID"], 9) == (scs.COMM_SUCCESS, 0)
    assert ph.ping(port, 9)[1] == scs.COMM_SUCCESS
    assert ph.ping(port, 6)[1] == scs.COMM_RX_TIMEOUT
    assert sts_bus.bus.servo(9).model.name == "sts3215"
