"""What MoveIt's controller manager would do with config/moveit/so101, done against a real robot_node.

robot_node runs from its shipped parameter file (`--ros-args --params-file config/robot_node.yaml`,
as bringup.launch.py starts it) on a simulated SO-101. The test reads the action name and joints from
moveit_controllers.yaml and the targets from the SRDF's named poses, sends arm-only and gripper-only
FollowJointTrajectory goals (a MoveIt plan for one group names only that group's joints), timed
with joint_limits.yaml's velocities, and checks that each succeeds and the arm ends at the pose.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import yaml
from control_msgs.action import FollowJointTrajectory

from ros_client import RobotClient, TrajectoryActionClient, trajectory_goal
from ros_processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.ros]

REPO = Path(__file__).resolve().parents[2]
MOVEIT = REPO / "config" / "moveit" / "so101"
CONTROLLERS = yaml.safe_load((MOVEIT / "moveit_controllers.yaml").read_text())["moveit_simple_controller_manager"]
LIMITS = yaml.safe_load((MOVEIT / "joint_limits.yaml").read_text())
SRDF = ET.parse(MOVEIT / "so101.srdf").getroot()


def named_pose(group: str, name: str) -> dict[str, float]:
    (state,) = [s for s in SRDF.findall("group_state") if s.get("group") == group and s.get("name") == name]
    return {j.get("name"): float(j.get("value")) for j in state.findall("joint")}


@pytest.fixture(scope="module")
def robot(ros, tmp_path_factory):
    node = NodeProcess("lerobot_ros.nodes.robot_node", "robot_node", REPO / "config" / "robot_node.yaml",
                       tmp_path_factory.mktemp("moveit"))
    client = RobotClient("moveit_state_client")
    client.wait_for_state(timeout=30.0)
    yield node, client
    client.close()
    assert node.stop() == 0, node.log()


@pytest.fixture(scope="module")
def controller(robot):
    (name,) = CONTROLLERS["controller_names"]
    client = TrajectoryActionClient(f"{name}/{CONTROLLERS[name]['action_ns']}", "moveit_like_client")
    assert client.wait_for_server(), f"robot_node serves no {name} action"
    yield client
    client.close()


def plan(start: dict[str, float], goal: dict[str, float], points: int = 10) -> FollowJointTrajectory.Goal:
    """A straight joint-space plan with positions, velocities and accelerations, as MoveIt sends them:
    a cosine speed profile (at rest at both ends) whose peak speed is the scaled joint_limits.yaml
    velocity of the slowest-to-arrive joint."""
    names = list(goal)
    a, b = np.array([start[n] for n in names]), np.array([goal[n] for n in names])
    speed = np.array([LIMITS["joint_limits"][n]["max_velocity"] for n in names])
    duration = max(float(np.max(np.abs(b - a) * np.pi / 2 / (speed * LIMITS["default_velocity_scaling_factor"]))),
                   0.5)
    phases = np.linspace(0.0, 1.0, points)
    msg = trajectory_goal(names, [((a + (b - a) * (1 - np.cos(np.pi * u)) / 2).tolist(), u * duration)
                                  for u in phases])
    for point, u in zip(msg.trajectory.points, phases):
        point.velocities = ((b - a) * np.pi / (2 * duration) * np.sin(np.pi * u)).tolist()
        point.accelerations = ((b - a) * np.pi ** 2 / (2 * duration ** 2) * np.cos(np.pi * u)).tolist()
    msg.trajectory.points[-1].velocities = [0.0] * len(names)  # exactly at rest (sin(pi) is 1e-16)
    return msg


@pytest.mark.parametrize("group, pose", [("arm", "ready"), ("arm", "rest"), ("gripper", "open"),
                                         ("arm", "home"), ("gripper", "closed")])
def test_named_pose_executes_on_robot_node(robot, controller, group, pose):
    _, state = robot
    target = named_pose(group, pose)
    assert set(target) <= set(CONTROLLERS[CONTROLLERS["controller_names"][0]]["joints"])
    others_before = {n: v for n, v in state.positions().items() if n not in target}
    result, _ = controller.run(plan(state.positions(), target), timeout=30.0)
    assert result.status == 4, result.result.error_string  # GoalStatus.STATUS_SUCCEEDED
    assert result.result.error_code == FollowJointTrajectory.Result.SUCCESSFUL
    time.sleep(0.3)
    reached = state.positions()
    for name, value in target.items():
        assert reached[name] == pytest.approx(value, abs=0.05), name
    for name, value in others_before.items():  # joints outside the group hold where they were
        assert reached[name] == pytest.approx(value, abs=0.05), name
