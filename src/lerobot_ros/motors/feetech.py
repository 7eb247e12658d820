"""Feetech buses through ``scservo_sdk``: STS/SMS servos on protocol 0, SCS servos on protocol 1.

The two protocols share the packet format and differ in byte order (protocol 0 little-endian,
protocol 1 big-endian) and in what they offer (protocol 1 has no sync read and no broadcast ping).
``scservo_sdk`` keeps the byte order in a module global (``SCS_END``, set by ``PacketHandler(n)``),
which would make buses of both protocols in one process corrupt each other. This module therefore
never uses the SDK's word helpers nor ``PacketHandler()``: it sends and receives byte lists through
the SDK's packet functions and converts words itself, per bus. Buses of both protocols may share a
process, and ``SCS_END`` is left untouched for other code.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import scservo_sdk as scs
from scservo_sdk.protocol_packet_handler import (
    PKT_ERROR,
    PKT_ID,
    PKT_INSTRUCTION,
    PKT_LENGTH,
    PKT_PARAMETER0,
    protocol_packet_handler,
)

from . import feetech_tables
from .bus import BusMotor, Comm, MotorsBus, PortTiming, Reply, StatusDecoding, decode_bits
from .model import Vendor

_COMM = {scs.COMM_SUCCESS: Comm.OK, scs.COMM_RX_TIMEOUT: Comm.TIMEOUT, scs.COMM_RX_CORRUPT: Comm.CORRUPT}


def _comm(result: int) -> Comm:
    return _COMM.get(result, Comm.TX_FAIL)


class _PortHandler(PortTiming, scs.PortHandler):
    """The SDK's port with this bus's reply window and a non-spinning wait (see :class:`PortTiming`)."""

    def __init__(self, port_name: str, reply_timeout_ms: float):
        super().__init__(port_name)
        self.reply_timeout_ms = reply_timeout_ms


class FeetechMotorsBus(MotorsBus):
    """A bus of Feetech servos of one protocol (0: STS/SMS, 1: SCS)."""

    vendor = Vendor.FEETECH
    hardware_error_register = "Status"
    hardware_error_bits = feetech_tables.ERROR_BITS

    def __init__(self, port: str, motors: Mapping[str, BusMotor], **kwargs):
        super().__init__(port, motors, **kwargs)
        protocols = {m.spec.protocol for m in self.motors.values()}
        if len(protocols) != 1:
            raise ValueError("STS/SMS (protocol 0) and SCS (protocol 1) servos cannot share a bus: put them on "
                             "separate ports")
        self.protocol = protocols.pop()
        self._ph = protocol_packet_handler()

    @property
    def supports_sync_read(self) -> bool:
        return self.protocol == 0

    @property
    def supports_broadcast_ping(self) -> bool:
        return self.protocol == 0

    def _open_port_handler(self):
        return _PortHandler(self.port, self.timeout_ms)

    # -- byte order -------------------------------------------------------------------------------

    def _to_bytes(self, value: int, size: int) -> list[int]:
        data = list(int(value).to_bytes(size, "little"))
        if self.protocol == 1:  # SCS: each 16-bit word high byte first
            data = [b for i in range(0, size, 2) for b in reversed(data[i:i + 2])]
        return data

    def _from_bytes(self, data: Sequence[int]) -> int:
        data = list(data)
        if self.protocol == 1:
            data = [b for i in range(0, len(data), 2) for b in reversed(data[i:i + 2])]
        return int.from_bytes(bytes(data), "little")

    # -- packets ----------------------------------------------------------------------------------

    def _receive(self, id_: int, size: int) -> Reply:
        """The status packet of ``id_`` carrying ``size`` data bytes.

        Packets of other servos, or of this servo but another size (a late answer to an earlier,
        timed-out request), are skipped: taking one for this reply would return wrong data.
        """
        while True:
            rx, result = self._ph.rxPacket(self._port_handler)
            if result != scs.COMM_SUCCESS:
                return Reply(_comm(result))
            if rx[PKT_ID] == id_ and rx[PKT_LENGTH] == size + 2:
                return Reply(Comm.OK, tuple(rx[PKT_PARAMETER0:PKT_PARAMETER0 + size]), rx[PKT_ERROR])

    def _transmit(self, id_: int, instruction: int, params: list[int]) -> int:
        """Send one instruction packet (the SDK adds header and checksum); returns the SDK result."""
        tx = [0] * (6 + len(params))
        tx[PKT_ID], tx[PKT_LENGTH], tx[PKT_INSTRUCTION] = id_, len(params) + 2, instruction
        tx[PKT_PARAMETER0:PKT_PARAMETER0 + len(params)] = params
        result = self._ph.txPacket(self._port_handler, tx)
        if result != scs.COMM_SUCCESS:
            self._port_handler.is_using = False
        return result

    def _send(self, id_: int, instruction: int, params: list[int], reply_size: int) -> Reply:
        result = self._transmit(id_, instruction, params)
        if result != scs.COMM_SUCCESS:
            return Reply(_comm(result))
        self._port_handler.setPacketTimeout(reply_size + 6)
        return self._receive(id_, reply_size)

    def _ping_once(self, id_: int) -> tuple[Reply, int]:
        reply = self._send(id_, scs.INST_PING, [], 0)
        if reply.comm is not Comm.OK:
            return reply, 0
        model = self._read_once(id_, feetech_tables.STS_SMS_TABLE["Model_Number"].address, 2)
        return model, self._from_bytes(model.data) if model.comm is Comm.OK else 0

    def _read_once(self, id_: int, address: int, size: int) -> Reply:
        return self._send(id_, scs.INST_READ, [address, size], size)

    def _write_once(self, id_: int, address: int, size: int, data: list[int]) -> Reply:
        return self._send(id_, scs.INST_WRITE, [address, *data], 0)

    def _sync_read_once(self, address: int, size: int, ids: Sequence[int]) -> dict[int, Reply]:
        # The SDK's GroupSyncRead drops each reply's error byte, so the replies are collected here.
        result = self._ph.syncReadTx(self._port_handler, address, size, list(ids), len(ids))
        if result != scs.COMM_SUCCESS:
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
        """Ping id 254 and collect status packets until the line stays quiet (the SDK has no broadcast ping)."""
        port = self._port_handler
        result = self._transmit(scs.BROADCAST_ID, scs.INST_PING, [])
        if result != scs.COMM_SUCCESS:
            return _comm(result), {}
        # every servo may answer, each a 6-byte status packet
        port.setPacketTimeout(6 * (scs.MAX_ID + 1))
        ids = []
        while True:
            rx, result = self._ph.rxPacket(port)
            if result != scs.COMM_SUCCESS:
                break
            ids.append(rx[PKT_ID])
        found = {}
        for id_ in ids:
            reply = self._read_once(id_, feetech_tables.STS_SMS_TABLE["Model_Number"].address, 2)
            if reply.comm is not Comm.OK:
                return reply.comm, found
            found[id_] = self._from_bytes(reply.data)
        return Comm.OK if ids else Comm.TIMEOUT, found

    # -- policy -----------------------------------------------------------------------------------

    def _decode_status(self, error: int) -> StatusDecoding:
        return StatusDecoding(conditions=decode_bits(error, feetech_tables.ERROR_BITS))

    def _torque_writes(self, enable: bool) -> list[tuple[str, int]]:
        value = 1 if enable else 0
        return [("Torque_Enable", value), ("Lock", value)]

    def _configure_motor(self, name: str) -> None:
        """Return_Delay_Time 0 (factory 250 = 500 us), acceleration 254, and on the STS3215 Phase bit 4 cleared
        so positions stay within 0..4095 (LeRobot's configure_motors)."""
        model = self.motors[name].spec
        self.write("Return_Delay_Time", name, 0)
        if "Maximum_Acceleration" in model.registers:
            self.write("Maximum_Acceleration", name, 254)
        self.write("Acceleration", name, 254)
        if model.name == "sts3215":
            phase = self.read("Phase", name)
            if phase & 0x10:
                self.write("Phase", name, phase & ~0x10)
