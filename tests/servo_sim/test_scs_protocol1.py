"""Feetech SCS (protocol 1): big-endian words, no sync read. Uses PacketHandler(1) only."""

from __future__ import annotations

import scservo_sdk as scs

from lerobot_ros.motors.feetech_tables import SCS_TABLE

A = {name: reg.address for name, reg in SCS_TABLE.items()}


def test_ping_and_big_endian_words(scs_bus):
    ph, port, servo = scs_bus.ph, scs_bus.port, scs_bus.bus.servo(1)
    assert ph.ping(port, 1) == (1284, scs.COMM_SUCCESS, 0)
    assert ph.write2ByteTxRx(port, 1, A["Goal_Position"], 0x0123) == (scs.COMM_SUCCESS, 0)
    assert servo.read_register("Goal_Position") == 0x0123
    # High byte first in the servo's memory, exactly as the SDK sent it.
    assert servo.memory.data[A["Goal_Position"]:A["Goal_Position"] + 2] == b"\x01\x23"
    servo.set_actual_position(700)
    assert ph.read2ByteTxRx(port, 1, A["Present_Position"])[:2] == (700, scs.COMM_SUCCESS)


def test_sync_write_works_but_sync_read_gets_no_answer(scs_bus):
    ph, port = scs_bus.ph, scs_bus.port
    writer = scs.GroupSyncWrite(port, ph, A["Goal_Position"], 2)
    for servo_id, goal in ((1, 300), (2, 301)):
        writer.addParam(servo_id, [scs.SCS_LOBYTE(goal), scs.SCS_HIBYTE(goal)])
    assert writer.txPacket() == scs.COMM_SUCCESS
    assert ph.ping(port, 1)[1] == scs.COMM_SUCCESS  # a round trip: the sync write has been handled
    assert scs_bus.bus.servo(1).read_register("Goal_Position") == 300
    assert scs_bus.bus.servo(2).read_register("Goal_Position") == 301
    reader = scs.GroupSyncRead(port, ph, A["Present_Position"], 2)
    reader.addParam(1)
    assert reader.txRxPacket() == scs.COMM_RX_TIMEOUT


def test_lock_at_address_48_guards_eprom(scs_bus):
    ph, port = scs_bus.ph, scs_bus.port
    assert ph.write1ByteTxRx(port, 2, A["P_Coefficient"], 20) == (scs.COMM_SUCCESS, 0)
    assert ph.read1ByteTxRx(port, 2, A["P_Coefficient"])[0] == 15
    assert ph.write1ByteTxRx(port, 2, A["Lock"], 0) == (scs.COMM_SUCCESS, 0)
    assert ph.write1ByteTxRx(port, 2, A["P_Coefficient"], 20) == (scs.COMM_SUCCESS, 0)
    assert ph.read1ByteTxRx(port, 2, A["P_Coefficient"])[0] == 20
