"""LeRobot calibration: homing, range recording, the procedure, the files, applying and comparing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from bus_helpers import open_bus

from lerobot_ros.motors.calibration import (
    calibrate,
    calibration_matches,
    calibration_path,
    calibration_root,
    half_turn_homing,
    load_calibration,
    read_calibration,
    record_ranges_of_motion,
    save_calibration,
    write_calibration,
)
from lerobot_ros.motors.normalization import MotorCalibration, NormMode, normalize, unnormalize
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.servo_sim.bus import SimulatedBus
from lerobot_ros.robots.ports import simulated_bus


class Mover:
    """A ``should_stop`` that moves simulated shafts by hand, one step per poll, then says stop."""

    def __init__(self, sim: SimulatedBus, steps: list[dict[int, int]]):
        self.sim, self.steps, self.polls = sim, list(steps), 0

    def __call__(self) -> bool:
        self.polls += 1
        if not self.steps:
            return True
        for servo_id, ticks in self.steps.pop(0).items():
            self.sim.servo(servo_id).move_by_hand(ticks)
        return False


@pytest.mark.parametrize("sim_robot", ["so101_follower", "koch_follower"], indirect=True)
def test_half_turn_homing_makes_the_pose_read_2047(sim_robot):
    rtype = robot_type("so101_follower" if sim_robot.vendor.value == "feetech" else "koch_follower")
    bus = open_bus(sim_robot, rtype)
    bus.configure_motors()
    bus.disable_torque()
    before = bus.sync_read("Present_Position")
    offsets = half_turn_homing(bus, rtype.joint_names)
    sign = 1 if sim_robot.vendor.value == "feetech" else -1  # Feetech: pos - 2047; Dynamixel: 2047 - pos
    assert offsets == {n: sign * (before[n] - 2047) for n in before}
    assert {s.id: s.read_register("Present_Position") for s in sim_robot.servos} == dict.fromkeys(range(1, 7), 2047)
    assert {s.id: s.read_register("Homing_Offset") for s in sim_robot.servos} == {
        m.id: offsets[m.name] for m in rtype.motors}
    bus.disconnect(disable_torque=False)


def test_range_recording_follows_the_moving_shafts(so101):
    sim, bus = so101
    bus.configure_motors()
    bus.disable_torque()
    half_turn_homing(bus, ["shoulder_pan", "gripper", "wrist_roll"])
    seen = []
    mover = Mover(sim, [{1: 300, 6: 500}, {1: -600}])
    mins, maxes = record_ranges_of_motion(bus, ["shoulder_pan", "gripper", "wrist_roll"], mover,
                                          on_update=lambda p, lo, hi: seen.append(dict(p)), full_turn={"wrist_roll"})
    assert mins == {"shoulder_pan": 1747, "gripper": 2047, "wrist_roll": 0}
    assert maxes == {"shoulder_pan": 2347, "gripper": 2547, "wrist_roll": 4095}
    assert [s["shoulder_pan"] for s in seen] == [2047, 2347, 1747]
    assert "wrist_roll" not in seen[0]  # full-turn joints are not recorded


def test_range_recording_rejects_joints_that_never_moved(so101):
    sim, bus = so101
    bus.disable_torque()
    with pytest.raises(ValueError, match="motors elbow_flex did not move"):
        record_ranges_of_motion(bus, ["shoulder_pan", "elbow_flex"], Mover(sim, [{1: 100}]))


def test_the_feetech_procedure_end_to_end(so101, tmp_path):
    sim, bus = so101
    rtype = robot_type("so101_follower")
    bus.configure_motors()
    start = {s.id: s.read_register("Present_Position") for s in sim.servos}
    prompts = []
    moves = [{1: 400, 2: -300, 3: 250, 4: -200, 6: 900}, {1: -800, 2: 600, 3: -500, 4: 400}]
    cal = calibrate(bus, rtype, wait_for_user=prompts.append, should_stop=Mover(sim, moves), announce=prompts.append)
    assert prompts[0] == "Move so101_follower to the middle of its range of motion and press ENTER...."
    assert "Press ENTER to stop" in prompts[1]
    assert cal["shoulder_pan"] == MotorCalibration(id=1, drive_mode=0, homing_offset=start[1] - 2047,
                                                   range_min=2047 - 400, range_max=2047 + 400)
    assert cal["gripper"] == MotorCalibration(6, 0, start[6] - 2047, 2047, 2047 + 900)
    assert cal["wrist_roll"] == MotorCalibration(5, 0, start[5] - 2047, 0, 4095)
    assert (sim.servo(2).read_register("Min_Position_Limit"), sim.servo(2).read_register("Max_Position_Limit")) == (
        2047 - 300, 2047 + 300)
    assert calibration_matches(bus, cal)
    assert read_calibration(bus) == cal
    assert sim.servo(1).read_register("Torque_Enable") == 0  # calibration leaves the arm limp


def test_the_dynamixel_procedure_writes_drive_mode(tmp_path):
    rtype = robot_type("koch_leader")
    with simulated_bus("koch_leader") as sim:
        bus = open_bus(sim, rtype)
        moves = [{1: 100, 2: 100, 3: 100, 4: 100, 5: 100, 6: 100}]
        cal = calibrate(bus, rtype, wait_for_user=lambda _: None, should_stop=Mover(sim, moves))
        assert cal["elbow_flex"].drive_mode == 1 and sim.servo(3).read_register("Drive_Mode") == 1
        assert cal["shoulder_pan"].range_min == 0 and cal["shoulder_pan"].range_max == 4095  # full turn
        assert (cal["gripper"].range_min, cal["gripper"].range_max) == (2047, 2147)
        assert all(s.read_register("Operating_Mode") == 4 for s in sim.servos)  # extended position
        assert calibration_matches(bus, cal)
        sim.servo(3).write_register("Drive_Mode", 0)
        assert not calibration_matches(bus, cal)  # Dynamixel compares drive_mode too
        bus.disconnect(disable_torque=False)


def test_factory_calibrated_types_need_no_interaction():
    rtype = robot_type("omx_follower")
    with simulated_bus("omx_follower") as sim:
        bus = open_bus(sim, rtype)

        def refuse(*_):
            raise AssertionError("omx_follower calibration must not ask anything")

        cal = calibrate(bus, rtype, wait_for_user=refuse, should_stop=refuse)
        assert set(cal.values()) == {MotorCalibration(m.id, 0, 0, 0, 4095) for m in rtype.motors}
        assert calibration_matches(bus, cal)
        bus.disconnect(disable_torque=False)


# -- files ----------------------------------------------------------------------------------------


def test_calibration_root_follows_lerobots_environment(monkeypatch, tmp_path):
    for var in ("HF_LEROBOT_CALIBRATION", "HF_LEROBOT_HOME", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    assert calibration_root() == Path.home() / ".cache/huggingface/lerobot/calibration"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert calibration_root() == tmp_path / "xdg/huggingface/lerobot/calibration"
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert calibration_root() == tmp_path / "hf/lerobot/calibration"
    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "lr"))
    assert calibration_root() == tmp_path / "lr/calibration"
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(tmp_path / "cal"))
    assert calibration_root() == tmp_path / "cal"
    assert calibration_path(robot_type("so101_follower"), "my_arm") == tmp_path / "cal/robots/so_follower/my_arm.json"
    assert calibration_path(robot_type("koch_leader"), "l") == tmp_path / "cal/teleoperators/koch_leader/l.json"


def test_saved_file_has_lerobots_fields_and_layout(tmp_path):
    path = save_calibration(tmp_path / "robots/so_follower/a.json",
                            {"shoulder_pan": MotorCalibration(1, 0, -1024, 780, 3310)})
    assert path.read_text() == ('{\n    "shoulder_pan": {\n        "id": 1,\n        "drive_mode": 0,\n'
                                '        "homing_offset": -1024,\n        "range_min": 780,\n'
                                '        "range_max": 3310\n    }\n}')
    assert load_calibration(path) == {"shoulder_pan": MotorCalibration(1, 0, -1024, 780, 3310)}


def test_bad_files_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="run `lerobot-ros calibrate`"):
        load_calibration(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"gripper": {"id": 6, "drive_mode": 0, "homing_offset": 3, "range_min": 1}}))
    with pytest.raises(ValueError, match="entry 'gripper' must have exactly the fields"):
        load_calibration(bad)


LEROBOT_SO_FILE = """{
    "shoulder_pan": {"id": 1, "drive_mode": 0, "homing_offset": 7, "range_min": 900, "range_max": 3200},
    "shoulder_lift": {"id": 2, "drive_mode": 0, "homing_offset": -17, "range_min": 850, "range_max": 3150},
    "elbow_flex": {"id": 3, "drive_mode": 0, "homing_offset": 20, "range_min": 880, "range_max": 3090},
    "wrist_flex": {"id": 4, "drive_mode": 0, "homing_offset": -4, "range_min": 860, "range_max": 3200},
    "wrist_roll": {"id": 5, "drive_mode": 0, "homing_offset": -28, "range_min": 0, "range_max": 4095},
    "gripper": {"id": 6, "drive_mode": 0, "homing_offset": 9, "range_min": 2000, "range_max": 3400}
}"""


def test_a_lerobot_file_loads_applies_and_normalizes(so101, tmp_path):
    sim, bus = so101
    path = tmp_path / "my_arm.json"
    path.write_text(LEROBOT_SO_FILE)
    cal = load_calibration(path)
    bus.configure_motors()
    assert not calibration_matches(bus, cal)
    write_calibration(bus, cal)
    assert calibration_matches(bus, cal)
    assert sim.servo(3).read_register("Homing_Offset") == 20 and sim.servo(3).read_register("Max_Position_Limit") == 3090
    # the offsets match the simulator's default pose, which therefore reads the middle of the turn
    assert bus.sync_read("Present_Position") == dict.fromkeys(cal, 2047)
    # normalization round trip through the servos: command 10 degrees on shoulder_pan, read it back
    rtype = robot_type("so101_follower")
    goal = unnormalize(10.0, NormMode.DEGREES, cal["shoulder_pan"], 4095, apply_drive_mode=True)
    bus.enable_torque(["shoulder_pan"])  # (a servo holds its pose when torque comes on)
    bus.write("Goal_Position", "shoulder_pan", goal)
    deadline = time.monotonic() + 3
    while bus.read("Present_Position", "shoulder_pan") != goal and time.monotonic() < deadline:
        time.sleep(0.02)
    raw = bus.read("Present_Position", "shoulder_pan")
    assert normalize(raw, rtype.motor("shoulder_pan").norm, cal["shoulder_pan"], 4095, True) == pytest.approx(10.0, abs=0.1)


@pytest.mark.parametrize("mode, raw, drive_mode, expected", [
    (NormMode.DEGREES, 2050, 0, 0.0),
    (NormMode.DEGREES, 3050, 0, 1000 * 360 / 4095),
    (NormMode.RANGE_M100_100, 1050, 0, -100.0),
    (NormMode.RANGE_M100_100, 3050, 0, 100.0),
    (NormMode.RANGE_M100_100, 3050, 1, -100.0),
    (NormMode.RANGE_0_100, 1550, 0, 25.0),
    (NormMode.RANGE_0_100, 1550, 1, 75.0),
])
def test_normalization_round_trips(mode, raw, drive_mode, expected):
    cal = MotorCalibration(1, drive_mode, 0, 1050, 3050)
    value = normalize(raw, mode, cal, 4095, apply_drive_mode=True)
    assert value == pytest.approx(expected)
    assert abs(unnormalize(value, mode, cal, 4095, apply_drive_mode=True) - raw) <= 1
    # Dynamixel buses do not apply drive_mode in software (the servo inverts itself)
    assert normalize(raw, mode, cal, 4095, apply_drive_mode=False) == pytest.approx(
        normalize(raw, mode, MotorCalibration(1, 0, 0, 1050, 3050), 4095, True))
