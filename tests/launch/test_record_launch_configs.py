"""record.launch.py with shipped recording configs under a namespace: LeKiwi's (issue 12) and make demo's (issue 16)."""

from __future__ import annotations

import pytest

from test_launch_runtime import _param, assert_stops_cleanly, ros  # noqa: F401 (the rclpy fixture)

pytestmark = pytest.mark.slow


def test_record_launch_takes_the_lekiwi_config_under_a_namespace(ros, launch, workspace, tmp_path):
    config = workspace / "install" / "lerobot_ros" / "share" / "lerobot_ros" / "config" / "recording" / "lekiwi.yaml"
    assert config.is_file()  # installed by setup.py with the other recording configs
    run = launch("record.launch.py", f"root:={tmp_path / 'dataset'}", "namespace:=kiwi", "follower_type:=lekiwi",
                 "camera_source:=sim", "codec:=libx264", f"recording_config:={config}")
    run.wait_log("joints at")
    assert _param(run, "/kiwi/recorder_node", "config").endswith("lekiwi.yaml")
    assert_stops_cleanly(run)


def test_record_launch_takes_the_demo_config_under_a_namespace(ros, launch, workspace, tmp_path):
    """make demo's physics-twin recording config (its language topics included) loads in recorder_node."""
    recording = workspace / "install" / "lerobot_ros" / "share" / "lerobot_ros" / "config" / "recording"
    config = recording / "so101_sim_demo.yaml"
    assert config.is_file()
    run = launch("record.launch.py", f"root:={tmp_path / 'dataset'}", "namespace:=demo", "camera_source:=sim",
                 "codec:=libx264", f"recording_config:={config}")
    run.wait_log("joints at")
    assert _param(run, "/demo/recorder_node", "config").endswith("so101_sim_demo.yaml")
    assert "process has died" not in run.log, run.log[-4000:]
    assert_stops_cleanly(run)
