"""LeRobot's own SO101Follower and lerobot_ros agree on an SO-101's state, in LeRobot's units.

The arm is the protocol-level simulated SO-101 (real Feetech packets), put by hand into several poses;
LeRobot (0.6.1: use_degrees=True by default, degrees; 0.4.4: -100..100) reads each pose through its
own robot class in its own venv, and our Robot (what robot_node publishes from) reads the same pose in
radians. The recorder's contract (``robot: so101_follower``: LeRobot's default, degrees; or
``units: range`` against LeRobot's ``use_degrees=False``, RANGE_M100_100) must turn our radians into
LeRobot's values within one servo tick, names and order included. (Both 0.4.4 and 0.6.1 default the
SO-101 to degrees; -100..100 was the default before.)
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from lerobot_ros.motors.calibration import load_calibration
from lerobot_ros.recording.config import load_recording_config
from lerobot_ros.recording.contract import FeatureContract

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).parent / "reference" / "lerobot_reads_sim_arm.py"


def lerobot_and_ours(python: Path, out: Path, use_degrees: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run([str(python), str(SCRIPT), str(out), use_degrees], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(out.read_text())


@pytest.mark.parametrize("use_degrees", ["default", "false"])
def test_recorded_state_equals_lerobots_reading_of_the_same_arm(lerobot_reference, use_degrees, tmp_path):
    seen = lerobot_and_ours(lerobot_reference.python, tmp_path / "poses.json", use_degrees)
    units = "degrees" if use_degrees == "default" else "range"
    feature = {"key": "observation.state", "topic": "joint_states", "type": "joint_state"}
    if use_degrees == "false":
        feature["units"] = "range"
    config = load_recording_config({"fps": 30, "robot": "so101_follower", "features": [feature]})
    state = config.feature("observation.state")
    assert state.units == units  # without units: LeRobot's default for the robot type
    calibration = load_calibration(Path(seen["calibration_file"]))
    contract = FeatureContract(config, calibration)
    names = config.dataset_features()["observation.state"]["names"]
    assert len(seen["poses"]) == 4
    for pose in seen["poses"]:
        assert list(pose["lerobot"]) == names  # LeRobot's keys, in LeRobot's order
        ours = contract.value(state, SimpleNamespace(name=seen["joints"], position=pose["radians"]))
        # One tick of each joint in these units: 360/4095 degrees, or the range's width over 200 (100).
        tick = [360 / 4095 if units == "degrees" and not n.startswith("gripper")
                else (100 if n.startswith("gripper") else 200) / (cal.range_max - cal.range_min)
                for n, cal in ((n, calibration[n.removesuffix(".pos")]) for n in names)]
        np.testing.assert_array_less(np.abs(ours - np.array(list(pose["lerobot"].values()))), np.array(tick),
                                     err_msg=f"pose {pose['raw']}")
