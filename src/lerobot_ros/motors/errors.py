"""What can go wrong on a servo bus, as exceptions that name the port, the servo and the fix.

Policy (the bus follows it everywhere):

* No reply (:class:`NoResponseError`) or a damaged reply (:class:`CorruptPacketError`) is retried
  ``retries`` times, counted in the bus diagnostics at every failed attempt, and raised when the
  attempts are spent.
* A good reply that carries hardware alarm bits (overload, overheat, voltage...) still carries good
  data: reads return the values, the bits are recorded per motor (``MotorsBus.diagnostics()``,
  ``last_status``) and nothing is raised. ``MotorsBus.raise_for_status()`` turns them into a
  :class:`ServoStatusError` when a caller wants to stop on them.
* A reply saying the servo *rejected* the instruction (Dynamixel's instruction-error numbers: data
  range, access, ...) is raised at once as :class:`ServoStatusError`: the write did not happen.
"""

from __future__ import annotations

from typing import Iterable


class BusError(Exception):
    """A servo-bus failure. ``port`` and ``ids`` say where; the message says what to do about it."""

    def __init__(self, port: str, message: str, motor: str | None = None, ids: Iterable[int] = ()):
        self.port = port
        self.motor = motor
        self.ids = tuple(ids)
        super().__init__(f"port {port}: {message}")


class NotConnectedError(BusError):
    """A transaction was attempted on a bus that is not connected."""

    def __init__(self, port: str):
        super().__init__(port, "the bus is not connected; call connect() first")


class PortOpenError(BusError):
    """The serial port could not be opened or set to the requested baud rate."""


class NoResponseError(BusError):
    """No status packet arrived in time (after all retries)."""


class CorruptPacketError(BusError):
    """A status packet arrived damaged (bad checksum/CRC or truncated) on every attempt."""


class ModelMismatchError(BusError):
    """A servo answered at the expected id but reports another model number."""


class ServoStatusError(BusError):
    """A servo reported error bits: hardware alarms, or the rejection of an instruction.

    ``errors`` maps motor name -> decoded condition names (e.g. ``("overload", "overheat")``).
    """

    def __init__(self, port: str, message: str, errors: dict[str, tuple[str, ...]], ids: Iterable[int] = ()):
        self.errors = dict(errors)
        motor = next(iter(errors)) if len(errors) == 1 else None
        super().__init__(port, message, motor=motor, ids=ids)
