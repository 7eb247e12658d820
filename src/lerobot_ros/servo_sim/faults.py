"""Fault injection knobs, settable from a test thread while the simulator runs.

Each field is a plain attribute read once per packet by the simulator thread; assigning one is
atomic in CPython, so a test can flip faults at any moment without extra locking.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class ServoFaults:
    """Faults of one servo.

    ``no_reply``: the servo executes instructions but never answers (the SDK sees a timeout).
    ``corrupt_checksum``: answers carry a wrong checksum/CRC (the SDK sees a corrupt packet).
    ``error_bits``: hardware error bits. Feetech puts them in the status packet's error byte
    (overload 0x20, overheat 0x04, voltage 0x01; keep below 0x80, the SDK rejects larger bytes).
    Dynamixel shows them in Hardware_Error_Status and sets the alert bit 0x80 of every status.
    """

    no_reply: bool = False
    corrupt_checksum: bool = False
    error_bits: int = 0

    def clear(self) -> None:
        self.no_reply = False
        self.corrupt_checksum = False
        self.error_bits = 0


@dataclass
class BusFaults:
    """Faults of the whole line: a seeded random drop of individual status packets."""

    drop_probability: float = 0.0
    seed: int | None = None
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def reseed(self, seed: int | None) -> None:
        """Restart the drop sequence from ``seed`` (a test picks the exact packets to lose)."""
        self.seed = seed
        self._rng = random.Random(seed)

    def drop_now(self) -> bool:
        """Whether the next status packet is lost on the wire."""
        return self.drop_probability > 0 and self._rng.random() < self.drop_probability
