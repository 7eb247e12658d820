"""The feature contract (issue 12): a robot's joints in LeRobot's units and names, language columns
only when asked for, topics resolved the same way live and in bags, the contract saved with the
dataset, and a resume or an append in other units refused."""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from bag_writers import Msg, write_rosbags

from lerobot_ros.dataset import DatasetReader
from lerobot_ros.recording.config import RecordingConfigError, load_recording_config, resolve_topic
from lerobot_ros.recording.contract import CONTRACT_FILE, FeatureContract
from lerobot_ros.recording.convert import convert, options_from_config
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.robots.sim_calibration import default_sim_calibration

SO101 = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
T0 = 1_700_000_000 * 10**9


def state(**extra) -> dict:
    return {"key": "observation.state", "topic": "joint_states", "type": "joint_state", **extra}


def test_a_robot_gives_lerobots_units_names_and_joints():
    config = load_recording_config({"fps": 30, "robot": "so101_follower", "features": [
        state(), {"key": "action", "topic": "arm_controller/joint_trajectory", "type": "joint_trajectory"},
        state(key="observation.velocity", field="velocity")]})
    assert config.feature("observation.state").joints == tuple(SO101)
    assert config.feature("observation.state").units == "degrees"  # LeRobot 0.6's SO-101 default
    assert config.feature("action").units == "degrees"
    assert config.feature("observation.velocity").units == "radians"  # LeRobot records no velocities
    names = config.dataset_features()
    assert names["observation.state"]["names"] == [f"{j}.pos" for j in SO101]
    assert names["observation.velocity"]["names"] == [f"{j}.vel" for j in SO101]
    koch = load_recording_config({"fps": 30, "robot": {"type": "koch_follower", "joint_prefix": "left_"},
                                  "features": [state()]})
    assert koch.feature("observation.state").units == "range"  # Koch: use_degrees=False in LeRobot 0.6
    assert koch.feature("observation.state").joints[0] == "left_shoulder_pan"
    assert koch.language is None  # no language section: no language columns


@pytest.mark.parametrize("raw, message", [
    ({"robot": "so101_folower"}, "unknown robot_type 'so101_folower'"),
    ({"features": [state(joints=["a"], units="degrees")]}, "need a top-level 'robot'|a top-level 'robot' is needed"),
    ({"robot": "so101_follower", "features": [state(field="velocity", units="degrees")]},
     "velocities and efforts are recorded as published"),
    ({"robot": "so101_follower", "features": [state(units="furlongs")]}, "units must be one of"),
    ({"robot": "so101_follower", "features": [state(joints=["shoulder_pan", "elbow"])]},
     r"\['elbow'\] are not joints of so101_follower"),
])
def test_contract_mistakes_are_refused_naming_the_fix(raw, message):
    with pytest.raises(RecordingConfigError, match=message):
        load_recording_config({"fps": 30, "features": [state(joints=SO101)], **raw})


def test_language_columns_only_when_asked_for():
    base = {"fps": 30, "features": [state(joints=["a"])]}
    assert load_recording_config(base).language is None
    assert load_recording_config({**base, "language": False}).language is None
    kinds = {t.kind for t in load_recording_config({**base, "language": True}).language}
    assert {"subtask", "plan", "memory", "say", "user_input"} <= kinds


def test_relative_topics_resolve_against_the_namespace():
    assert resolve_topic("joint_states") == "/joint_states"
    assert resolve_topic("joint_states", "/arm1") == "/arm1/joint_states"
    assert resolve_topic("/joint_states", "/arm1") == "/joint_states"


def so101_bag(tmp_path, radians: list[float]):
    """2 s of an SO-101 at rest at ``radians`` (commanded there too) and a camera, under the absolute
    names a bag has."""
    messages = []
    for i in range(200):
        messages.append(Msg("/joint_states", "sensor_msgs/msg/JointState", T0 + i * 10**7,
                            {"name": SO101, "position": radians}))
    for i in range(100):
        messages.append(Msg("/arm_controller/joint_trajectory", "trajectory_msgs/msg/JointTrajectory",
                            T0 + i * 2 * 10**7 + 500, {"joint_names": SO101, "points": [{"positions": radians}]}))
    for i in range(60):
        image = np.full((48, 64, 3), 90, np.uint8)
        messages.append(Msg("/front/image_raw", "sensor_msgs/msg/Image", T0 + i * 33_333_333 + 1000,
                            {"height": 48, "width": 64, "encoding": "rgb8", "step": 64 * 3,
                             "data": image.reshape(-1)}))
    return write_rosbags(tmp_path / "bag", messages, storage="sqlite3")


def so101_config() -> dict:
    """The shipped config's shape: relative topics, a robot, no language."""
    return {"fps": 10, "robot": "so101_follower", "features": [
        state(), {"key": "observation.images.front", "topic": "front/image_raw", "type": "image",
                  "height": 48, "width": 64, "max_age_s": 0.1}]}


def test_the_converter_records_a_bag_as_the_recorder_does(tmp_path):
    """Relative topics of the recording config find the bag's absolute ones; joints land in degrees
    (the gripper 0..100) through the arm's calibration, and the contract is saved with the dataset."""
    calibration = default_sim_calibration("so101_follower")
    radians = [0.5, -0.25, 1.0, 0.0, -1.5, 0.0]
    bag = so101_bag(tmp_path, radians)
    options = options_from_config(so101_config(), task="rest", progress=False, calibration=calibration)
    convert([bag], tmp_path / "ds", options)
    reader = DatasetReader(tmp_path / "ds")
    assert reader.info.robot_type == robot_type("so101_follower").calibration_name  # LeRobot's "so_follower"
    values = reader.episode_columns(0)["observation.state"]
    gripper = calibration["gripper"]
    # Body joints: degrees; the gripper at 0 rad sits at the middle of its range: 50 in LeRobot's 0..100.
    expected = [math.degrees(a) for a in radians[:5]] + [
        (gripper.mid - gripper.range_min) / (gripper.range_max - gripper.range_min) * 100]
    np.testing.assert_allclose(values, np.tile(expected, (len(values), 1)), atol=1e-3)
    saved = json.loads((tmp_path / "ds" / "meta" / CONTRACT_FILE).read_text())
    assert saved["features"][0]["units"] == "degrees" and saved["calibration"]["gripper"]["range_min"] == gripper.range_min
    assert saved["robot"] == {"type": "so101_follower", "joint_prefix": ""}

    # Another bag in other units cannot be appended: the names alone would not tell.
    in_range = so101_config()
    in_range["features"][0]["units"] = "range"
    with pytest.raises(RecordingConfigError, match="recorded in degrees.*asks for range"):
        convert([bag], tmp_path / "ds", options_from_config(in_range, task="rest", progress=False, append=True,
                                                            calibration=calibration))
    assert DatasetReader(tmp_path / "ds").num_episodes == 1


def test_lerobots_own_merge_takes_our_dataset_beside_one_lerobot_recorded(oracle_python, tmp_path):
    """LeRobot 0.6.1 records an SO-101 dataset as lerobot-record sets one up and merges it with ours
    through its own merge_datasets: the features, names and robot_type must be equal for it to."""
    config = so101_config()
    config["features"].append({"key": "action", "topic": "arm_controller/joint_trajectory",
                               "type": "joint_trajectory"})
    bag = so101_bag(tmp_path, [0.5, -0.25, 1.0, 0.0, -1.5, 0.0])
    options = options_from_config(config, task="ours", progress=False,
                                  calibration=default_sim_calibration("so101_follower"))
    convert([bag], tmp_path / "ours", options)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    result = subprocess.run([str(oracle_python), str(Path(__file__).parent / "oracle" / "merge_with_lerobot.py"),
                             str(tmp_path / "ours"), str(tmp_path), str(tmp_path / "merged.json")],
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    seen = json.loads((tmp_path / "merged.json").read_text())
    user = ("observation.state", "action", "observation.images.front")
    assert {k: seen["ours_features"][k] for k in user} == {k: seen["theirs_features"][k] for k in user}
    assert seen["robot_types"] == ["so_follower"] * 3
    ours_length = DatasetReader(tmp_path / "ours").episodes[0].length
    assert seen["lengths"] == [ours_length, 12, ours_length + 12] and seen["episodes"] == 2
    assert seen["tasks"] == ["lerobot", "ours"]
    np.testing.assert_allclose(seen["first_state"][:5], np.degrees([0.5, -0.25, 1.0, 0.0, -1.5]), atol=1e-3)
    np.testing.assert_allclose(seen["last_state"], np.linspace(-20, 20, 6) + 11, atol=1e-4)
    assert abs(seen["last_image_mean"] - 77) < 4


def test_dataset_edits_keep_the_contract_and_refuse_to_merge_other_units(tmp_path):
    from lerobot_ros.dataset.edit import delete_episodes, merge, remove_feature

    calibration = default_sim_calibration("so101_follower")
    bag = so101_bag(tmp_path, [0.1] * 6)
    in_degrees = options_from_config(so101_config(), task="rest", progress=False, calibration=calibration)
    convert([bag, bag], tmp_path / "degrees", in_degrees)
    saved = json.loads((tmp_path / "degrees" / "meta" / CONTRACT_FILE).read_text())
    delete_episodes(tmp_path / "degrees", tmp_path / "one", [1])
    assert json.loads((tmp_path / "one" / "meta" / CONTRACT_FILE).read_text()) == saved
    remove_feature(tmp_path / "degrees", tmp_path / "no_camera", "observation.images.front")
    kept = json.loads((tmp_path / "no_camera" / "meta" / CONTRACT_FILE).read_text())
    assert [f["key"] for f in kept["features"]] == ["observation.state"]
    in_range = so101_config()
    in_range["features"][0]["units"] = "range"
    convert([bag], tmp_path / "range", options_from_config(in_range, task="rest", progress=False,
                                                           calibration=calibration))
    with pytest.raises(ValueError, match="recorded with other units or joints"):
        merge([tmp_path / "degrees", tmp_path / "range"], tmp_path / "mixed")
    assert not (tmp_path / "mixed").exists()
    merge([tmp_path / "degrees", tmp_path / "one"], tmp_path / "both")
    assert json.loads((tmp_path / "both" / "meta" / CONTRACT_FILE).read_text()) == saved


def test_a_config_in_lerobot_units_needs_the_arms_calibration(tmp_path):
    bag = so101_bag(tmp_path, [0.0] * 6)
    with pytest.raises(ValueError, match="needs the arm's calibration.*calibration_id or calibration_file"):
        convert([bag], tmp_path / "ds", options_from_config(so101_config(), task="rest", progress=False))
    assert not (tmp_path / "ds").exists()
    with pytest.raises(ValueError, match="so101_follower needs a calibration: set calibration_id"):
        FeatureContract.for_arm(load_recording_config(so101_config()))
