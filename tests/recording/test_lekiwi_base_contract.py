"""LeKiwi's base in the feature contract (issue 12): observation.state and action are the arm's joints
followed by the base's x.vel, y.vel (m/s) and theta.vel (deg/s), from two topics each (joint_states +
odom, the arm's commands + cmd_vel), as LeRobot 0.6.1's own LeKiwi class names and converts them.

LeRobot is the reference throughout: its LeKiwi class (in the oracle venv) gives the feature names and
order, the body velocity of wheel Present_Velocity values (what it records as observation) and the
wheel Goal_Velocity values of a base action; a dataset LeRobot itself wrote exports onto odom/cmd_vel.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from bag_writers import Msg, joint_state, joint_trajectory, raw_image, stamp, write_rosbags
from rosbags.highlevel import AnyReader

from lerobot_ros.cli.main import main as cli_main
from lerobot_ros.dataset import DatasetReader
from lerobot_ros.package_files import config_path
from lerobot_ros.recording.config import RecordingConfigError, load_recording_config
from lerobot_ros.recording.contract import FeatureContract
from lerobot_ros.recording.convert import convert, options_from_config
from lerobot_ros.recording.export import contract_for, export
from lerobot_ros.recording.causal_sampler import CausalSampler
from lerobot_ros.robots.omni_base import OmniBase
from lerobot_ros.robots.sim_calibration import default_sim_calibration
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.robots.units import JointUnits

ORACLE = Path(__file__).parent / "oracle"
LEKIWI = robot_type("lekiwi")
ARM = LEKIWI.joint_names  # arm_shoulder_pan ... arm_gripper, as robot_node names them
WHEELS = OmniBase(LEKIWI.base)
T0 = 1_650_000_000 * 10**9
PHASE_S = 0.5  # each LeRobot case holds this long in the bag
FPS = 30


def run_oracle(python: Path, script: str, out: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    run = subprocess.run([str(python), str(ORACLE / script), str(out)], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]


@pytest.fixture(scope="module")
def lerobot_lekiwi(oracle_python, tmp_path_factory) -> dict:
    """LeRobot 0.6.1's LeKiwi: feature names, its base conversions for a few wheel speeds and actions."""
    out = tmp_path_factory.mktemp("lekiwi") / "lekiwi.json"
    run_oracle(oracle_python, "lekiwi_features.py", out)
    return json.loads(out.read_text())


def shipped_config(cameras: bool = False) -> dict:
    raw = yaml.safe_load(config_path("recording/lekiwi.yaml").read_text())
    if not cameras:
        raw["features"] = [f for f in raw["features"] if not f["key"].startswith("observation.images.")]
    return {**raw, "fps": FPS}


def arm_pose(t: float) -> list[float]:
    return [0.3 * math.sin(t + j) for j in range(len(ARM))]


def odometry(log_ns: int, twist) -> Msg:
    """robot_node's odom: the body velocity of the wheels' Present_Velocity (covariances as published)."""
    x, y, theta = twist
    return Msg("/odom", "nav_msgs/msg/Odometry", log_ns, {
        "header": {**stamp(log_ns), "frame_id": "odom"}, "child_frame_id": "base_link",
        "pose": {"covariance": [0.0] * 36},
        "twist": {"covariance": [0.0] * 36, "twist": {"linear": {"x": x, "y": y}, "angular": {"z": theta}}}})


def cmd_vel(log_ns: int, x: float, y: float, theta_rad_s: float) -> Msg:
    return Msg("/cmd_vel", "geometry_msgs/msg/Twist", log_ns,
               {"linear": {"x": x, "y": y}, "angular": {"z": theta_rad_s}})


def lekiwi_bag(folder: Path, lerobot: dict, camera: tuple[int, int] | None = None) -> Path:
    """A LeKiwi driving through LeRobot's cases, one per PHASE_S: joint_states and odom at 100 Hz (odom's
    twist from the case's wheel speeds, as robot_node computes it), the arm's commands and cmd_vel (the
    case's base action, in rad/s) at 50 Hz; then cmd_vel falls silent for 1 s (the base stands).
    ``camera`` (height, width): a front camera at 50 Hz too."""
    cases = len(lerobot["commanded"])
    silent_s = 1.0
    messages = []
    for i in range(round((cases * PHASE_S + silent_s) * 100)):
        t = i / 100
        ns = T0 + i * 10**7
        phase = min(int(t / PHASE_S), cases - 1)
        messages.append(joint_state("/joint_states", ns, ARM, arm_pose(t)))
        messages.append(odometry(ns, WHEELS.wheel_raw_to_body(lerobot["observed"][phase]["wheel_raw"])))
        if i % 2 == 0:
            messages.append(joint_trajectory("/arm_controller/joint_trajectory", ns, ARM, arm_pose(t)))
            if camera is not None:
                messages.append(raw_image("/front/image_raw", ns, np.full((*camera, 3), i % 250, np.uint8)))
            if t < cases * PHASE_S:
                x, y, theta_deg = lerobot["commanded"][phase]["action"]
                messages.append(cmd_vel(ns, x, y, math.radians(theta_deg)))
    messages.sort(key=lambda m: m.log_ns)
    return write_rosbags(folder, messages, storage="mcap")


def convert_lekiwi(bag: Path, root: Path) -> DatasetReader:
    options = options_from_config(shipped_config(), task="drive", progress=False,
                                  calibration=default_sim_calibration("lekiwi"))
    convert([bag], root, options)
    return DatasetReader(root)


def phase_frames(k: int) -> slice:
    """Frames well inside case k (a tick's samples may be up to max_age_s old at a phase's start)."""
    return slice(round((k * PHASE_S + 0.1) * FPS), round(((k + 1) * PHASE_S - 0.02) * FPS))


def test_lekiwi_config_names_features_as_lerobots_lekiwi(lerobot_lekiwi):
    config = load_recording_config(shipped_config(cameras=True))
    features = config.dataset_features()
    lerobot_state = [k for k, v in lerobot_lekiwi["observation"].items() if not isinstance(v, list)]
    assert features["observation.state"]["names"] == lerobot_state  # LeRobot's names, in LeRobot's order
    assert features["action"]["names"] == lerobot_lekiwi["action"]
    assert features["observation.state"]["shape"] == features["action"]["shape"] == [9]
    cameras = {k: v for k, v in lerobot_lekiwi["observation"].items() if isinstance(v, list)}
    assert {k.removeprefix("observation.images."): f["shape"] for k, f in features.items()
            if k.startswith("observation.images.")} == cameras
    assert config.feature("observation.state").units == "degrees" and lerobot_lekiwi["use_degrees"]
    # cmd_vel holds as long as LeRobot's LeKiwi host watchdog lets a command drive the base.
    assert config.feature("action").base.max_age_s == lerobot_lekiwi["watchdog_timeout_s"]


def test_a_lekiwi_bag_converts_to_lerobots_values(lerobot_lekiwi, tmp_path):
    reader = convert_lekiwi(lekiwi_bag(tmp_path / "bag", lerobot_lekiwi), tmp_path / "ds")
    features = {f.key: f for f in reader.info.features.user}
    assert features["observation.state"].names == [k for k, v in lerobot_lekiwi["observation"].items()
                                                   if not isinstance(v, list)]
    columns = reader.episode_columns(0)
    state, action = columns["observation.state"], columns["action"]
    assert state.shape[1] == action.shape[1] == 9 and len(state) == round(3.0 * FPS)
    for k, case in enumerate(lerobot_lekiwi["observed"]):  # odom's twist as LeRobot reads the same wheels
        lerobot = [case["lerobot"][name] for name in ("x.vel", "y.vel", "theta.vel")]
        frames = state[phase_frames(k), 6:]
        np.testing.assert_allclose(frames, np.tile(lerobot, (len(frames), 1)), rtol=1e-5, atol=1e-5)
    for k, case in enumerate(lerobot_lekiwi["commanded"]):  # cmd_vel back in LeRobot's m/s and deg/s
        frames = action[phase_frames(k), 6:]
        np.testing.assert_allclose(frames, np.tile(case["action"], (len(frames), 1)), rtol=1e-6, atol=1e-6)
    silent = action[round((len(lerobot_lekiwi["commanded"]) * PHASE_S + 0.55) * FPS):, 6:]
    assert len(silent) >= 10 and not silent.any()  # cmd_vel silent past 0.5 s: the base stands, zero recorded
    # The arm in LeRobot's degrees (robot_node's radians through the calibration) beside the base.
    units = JointUnits(LEKIWI, ARM, "degrees", default_sim_calibration("lekiwi"))
    sampled_s = [math.floor(k * 100 / FPS + 1e-9) / 100 for k in range(len(state))]  # the 100 Hz message before
    np.testing.assert_allclose(state[:, :6], np.stack([units.from_radians(arm_pose(t)) for t in sampled_s]), atol=1e-3)


def test_export_gives_odom_and_cmd_vel_back_and_drives_the_wheels_as_lerobot(lerobot_lekiwi, tmp_path):
    first = convert_lekiwi(lekiwi_bag(tmp_path / "bag", lerobot_lekiwi), tmp_path / "ds")
    bags = export(tmp_path / "ds", tmp_path / "export", contract_for(tmp_path / "ds"))
    with AnyReader([bags[0]]) as bag:
        assert {c.topic: c.msgtype for c in bag.connections} == {
            "/joint_states": "sensor_msgs/msg/JointState", "/odom": "nav_msgs/msg/Odometry",
            "/arm_controller/joint_trajectory": "trajectory_msgs/msg/JointTrajectory",
            "/cmd_vel": "geometry_msgs/msg/Twist"}
        messages = {}
        for connection, _, raw in bag.messages():
            messages.setdefault(connection.topic, []).append(bag.deserialize(raw, connection.msgtype))
    commands, odom = messages["/cmd_vel"], messages["/odom"]
    assert len(commands) == len(odom) == first.episodes[0].length
    for k, case in enumerate(lerobot_lekiwi["commanded"]):
        # The exported cmd_vel (REP-103: rad/s) drives robot_node's wheels exactly as LeRobot's LeKiwi
        # drives them for the recorded action.
        twist = commands[round((k * PHASE_S + 0.25) * FPS)]
        wheels = WHEELS.body_to_wheel_raw(twist.linear.x, twist.linear.y, twist.angular.z)
        assert list(wheels) == list(case["wheel_raw"].values())
    assert odom[0].header.frame_id == "odom" and odom[0].child_frame_id == "base_link"
    # The pose integrates the recorded velocities: dead reckoning over the episode.
    state = first.episode_columns(0)["observation.state"]
    x = y = yaw = 0.0
    for k in range(1, len(state)):
        vx, vy, w = state[k - 1, 6], state[k - 1, 7], math.radians(state[k - 1, 8])
        yaw_mid = yaw + w / FPS / 2
        x += (vx * math.cos(yaw_mid) - vy * math.sin(yaw_mid)) / FPS
        y += (vx * math.sin(yaw_mid) + vy * math.cos(yaw_mid)) / FPS
        yaw += w / FPS
    last = odom[-1].pose.pose
    assert (last.position.x, last.position.y) == pytest.approx((x, y), abs=0.01)
    yaw_recorded = 2 * math.atan2(last.orientation.z, last.orientation.w)
    assert yaw_recorded == pytest.approx(math.remainder(yaw, math.tau), abs=1e-3)
    # And back: bag -> dataset -> bag -> dataset keeps every value.
    second = convert_lekiwi(bags[0], tmp_path / "ds2")
    for key in ("observation.state", "action"):
        np.testing.assert_allclose(second.episode_columns(0)[key], first.episode_columns(0)[key], atol=2e-3)


def test_a_lekiwi_dataset_lerobot_wrote_exports_onto_odom_and_cmd_vel(oracle_python, tmp_path):
    """No contract: LeRobot's trailing x.vel, y.vel, theta.vel map onto odom and cmd_vel, in rad/s."""
    run_oracle(oracle_python, "lekiwi_lerobot_dataset.py", tmp_path / "lerobot")
    assert not (tmp_path / "lerobot" / "meta" / "lerobot_ros.json").exists()
    assert cli_main(["export", str(tmp_path / "lerobot"), "--out", str(tmp_path / "bags"), "--robot", "lekiwi",
                     "--simulated"]) == 0
    stored = DatasetReader(tmp_path / "lerobot").episode_columns(0)["action"]
    with AnyReader([tmp_path / "bags" / "episode_000000"]) as bag:
        topics = {c.topic: c for c in bag.connections}
        assert topics["/cmd_vel"].msgtype == "geometry_msgs/msg/Twist"
        assert topics["/odom"].msgtype == "nav_msgs/msg/Odometry"
        twists = [bag.deserialize(raw, c.msgtype) for c, _, raw in bag.messages([topics["/cmd_vel"]])]
        odom = [bag.deserialize(raw, c.msgtype).twist.twist for c, _, raw in bag.messages([topics["/odom"]])]
    for sent in (twists, odom):
        got = np.array([[t.linear.x, t.linear.y, math.degrees(t.angular.z)] for t in sent])
        np.testing.assert_allclose(got, stored[:, 6:], atol=1e-4)


def test_lerobots_own_merge_takes_our_lekiwi_dataset_beside_one_lerobot_recorded(lerobot_lekiwi, oracle_python,
                                                                                   tmp_path):
    """LeRobot 0.6.1 records a LeKiwi dataset as lerobot-record sets one up and merges it with ours
    through its own merge_datasets: features, names and robot_type must be equal for it to."""
    bag = lekiwi_bag(tmp_path / "bag", lerobot_lekiwi, camera=(48, 64))
    raw = shipped_config(cameras=True)
    raw["features"] = [f for f in raw["features"] if f["key"] != "observation.images.wrist"]
    raw["features"][-1].update(height=48, width=64)
    convert([bag], tmp_path / "ours", options_from_config(raw, task="ours", progress=False,
                                                          calibration=default_sim_calibration("lekiwi")))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    run = subprocess.run([str(oracle_python), str(ORACLE / "lekiwi_merge_with_lerobot.py"), str(tmp_path / "ours"),
                          str(tmp_path), str(tmp_path / "merged.json")], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]
    seen = json.loads((tmp_path / "merged.json").read_text())
    user = ("observation.state", "action", "observation.images.front")
    assert {k: seen["ours_features"][k] for k in user} == {k: seen["theirs_features"][k] for k in user}
    assert seen["robot_types"] == ["lekiwi"] * 3
    ours_length = DatasetReader(tmp_path / "ours").episodes[0].length
    assert seen["lengths"] == [ours_length, 12, ours_length + 12] and seen["episodes"] == 2
    assert seen["tasks"] == ["lerobot", "ours"]
    first_base = lerobot_lekiwi["observed"][0]["lerobot"]  # ours, frame 0: odom of LeRobot's first case
    np.testing.assert_allclose(seen["first_state"][6:], [first_base[n] for n in ("x.vel", "y.vel", "theta.vel")],
                               atol=1e-5)
    np.testing.assert_allclose(seen["last_state"], seen["last_state_written"], atol=1e-4)


def test_a_silent_cmd_vel_is_zero_velocity_while_a_silent_odom_is_a_gap():
    config = load_recording_config(shipped_config())
    sampler = CausalSampler(config)
    sampler.push("observation.state", 0.0, np.zeros(6))
    sampler.push("action", 0.0, np.zeros(6))
    frame = sampler.sample(0.01)
    assert frame is None and sampler.report.streams["observation.state/base"].missing == 1  # no odom: no frame
    assert sampler.report.streams["action/base"].zeroed == 1  # no cmd_vel yet: zero, not missing
    sampler.push("observation.state/base", 0.02, np.array([0.1, 0.0, 5.0]))
    sampler.push("action/base", 0.02, np.array([0.2, 0.1, 30.0]))
    for stream in ("observation.state", "action"):
        sampler.push(stream, 0.02, np.ones(6))
    frame = sampler.sample(0.03)
    np.testing.assert_array_equal(frame.values["action"], np.float32([1, 1, 1, 1, 1, 1, 0.2, 0.1, 30.0]))
    np.testing.assert_allclose(frame.values["observation.state"], [1, 1, 1, 1, 1, 1, 0.1, 0.0, 5.0])
    for stream in ("observation.state", "observation.state/base", "action"):
        sampler.push(stream, 0.6, np.ones(6) if "/" not in stream else np.array([0.1, 0.0, 5.0]))
    frame = sampler.sample(0.6)  # cmd_vel 0.58 s old: past robot_node's 0.5 s watchdog, the base stands
    np.testing.assert_array_equal(frame.values["action"][6:], [0.0, 0.0, 0.0])
    assert frame.samples["action/base"].status == "zeroed"


def test_the_contract_saves_and_loads_the_base_part(tmp_path):
    contract = FeatureContract.for_arm(load_recording_config(shipped_config(cameras=True)), simulated=True)
    loaded = FeatureContract.load(contract.save(tmp_path), default_sim_calibration("lekiwi"))
    assert loaded.config == contract.config
    base = loaded.config.feature("observation.state").base
    assert (base.key, base.topic, base.type) == ("observation.state/base", "odom", "odometry")
    twist = SimpleNamespace(linear=SimpleNamespace(x=0.25, y=-0.1), angular=SimpleNamespace(z=math.pi / 4))
    np.testing.assert_allclose(loaded.value(base, SimpleNamespace(twist=SimpleNamespace(twist=twist))),
                               [0.25, -0.1, 45.0], rtol=1e-6)


def test_a_dataset_with_the_base_from_odom_refuses_a_config_reading_it_from_cmd_vel(tmp_path):
    contract = FeatureContract.for_arm(load_recording_config(shipped_config()), simulated=True)
    contract.save(tmp_path)
    contract.check_matches(tmp_path)  # the same config appends
    swapped = shipped_config()
    swapped["features"][0]["base"] = {"topic": "cmd_vel", "type": "twist"}
    other = FeatureContract.for_arm(load_recording_config(swapped), simulated=True)
    with pytest.raises(RecordingConfigError, match="observation.state's base velocity was recorded from odometry, "
                                                   "the config reads it from twist"):
        other.check_matches(tmp_path)


@pytest.mark.parametrize("base, message", [
    ({"topic": "odom", "type": "pose"}, "base type must be one of ['odometry', 'twist', 'twist_stamped']"),
    ({"type": "odometry"}, "'base' must be a mapping {topic, type}"),
    ({"topic": "odom", "type": "odometry", "units": "degrees"}, "'base' must be a mapping {topic, type}"),
    ({"topic": "odom", "type": "odometry", "max_age_s": 0}, "base max_age_s must be a positive number"),
])
def test_a_bad_base_part_is_refused_naming_the_feature(base, message):
    raw = {"fps": 30, "robot": "lekiwi", "features": [
        {"key": "observation.state", "topic": "joint_states", "type": "joint_state", "base": base}]}
    with pytest.raises(RecordingConfigError, match=re.escape(f"feature 'observation.state': {message}")):
        load_recording_config(raw)


def test_a_base_velocity_alone_is_a_feature_of_its_own():
    config = load_recording_config({"fps": 30, "features": [
        {"key": "observation.base_velocity", "topic": "odom", "type": "odometry"}]})
    assert config.dataset_features()["observation.base_velocity"] == {
        "dtype": "float32", "shape": [3], "names": ["x.vel", "y.vel", "theta.vel"]}
    with pytest.raises(RecordingConfigError, match=r"\['base'\] do not apply to type 'image'"):
        load_recording_config({"fps": 30, "features": [
            {"key": "observation.images.front", "topic": "front/image_raw", "type": "image", "height": 4,
             "width": 4, "base": {"topic": "odom", "type": "odometry"}}]})
