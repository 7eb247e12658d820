"""Every launch file run with `ros2 launch` against the colcon-installed package (issue 13).

Checks the graph that comes up (node names, namespaces, remaps, rates, parameters, including a custom
parameter file under a namespace) with rclpy and the `ros2` command, and that Ctrl-C leaves no process.
robot_state_publisher, move_group, rviz2 and joint_state_publisher_gui are STAND-INS (conftest.py):
they record what launch gave them.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import rclpy

from ros_client import RobotClient

pytestmark = [pytest.mark.slow, pytest.mark.ros]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ros():
    rclpy.init()
    yield
    rclpy.shutdown()


def assert_stops_cleanly(launch) -> None:
    """Ctrl-C ends the launch with status 0 and leaves no process of it behind."""
    rc = launch.stop()
    deadline = time.monotonic() + 10
    while launch.processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [f"{p.pid} {' '.join(p.cmdline())}" for p in launch.processes()]
    assert not left, f"processes left after the launch ended: {left}"
    assert rc == 0, f"ros2 launch exited {rc}:\n{launch.log[-4000:]}"


def _param(launch, node: str, name: str) -> str:
    _graph(launch, "node", {node})  # `ros2 param` alone gives up on a node it has not discovered yet
    result = launch.ros2("param", "get", "--no-daemon", node, name)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def _rate(namespace: str, window_s: float = 3.0) -> float:
    client = RobotClient(name="launch_test_client", namespace=namespace)
    try:
        client.wait_for_state(timeout=30)
        return client.rate_hz(window_s)[0]
    finally:
        client.close()


def test_robot_launch_under_a_namespace_with_a_custom_params_file(ros, launch, tmp_path):
    params = tmp_path / "my_robot.yaml"
    params.write_text("/**:\n  ros__parameters:\n    publish_rate_hz: 50.0\n    diagnostics_rate_hz: 2.0\n")
    run = launch("robot.launch.py", "namespace:=arm1", f"params_file:={params}")
    run.wait_log("joints at")
    assert 45 < _rate("arm1") < 55
    assert _param(run, "/arm1/robot_node", "publish_rate_hz") == "Double value is: 50.0"
    # Read once at start-up: a change is refused, not reported as done (bug 8).
    result = run.ros2("param", "set", "--no-daemon", "/arm1/robot_node", "publish_rate_hz", "10.0")
    assert "read-only" in result.stdout + result.stderr and "Set parameter successful" not in result.stdout
    assert _param(run, "/arm1/robot_node", "publish_rate_hz") == "Double value is: 50.0"
    assert_stops_cleanly(run)


def _graph(run, kind: str, expected: set[str], timeout: float = 30.0) -> set[str]:
    """`ros2 node list` / `ros2 topic list` (kind: node, topic), asked again until it shows ``expected``."""
    deadline = time.monotonic() + timeout
    while True:
        result = run.ros2(kind, "list", "--no-daemon", "--spin-time", "2")
        names = set(result.stdout.split())
        if expected <= names or time.monotonic() > deadline:
            assert expected <= names, f"ros2 {kind} list: {sorted(names)} {result.stderr}"
            return names


def test_camera_launch_names_the_node_and_its_topics_after_the_camera(ros, launch):
    run = launch("camera.launch.py", "name:=wrist", "source:=sim", "namespace:=cam")
    _graph(run, "topic", {"/cam/wrist/image_raw", "/cam/wrist/camera_info"})
    _graph(run, "node", {"/cam/wrist_camera"})
    assert_stops_cleanly(run)


def test_description_launch_gives_robot_state_publisher_the_urdf(launch):
    run = launch("description.launch.py", "robot_type:=koch_follower", "namespace:=arm3")
    started = run.standin("robot_state_publisher")
    assert started["node"] == "/arm3/robot_state_publisher"
    assert started["parameters"]["robot_description"] == (REPO / "urdf" / "koch_follower.urdf").read_text()
    assert_stops_cleanly(run)


def test_bringup_launch_starts_robot_camera_and_description_without_deprecation_warnings(ros, launch):
    run = launch("bringup.launch.py", "namespace:=arm2", "camera_source:=sim", "front_camera:=0")
    run.wait_log("joints at")
    assert run.standin("robot_state_publisher")["node"] == "/arm2/robot_state_publisher"
    assert _rate("arm2", 2.0) > 80
    nodes = _graph(run, "node", {"/arm2/robot_node", "/arm2/front_camera", "/arm2/robot_state_publisher"})
    assert "/arm2/wrist_camera" not in nodes  # wrist_camera:=none (default)
    assert not (run.standin_dir / "rviz2.json").exists()  # rviz:=false (default)
    assert_stops_cleanly(run)
    assert "deprecated" not in run.log.lower()  # bug 4: LaunchConfigurationNotEquals


@pytest.mark.parametrize("file, missing", [
    ("bringup.launch.py", "robot_state_publisher"),
    ("moveit.launch.py", "moveit_ros_move_group"),
    ("moveit.launch.py", "rviz2"),
])
def test_a_missing_package_fails_the_launch_before_any_node_starts(launch, file, missing):
    """Bug 3: robot_node was left running (torque on, parent PID 1) when a later package was missing."""
    run = launch(file, without=(missing,))
    rc = run.proc.wait(60)
    assert rc != 0
    assert f"package(s) not found: {missing}" in run.log and "nothing was started" in run.log
    assert "process started" not in run.log  # launch logs "[INFO] [robot_node-1]: process started ..."
    assert not run.processes()


def test_sim_launch_starts_the_simulated_robot_camera_and_rviz(ros, launch):
    run = launch("sim.launch.py", "robot_type:=so100_follower")
    run.wait_log("joints at")
    assert run.standin("rviz2")["argv"][:1] == ["-d"]
    assert run.standin("robot_state_publisher")["node"] == "/robot_state_publisher"
    _graph(run, "topic", {"/front/image_raw"})
    assert_stops_cleanly(run)


def test_rviz_launch_with_sliders_starts_description_gui_and_rviz(launch):
    run = launch("rviz.launch.py", "gui:=true", "namespace:=viz")
    assert run.standin("joint_state_publisher_gui")["node"] == "/viz/joint_state_publisher_gui"
    assert run.standin("rviz2")["argv"][1].endswith("share/lerobot_ros/config/rviz/lerobot_ros.rviz")
    assert run.standin("robot_state_publisher")["node"] == "/viz/robot_state_publisher"
    assert_stops_cleanly(run)


def test_moveit_launch_starts_move_group_rviz_and_the_robot(ros, launch):
    run = launch("moveit.launch.py")
    run.wait_log("joints at")
    move_group = run.standin("move_group")["parameters"]
    assert move_group["robot_description_semantic"] == (REPO / "config/moveit/so101/so101.srdf").read_text()
    assert move_group["moveit_controller_manager"].startswith("moveit_simple_controller_manager")
    # Bug 1: with bringup:=true (the default) RViz never started.
    rviz = run.standin("rviz2")
    assert rviz["argv"][1].endswith("config/rviz/moveit.rviz") and "robot_description" in rviz["parameters"]
    assert _rate("", 2.0) > 80
    assert_stops_cleanly(run)


def test_teleop_launch_drives_the_follower_from_the_leader(ros, launch):
    run = launch("teleop.launch.py", "namespace:=tele")
    run.wait_log("joints at")
    run.wait_log("leader so101_leader")
    _graph(run, "node", {"/tele/robot_node", "/tele/teleop_node"})
    assert _param(run, "/tele/teleop_node", "rate_hz") == "Double value is: 100.0"
    _graph(run, "topic", {"/tele/arm_controller/joint_trajectory"})
    assert_stops_cleanly(run)


def _call(node, srv_type, name: str, request, timeout: float = 60.0):
    client = node.create_client(srv_type, name)
    assert client.wait_for_service(timeout_sec=30), f"no service {name}"
    future = client.call_async(request)
    rclpy.spin_until_future_complete(node, future, timeout_sec=timeout)
    assert future.done(), f"{name} did not answer"
    return future.result()


def test_record_launch_records_an_episode_under_a_namespace(ros, launch, tmp_path):
    from lerobot_ros_interfaces.srv import StartEpisode
    from std_srvs.srv import Trigger

    root = tmp_path / "dataset"
    run = launch("record.launch.py", f"root:={root}", "namespace:=rec", "camera_source:=sim", "codec:=libx264")
    run.wait_log("joints at")
    # Bug 2: under a namespace recorder_node got none of recorder_node.yaml (an empty robot_type).
    assert _param(run, "/rec/recorder_node", "robot_type") == "String value is: so_follower"
    assert _param(run, "/rec/recorder_node", "encoder_nice") == "Integer value is: 10"
    node = rclpy.create_node("launch_test_recorder_client", namespace="rec")
    arm = RobotClient(name="launch_test_teleop", namespace="rec")  # the action stream, as teleop_node sends it
    try:
        hold = arm.positions() or dict(zip(arm.wait_for_state().name, arm.wait_for_state().position))
        started = _call(node, StartEpisode, "recorder_node/start_episode", StartEpisode.Request(task="pick"))
        assert started.success, started.message
        began = time.monotonic()
        for _ in range(150):  # 3 s at 50 Hz
            arm.send(list(hold), [(list(hold.values()), 0.02)])
            time.sleep(0.02)
        stopped = _call(node, Trigger, "recorder_node/stop_episode", Trigger.Request())
        assert stopped.success, stopped.message
        took_s = time.monotonic() - began
        finalized = _call(node, Trigger, "recorder_node/finalize", Trigger.Request())
        assert finalized.success, finalized.message
    finally:
        arm.close()
        node.destroy_node()
    # One take is one episode unless the 2 cores starve a stream for a tick: then the recorder splits
    # it at the gap (recording_session's on_gap) and says so. Either way the dataset holds what it said
    # it saved: at least 2 of the take's 3 s, and no more than it lasted, at 30 fps.
    run.wait_log("saved episode")
    saved = re.search(r"saved episodes? [\d-]+: ([\d + ]+) frames", run.log)
    assert saved, run.log[-4000:]
    lengths = [int(n) for n in saved.group(1).split("+")]
    assert len(lengths) == 1 or "SPLIT at" in run.log, run.log[-4000:]
    info = json.loads((root / "meta" / "info.json").read_text())
    assert info["total_episodes"] == len(lengths)
    assert info["total_frames"] == sum(lengths)
    assert 60 <= sum(lengths) <= (took_s + 0.5) * 30
    assert_stops_cleanly(run)


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A SmolVLA2 checkpoint trained for 2 steps: enough for policy_node to load and run it."""
    from lerobot_ros.scenarios.policy_scenario import Scenario, write_scenario_dataset
    from lerobot_ros.training import train_tiny_checkpoint

    folder = tmp_path_factory.mktemp("policy")
    dataset = write_scenario_dataset(folder / "dataset", Scenario())
    return train_tiny_checkpoint(dataset, folder / "train", steps=2, batch_size=2)


def test_policy_launch_with_defaults_runs_policy_and_speech_without_an_audio_device(ros, launch, tiny_checkpoint,
                                                                                     tmp_path):
    run = launch("policy.launch.py", f"checkpoint:={tiny_checkpoint}", "chunk_fps:=15.0", "namespace:=pol",
                 f"wav_dir:={tmp_path / 'speech'}")
    run.wait_log("joints at")
    run.wait_log("chunks at 15 fps", timeout=90)  # bug 7: chunk_fps reaches policy_node
    assert _param(run, "/pol/policy_node", "chunk_fps") == "Double value is: 15.0"
    # The installed config/policy_node.yaml reaches the namespaced node (chunk_blending and RTC, issue 16).
    assert _param(run, "/pol/policy_node", "chunk_blending") == "String value is: crossfade"
    assert _param(run, "/pol/policy_node", "rtc_execution_horizon") == "Integer value is: 10"
    # Bug 5: say_node's default output died on a machine with no audio device; auto writes WAV files.
    _graph(run, "node", {"/pol/say_node", "/pol/robot_node", "/pol/front_camera", "/pol/policy_node"})
    assert "process has died" not in run.log, run.log[-4000:]
    assert_stops_cleanly(run)
