"""Write observers: the simulator tells who wrote which register when (benchmarks stamp command
arrivals with it), only for writes the servo applied, driven through scservo_sdk."""

from __future__ import annotations

import time

import scservo_sdk as scs

from lerobot_ros.motors.feetech_tables import STS_SMS_TABLE

A = {name: reg.address for name, reg in STS_SMS_TABLE.items()}


def test_every_applied_write_is_reported_with_its_registers_and_time(sts_bus):
    ph, port, bus = sts_bus.ph, sts_bus.port, sts_bus.bus
    seen: list[tuple[int, tuple[str, ...], float]] = []
    bus.observe_writes(lambda servo_id, names, stamp: seen.append((servo_id, names, stamp)))

    before = time.monotonic()
    writer = scs.GroupSyncWrite(port, ph, A["Goal_Position"], 2)
    for servo_id in range(1, 7):
        writer.addParam(servo_id, [scs.SCS_LOBYTE(1000 + servo_id), scs.SCS_HIBYTE(1000 + servo_id)])
    assert writer.txPacket() == scs.COMM_SUCCESS
    deadline = time.monotonic() + 2.0  # a sync write has no reply: the simulator applies it in its thread
    while len(seen) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [(servo_id, names) for servo_id, names, _ in seen] == [(i, ("Goal_Position",)) for i in range(1, 7)]
    assert all(before <= stamp <= time.monotonic() for _, _, stamp in seen)

    # A write spanning two registers names both; reads are not writes.
    seen.clear()
    assert ph.write4ByteTxRx(port, 2, A["Goal_Position"], 1500 | (100 << 16)) == (scs.COMM_SUCCESS, 0)
    assert ph.read2ByteTxRx(port, 2, A["Goal_Position"])[0] == 1500
    assert [(servo_id, names) for servo_id, names, _ in seen] == [(2, ("Goal_Position", "Goal_Time"))]


def test_refused_writes_are_not_reported(sts_bus):
    ph, port, bus = sts_bus.ph, sts_bus.port, sts_bus.bus
    seen = []
    bus.observe_writes(lambda servo_id, names, stamp: seen.append(names))
    ph.write2ByteTxRx(port, 3, A["Present_Position"], 10)  # read-only: the servo refuses it
    assert seen == []
