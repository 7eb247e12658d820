"""What a servo model is: its control table, encodings and register value tables.

A model is data. Vendor behaviour that differs between models (addresses, sizes, sign encodings,
baud-rate codes, operating modes) lives in :mod:`feetech_tables` and :mod:`dynamixel_tables`, and
both the bus drivers and the protocol simulators read it from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Mapping


class Vendor(str, Enum):
    FEETECH = "feetech"
    DYNAMIXEL = "dynamixel"


@dataclass(frozen=True)
class Register:
    """One control-table field.

    ``sign_bit`` marks a Feetech sign-magnitude field (the bit holding the sign); ``signed`` marks a
    Dynamixel two's-complement field. A field with neither is unsigned.
    """

    address: int
    size: int
    sign_bit: int | None = None
    signed: bool = False
    writable: bool = True
    eeprom: bool = False


def eeprom(address: int, size: int, **kw) -> Register:
    """A register in EEPROM (kept across power cycles; written only with torque off or unlocked)."""
    return Register(address, size, eeprom=True, **kw)


def status(address: int, size: int, **kw) -> Register:
    """A read-only status register."""
    return Register(address, size, writable=False, **kw)


@dataclass(frozen=True)
class MotorModel:
    """A servo model: identity, resolution and control table."""

    name: str
    vendor: Vendor
    model_number: int
    protocol: int  # Feetech: 0 (STS/SMS) or 1 (SCS); Dynamixel: 2
    resolution: int  # encoder ticks per turn
    registers: Mapping[str, Register]
    baudrates: Mapping[int, int]  # baud rate (bit/s) -> Baud_Rate register value
    operating_modes: Mapping[str, int]  # mode name -> Operating_Mode register value
    defaults: Mapping[str, int] = field(default_factory=dict)  # factory register values

    @property
    def max_position(self) -> int:
        return self.resolution - 1

    @property
    def homing_offset_sign(self) -> int:
        """How Homing_Offset enters the reported position.

        Feetech reports ``Present = Actual - Homing_Offset``; Dynamixel ``Present = Actual + Homing_Offset``.
        """
        return -1 if self.vendor is Vendor.FEETECH else 1

    def register(self, name: str) -> Register:
        try:
            return self.registers[name]
        except KeyError:
            raise KeyError(f"{self.name} has no register {name!r}") from None

    def baud_code(self, baudrate: int) -> int:
        try:
            return self.baudrates[baudrate]
        except KeyError:
            supported = ", ".join(str(b) for b in sorted(self.baudrates))
            raise ValueError(f"{self.name} does not support {baudrate} baud (supported: {supported})") from None

    def mode_code(self, mode: str) -> int:
        try:
            return self.operating_modes[mode]
        except KeyError:
            raise ValueError(f"{self.name} has no operating mode {mode!r} (has: {', '.join(self.operating_modes)})") from None
