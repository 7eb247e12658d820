"""Dynamixel protocol 2.0 simulator, driven only through dynamixel_sdk."""

from __future__ import annotations

import dynamixel_sdk as dxl

from lerobot_ros.motors.dynamixel_tables import X_SERIES_TABLE

A = {name: reg.address for name, reg in X_SERIES_TABLE.items()}
ACCESS_ERROR = 0x07


def u32(value: int) -> int:
    return value & 0xFFFFFFFF


def s32(raw: int) -> int:
    return raw - (1 << 32) if raw & 0x80000000 else raw


def test_ping_model_numbers_and_unknown_id(dxl_bus):
    models = [dxl_bus.ph.ping(dxl_bus.port, i) for i in range(1, 7)]
    assert models == [(1060, 0, 0)] * 2 + [(1200, 0, 0)] * 4
    assert dxl_bus.ph.ping(dxl_bus.port, 99)[1] == dxl.COMM_RX_TIMEOUT


def test_broadcast_ping_lists_every_servo(dxl_bus):
    found, result = dxl_bus.ph.broadcastPing(dxl_bus.port)
    assert result == dxl.COMM_SUCCESS
    assert found == {1: [1060, 46], 2: [1060, 46], 3: [1200, 46], 4: [1200, 46], 5: [1200, 46], 6: [1200, 46]}


def test_read_and_write_one_two_four_bytes(dxl_bus):
    ph, port = dxl_bus.ph, dxl_bus.port
    assert ph.read1ByteTxRx(port, 3, A["Operating_Mode"]) == (3, 0, 0)
    assert ph.read2ByteTxRx(port, 3, A["Model_Number"]) == (1200, 0, 0)
    assert ph.read4ByteTxRx(port, 3, A["Velocity_Limit"]) == (445, 0, 0)
    assert ph.write1ByteTxRx(port, 3, A["LED"], 1) == (0, 0)
    assert ph.write2ByteTxRx(port, 3, A["Position_P_Gain"], 1500) == (0, 0)
    assert ph.write4ByteTxRx(port, 3, A["Profile_Velocity"], 123456) == (0, 0)
    assert ph.read1ByteTxRx(port, 3, A["LED"])[0] == 1
    assert ph.read2ByteTxRx(port, 3, A["Position_P_Gain"])[0] == 1500
    assert ph.read4ByteTxRx(port, 3, A["Profile_Velocity"])[0] == 123456


def test_values_containing_the_header_survive_byte_stuffing(dxl_bus):
    """0xFDFFFF.. in a parameter puts FF FF FD on the wire: both directions must (un)stuff it."""
    ph, port = dxl_bus.ph, dxl_bus.port
    value = 0x00FDFFFF
    assert ph.write4ByteTxRx(port, 2, A["Profile_Acceleration"], value) == (0, 0)
    assert dxl_bus.bus.servo(2).read_register("Profile_Acceleration") == value
    assert ph.read4ByteTxRx(port, 2, A["Profile_Acceleration"]) == (value, 0, 0)


def test_sync_write_and_sync_read(dxl_bus):
    ph, port = dxl_bus.ph, dxl_bus.port
    writer = dxl.GroupSyncWrite(port, ph, A["Goal_Position"], 4)
    for servo_id in range(1, 7):
        writer.addParam(servo_id, list(u32(-1000 * servo_id).to_bytes(4, "little")))
    assert writer.txPacket() == dxl.COMM_SUCCESS
    reader = dxl.GroupSyncRead(port, ph, A["Goal_Position"], 4)
    for servo_id in range(1, 7):
        reader.addParam(servo_id)
    assert reader.txRxPacket() == dxl.COMM_SUCCESS
    assert [s32(reader.getData(i, A["Goal_Position"], 4)) for i in range(1, 7)] == [-1000 * i for i in range(1, 7)]


def test_eeprom_write_refused_while_torque_on(dxl_bus):
    ph, port = dxl_bus.ph, dxl_bus.port
    assert ph.write1ByteTxRx(port, 4, A["Torque_Enable"], 1) == (0, 0)
    assert ph.write1ByteTxRx(port, 4, A["Operating_Mode"], 4) == (0, ACCESS_ERROR)
    assert ph.read1ByteTxRx(port, 4, A["Operating_Mode"])[0] == 3
    assert ph.write1ByteTxRx(port, 4, A["Torque_Enable"], 0) == (0, 0)
    assert ph.write1ByteTxRx(port, 4, A["Operating_Mode"], 4) == (0, 0)
    assert ph.read1ByteTxRx(port, 4, A["Operating_Mode"])[0] == 4


def test_read_only_register_write_is_an_access_error(dxl_bus):
    ph, port = dxl_bus.ph, dxl_bus.port
    before = ph.read4ByteTxRx(port, 5, A["Present_Position"])[0]
    assert ph.write4ByteTxRx(port, 5, A["Present_Position"], 10) == (0, ACCESS_ERROR)
    assert ph.read4ByteTxRx(port, 5, A["Present_Position"])[0] == before


def test_homing_offset_present_is_actual_plus_offset_twos_complement(dxl_bus):
    ph, port, servo = dxl_bus.ph, dxl_bus.port, dxl_bus.bus.servo(2)
    servo.set_actual_position(2100)
    assert ph.write4ByteTxRx(port, 2, A["Homing_Offset"], u32(-53)) == (0, 0)
    raw = ph.read4ByteTxRx(port, 2, A["Homing_Offset"])[0]
    assert raw == 0xFFFFFFCB and s32(raw) == -53
    assert ph.read4ByteTxRx(port, 2, A["Present_Position"])[0] == 2047
    # Extended-position mode is multi-turn: an offset can push the reading negative.
    assert ph.write1ByteTxRx(port, 2, A["Operating_Mode"], 4) == (0, 0)
    assert ph.write4ByteTxRx(port, 2, A["Homing_Offset"], u32(-2500)) == (0, 0)
    assert s32(ph.read4ByteTxRx(port, 2, A["Present_Position"])[0]) == -400


def test_reg_write_applies_on_action(dxl_bus):
    ph, port, servo = dxl_bus.ph, dxl_bus.port, dxl_bus.bus.servo(6)
    assert ph.regWriteTxRx(port, 6, A["Goal_Current"], 2, [50, 0]) == (0, 0)
    assert servo.read_register("Goal_Current") == 0
    assert servo.read_register("Registered_Instruction") == 1
    assert ph.action(port, 6) == dxl.COMM_SUCCESS
    assert ph.ping(port, 6)[1] == dxl.COMM_SUCCESS  # round trip: ACTION has been handled
    assert servo.read_register("Goal_Current") == 50


def test_status_return_level_one_answers_reads_only(dxl_bus):
    ph, port = dxl_bus.ph, dxl_bus.port
    # The new level already governs the answer to the write that set it.
    assert ph.write1ByteTxRx(port, 1, A["Status_Return_Level"], 1)[0] == dxl.COMM_RX_TIMEOUT
    assert ph.write1ByteTxRx(port, 1, A["LED"], 1)[0] == dxl.COMM_RX_TIMEOUT
    assert ph.read1ByteTxRx(port, 1, A["LED"]) == (1, 0, 0)


