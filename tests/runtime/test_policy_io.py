"""The policy's inputs and outputs from a feature contract (runtime/policy_io.py), without ROS."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from lerobot_ros.recording.config import RecordingConfigError, load_recording_config
from lerobot_ros.recording.contract import FeatureContract
from lerobot_ros.recording.message_values import MessageValueError
from lerobot_ros.robots.setup import resolve_calibration
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.runtime.policy_io import LatestInputs, PolicyFeatures, default_contract

SO101 = robot_type("so101_follower")
JOINTS = list(SO101.joint_names)
CAMERA = "observation.images.front"
SIM_CALIBRATION = resolve_calibration(SO101, "", "", "", True)[0]


def so101_contract(**camera) -> FeatureContract:
    config = load_recording_config({"fps": 10, "robot": "so101_follower", "features": [
        {"key": "observation.state", "topic": "joint_states", "type": "joint_state", "max_age_s": 0.2},
        {"key": "action", "topic": "arm_controller/joint_trajectory", "type": "joint_trajectory"},
        {"key": CAMERA, "topic": "front/image_raw", "type": "image", "height": 4, "width": 6, "max_age_s": 0.1,
         **camera}], "language": {"subtask": "subtask"}})
    return FeatureContract(config, SIM_CALIBRATION)


def joint_states(positions, names=JOINTS):
    return SimpleNamespace(name=list(names), position=list(positions), velocity=[], effort=[])


def mono(value=128):
    return SimpleNamespace(encoding="mono8", height=4, width=6, step=6, data=bytes([value] * 24))


def test_a_saved_contract_loads_back_with_the_arm_it_is_used_on(tmp_path):
    contract = so101_contract()
    path = contract.save(tmp_path)
    assert FeatureContract.load(path).to_dict() == contract.to_dict()
    other = {name: dataclasses.replace(cal, drive_mode=1) for name, cal in SIM_CALIBRATION.items()}
    loaded = FeatureContract.load(path, other)
    assert loaded.calibration == other
    state = loaded.config.feature("observation.state")
    radians = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.2])
    # drive mode 1 on a Feetech arm flips the sign of LeRobot's degrees
    np.testing.assert_allclose(loaded.value(state, joint_states(radians))[:5], -np.degrees(radians[:5]), atol=1e-3)


def test_a_damaged_contract_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "lerobot_ros.json"
    path.write_text("{not json")
    with pytest.raises(RecordingConfigError, match="lerobot_ros.json cannot be read"):
        FeatureContract.load(path)
    path.write_text('{"format": 99}')
    with pytest.raises(RecordingConfigError, match="expected format 1"):
        FeatureContract.load(path)


@pytest.mark.parametrize("rtype, units", [("so101_follower", "degrees"), ("koch_follower", "range")])
def test_without_a_contract_the_units_are_lerobot_06s(rtype, units):
    calibration = resolve_calibration(robot_type(rtype), "", "", "", True)[0]
    contract = default_contract(rtype, "", "lerobot", {CAMERA: [3, 48, 64]}, "arm_controller", 0.5, 30.0, calibration)
    assert {f.key: (f.topic, f.units if f.type.startswith("joint") else f.type) for f in contract.config.features} == {
        "observation.state": ("joint_states", units), "action": ("arm_controller/joint_trajectory", units),
        CAMERA: ("front/image_raw", "image")}


def test_inputs_are_fresh_within_their_max_age_and_actions_come_back_in_radians():
    features = PolicyFeatures(so101_contract(), [CAMERA])
    inputs = LatestInputs(features, start_s=0.0)
    assert [s.key for s in inputs.stale(0.5)] == ["observation.state", CAMERA]  # never received
    radians = np.array([0.3, -0.5, 0.7, -0.2, 1.1, 0.25])
    shuffled = [5, 0, 4, 1, 3, 2]
    inputs.put(features.state, joint_states(radians[shuffled], [JOINTS[i] for i in shuffled]), 1.0)
    inputs.put(features.images[0], mono(), 1.0)
    seen = inputs.observe(1.05)
    np.testing.assert_allclose(seen.state[:5], np.degrees(radians[:5]), atol=1e-3)
    np.testing.assert_allclose(seen.start_rad, radians)
    assert seen.images[CAMERA].shape == (4, 6, 3)
    assert inputs.observe(1.15) is None  # the camera's 0.1 s passed; the state's 0.2 s not yet
    stale = inputs.stale(1.15)
    assert [s.key for s in stale] == [CAMERA] and stale[0].stale_for_s == pytest.approx(0.05)
    chunk = np.tile(seen.state, (3, 1))
    np.testing.assert_allclose(features.actions_to_radians(chunk), np.tile(radians, (3, 1)), atol=1e-6)


def test_a_message_that_cannot_fill_its_feature_names_it():
    features = PolicyFeatures(so101_contract(), [CAMERA])
    inputs = LatestInputs(features, start_s=0.0)
    with pytest.raises(MessageValueError, match=r"'observation.state'.*\['gripper'\]"):
        inputs.put(features.state, joint_states(np.zeros(5), JOINTS[:5]), 1.0)
    with pytest.raises(MessageValueError, match="front/image_raw has 8x4 images"):
        inputs.put(features.images[0], SimpleNamespace(encoding="mono8", height=4, width=8, step=8,
                                                       data=bytes(32)), 1.0)


def test_a_policy_reading_a_camera_the_contract_lacks_is_refused():
    with pytest.raises(RecordingConfigError, match="observation.images.wrist.*contract_file"):
        PolicyFeatures(so101_contract(), [CAMERA, "observation.images.wrist"])


def test_a_policy_reading_earlier_frames_gets_them_one_frame_interval_apart():
    """Diffusion's n_obs_steps: the frames 0.1 s (the dataset's 10 fps) before the present state, each
    feature as last received by then, oldest first; before anything that old, the earliest stands in."""
    features = PolicyFeatures(so101_contract(max_age_s=0.2), [CAMERA])
    inputs = LatestInputs(features, start_s=0.0, history_steps=3, frame_interval_s=0.1)
    for i in range(12):  # a joint state every 30 ms
        inputs.put(features.state, joint_states(np.full(6, 0.01 * i)), 1.0 + 0.03 * i)
    for j in range(7):  # a camera frame every 50 ms
        inputs.put(features.images[0], mono(j), 1.0 + 0.05 * j)
    seen = inputs.observe(1.34)  # the state of 1.33 s (i = 11) and the frame of 1.30 s (j = 6)
    assert seen.stamp_s == pytest.approx(1.33) and seen.images[CAMERA][0, 0, 0] == 6
    # at 1.13 and 1.23 s: the states of 1.12 and 1.21 s, the frames of 1.10 and 1.20 s
    assert [h.stamp_s for h in seen.history] == pytest.approx([1.12, 1.21])
    np.testing.assert_allclose([h.state[0] for h in seen.history], np.degrees([0.04, 0.07]), atol=1e-3)
    assert [int(h.images[CAMERA][0, 0, 0]) for h in seen.history] == [2, 4]
    assert all(h.history == () for h in seen.history)

    fresh = LatestInputs(features, start_s=0.0, history_steps=3, frame_interval_s=0.1)
    fresh.put(features.state, joint_states(np.full(6, 0.3)), 5.0)
    fresh.put(features.images[0], mono(7), 5.0)
    started = fresh.observe(5.01)
    assert [h.stamp_s for h in started.history] == [5.0, 5.0]  # LeRobot repeats the first frame too

    for i in range(200):  # what is kept stays bounded: the history's 0.2 s and the inputs' max age
        inputs.put(features.state, joint_states(np.zeros(6)), 2.0 + 0.02 * i)
    assert len(inputs._values["observation.state"]) <= 0.4 / 0.02 + 2
    assert LatestInputs(features, start_s=0.0).observe(0.0) is None
    with pytest.raises(ValueError, match="positive interval"):
        LatestInputs(features, start_s=0.0, history_steps=2)
