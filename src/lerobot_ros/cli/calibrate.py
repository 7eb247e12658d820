"""Calibrate a robot arm and write a LeRobot-compatible calibration file.

Interactive as LeRobot's lerobot-calibrate: move the arm to the middle of its range and press ENTER,
then move every joint through its whole range while a live MIN/POS/MAX table runs, and press ENTER
again. The file goes to $HF_LEROBOT_CALIBRATION/{robots|teleoperators}/<name>/<id>.json (or to
--calibration-dir/<id>.json), where LeRobot looks for it. Factory-calibrated types (omx_follower)
need no interaction. --port sim://<robot_type> calibrates a simulated arm.

examples:
  lerobot-ros calibrate --robot-type so101_follower --port /dev/ttyACM0 --id my_arm
  lerobot-ros calibrate --robot-type koch_leader --port /dev/ttyUSB0 --id left --calibration-dir ./cal
"""

from __future__ import annotations

import argparse
import queue
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, TextIO

NAME = "calibrate"
HELP = "calibrate a robot and write its LeRobot calibration file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..robots.tables import ROBOT_TYPES

    parser.add_argument("--robot-type", required=True, choices=sorted(ROBOT_TYPES), metavar="TYPE",
                        help=f"robot or teleoperator type: {', '.join(sorted(ROBOT_TYPES))}")
    parser.add_argument("--port", required=True, help="serial port (/dev/ttyACM0), or sim / sim://<robot_type>")
    parser.add_argument("--id", required=True, help="the device id: names the file <id>.json")
    parser.add_argument("--calibration-dir", type=Path, default=None,
                        help="folder of the file (default: LeRobot's folder for this robot type)")


class Keyboard:
    """ENTER presses from a text stream, readable without blocking (a thread reads the lines).

    A closed stream is an error rather than an endless wait: calibration needs a person at a terminal
    (or a test feeding lines).
    """

    _EOF = object()

    def __init__(self, stream: TextIO):
        self._lines: queue.Queue = queue.Queue()
        self._echo = not stream.isatty()  # a terminal echoes ENTER itself; a pipe does not
        threading.Thread(target=self._read, args=(stream,), daemon=True, name="calibrate-stdin").start()

    def _read(self, stream: TextIO) -> None:
        for line in stream:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(self._EOF)

    def _take(self, line) -> str:
        if line is self._EOF:
            raise EOFError("standard input closed before ENTER was pressed; run calibrate in a terminal")
        return line

    def input(self, prompt: str) -> str:
        """Like builtin input(): show ``prompt``, wait for a line."""
        print(prompt, end="", flush=True)
        line = self._take(self._lines.get())
        if self._echo:
            print(flush=True)
        return line

    def pressed(self) -> bool:
        """Whether a line (ENTER) has arrived since the last call; consumes it."""
        try:
            line = self._lines.get_nowait()
        except queue.Empty:
            return False
        self._take(line)
        return True


class RangeTable:
    """The live NAME | MIN | POS | MAX table, redrawn in place on a terminal, at most 10 times a second."""

    def __init__(self, out: TextIO, names: list[str]):
        self._out = out
        self._names = names
        self._tty = out.isatty()
        self._drawn = False
        self._last = 0.0
        self._rows: tuple[dict, dict, dict] | None = None

    def update(self, positions: dict[str, int], mins: dict[str, int], maxes: dict[str, int]) -> None:
        self._rows = (positions, mins, maxes)
        now = time.monotonic()
        if self._tty and now - self._last >= 0.1:
            self._last = now
            self.draw()

    def finish(self) -> None:
        """Print the final table below whatever is on screen (the ENTER that stopped it moved the cursor)."""
        self._drawn = False
        self.draw()

    def draw(self) -> None:
        if self._rows is None:
            return
        positions, mins, maxes = self._rows
        lines = [f"{'NAME':<16} | {'MIN':>6} | {'POS':>6} | {'MAX':>6}", "-" * 45]
        lines += [f"{n:<16} | {mins[n]:>6} | {positions[n]:>6} | {maxes[n]:>6}" for n in self._names if n in positions]
        if self._drawn and self._tty:
            self._out.write(f"\x1b[{len(lines)}A")
        self._out.write("\n".join(f"{line}\x1b[K" if self._tty else line for line in lines) + "\n")
        self._out.flush()
        self._drawn = True


@contextmanager
def _serial_port(port: str, robot_name: str) -> Iterator[str]:
    """The device path to open: ``port`` itself, or the pty of a simulated bus for ``sim`` ports."""
    from ..robots.ports import is_sim_port, open_sim_port

    if not is_sim_port(port):
        yield port
        return
    sim = open_sim_port(port, robot_name)
    try:
        yield sim.port
    finally:
        sim.stop()


def run(args: argparse.Namespace) -> int:
    from ..robots.ports import robot_bus
    from ..motors.calibration import (calibrate, calibration_dir, calibration_path, check_calibration_covers,
                                      load_calibration, save_calibration, write_calibration)
    from ..motors.errors import BusError
    from ..robots.tables import robot_type

    robot = robot_type(args.robot_type)
    path = calibration_path(robot, args.id, args.calibration_dir or calibration_dir(robot))
    keyboard = Keyboard(sys.stdin)
    table = RangeTable(sys.stdout, [m.name for m in robot.motors])
    try:
        with _serial_port(args.port, robot.name) as device:
            bus = robot_bus(device, robot)
            bus.connect()
            try:
                if path.exists() and not robot.factory_calibration:
                    answer = keyboard.input(f"Press ENTER to use the calibration file {path}, or type 'c' and "
                                            f"press ENTER to run calibration: ")
                    if answer.strip().lower() != "c":
                        existing = load_calibration(path)
                        check_calibration_covers(existing, robot, path)
                        write_calibration(bus, existing)
                        _say(f"Wrote the calibration of {path} to the motors.")
                        return 0
                _say(f"Running calibration of {robot.name} ({args.id}) on {args.port}")
                bus.configure_motors()  # as LeRobot's connect() does before calibrating (STS3215: no negative positions)
                result = calibrate(bus, robot, wait_for_user=keyboard.input, should_stop=keyboard.pressed,
                                   on_update=table.update, announce=_say, period_s=0.02)
                table.finish()
            finally:
                bus.disconnect(disable_torque=False)  # calibration leaves torque off already
    except (BusError, ValueError, EOFError) as exc:
        print(f"calibration failed: {exc}", file=sys.stderr)
        return 1
    save_calibration(path, result)
    _say(f"Calibration saved to {path}")
    return 0


def _say(message: str) -> None:
    """Print at once: a person or a program may be waiting for the line before answering."""
    print(message, flush=True)
