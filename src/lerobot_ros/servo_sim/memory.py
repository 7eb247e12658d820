"""A servo's control-table memory: raw bytes laid out as the model's register table says.

The protocol layer reads and writes byte ranges (that is all the wire carries); the servo's own logic
and the test API work with named registers and signed values. Both views share one ``bytearray`` so
a write of any width or alignment lands exactly where it would on hardware.
"""

from __future__ import annotations

from ..motors.encoding import decode, encode
from ..motors.model import MotorModel, Register

MEMORY_SIZE = 256  # bytes: covers every register of both vendors' tables used here


class RegisterMemory:
    """Byte memory of one servo plus named, encoded access to its registers.

    Multi-byte words are little-endian, except on Feetech protocol 1 (SCS) where the SDK sends each
    16-bit word high byte first (``SCS_END = 1``).
    """

    def __init__(self, model: MotorModel) -> None:
        self.model = model
        self.data = bytearray(MEMORY_SIZE)
        self._big_endian_words = model.protocol == 1

    def raw(self, name: str) -> int:
        reg = self.model.register(name)
        return self._unpack(self.data[reg.address:reg.address + reg.size])

    def set_raw(self, name: str, raw: int) -> None:
        reg = self.model.register(name)
        self.data[reg.address:reg.address + reg.size] = self._pack(raw, reg.size)

    def get(self, name: str) -> int:
        """Signed (decoded) value of a register."""
        return decode(self.model.register(name), self.raw(name))

    def set(self, name: str, value: int) -> None:
        """Store a signed value in a register, encoded as the model encodes it on the wire."""
        self.set_raw(name, encode(self.model.register(name), value))

    def get_or(self, name: str, default: int) -> int:
        """Value of a register that not every table has (SCS has no Homing_Offset, for example)."""
        return self.get(name) if name in self.model.registers else default

    def registers_touching(self, address: int, length: int) -> list[tuple[str, Register]]:
        """The registers overlapping the byte range ``[address, address + length)``."""
        end = address + length
        return [(n, r) for n, r in self.model.registers.items() if r.address < end and address < r.address + r.size]

    def _unpack(self, data: bytes | bytearray) -> int:
        if len(data) == 1:
            return data[0]
        words = [data[i:i + 2] for i in range(0, len(data), 2)]
        order = "big" if self._big_endian_words else "little"
        return sum(int.from_bytes(w, order) << (16 * i) for i, w in enumerate(words))

    def _pack(self, raw: int, size: int) -> bytes:
        if size == 1:
            return bytes([raw & 0xFF])
        order = "big" if self._big_endian_words else "little"
        return b"".join(((raw >> (16 * i)) & 0xFFFF).to_bytes(2, order) for i in range(size // 2))
