"""Dynamixel X-series buses through ``dynamixel_sdk``, protocol 2.0 (little-endian, CRC-16).

Protocol 2.0 status packets carry an error byte with two meanings: bit 7 ("alert") says the servo
holds a hardware alarm (details in Hardware_Error_Status; the reply's data is still good), and the
low 7 bits are an instruction error number (the servo refused the instruction: nothing was done).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, Sequence

import dynamixel_sdk as dxl

from . import dynamixel_tables
from .bus import Comm, MotorsBus, Reply, StatusDecoding
from .model import Vendor

_COMM = {dxl.COMM_SUCCESS: Comm.OK, dxl.COMM_RX_TIMEOUT: Comm.TIMEOUT, dxl.COMM_RX_CORRUPT: Comm.CORRUPT}

ALERT_BIT = 0x80
#: instruction error numbers of protocol 2.0 status packets
INSTRUCTION_ERRORS = MappingProxyType({
    1: "result fail", 2: "instruction error", 3: "CRC error", 4: "data range error", 5: "data length error",
    6: "data limit error", 7: "access error",
})


def _comm(result: int) -> Comm:
    return _COMM.get(result, Comm.TX_FAIL)


class _PortHandler(dxl.PortHandler):
    """The SDK port with a reply window of ``reply_timeout_ms`` after the request's own wire time."""

    def __init__(self, port_name: str, reply_timeout_ms: float):
        super().__init__(port_name)
        self.reply_timeout_ms = reply_timeout_ms

    def setPacketTimeout(self, packet_length):  # noqa: N802 (SDK name)
        self.packet_start_time = self.getCurrentTime()
        self.packet_timeout = self.tx_time_per_byte * packet_length + self.reply_timeout_ms


class DynamixelMotorsBus(MotorsBus):
    """A bus of Dynamixel X-series servos (protocol 2.0)."""

    vendor = Vendor.DYNAMIXEL
    hardware_error_register = "Hardware_Error_Status"
    hardware_error_bits = dynamixel_tables.HARDWARE_ERROR_BITS

    def __init__(self, port, motors, **kwargs):
        super().__init__(port, motors, **kwargs)
        self._ph = dxl.PacketHandler(2.0)

    def _open_port_handler(self):
        return _PortHandler(self.port, self.timeout_ms)

    def _to_bytes(self, value: int, size: int) -> list[int]:
        return list(int(value).to_bytes(size, "little"))

    def _from_bytes(self, data: Sequence[int]) -> int:
        return int.from_bytes(bytes(data), "little")

    def _ping_once(self, id_: int) -> tuple[Reply, int]:
        number, result, error = self._ph.ping(self._port_handler, id_)
        return Reply(_comm(result), error=error), number

    def _read_once(self, id_: int, address: int, size: int) -> Reply:
        data, result, error = self._ph.readTxRx(self._port_handler, id_, address, size)
        if result == dxl.COMM_SUCCESS and len(data) != size:
            return Reply(Comm.CORRUPT, error=error)
        return Reply(_comm(result), tuple(data), error)

    def _write_once(self, id_: int, address: int, size: int, data: list[int]) -> Reply:
        result, error = self._ph.writeTxRx(self._port_handler, id_, address, size, data)
        return Reply(_comm(result), error=error)

    def _sync_read_once(self, address: int, size: int, ids: Sequence[int]) -> dict[int, Reply]:
        # The SDK's GroupSyncRead drops each reply's error byte, so the replies are collected here.
        result = self._ph.syncReadTx(self._port_handler, address, size, list(ids), len(ids), False)
        if result != dxl.COMM_SUCCESS:
            return {ids[0]: Reply(_comm(result))}
        replies = {}
        for id_ in ids:
            data, result, error = self._ph.readRx(self._port_handler, id_, size)
            if result == dxl.COMM_SUCCESS and len(data) != size:
                result = dxl.COMM_RX_CORRUPT
            replies[id_] = Reply(_comm(result), tuple(data), error)
            if result != dxl.COMM_SUCCESS:
                break
        return replies

    def _sync_write_once(self, address: int, size: int, data: Mapping[int, list[int]]) -> Comm:
        param = [b for id_, chunk in data.items() for b in (id_, *chunk)]
        return _comm(self._ph.syncWriteTxOnly(self._port_handler, address, size, param, len(param)))

    def _broadcast_ping_once(self) -> tuple[Comm, dict[int, int]]:
        found, result = self._ph.broadcastPing(self._port_handler)
        return _comm(result), {id_: info[0] for id_, info in found.items()}

    def _decode_status(self, error: int) -> StatusDecoding:
        conditions = ("hardware alert (see Hardware_Error_Status)",) if error & ALERT_BIT else ()
        number = error & ~ALERT_BIT
        rejected = INSTRUCTION_ERRORS.get(number, f"error number {number}") if number else None
        return StatusDecoding(conditions, rejected)

    def _torque_writes(self, enable: bool) -> list[tuple[str, int]]:
        return [("Torque_Enable", 1 if enable else 0)]

    def _configure_motor(self, name: str) -> None:
        """Return_Delay_Time 0 (factory 250 = 500 us), as LeRobot's configure_motors."""
        self.write("Return_Delay_Time", name, 0)
