"""A servo bus over raw register values: connect, read, write, sync read/write, torque, setup.

The bus speaks integers exactly as the control table defines them (signed fields decoded through
:mod:`encoding`); normalization to degrees or percent is the robot's job (:mod:`normalization`).
Vendor subclasses (:mod:`feetech`, :mod:`dynamixel`) supply only the packet-level primitives; the
retry, error and diagnostics policy lives here so both vendors behave the same
(see :mod:`errors` for that policy).

Thread-safety: every transaction (and every multi-register operation such as enabling torque on a
Feetech servo, which writes Torque_Enable and Lock) runs under one re-entrant lock, so a ROS node
may sync-read at 100 Hz on one thread while command callbacks write on others.
"""

from __future__ import annotations

import select
import termios
import threading
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import Enum
from typing import Callable, ClassVar, Iterator, Mapping, Sequence

from .encoding import decode, encode
from .errors import (
    BusError,
    CorruptPacketError,
    ModelMismatchError,
    NoResponseError,
    NotConnectedError,
    PortOpenError,
    ServoStatusError,
)
from .model import MotorModel, Register, Vendor
from .tables import MODELS, motor_model

DEFAULT_BAUDRATE = 1_000_000
DEFAULT_TIMEOUT_MS = 50.0  # reply window after the request has left the wire (LeRobot's patched Feetech value)
DEFAULT_RETRIES = 2  # LeRobot's num_read_retries


@dataclass(frozen=True)
class BusMotor:
    """A servo on the bus: its id and model name (a key of :data:`tables.MODELS`)."""

    id: int
    model: str

    @property
    def spec(self) -> MotorModel:
        return motor_model(self.model)


class Comm(Enum):
    """Outcome of one packet exchange, whatever the SDK's own result codes."""

    OK = "ok"
    TIMEOUT = "timeout"
    CORRUPT = "corrupt"
    TX_FAIL = "tx_fail"


@dataclass(frozen=True)
class Reply:
    """One status packet: how the exchange went, the parameter bytes and the servo's error byte."""

    comm: Comm
    data: tuple[int, ...] = ()
    error: int = 0


@dataclass(frozen=True)
class StatusDecoding:
    """An error byte decoded: hardware conditions (data still valid) and an instruction rejection."""

    conditions: tuple[str, ...] = ()
    rejected: str | None = None  # set when the servo refused the instruction


@dataclass
class MotorDiagnostics:
    """Per-motor communication health, counted since connect (or :meth:`MotorsBus.reset_diagnostics`).

    ``timeouts`` and ``corrupt_packets`` count failed attempts (a retried-then-good read counts one);
    ``status_errors`` counts replies carrying error bits; ``last_status`` holds the conditions of the
    latest reply (empty when healthy) and ``last_error`` the text of the latest problem of any kind.
    """

    timeouts: int = 0
    corrupt_packets: int = 0
    status_errors: int = 0
    last_status: tuple[str, ...] = ()
    last_status_byte: int = 0
    last_error: str | None = None


MotorSelection = str | Sequence[str] | None


class MotorsBus(ABC):
    """A serial bus of servos of one vendor, addressed by motor name and register name."""

    vendor: ClassVar[Vendor]
    #: register whose bits report hardware alarms, and the names of those bits
    hardware_error_register: ClassVar[str]
    hardware_error_bits: ClassVar[Mapping[int, str]]

    def __init__(
        self,
        port: str,
        motors: Mapping[str, BusMotor],
        baudrate: int = DEFAULT_BAUDRATE,
        timeout_ms: float = DEFAULT_TIMEOUT_MS,
        retries: int = DEFAULT_RETRIES,
    ):
        if not motors:
            raise ValueError("a bus needs at least one motor")
        ids = [m.id for m in motors.values()]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate servo ids in the motor table: {sorted(ids)}")
        for name, m in motors.items():
            if m.spec.vendor is not self.vendor:
                raise ValueError(f"motor {name!r} is a {m.model} ({m.spec.vendor.value}); a {type(self).__name__} "
                                 f"drives {self.vendor.value} servos only")
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.port = port
        self.motors: dict[str, BusMotor] = dict(motors)
        self.baudrate = baudrate
        self.timeout_ms = float(timeout_ms)
        self.retries = retries
        self._lock = threading.RLock()
        self._port_handler = None  # the SDK's PortHandler while connected
        self._by_id = {m.id: name for name, m in self.motors.items()}
        self._diagnostics: dict[str, MotorDiagnostics] = {name: MotorDiagnostics() for name in self.motors}

    # -- vendor primitives: one attempt each, called with the lock held and the port open ----------

    @abstractmethod
    def _open_port_handler(self):
        """Create the SDK PortHandler (reply timeout ``timeout_ms``) and PacketHandler for this bus."""

    @abstractmethod
    def _ping_once(self, id_: int) -> tuple[Reply, int]:
        """Ping ``id_``; return the reply and the model number it reports."""

    @abstractmethod
    def _read_once(self, id_: int, address: int, size: int) -> Reply: ...

    @abstractmethod
    def _write_once(self, id_: int, address: int, size: int, data: list[int]) -> Reply: ...

    @abstractmethod
    def _sync_read_once(self, address: int, size: int, ids: Sequence[int]) -> dict[int, Reply]:
        """Read ``ids``; replies in order, stopping after the first failed one."""

    @abstractmethod
    def _sync_write_once(self, address: int, size: int, data: Mapping[int, list[int]]) -> Comm: ...

    @abstractmethod
    def _broadcast_ping_once(self) -> tuple[Comm, dict[int, int]]: ...

    @abstractmethod
    def _to_bytes(self, value: int, size: int) -> list[int]: ...

    @abstractmethod
    def _from_bytes(self, data: Sequence[int]) -> int: ...

    @abstractmethod
    def _decode_status(self, error: int) -> StatusDecoding: ...

    @abstractmethod
    def _torque_writes(self, enable: bool) -> list[tuple[str, int]]:
        """The (register, value) writes that enable or disable torque on one servo."""

    @abstractmethod
    def _configure_motor(self, name: str) -> None:
        """Write the vendor's LeRobot configuration to one servo (torque already off)."""

    @property
    def supports_sync_read(self) -> bool:
        return True

    @property
    def supports_broadcast_ping(self) -> bool:
        return True

    # -- connection -------------------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        return self._port_handler is not None

    def connect(self, handshake: bool = True) -> None:
        """Open the port at ``baudrate``; with ``handshake``, check every servo answers with its model."""
        with self._lock:
            if self.is_connected:
                raise BusError(self.port, "already connected; call disconnect() first")
            self._port_handler = self._open_port_handler()
            try:
                self._set_port_baudrate(self.baudrate)
                if handshake:
                    self._handshake()
            except BaseException:
                self._close_port()
                raise

    def disconnect(self, disable_torque: bool) -> None:
        """Optionally turn torque off on every servo, then close the port (closed even if that fails)."""
        with self._lock:
            self._require_connection()
            try:
                if disable_torque:
                    self.disable_torque()
            finally:
                self._close_port()

    def _close_port(self) -> None:
        handler, self._port_handler = self._port_handler, None
        if handler is not None and handler.is_open:
            handler.closePort()

    def _set_port_baudrate(self, baudrate: int) -> None:
        try:
            ok = self._port_handler.setBaudRate(baudrate)
        except OSError as exc:
            raise PortOpenError(self.port, f"cannot open the serial port ({exc}); check the cable, the device "
                                f"path and that you may use it (dialout group)") from exc
        if not ok:
            raise PortOpenError(self.port, f"the serial driver refused {baudrate} baud; use a rate the servos "
                                f"support ({', '.join(map(str, sorted(self._any_model().baudrates)))})")

    def _handshake(self) -> None:
        missing: list[tuple[int, str]] = []
        for name, m in self.motors.items():
            number = self._ping_id(m.id, name)
            if number is None:
                missing.append((m.id, m.model))
            elif number != m.spec.model_number:
                found = next((x.name for x in _models_of(self.vendor) if x.model_number == number), "an unknown model")
                raise ModelMismatchError(
                    self.port, f"servo id {m.id} ({name}) is {found} (model number {number}), expected {m.model} "
                    f"({m.spec.model_number}); fix the robot type or give this servo another id", motor=name, ids=[m.id])
        if missing:
            what = ", ".join(f"{i} (expected {model})" for i, model in missing)
            plural = "s" if len(missing) > 1 else ""
            raise NoResponseError(
                self.port, f"no servo answered at id{plural} {what}; check power and the id table "
                f"(ids are set with `setup_motor`)", ids=[i for i, _ in missing])

    def _require_connection(self) -> None:
        if self._port_handler is None:
            raise NotConnectedError(self.port)

    # -- transactions -----------------------------------------------------------------------------

    def _label(self, id_: int) -> str:
        return self._by_id.get(id_, f"id{id_}")

    def _diag(self, label: str) -> MotorDiagnostics:
        return self._diagnostics.setdefault(label, MotorDiagnostics())

    def _count_failure(self, label: str, comm: Comm, what: str) -> None:
        diag = self._diag(label)
        if comm is Comm.TIMEOUT:
            diag.timeouts += 1
            text = f"no reply from {label} to {what}"
        elif comm is Comm.CORRUPT:
            diag.corrupt_packets += 1
            text = f"corrupt reply from {label} to {what}"
        else:
            text = f"could not send {what} to {label}"
        diag.last_error = text

    def _comm_error(self, comm: Comm, label: str, id_: int, what: str) -> BusError:
        attempts = f"{self.retries + 1} attempt{'s' if self.retries else ''}"
        if comm is Comm.TIMEOUT:
            return NoResponseError(self.port, f"no reply from servo id {id_} ({label}) to {what} after {attempts}; "
                                   f"check power, wiring and the baud rate", motor=label, ids=[id_])
        if comm is Comm.CORRUPT:
            return CorruptPacketError(self.port, f"corrupt reply from servo id {id_} ({label}) to {what} after "
                                      f"{attempts}; check the cable, grounding and that only one program uses the "
                                      f"port", motor=label, ids=[id_])
        return BusError(self.port, f"could not write {what} for servo id {id_} to the port; is the adapter still "
                        f"plugged in?", motor=label, ids=[id_])

    def _record_status(self, label: str, id_: int, error: int, what: str) -> None:
        """Keep the error byte of a good reply; raise only when the servo rejected the instruction."""
        diag = self._diag(label)
        status = self._decode_status(error)
        diag.last_status_byte = error
        diag.last_status = status.conditions
        if error:
            diag.status_errors += 1
            diag.last_error = f"{label} reported {', '.join(status.conditions + ((status.rejected,) if status.rejected else ()))}"
        if status.rejected:
            raise ServoStatusError(self.port, f"servo id {id_} ({label}) rejected {what}: {status.rejected}"
                                   f"{_rejection_hint(status.rejected)}", {label: (status.rejected,)}, ids=[id_])

    def _attempts(self, run: Callable[[], Reply], id_: int, what: str) -> Reply:
        """Run one exchange with retries; count every failure; raise the last one when attempts run out."""
        self._require_connection()
        label = self._label(id_)
        reply = Reply(Comm.TX_FAIL)
        for _ in range(1 + self.retries):
            reply = self._exchange(run)
            if reply.comm is Comm.OK:
                return reply
            self._count_failure(label, reply.comm, what)
        raise self._comm_error(reply.comm, label, id_, what)

    def _exchange(self, run: Callable):
        """One attempt on a clean line: stale bytes (late replies to an earlier attempt) are dropped first."""
        try:
            self._port_handler.ser.reset_input_buffer()
            return run()
        except (OSError, termios.error) as exc:  # pyserial flushes through termios
            raise BusError(self.port, f"serial I/O failed ({exc}); check the USB cable and that no other program "
                           f"holds the port") from exc

    def _ping_id(self, id_: int, label: str | None = None) -> int | None:
        label = label or self._label(id_)
        reply, number = Reply(Comm.TX_FAIL), 0
        for _ in range(1 + self.retries):
            reply, number = self._exchange(lambda: self._ping_once(id_))
            if reply.comm is Comm.OK:
                self._record_status(label, id_, reply.error, "ping")
                return number
            self._count_failure(label, reply.comm, "ping")
        if reply.comm is Comm.TIMEOUT:
            return None
        raise self._comm_error(reply.comm, label, id_, "ping")

    def _read_id(self, id_: int, model: MotorModel, register: str) -> int:
        reg = model.register(register)
        what = f"read of {register}"
        with self._lock:
            reply = self._attempts(lambda: self._read_once(id_, reg.address, reg.size), id_, what)
            self._record_status(self._label(id_), id_, reply.error, what)
        return decode(reg, self._from_bytes(reply.data))

    def _write_id(self, id_: int, model: MotorModel, register: str, value: int) -> None:
        reg = model.register(register)
        if not reg.writable:
            raise ValueError(f"{register} is read-only on {model.name}")
        data = self._to_bytes(encode(reg, value), reg.size)
        what = f"write of {register}={value}"
        with self._lock:
            reply = self._attempts(lambda: self._write_once(id_, reg.address, reg.size, data), id_, what)
            self._record_status(self._label(id_), id_, reply.error, what)

    # -- public register access -------------------------------------------------------------------

    def ping(self, id_: int) -> int | None:
        """The model number of the servo at ``id_``, or None when nothing answers (after retries)."""
        with self._lock:
            self._require_connection()
            return self._ping_id(id_)

    def broadcast_ping(self) -> dict[int, int]:
        """Every servo on the line at the current baud rate: id -> model number."""
        if not self.supports_broadcast_ping:
            raise NotImplementedError(f"{type(self).__name__} on protocol {self._any_model().protocol} has no "
                                      f"broadcast ping; ping ids one by one")
        with self._lock:
            self._require_connection()
            comm, found = Comm.TX_FAIL, {}
            for _ in range(1 + self.retries):
                comm, found = self._exchange(self._broadcast_ping_once)
                if comm in (Comm.OK, Comm.TIMEOUT):  # silence is an answer: nobody there
                    return found
            raise BusError(self.port, f"broadcast ping failed ({comm.value}); check the cable")

    def read(self, register: str, motor: str) -> int:
        """One register of one motor, decoded (signed where the table says so)."""
        m = self._motor(motor)
        return self._read_id(m.id, m.spec, register)

    def write(self, register: str, motor: str, value: int) -> None:
        """Write one register of one motor and wait for its acknowledgement."""
        m = self._motor(motor)
        self._write_id(m.id, m.spec, register, value)

    def sync_read(self, register: str, motors: MotorSelection = None) -> dict[str, int]:
        """One register of several motors in one exchange (per-motor reads where the protocol lacks it).

        Hardware alarm bits in the replies do not prevent returning the values: they are recorded in
        :meth:`diagnostics` (``last_status``).
        """
        names = self._names(motors)
        if not self.supports_sync_read:
            return {name: self.read(register, name) for name in names}
        values: dict[str, int] = {}
        with self._lock:
            for (address, size), group in self._group_by_register(register, names).items():
                ids = [self.motors[n].id for n in group]
                replies = self._sync_attempts(address, size, ids, f"sync read of {register}")
                for name, id_ in zip(group, ids):
                    self._record_status(name, id_, replies[id_].error, f"sync read of {register}")
                    reg = self.motors[name].spec.register(register)
                    values[name] = decode(reg, self._from_bytes(replies[id_].data))
        return {name: values[name] for name in names}

    def _sync_attempts(self, address: int, size: int, ids: list[int], what: str) -> dict[int, Reply]:
        self._require_connection()
        replies: dict[int, Reply] = {}
        failed = ids[0]
        for _ in range(1 + self.retries):
            replies = self._exchange(lambda: self._sync_read_once(address, size, ids))
            bad = next((i for i in ids if i not in replies or replies[i].comm is not Comm.OK), None)
            if bad is None:
                return replies
            failed = bad
            self._count_failure(self._label(bad), replies[bad].comm if bad in replies else Comm.TIMEOUT, what)
        comm = replies[failed].comm if failed in replies else Comm.TIMEOUT
        raise self._comm_error(comm, self._label(failed), failed, what)

    def sync_write(self, register: str, values: Mapping[str, int]) -> None:
        """Write one register of several motors in one broadcast packet (no acknowledgement exists)."""
        names = list(values)
        with self._lock:
            self._require_connection()
            for (address, size), group in self._group_by_register(register, names, writing=True).items():
                data = {}
                for name in group:
                    reg = self.motors[name].spec.register(register)
                    data[self.motors[name].id] = self._to_bytes(encode(reg, values[name]), size)
                comm = Comm.TX_FAIL
                for _ in range(1 + self.retries):
                    comm = self._exchange(lambda: self._sync_write_once(address, size, data))
                    if comm is Comm.OK:
                        break
                else:
                    first = next(iter(data))
                    raise self._comm_error(comm, self._label(first), first, f"sync write of {register}")

    # -- torque, modes, configuration ---------------------------------------------------------------

    def enable_torque(self, motors: MotorSelection = None) -> None:
        """Torque on (and, on Feetech, the EEPROM Lock back on, as LeRobot does)."""
        self._set_torque(self._names(motors), True)

    def disable_torque(self, motors: MotorSelection = None) -> None:
        """Torque off (and, on Feetech, Lock off so EEPROM writes persist, as LeRobot does)."""
        self._set_torque(self._names(motors), False)

    def _set_torque(self, names: list[str], enable: bool) -> None:
        with self._lock:
            for name in names:
                for register, value in self._torque_writes(enable):
                    self.write(register, name, value)

    @contextmanager
    def torque_disabled(self, motors: MotorSelection = None) -> Iterator[None]:
        """Torque off for EEPROM writes; afterwards torque comes back on only where it was on before.

        The bus lock is not held for the body: other threads keep reading meanwhile.
        """
        names = self._names(motors)
        was_on = [n for n, v in self.sync_read("Torque_Enable", names).items() if v]
        self.disable_torque(names)
        try:
            yield
        finally:
            if was_on:
                self.enable_torque(was_on)

    def set_operating_mode(self, motor: str, mode: str) -> None:
        """Switch one motor's Operating_Mode by name ("position", "velocity", ...), torque off meanwhile."""
        model = self._motor(motor).spec
        code = model.mode_code(mode)
        if "Operating_Mode" not in model.registers:  # SCS servos only do position control
            return
        with self.torque_disabled([motor]):
            self.write("Operating_Mode", motor, code)

    def configure_motors(self) -> None:
        """LeRobot's one-time register setup (fast replies, full acceleration); torque off meanwhile."""
        with self._lock, self.torque_disabled():
            for name in self.motors:
                self._configure_motor(name)

    # -- ID and baud-rate assignment --------------------------------------------------------------

    def setup_motor(self, motor: str, target_id: int | None = None, target_baudrate: int | None = None) -> int:
        """Give the only servo on the line the id and baud rate of ``motor`` (defaults: its table id, the bus baud).

        Connect with ``connect(handshake=False)`` and plug in that one servo only. Every baud rate the
        model supports is scanned for it; returns the id it had.
        """
        m = self._motor(motor)
        model = m.spec
        target_id = m.id if target_id is None else target_id
        target_baudrate = self.baudrate if target_baudrate is None else target_baudrate
        code = model.baud_code(target_baudrate)
        with self._lock:
            self._require_connection()
            try:
                found_baud, found_id = self._find_single_motor(motor, model)
                self._set_port_baudrate(found_baud)
                for register, value in self._torque_writes(False):
                    self._write_id(found_id, model, register, value)
                if found_id != target_id:
                    self._write_id(found_id, model, "ID", target_id)
                self._write_id(target_id, model, "Baud_Rate", code)
                self._set_port_baudrate(target_baudrate)
                if self._ping_id(target_id, motor) != model.model_number:
                    raise NoResponseError(self.port, f"{motor}: the servo did not answer at id {target_id} and "
                                          f"{target_baudrate} baud after setup; power-cycle it and run setup again",
                                          motor=motor, ids=[target_id])
            finally:
                self._set_port_baudrate(self.baudrate)
        return found_id

    def _find_single_motor(self, motor: str, model: MotorModel) -> tuple[int, int]:
        bauds = [self.baudrate] + sorted((b for b in model.baudrates if b != self.baudrate), reverse=True)
        for baud in bauds:
            self._set_port_baudrate(baud)
            found = self._scan()
            if len(found) > 1:
                raise BusError(self.port, f"{len(found)} servos answer at {baud} baud (ids "
                               f"{', '.join(map(str, sorted(found)))}); connect only the {motor} servo for setup")
            if found:
                (found_id, number), = found.items()
                if number != model.model_number:
                    raise ModelMismatchError(self.port, f"the servo found at {baud} baud (id {found_id}) has model "
                                             f"number {number}, expected {model.name} ({model.model_number}); "
                                             f"connect the {motor} servo", motor=motor, ids=[found_id])
                return baud, found_id
        raise NoResponseError(self.port, f"no servo answered at any baud rate ({', '.join(map(str, bauds))}); "
                              f"check that the {motor} servo ({model.name}) is powered and connected", motor=motor)

    def _scan(self) -> dict[int, int]:
        if self.supports_broadcast_ping:
            return self.broadcast_ping()
        found = {}
        for id_ in range(0, 253):  # one quiet attempt per id: silence is the normal answer here
            reply, number = self._exchange(lambda: self._ping_once(id_))
            if reply.comm is Comm.OK:
                found[id_] = number
        return found

    # -- diagnostics ------------------------------------------------------------------------------

    def diagnostics(self) -> dict[str, MotorDiagnostics]:
        """A snapshot of the per-motor counters (keys: motor names, ``id<N>`` for servos not in the table)."""
        with self._lock:
            return {name: replace(d) for name, d in self._diagnostics.items()}

    def reset_diagnostics(self) -> None:
        with self._lock:
            self._diagnostics = {name: MotorDiagnostics() for name in self.motors}

    def read_hardware_errors(self, motors: MotorSelection = None) -> dict[str, tuple[str, ...]]:
        """The alarm conditions each servo holds now, read from its error register and decoded."""
        raw = self.sync_read(self.hardware_error_register, motors)
        return {name: decode_bits(value, self.hardware_error_bits) for name, value in raw.items()}

    def raise_for_status(self, motors: MotorSelection = None) -> None:
        """Raise :class:`ServoStatusError` if the latest reply of any of ``motors`` carried alarm bits."""
        with self._lock:
            bad = {n: self._diag(n).last_status for n in self._names(motors) if self._diag(n).last_status}
        if bad:
            text = "; ".join(f"{n} (id {self.motors[n].id}): {', '.join(c)}" for n, c in bad.items())
            raise ServoStatusError(self.port, f"servo alarms: {text}; let the servos cool down, check the supply "
                                   f"voltage and the load, then power-cycle them", bad,
                                   ids=[self.motors[n].id for n in bad])

    # -- helpers ----------------------------------------------------------------------------------

    def _motor(self, name: str) -> BusMotor:
        try:
            return self.motors[name]
        except KeyError:
            raise KeyError(f"no motor {name!r} on the bus at {self.port} (motors: {', '.join(self.motors)})") from None

    def _names(self, motors: MotorSelection) -> list[str]:
        if motors is None:
            return list(self.motors)
        names = [motors] if isinstance(motors, str) else list(motors)
        for n in names:
            self._motor(n)
        return names

    def _any_model(self) -> MotorModel:
        return next(iter(self.motors.values())).spec

    def _group_by_register(self, register: str, names: list[str], writing: bool = False) -> dict[tuple[int, int], list[str]]:
        """Motors sharing the register's address and size go in one packet (mixed models may differ)."""
        groups: dict[tuple[int, int], list[str]] = {}
        for name in names:
            model = self._motor(name).spec
            reg: Register = model.register(register)
            if writing and not reg.writable:
                raise ValueError(f"{register} is read-only on {model.name}")
            groups.setdefault((reg.address, reg.size), []).append(name)
        return groups


class PortTiming:
    """Mixin for the SDKs' PortHandler classes: our reply window, and waiting without spinning.

    ``setPacketTimeout``: the reply window is the request's wire time plus ``reply_timeout_ms`` (the
    SDKs' fixed window is too short for USB adapters with a 16 ms latency timer; LeRobot patches it too).
    ``readPort``: the SDKs poll a non-blocking port in a tight loop, which burns a core and, in-process,
    starves other Python threads of the GIL; here an empty port is waited on with select() for up to
    1 ms, which returns as soon as a byte arrives, so no latency is added.
    """

    reply_timeout_ms: float = DEFAULT_TIMEOUT_MS

    def setPacketTimeout(self, packet_length):  # noqa: N802 (SDK name)
        self.packet_start_time = self.getCurrentTime()
        self.packet_timeout = self.tx_time_per_byte * packet_length + self.reply_timeout_ms

    def readPort(self, length):  # noqa: N802 (SDK name)
        if not self.ser.in_waiting:
            select.select([self.ser.fileno()], [], [], 0.001)
        return self.ser.read(length)


def decode_bits(value: int, names: Mapping[int, str]) -> tuple[str, ...]:
    """The names of the set bits of ``value`` (unknown bits as ``bit N``)."""
    found = [name for bit, name in names.items() if value & bit]
    known = 0
    for bit in names:
        known |= bit
    found += [f"bit {i}" for i in range(8) if value & ~known & (1 << i)]
    return tuple(found)


def _rejection_hint(reason: str) -> str:
    if "access" in reason:
        return "; EEPROM registers accept writes only with torque off (use `with bus.torque_disabled():`)"
    if "range" in reason or "limit" in reason:
        return "; the value is outside what this register accepts"
    return ""


def _models_of(vendor: Vendor) -> list[MotorModel]:
    return [m for m in MODELS.values() if m.vendor is vendor]

