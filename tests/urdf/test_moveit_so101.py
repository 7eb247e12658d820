"""The SO-101 MoveIt configuration agrees with its URDF and with robot_node.

No MoveIt is installable here, so these read the files as MoveIt would: the SRDF's groups, states,
end effector and collision pairs name the URDF's joints and links; kinematics, OMPL and joint limits
name the SRDF's groups and the URDF's joints; the controller is robot_node's action and joints.
tests/nodes/test_moveit_controller.py sends these named poses to a running robot_node.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
import yourdfpy

from lerobot_ros.node_params.robot_node import PARAMS as ROBOT_NODE_PARAMS
from lerobot_ros.robots.robot import joint_limits_rad
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.robots.sim_calibration import default_sim_calibration

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config" / "moveit" / "so101"
URDF = yourdfpy.URDF.load(str(REPO / "urdf" / "so101_follower.urdf"), load_meshes=False)
SRDF = ET.parse(CONFIG / "so101.srdf").getroot()
JOINTS = {j.name: j for j in URDF.robot.joints}
LINKS = set(URDF.link_map)
GROUPS = {g.get("name"): g for g in SRDF.findall("group")}


def _yaml(name: str) -> dict:
    return yaml.safe_load((CONFIG / name).read_text())


def chain_joints(base: str, tip: str) -> list[str]:
    """Movable joints from ``base`` to ``tip`` in the URDF tree."""
    parent_joint = {j.child: j for j in URDF.robot.joints}
    names, link = [], tip
    while link != base:
        joint = parent_joint[link]
        if joint.type != "fixed":
            names.append(joint.name)
        link = joint.parent
    return names[::-1]


def group_joints(name: str) -> list[str]:
    group = GROUPS[name]
    joints = [j.get("name") for j in group.findall("joint")]
    for chain in group.findall("chain"):
        joints += chain_joints(chain.get("base_link"), chain.get("tip_link"))
    return joints


def test_groups_name_urdf_joints_and_links():
    assert set(GROUPS) == {"arm", "gripper"}
    chain = GROUPS["arm"].find("chain")
    assert {chain.get("base_link"), chain.get("tip_link")} <= LINKS
    assert group_joints("arm") == ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll"]
    assert group_joints("gripper") == ["gripper"]
    for name in group_joints("arm") + group_joints("gripper"):
        assert JOINTS[name].type == "revolute"


def test_named_poses_set_every_group_joint_within_what_robot_node_allows():
    """Within the URDF limits, and within robot_node's (narrower for the gripper) on a fresh arm."""
    rtype = robot_type("so101_follower")
    robot_limits = dict(zip(rtype.joint_names, joint_limits_rad(rtype, default_sim_calibration(rtype.name))))
    states = SRDF.findall("group_state")
    assert {s.get("name") for s in states if s.get("group") == "arm"} >= {"home", "ready", "rest"}
    assert {s.get("name") for s in states if s.get("group") == "gripper"} == {"open", "closed"}
    for state in states:
        values = {j.get("name"): float(j.get("value")) for j in state.findall("joint")}
        assert sorted(values) == sorted(group_joints(state.get("group"))), state.get("name")
        for name, value in values.items():
            limit = JOINTS[name].limit
            assert limit.lower <= value <= limit.upper, f"{state.get('name')}: {name}={value}"
            lo, hi = robot_limits[name]
            assert lo <= value <= hi, f"{state.get('name')}: {name}={value} outside robot_node's [{lo}, {hi}]"


def test_end_effector_hangs_off_the_arm():
    (ee,) = SRDF.findall("end_effector")
    assert ee.get("group") == "gripper" and ee.get("parent_group") == "arm"
    chain = GROUPS["arm"].find("chain")
    arm_links = {JOINTS[name].child for name in chain_joints(chain.get("base_link"), chain.get("tip_link"))}
    assert ee.get("parent_link") in arm_links, "the end effector's parent link must move with the arm"
    assert JOINTS["gripper"].parent == ee.get("parent_link")


def test_disabled_collisions_name_real_links_and_cover_every_adjacent_pair():
    pairs = {frozenset((d.get("link1"), d.get("link2"))) for d in SRDF.findall("disable_collisions")}
    for pair in pairs:
        assert pair <= LINKS, f"disable_collisions names a link the URDF lacks: {sorted(pair)}"
    colliding = {link.name for link in URDF.robot.links if link.collisions}
    for joint in URDF.robot.joints:
        if joint.type != "fixed" and {joint.parent, joint.child} <= colliding:
            assert frozenset((joint.parent, joint.child)) in pairs, f"adjacent {joint.parent}/{joint.child}"


def test_kinematics_and_planning_name_srdf_groups():
    kinematics = _yaml("kinematics.yaml")
    assert set(kinematics) == {"arm"}
    assert kinematics["arm"]["kinematics_solver"] == "kdl_kinematics_plugin/KDLKinematicsPlugin"
    ompl = _yaml("ompl_planning.yaml")
    for group in ("arm", "gripper"):
        for planner in ompl[group]["planner_configs"]:
            assert planner in ompl["planner_configs"], f"{group}: unknown planner config {planner}"


def test_joint_limits_name_urdf_joints_within_their_urdf_velocity():
    limits = _yaml("joint_limits.yaml")["joint_limits"]
    assert sorted(limits) == sorted(group_joints("arm") + group_joints("gripper"))
    for name, entry in limits.items():
        assert 0 < entry["max_velocity"] <= JOINTS[name].limit.velocity, name
        assert entry["max_acceleration"] > 0, name


def test_controller_is_robot_node_action_over_the_joints_it_owns():
    managers = _yaml("moveit_controllers.yaml")["moveit_simple_controller_manager"]
    robot_node = yaml.safe_load((REPO / "config" / "robot_node.yaml").read_text())["/**"]["ros__parameters"]
    controller_name = robot_node.get("controller_name", next(p.default for p in ROBOT_NODE_PARAMS
                                                              if p.name == "controller_name"))
    assert managers["controller_names"] == [controller_name]
    controller = managers[controller_name]
    assert controller["type"] == "FollowJointTrajectory"
    assert controller["action_ns"] == "follow_joint_trajectory"
    # one controller owns every joint robot_node publishes, gripper included, so both groups execute
    assert controller["joints"] == robot_type("so101_follower").joint_names
    for group in GROUPS:
        assert set(group_joints(group)) <= set(controller["joints"])


@pytest.mark.parametrize("name", ["so101.srdf", "kinematics.yaml", "joint_limits.yaml", "ompl_planning.yaml",
                                  "moveit_controllers.yaml"])
def test_moveit_launch_names_each_configuration_file(name):
    assert f"config/moveit/so101/{name}" in (REPO / "launch" / "moveit.launch.py").read_text()
