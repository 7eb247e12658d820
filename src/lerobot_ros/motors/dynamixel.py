"""Dynamixel X-series buses through ``dynamixel_sdk``, protocol 2.0 (little-endian, CRC-16).

Protocol 2.0 status packets carry an error byte with two meanings: bit 7 ("alert") says the servo
holds a hardware alarm (details in Hardware_Error_Status; the reply's data is still good), and the
low 7 bits are an instruction error number (the servo refused the instruction: nothing was done).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, Sequence

import dynamixel_sdk as dxl
from dynamixel_sdk.protocol2_packet_handler import (
    PKT_ERROR,
    PKT_ID,
    PKT_INSTRUCTION,
    PKT_LENGTH_H,
    PKT_LENGTH_L,
    PKT_PARAMETER0,
)

from . import dynamixel_tables
from .bus import Comm, MotorsBus, PortTiming, Reply, StatusDecoding
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


class _PortHandler(PortTiming, dxl.PortHandler):
    """The SDK's port with this bus's reply window and a non-spinning wait (see :class:`PortTiming`)."""

    def __init__(self, port_name: str, reply_timeout_ms: float):
        super().__init__(port_name)
        self.reply_timeout_ms = reply_timeout_ms


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

    def _receive(self, id_: int, size: int) -> Reply:
        """The status packet of ``id_`` carrying ``size`` data bytes.

        Packets of other servos, or of this servo but another size (a late answer to an earlier,
        timed-out request), are skipped: taking one for this reply would return wrong data.
        """
        while True:
            rx, result = self._ph.rxPacket(self._port_handler, False)
            if result != dxl.COMM_SUCCESS:
                return Reply(_comm(result))
            length = rx[PKT_LENGTH_L] | rx[PKT_LENGTH_H] << 8  # instruction, error, data, CRC
            if rx[PKT_ID] == id_ and length == size + 4:
                return Reply(Comm.OK, tuple(rx[PKT_ERROR + 1:PKT_ERROR + 1 + size]), rx[PKT_ERROR])

    def _send(self, id_: int, instruction: int, params: list[int], reply_size: int) -> Reply:
        tx = [0] * (10 + len(params))
        tx[PKT_ID], tx[PKT_INSTRUCTION] = id_, instruction
        tx[PKT_LENGTH_L], tx[PKT_LENGTH_H] = (len(params) + 3) & 0xFF, (len(params) + 3) >> 8
        tx[PKT_PARAMETER0:PKT_PARAMETER0 + len(params)] = params
        result = self._ph.txPacket(self._port_handler, tx)  # adds header, stuffing and CRC
        if result != dxl.COMM_SUCCESS:
            self._port_handler.is_using = False
            return Reply(_comm(result))
        self._port_handler.setPacketTimeout(reply_size + 11)
        return self._receive(id_, reply_size)

    def _ping_once(self, id_: int) -> tuple[Reply, int]:
        reply = self._send(id_, dxl.INST_PING, [], 3)  # model number (2 bytes), firmware version
        return reply, (reply.data[0] | reply.data[1] << 8) if reply.comm is Comm.OK else 0

    def _read_once(self, id_: int, address: int, size: int) -> Reply:
        return self._send(id_, dxl.INST_READ, [address & 0xFF, address >> 8, size & 0xFF, size >> 8], size)

    def _write_once(self, id_: int, address: int, size: int, data: list[int]) -> Reply:
        return self._send(id_, dxl.INST_WRITE, [address & 0xFF, address >> 8, *data], 0)

    def _sync_read_once(self, address: int, size: int, ids: Sequence[int]) -> dict[int, Reply]:
        # The SDK's GroupSyncRead drops each reply's error byte, so the replies are collected here.
        result = self._ph.syncReadTx(self._port_handler, address, size, list(ids), len(ids), False)
        if result != dxl.COMM_SUCCESS:
            self._port_handler.is_using = False
            return {ids[0]: Reply(_comm(result))}
        replies = {}
        for id_ in ids:
            replies[id_] = reply = self._receive(id_, size)
            if reply.comm is not Comm.OK:
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
