"""Keyboard teleop in a plain terminal (works over SSH, no X server): keys -> jogs, base drive, recording events.

A terminal reports key presses, never releases. A held key arrives as the terminal's auto-repeat
(after a delay of typically 250-600 ms, then 25-40 per second), so a key counts as held until
``key_timeout_s`` after its latest arrival: motion continues while repeats arrive and stops shortly
after the key is let go. With a timeout shorter than the terminal's repeat delay a held key moves,
pauses once, then moves smoothly; a single tap moves for ``key_timeout_s``.

The terminal is put in cbreak mode (no line buffering, no echo; Ctrl-C still sends SIGINT) and
restored by :meth:`TerminalKeyReader.close`, which the node calls on every way out.
"""

from __future__ import annotations

import errno
import os
import select
import sys
import termios
import tty
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from .base_drive import BaseDrive
from .jog import JogController
from ..recording_events import NEXT_EPISODE, RERECORD_EPISODE, STOP_RECORDING
from .output import TeleopOutput

ESC = 0x1B
# Final bytes of ESC [ x (CSI) and ESC O x (SS3, "application cursor" mode) arrow sequences.
ARROWS = {ord("A"): "up", ord("B"): "down", ord("C"): "right", ord("D"): "left"}


class KeyDecoder:
    """Bytes from a terminal -> key names: printable characters as themselves (lower case),
    ``up``/``down``/``right``/``left`` for arrows, ``esc`` for a lone Escape.

    A lone ESC byte is ambiguous until ``escape_timeout_s`` passes without the rest of a sequence.
    Other escape sequences (function keys, modified arrows) are consumed and dropped.
    """

    def __init__(self, escape_timeout_s: float = 0.05):
        self.escape_timeout_s = escape_timeout_s
        self._pending = bytearray()
        self._pending_since_s = 0.0

    def feed(self, data: bytes, now_s: float) -> list[str]:
        if data and not self._pending:
            self._pending_since_s = now_s
        self._pending += data
        keys: list[str] = []
        while self._pending:
            consumed, key = self._decode_one(self._pending)
            if consumed == 0:  # an incomplete escape sequence: wait for more bytes or the timeout
                break
            del self._pending[:consumed]
            self._pending_since_s = now_s
            if key is not None:
                keys.append(key)
        return keys + self.flush(now_s)

    def flush(self, now_s: float) -> list[str]:
        """A lone ESC that waited long enough is the Escape key."""
        if self._pending[:1] == bytes([ESC]) and now_s - self._pending_since_s >= self.escape_timeout_s:
            del self._pending[:1]
            return ["esc", *self.feed(b"", now_s)]
        return []

    @staticmethod
    def _decode_one(buf: bytearray) -> tuple[int, str | None]:
        """(bytes consumed, key or None); (0, None) when ``buf`` starts with an incomplete sequence."""
        if buf[0] != ESC:
            char = chr(buf[0])
            return 1, char.lower() if char.isprintable() else None
        if len(buf) < 2:
            return 0, None
        if buf[1] not in (ord("["), ord("O")):
            return 1, "esc"  # Escape followed by an ordinary key (or Alt+key): both count
        for end in range(2, len(buf)):
            if 0x40 <= buf[end] <= 0x7E:  # the final byte of a CSI/SS3 sequence
                return end + 1, ARROWS.get(buf[end]) if end == 2 else None
        return 0, None


class TerminalClosed(EOFError):
    """The terminal went away (SSH disconnected, pseudo-terminal closed)."""


class TerminalKeyReader:
    """Keys from a terminal: stdin by default, or a tty device path (e.g. ``/dev/pts/3``)."""

    def __init__(self, tty_path: str = "", escape_timeout_s: float = 0.05):
        self._own_fd = bool(tty_path)
        self.fd = os.open(tty_path, os.O_RDWR | os.O_NOCTTY) if tty_path else sys.stdin.fileno()
        self.name = tty_path or "stdin"
        if not os.isatty(self.fd):
            self._close_fd()
            raise ValueError(f"{self.name} is not a terminal: start keyboard_node from a terminal "
                             "(`ros2 run`, `ssh -t`), not from a launch file, or set its `tty` parameter")
        self._saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)  # keys one by one, no echo; ISIG stays on so Ctrl-C still stops the node
        self.decoder = KeyDecoder(escape_timeout_s)

    def read_keys(self, now_s: float, timeout_s: float = 0.0) -> list[str]:
        """Every key that arrived (waiting up to ``timeout_s`` for the first); raises TerminalClosed."""
        readable, _, _ = select.select([self.fd], [], [], timeout_s)
        if not readable:
            return self.decoder.flush(now_s)
        try:
            data = os.read(self.fd, 1024)
        except OSError as err:
            if err.errno == errno.EIO:  # the other side of a pseudo-terminal closed
                raise TerminalClosed(f"{self.name} closed") from None
            raise
        if not data:
            raise TerminalClosed(f"{self.name} reached end of file")
        return self.decoder.feed(data, now_s)

    def write(self, text: str) -> None:
        """Text for the person at the keyboard (the help line), on the terminal they type into."""
        os.write(self.fd if self._own_fd else sys.stdout.fileno(), text.encode())

    def close(self) -> None:
        """Give the terminal back as it was (echo, line editing)."""
        try:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
        except termios.error:  # the terminal is gone (closed pseudo-terminal): nothing left to restore
            pass
        finally:
            self._close_fd()

    def _close_fd(self) -> None:
        if self._own_fd:
            os.close(self.fd)


@dataclass(frozen=True)
class KeyMap:
    """Which key does what. Pairs are (plus, minus)."""

    joints: tuple[tuple[str, str], ...] = (("q", "a"), ("w", "s"), ("e", "d"), ("r", "f"), ("t", "g"), ("y", "h"))
    base: tuple[tuple[str, str], ...] = (("i", "k"), ("j", "l"), ("u", "o"))  # forward, left, turn left
    stop: tuple[str, ...] = (" ",)
    events: Mapping[str, str] = field(default_factory=lambda: {
        "right": NEXT_EPISODE, "n": NEXT_EPISODE,
        "left": RERECORD_EPISODE, "b": RERECORD_EPISODE,
        "esc": STOP_RECORDING, "x": STOP_RECORDING,
    })
    help: str = "?"

    def help_line(self, joint_names: Sequence[str], has_base: bool) -> str:
        parts = [f"{p}/{m} {name}" for (p, m), name in zip(self.joints, joint_names)]
        if has_base:
            (fwd, back), (left, right), (turn_l, turn_r) = self.base
            parts.append(f"{fwd}/{back} forward/back, {left}/{right} left/right, {turn_l}/{turn_r} turn left/right")
        parts.append("space stop")
        parts.append("right or n next episode, left or b re-record, Esc or x stop recording")
        parts.append(f"{self.help} this help")
        return "keys: " + "; ".join(parts)


class KeyboardTeleop:
    """Keys as they arrive -> jog commands, base velocities and recording events."""

    def __init__(self, keymap: KeyMap, jog: JogController | None, base: BaseDrive | None, key_timeout_s: float):
        if key_timeout_s <= 0:
            raise ValueError(f"key_timeout_s={key_timeout_s} must be positive")
        self.keymap, self.jog, self.base, self.key_timeout_s = keymap, jog, base, key_timeout_s
        self._last_seen_s: dict[str, float] = {}

    def update(self, keys: Sequence[str], present_rad: Mapping[str, float] | None, now_s: float,
               dt_s: float) -> TeleopOutput:
        events = []
        for key in keys:
            if key in self.keymap.stop:
                self._last_seen_s.clear()
                continue
            event = self.keymap.events.get(key)
            if event is not None and not self._held(key, now_s):  # a fresh press, not auto-repeat
                events.append(event)
            self._last_seen_s[key] = now_s
        jog = base = None
        if self.jog is not None:
            pairs = self.keymap.joints[:len(self.jog.joint_names)]
            inputs = self._inputs(pairs, now_s) + [0.0] * (len(self.jog.joint_names) - len(pairs))
            jog = self.jog.update(present_rad, inputs, any(inputs), dt_s)
        if self.base is not None:
            inputs = self._inputs(self.keymap.base, now_s)
            base = self.base.update(inputs, any(inputs))
        return TeleopOutput(jog=jog, base=base, events=tuple(events))

    def _held(self, key: str, now_s: float) -> bool:
        seen = self._last_seen_s.get(key)
        return seen is not None and now_s - seen <= self.key_timeout_s

    def _inputs(self, pairs: Sequence[tuple[str, str]], now_s: float) -> list[float]:
        return [float(self._held(plus, now_s)) - float(self._held(minus, now_s)) for plus, minus in pairs]
