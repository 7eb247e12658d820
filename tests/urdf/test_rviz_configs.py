"""The RViz configurations show what the nodes publish, in frames the URDFs have.

RViz is not installable here; these read the .rviz files (YAML) for what RViz would subscribe to.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
import yourdfpy

REPO = Path(__file__).resolve().parents[2]
RVIZ = REPO / "config" / "rviz"


def displays(name: str) -> dict[str, dict]:
    config = yaml.safe_load((RVIZ / name).read_text())
    return {d["Name"]: d for d in config["Visualization Manager"]["Displays"]}


def fixed_frame(name: str) -> str:
    return yaml.safe_load((RVIZ / name).read_text())["Visualization Manager"]["Global Options"]["Fixed Frame"]


@pytest.mark.parametrize("config", ["lerobot_ros.rviz", "moveit.rviz"])
def test_fixed_frame_is_a_link_of_every_robot_shown(config):
    urdfs = sorted((REPO / "urdf").glob("*.urdf")) if config == "lerobot_ros.rviz" else [
        REPO / "urdf" / "so101_follower.urdf"]
    for path in urdfs:
        assert fixed_frame(config) in yourdfpy.URDF.load(str(path), load_meshes=False).link_map, path.name


@pytest.mark.parametrize("config, cameras", [("lerobot_ros.rviz", ["front", "wrist"]), ("moveit.rviz", ["front"])])
def test_camera_images_are_camera_node_topics_with_its_qos(config, cameras):
    """camera_node publishes <name>/image_raw with sensor-data QoS (best effort): a reliable RViz
    subscription would get nothing."""
    images = [d for d in displays(config).values() if d["Class"] == "rviz_default_plugins/Image"]
    assert sorted(d["Topic"]["Value"].lstrip("/") for d in images) == sorted(f"{c}/image_raw" for c in cameras)
    for display in images:
        assert display["Topic"]["Reliability Policy"] == "Best Effort"


def test_robot_model_reads_robot_state_publisher_description():
    model = displays("lerobot_ros.rviz")["RobotModel"]
    assert model["Description Source"] == "Topic"
    assert model["Description Topic"]["Value"] == "robot_description"  # relative: follows the namespace
    assert model["Description Topic"]["Durability Policy"] == "Transient Local"  # robot_state_publisher latches
    assert displays("lerobot_ros.rviz")["TF"]["Enabled"]


def test_motion_planning_plans_for_an_srdf_group():
    planning = displays("moveit.rviz")["MotionPlanning"]
    assert planning["Class"] == "moveit_rviz_plugin/MotionPlanning"
    srdf = (REPO / "config" / "moveit" / "so101" / "so101.srdf").read_text()
    assert f'<group name="{planning["Planning Request"]["Planning Group"]}">' in srdf
