"""Feetech wire protocol (SCS/STS "protocol 0" and "protocol 1"): framing, checksum, dispatch.

Instruction: ``FF FF ID LEN INST PARAMS... CHK``; status: ``FF FF ID LEN ERR PARAMS... CHK`` with
``LEN = len(params) + 2`` and ``CHK = ~(ID + LEN + INST/ERR + sum(params)) & 0xFF``. The byte order of
words inside the parameters is the servo memory's business (see :mod:`memory`), not the framing's.
Protocol 1 (SCS) servos have no SYNC_READ.
"""

from __future__ import annotations

from typing import Sequence

from .servo import SimulatedServo
from .wire import BROADCAST_ID, Instruction, Reply, servos_with_id

PING, READ, WRITE, REG_WRITE, ACTION = 0x01, 0x02, 0x03, 0x04, 0x05
SYNC_READ, SYNC_WRITE = 0x82, 0x83
HEADER = b"\xff\xff"


def checksum(body: bytes) -> int:
    return ~sum(body) & 0xFF


class FeetechProtocol:
    """Parses an instruction byte stream and answers it for a set of servos."""

    def __init__(self, protocol: int) -> None:
        self.protocol = protocol
        self._buffer = bytearray()

    def reset(self) -> None:
        """Forget a half-received packet (the line went idle, as a servo's receive timeout does)."""
        self._buffer.clear()

    def feed(self, data: bytes) -> list[Instruction]:
        buf = self._buffer
        buf.extend(data)
        out: list[Instruction] = []
        while True:
            start = buf.find(HEADER)
            if start < 0:
                del buf[:-1 if buf.endswith(b"\xff") else len(buf)]
                return out
            del buf[:start]
            if len(buf) < 4:
                return out
            servo_id, length = buf[2], buf[3]
            if servo_id == 0xFF or length < 2:
                del buf[0]
                continue
            total = length + 4
            if len(buf) < total:
                return out
            packet = bytes(buf[:total])
            if checksum(packet[2:-1]) != packet[-1]:
                del buf[0]  # a servo ignores a corrupt packet and looks for the next header
                continue
            del buf[:total]
            out.append(Instruction(servo_id, packet[4], packet[5:-1], total))

    def status_packet(self, reply: Reply, corrupt: bool = False) -> bytes:
        body = bytes([reply.id, len(reply.params) + 2, reply.error]) + reply.params
        chk = checksum(body) ^ (0x5A if corrupt else 0)
        return HEADER + body + bytes([chk])

    def respond(self, ins: Instruction, servos: Sequence[SimulatedServo]) -> list[Reply]:
        """Execute ``ins`` on the servos it addresses; return the status packets they send."""
        broadcast = ins.id == BROADCAST_ID
        p = ins.params
        if ins.code == SYNC_WRITE and len(p) >= 2:
            self._sync_write(p[0], p[1], p[2:], servos)
            return []
        if ins.code == SYNC_READ and len(p) >= 2:
            return self._sync_read(p[0], p[1], p[2:], servos) if self.protocol == 0 else []
        replies: list[Reply] = []
        for servo in servos_with_id(servos, ins.id):
            if ins.code == PING:
                replies.append(Reply(servo, servo.id, servo.status_error()))
            elif ins.code == READ and len(p) == 2 and not broadcast:
                _, data = servo.read_bytes(p[0], p[1])
                if servo.replies_to("read"):
                    replies.append(Reply(servo, ins.id, servo.status_error(), data))
            elif ins.code in (WRITE, REG_WRITE) and len(p) >= 2:
                (servo.write_bytes if ins.code == WRITE else servo.reg_write)(p[0], p[1:])
                if not broadcast and servo.replies_to("write"):
                    replies.append(Reply(servo, ins.id, servo.status_error()))
            elif ins.code == ACTION:
                servo.action()
                if not broadcast and servo.replies_to("write"):
                    replies.append(Reply(servo, ins.id, servo.status_error()))
        return replies

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
                _, data = servo.read_bytes(address, length)
                replies.append(Reply(servo, servo_id, servo.status_error(), data))
        return replies
