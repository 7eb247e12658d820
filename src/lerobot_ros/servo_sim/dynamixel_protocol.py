"""Dynamixel protocol 2.0: framing, CRC-16, byte stuffing, dispatch.

Instruction: ``FF FF FD 00 ID LEN_L LEN_H INST PARAMS... CRC_L CRC_H``; status: the same with
``INST = 0x55`` followed by the error byte. ``LEN`` counts the (stuffed) bytes after it, CRC
included. Stuffing inserts ``FD`` after any ``FF FF FD`` inside instruction/parameters so the header
never appears in a packet body. Multi-byte parameters are little-endian.
"""

from __future__ import annotations

from typing import Sequence

from .servo import SimulatedServo
from .wire import BROADCAST_ID, Instruction, Reply, servos_with_id

PING, READ, WRITE, REG_WRITE, ACTION = 0x01, 0x02, 0x03, 0x04, 0x05
SYNC_READ, SYNC_WRITE = 0x82, 0x83
STATUS = 0x55
ERR_INSTRUCTION = 0x02
HEADER = b"\xff\xff\xfd\x00"
_SEQUENCE = b"\xff\xff\xfd"


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16 (polynomial 0x8005, initial 0, unreflected), as the SDK's updateCRC computes it."""
    crc = 0
    for byte in data:
        crc = ((crc << 8) ^ _CRC_TABLE[((crc >> 8) ^ byte) & 0xFF]) & 0xFFFF
    return crc


def stuff(body: bytes) -> bytes:
    return body.replace(_SEQUENCE, _SEQUENCE + b"\xfd")


def unstuff(body: bytes) -> bytes:
    return body.replace(_SEQUENCE + b"\xfd", _SEQUENCE)


def _word(data: bytes, offset: int) -> int:
    return data[offset] | data[offset + 1] << 8


class DynamixelProtocol:
    """Parses an instruction byte stream and answers it for a set of servos."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def reset(self) -> None:
        """Forget a half-received packet (the line went idle)."""
        self._buffer.clear()

    def feed(self, data: bytes) -> list[Instruction]:
        buf = self._buffer
        buf.extend(data)
        out: list[Instruction] = []
        while True:
            start = buf.find(HEADER)
            if start < 0:
                del buf[:max(0, len(buf) - 3)]
                return out
            del buf[:start]
            if len(buf) < 7:
                return out
            servo_id, length = buf[4], _word(buf, 5)
            if servo_id == 0xFF or length < 3:
                del buf[0]
                continue
            total = length + 7
            if len(buf) < total:
                return out
            packet = bytes(buf[:total])
            if crc16(packet[:-2]) != _word(packet, total - 2):
                del buf[0]
                continue
            del buf[:total]
            body = unstuff(packet[7:-2])
            out.append(Instruction(servo_id, body[0], body[1:], total))

    def status_packet(self, reply: Reply, corrupt: bool = False) -> bytes:
        body = stuff(bytes([STATUS, reply.error]) + reply.params)
        length = len(body) + 2
        packet = HEADER + bytes([reply.id, length & 0xFF, length >> 8]) + body
        crc = crc16(packet) ^ (0x5A5A if corrupt else 0)
        return packet + bytes([crc & 0xFF, crc >> 8])

    def respond(self, ins: Instruction, servos: Sequence[SimulatedServo]) -> list[Reply]:
        """Execute ``ins`` on the servos it addresses; return the status packets they send."""
        broadcast = ins.id == BROADCAST_ID
        p = ins.params
        if ins.code == SYNC_WRITE and len(p) >= 4:
            self._sync_write(_word(p, 0), _word(p, 2), p[4:], servos)
            return []
        if ins.code == SYNC_READ and len(p) >= 4:
            return self._sync_read(_word(p, 0), _word(p, 2), p[4:], servos)
        replies: list[Reply] = []
        for servo in servos_with_id(servos, ins.id):
            reply = self._execute(ins, servo)
            if reply is not None and (not broadcast or ins.code == PING):
                replies.append(reply)
        return replies

    @staticmethod
    def _execute(ins: Instruction, servo: SimulatedServo) -> Reply | None:
        p = ins.params
        if ins.code == PING:
            firmware = servo.memory.raw("Firmware_Version")
            params = bytes([servo.model.model_number & 0xFF, servo.model.model_number >> 8, firmware])
            return Reply(servo, servo.id, servo.status_error(), params)
        if ins.code == READ and len(p) == 4:
            error, data = servo.read_bytes(_word(p, 0), _word(p, 2))
            return Reply(servo, ins.id, servo.status_error(error), data) if servo.replies_to("read") else None
        if ins.code in (WRITE, REG_WRITE) and len(p) >= 2:
            error = (servo.write_bytes if ins.code == WRITE else servo.reg_write)(_word(p, 0), p[2:])
            return Reply(servo, ins.id, servo.status_error(error)) if servo.replies_to("write") else None
        if ins.code == ACTION:
            servo.action()
            return None  # the SDK does not wait for a status after ACTION
        return Reply(servo, ins.id, servo.status_error(ERR_INSTRUCTION))

    @staticmethod
    def _sync_write(address: int, length: int, blocks: bytes, servos: Sequence[SimulatedServo]) -> None:
        for i in range(0, len(blocks) - length, length + 1):
            for servo in servos_with_id(servos, blocks[i]):
                servo.write_bytes(address, blocks[i + 1:i + 1 + length])

    @staticmethod
    def _sync_read(address: int, length: int, ids: bytes, servos: Sequence[SimulatedServo]) -> list[Reply]:
        replies = []
        for servo_id in ids:
            for servo in servos_with_id(servos, servo_id):
                error, data = servo.read_bytes(address, length)
                replies.append(Reply(servo, servo_id, servo.status_error(error), data))
        return replies
