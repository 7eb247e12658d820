"""``lerobot-ros calibrate`` in a subprocess, answered through its stdin like a person at a terminal."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time

from lerobot_ros.cli.main import build_parser
from lerobot_ros.motors.calibration import save_calibration
from lerobot_ros.motors.normalization import MotorCalibration
from lerobot_ros.robots.ports import simulated_bus

FIELDS = ["id", "drive_mode", "homing_offset", "range_min", "range_max"]


def start(*args: str, stdin=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lerobot_ros.cli.main", "calibrate", *args], stdin=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def read_until(proc: subprocess.Popen, marker: str, timeout: float = 20.0) -> str:
    """Read the child's stdout until ``marker`` shows up (prompts end without a newline)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([proc.stdout], [], [], max(left, 0))
        chunk = os.read(proc.stdout.fileno(), 4096) if ready else b""
        if not chunk:
            proc.kill()
            raise AssertionError(f"no {marker!r} in output: {seen.decode()!r}; stderr: {proc.stderr.read().decode()}")
        seen += chunk
    return seen.decode()


def press_enter(proc: subprocess.Popen) -> None:
    proc.stdin.write(b"\n")
    proc.stdin.flush()


def test_interactive_calibration_writes_a_lerobot_file(tmp_path):
    with simulated_bus("so101_follower") as sim:
        start_pose = {s.id: round(s.actual_position) for s in sim.servos}
        proc = start("--robot-type", "so101_follower", "--port", sim.port, "--id", "my_arm",
                     "--calibration-dir", str(tmp_path))
        read_until(proc, "Move so101_follower to the middle of its range of motion and press ENTER....")
        press_enter(proc)
        read_until(proc, "Recording positions. Press ENTER to stop...")
        moves = {1: 500, 2: 400, 3: 300, 4: 200, 6: 600}
        for servo_id, ticks in moves.items():
            sim.servo(servo_id).move_by_hand(ticks)
        time.sleep(0.3)
        for servo_id, ticks in moves.items():
            sim.servo(servo_id).move_by_hand(-2 * ticks)
        time.sleep(0.3)
        press_enter(proc)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err.decode()
    path = tmp_path / "my_arm.json"
    assert f"Calibration saved to {path}" in out.decode()
    cal = json.loads(path.read_text())
    assert list(cal) == ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
    assert all(list(entry) == FIELDS for entry in cal.values())
    for name, servo_id in (("shoulder_pan", 1), ("elbow_flex", 3), ("gripper", 6)):
        assert cal[name] == {"id": servo_id, "drive_mode": 0, "homing_offset": start_pose[servo_id] - 2047,
                             "range_min": 2047 - moves[servo_id], "range_max": 2047 + moves[servo_id]}
    assert cal["wrist_roll"]["range_min"] == 0 and cal["wrist_roll"]["range_max"] == 4095


def test_sim_port_for_a_factory_calibrated_type_asks_nothing(tmp_path):
    proc = start("--robot-type", "omx_follower", "--port", "sim://omx_follower", "--id", "omx",
                 "--calibration-dir", str(tmp_path), stdin=subprocess.DEVNULL)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    cal = json.loads((tmp_path / "omx.json").read_text())
    assert cal == {name: {"id": i, "drive_mode": 0, "homing_offset": 0, "range_min": 0, "range_max": 4095}
                   for name, i in zip(["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll",
                                       "gripper"], range(11, 17))}


def test_default_location_is_lerobots(tmp_path):
    env = {**os.environ, "HF_LEROBOT_CALIBRATION": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "lerobot_ros.cli.main", "calibrate", "--robot-type", "omx_follower",
                           "--port", "sim", "--id", "arm"], env=env, capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr.decode()
    assert (tmp_path / "robots" / "omx_follower" / "arm.json").is_file()


def test_stopping_before_any_motion_fails_with_the_fix(tmp_path):
    proc = start("--robot-type", "so101_follower", "--port", "sim://so101_follower", "--id", "x",
                 "--calibration-dir", str(tmp_path))
    out, err = proc.communicate(b"\n\n", timeout=30)
    assert proc.returncode == 1
    assert "did not move while recording" in err.decode() and "move every joint" in err.decode()
    assert not (tmp_path / "x.json").exists()


def test_an_existing_file_can_be_written_to_the_motors(tmp_path):
    cal = {name: MotorCalibration(i, 0, 10 * i, 1000, 3000) for name, i in
           zip(["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"], range(1, 7))}
    path = save_calibration(tmp_path / "arm.json", cal)
    before = path.read_text()
    with simulated_bus("so101_follower") as sim:
        proc = start("--robot-type", "so101_follower", "--port", sim.port, "--id", "arm",
                     "--calibration-dir", str(tmp_path))
        out, err = proc.communicate(b"\n", timeout=30)
        assert proc.returncode == 0, err.decode()
        assert "Wrote the calibration of" in out.decode()
        assert [s.read_register("Homing_Offset") for s in sim.servos] == [10, 20, 30, 40, 50, 60]
        assert {s.read_register("Max_Position_Limit") for s in sim.servos} == {3000}
    assert path.read_text() == before


def test_subcommands_are_registered():
    parser = build_parser()
    assert "calibrate" in parser.format_help()
    args = parser.parse_args(["calibrate", "--robot-type", "koch_leader", "--port", "sim", "--id", "a"])
    assert args.command == "calibrate" and callable(args.run)
