"""LeRobot-compatible calibration: the JSON files, half-turn homing, range recording, motor registers.

Files live where LeRobot keeps them, ``$HF_LEROBOT_CALIBRATION/{robots|teleoperators}/<name>/<id>.json``;
``HF_LEROBOT_CALIBRATION`` defaults to ``$HF_LEROBOT_HOME/calibration``, ``HF_LEROBOT_HOME`` to
``$HF_HOME/lerobot`` and ``HF_HOME`` to ``$XDG_CACHE_HOME/huggingface`` (``~/.cache/huggingface``),
as LeRobot and huggingface_hub derive them. A file holds one entry per motor with LeRobot's
fields (id, drive_mode, homing_offset, range_min, range_max), written with ``indent=4`` as draccus
does, so LeRobot and lerobot_ros read each other's files.

The procedure (:func:`calibrate`) takes its interaction as callables, so tests drive it directly
and the CLI drives it from a terminal.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Callable, Collection, Mapping, Sequence

from .bus import MotorsBus
from .model import Vendor
from .normalization import MotorCalibration

Calibration = dict[str, MotorCalibration]

# -- files ----------------------------------------------------------------------------------------


def calibration_root() -> Path:
    """LeRobot's calibration root, from the same environment variables in the same order."""
    explicit = os.getenv("HF_LEROBOT_CALIBRATION")
    if explicit:
        return Path(explicit).expanduser()
    lerobot_home = os.getenv("HF_LEROBOT_HOME")
    if not lerobot_home:
        hf_home = os.getenv("HF_HOME") or os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "huggingface")
        lerobot_home = os.path.join(os.path.expandvars(os.path.expanduser(hf_home)), "lerobot")
    return Path(lerobot_home).expanduser() / "calibration"


def calibration_dir(robot, root: Path | None = None) -> Path:
    """The folder of a robot type's files: ``<root>/{robots|teleoperators}/<calibration_name>``."""
    return (root or calibration_root()) / robot.calibration_kind / robot.calibration_name


def calibration_path(robot, device_id: str, directory: Path | None = None) -> Path:
    """``<id>.json`` in ``directory`` (LeRobot's ``calibration_dir``) or in the robot type's default folder."""
    return (directory or calibration_dir(robot)) / f"{device_id}.json"


def save_calibration(path: Path, calibration: Mapping[str, MotorCalibration]) -> Path:
    """Write the file as LeRobot does (draccus JSON, indent 4, fields in dataclass order)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        json.dump({name: asdict(cal) for name, cal in calibration.items()}, f, indent=4)
    return path


def load_calibration(path: Path) -> Calibration:
    """Read a LeRobot calibration file; an incomplete or mistyped entry is an error naming the motor."""
    path = Path(path)
    try:
        with open(path) as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"no calibration file at {path}; run `lerobot-ros calibrate` (or LeRobot's "
                                f"lerobot-calibrate) for this robot and id") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); recalibrate or fix the file") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected an object of motor entries, got {type(raw).__name__}")
    names = [f.name for f in fields(MotorCalibration)]
    out: Calibration = {}
    for motor, entry in raw.items():
        if not isinstance(entry, dict) or set(entry) != set(names):
            got = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
            raise ValueError(f"{path}: entry {motor!r} must have exactly the fields {names}, has {got}")
        if not all(isinstance(entry[n], int) and not isinstance(entry[n], bool) for n in names):
            raise ValueError(f"{path}: entry {motor!r} must hold integers, has {entry}")
        out[motor] = MotorCalibration(**{n: entry[n] for n in names})
    return out


def check_calibration_covers(calibration: Mapping[str, MotorCalibration], robot, path: Path | str = "") -> None:
    """Raise if the file's motors are not exactly the robot type's (a file of another robot type)."""
    expected, got = {m.name for m in robot.motors}, set(calibration)
    if expected != got:
        raise ValueError(f"calibration {path} does not match {robot.name}: missing {sorted(expected - got)}, "
                         f"unexpected {sorted(got - expected)}; recalibrate with --robot-type {robot.name}")


# -- motor registers ------------------------------------------------------------------------------


def _has_homing(bus: MotorsBus, motor: str) -> bool:
    return "Homing_Offset" in bus.motors[motor].spec.registers


def write_calibration(bus: MotorsBus, calibration: Mapping[str, MotorCalibration]) -> None:
    """Write the calibration into the servos (EEPROM: torque is off meanwhile).

    Feetech: Homing_Offset (protocol 0 only; SCS has no such register) and the position limits, as
    LeRobot. Dynamixel: Homing_Offset and the limits as LeRobot, plus Drive_Mode, which LeRobot
    writes during calibration and compares afterwards, so that applying a file alone reproduces it.
    """
    with bus.torque_disabled(list(calibration)):
        for motor, cal in calibration.items():
            if bus.vendor is Vendor.DYNAMIXEL:
                bus.write("Drive_Mode", motor, cal.drive_mode)
            if _has_homing(bus, motor):
                bus.write("Homing_Offset", motor, cal.homing_offset)
            bus.write("Min_Position_Limit", motor, cal.range_min)
            bus.write("Max_Position_Limit", motor, cal.range_max)


def read_calibration(bus: MotorsBus, motors: Sequence[str] | None = None) -> Calibration:
    """The calibration the servos hold now (Feetech reports drive_mode 0, as LeRobot)."""
    names = list(bus.motors) if motors is None else list(motors)
    homing = [n for n in names if _has_homing(bus, n)]
    offsets = bus.sync_read("Homing_Offset", homing) if homing else {}
    mins = bus.sync_read("Min_Position_Limit", names)
    maxes = bus.sync_read("Max_Position_Limit", names)
    drive = bus.sync_read("Drive_Mode", names) if bus.vendor is Vendor.DYNAMIXEL else dict.fromkeys(names, 0)
    return {n: MotorCalibration(id=bus.motors[n].id, drive_mode=drive[n], homing_offset=offsets.get(n, 0),
                                range_min=mins[n], range_max=maxes[n]) for n in names}


def calibration_matches(bus: MotorsBus, calibration: Mapping[str, MotorCalibration]) -> bool:
    """Whether the servos hold ``calibration``, compared as LeRobot does.

    Feetech: ranges and (protocol 0) homing offsets. Dynamixel: the whole entry, drive_mode and id included.
    """
    if set(calibration) != set(bus.motors):
        return False
    held = read_calibration(bus)
    if bus.vendor is Vendor.DYNAMIXEL:
        return held == dict(calibration)
    for name, cal in calibration.items():
        now = held[name]
        if (now.range_min, now.range_max) != (cal.range_min, cal.range_max):
            return False
        if _has_homing(bus, name) and now.homing_offset != cal.homing_offset:
            return False
    return True


# -- the procedure --------------------------------------------------------------------------------


def half_turn_homing(bus: MotorsBus, motors: Sequence[str]) -> dict[str, int]:
    """Make the present pose read the middle of the turn (``max_res // 2``, 2047 on 12-bit servos).

    Resets offsets to 0 and limits to 0..max_res, reads the pose, then writes the offset:
    Feetech reports ``Actual - Homing_Offset`` so ``offset = pos - 2047``; Dynamixel reports
    ``Actual + Homing_Offset`` so ``offset = 2047 - pos``. Servos without a Homing_Offset register
    (SCS) get offset 0: their range recording alone calibrates them. Torque must be off.
    """
    motors = list(motors)
    homed = [m for m in motors if _has_homing(bus, m)]
    for m in motors:
        if m in homed:
            bus.write("Homing_Offset", m, 0)
        bus.write("Min_Position_Limit", m, 0)
        bus.write("Max_Position_Limit", m, bus.motors[m].spec.max_position)
    offsets = dict.fromkeys(motors, 0)
    if homed:
        positions = bus.sync_read("Present_Position", homed)
        for m in homed:
            spec = bus.motors[m].spec
            middle = spec.max_position // 2
            offsets[m] = (positions[m] - middle) if spec.homing_offset_sign < 0 else (middle - positions[m])
            bus.write("Homing_Offset", m, offsets[m])
    return offsets


def record_ranges_of_motion(
    bus: MotorsBus,
    motors: Sequence[str],
    should_stop: Callable[[], bool],
    on_update: Callable[[dict[str, int], dict[str, int], dict[str, int]], None] | None = None,
    full_turn: Collection[str] = (),
    period_s: float = 0.0,
) -> tuple[dict[str, int], dict[str, int]]:
    """Stream Present_Position and keep each motor's min and max until ``should_stop()`` says so.

    ``on_update(positions, mins, maxes)`` sees every sample (the CLI draws its table with it).
    ``full_turn`` motors are not recorded: they get the whole turn, 0..max_res, as in LeRobot.
    Raises ValueError naming the motors that never moved.
    """
    recorded = [m for m in motors if m not in full_turn]
    mins: dict[str, int] = {}
    maxes: dict[str, int] = {}
    if recorded:
        start = bus.sync_read("Present_Position", recorded)
        mins, maxes = dict(start), dict(start)
        while True:
            positions = bus.sync_read("Present_Position", recorded)
            for m, p in positions.items():
                mins[m], maxes[m] = min(mins[m], p), max(maxes[m], p)
            if on_update is not None:
                on_update(positions, dict(mins), dict(maxes))
            if should_stop():
                break
            if period_s:
                time.sleep(period_s)
        still = [m for m in recorded if mins[m] == maxes[m]]
        if still:
            raise ValueError(f"motors {', '.join(still)} did not move while recording (min == max); move every "
                             f"joint through its whole range before stopping, then calibrate again")
    for m in motors:
        if m in full_turn:
            mins[m], maxes[m] = 0, bus.motors[m].spec.max_position
    return {m: mins[m] for m in motors}, {m: maxes[m] for m in motors}


def factory_calibration(robot) -> Calibration:
    """The fixed calibration of factory-calibrated types (OMX): offset 0, range 0..max_res."""
    from .tables import motor_model

    return {s.name: MotorCalibration(id=s.id, drive_mode=s.drive_mode, homing_offset=0, range_min=0,
                                     range_max=motor_model(s.model).max_position) for s in robot.motors}


MIDDLE_PROMPT = "Move {robot} to the middle of its range of motion and press ENTER...."
RANGE_PROMPT = ("Move all joints sequentially through their entire ranges of motion.\n"
                "Recording positions. Press ENTER to stop...")


def calibrate(
    bus: MotorsBus,
    robot,
    wait_for_user: Callable[[str], None],
    should_stop: Callable[[], bool],
    on_update: Callable[[dict[str, int], dict[str, int], dict[str, int]], None] | None = None,
    announce: Callable[[str], None] | None = None,
    period_s: float = 0.0,
) -> Calibration:
    """Calibrate a connected robot as LeRobot's ``calibrate()`` and write the result into its servos.

    ``wait_for_user(message)`` returns when the arm is in the middle pose; ``should_stop()`` ends the
    range recording, which ``announce(message)`` introduces. Factory-calibrated types skip all three.
    The caller saves the returned calibration.
    """
    if robot.factory_calibration:
        cal = factory_calibration(robot)
        write_calibration(bus, cal)
        return cal
    joints = [s.name for s in robot.joints]
    bus.disable_torque()
    calibration_mode = "extended_position" if bus.vendor is Vendor.DYNAMIXEL else "position"
    for spec in robot.joints:
        if bus.vendor is Vendor.DYNAMIXEL:
            bus.write("Drive_Mode", spec.name, spec.drive_mode)
        bus.set_operating_mode(spec.name, calibration_mode)
    wait_for_user(MIDDLE_PROMPT.format(robot=robot.name))
    offsets = half_turn_homing(bus, joints)
    offsets.update({s.name: 0 for s in robot.motors if s.is_wheel})
    full_turn = {s.name for s in robot.motors if s.full_turn or s.is_wheel}
    if announce is not None:
        announce(RANGE_PROMPT)
    mins, maxes = record_ranges_of_motion(bus, [s.name for s in robot.motors], should_stop, on_update,
                                          full_turn=full_turn, period_s=period_s)
    drive = {s.name: (s.drive_mode if bus.vendor is Vendor.DYNAMIXEL else 0) for s in robot.motors}
    cal = {s.name: MotorCalibration(id=s.id, drive_mode=drive[s.name], homing_offset=offsets[s.name],
                                    range_min=mins[s.name], range_max=maxes[s.name]) for s in robot.motors}
    write_calibration(bus, cal)
    return cal
