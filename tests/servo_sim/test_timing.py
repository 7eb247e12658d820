"""Optional wire timing: a round trip lasts at least the bytes' time on the line plus the return delay."""

from __future__ import annotations

import time

import dynamixel_sdk as dxl
import scservo_sdk as scs

from lerobot_ros.servo_sim import SimulatedBus


def fastest_round_trip(call, repeats: int = 8) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return best


def test_feetech_read_takes_the_wire_time(connect_feetech):
    # READ of 2 bytes: 8-byte instruction + 8-byte status, 10 bits a byte, plus 250 * 2 us return delay.
    expected = 16 * 10 / 115_200 + 250 * 2e-6
    with SimulatedBus([(1, "sts3215")], timing_baudrate=115_200) as bus:
        sdk = connect_feetech(bus)
        timed = fastest_round_trip(lambda: sdk.ph.read2ByteTxRx(sdk.port, 1, 56))
        assert sdk.ph.read2ByteTxRx(sdk.port, 1, 56)[1] == scs.COMM_SUCCESS
        sdk.port.closePort()
    with SimulatedBus([(1, "sts3215")]) as bus:
        sdk = connect_feetech(bus)
        untimed = fastest_round_trip(lambda: sdk.ph.read2ByteTxRx(sdk.port, 1, 56))
        sdk.port.closePort()
    assert timed >= expected
    assert untimed < expected


def test_dynamixel_sync_read_takes_the_wire_time():
    # SYNC_READ of 4 bytes from 3 servos at 1 Mbps: 17-byte instruction, three 15-byte statuses,
    # each status after its servo's 500 us return delay.
    expected = (17 + 3 * 15) * 10 / 1_000_000 + 3 * 500e-6
    with SimulatedBus([(1, "xl330-m288"), (2, "xl330-m288"), (3, "xl330-m288")], timing_baudrate=1_000_000) as bus:
        port = dxl.PortHandler(bus.port)
        assert port.openPort()
        ph = dxl.PacketHandler(2.0)
        reader = dxl.GroupSyncRead(port, ph, 132, 4)
        for servo_id in (1, 2, 3):
            reader.addParam(servo_id)
        assert reader.txRxPacket() == dxl.COMM_SUCCESS
        assert fastest_round_trip(reader.txRxPacket) >= expected
        port.closePort()
