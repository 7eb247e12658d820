"""FollowJointTrajectory (what MoveIt executes) against robot_node on a simulated SO-101, across processes."""

from __future__ import annotations

import time

import pytest
from control_msgs.action import FollowJointTrajectory

from lerobot_ros.robots.tables import robot_type
from ros_client import RobotClient, TrajectoryActionClient, trajectory_goal
from ros_processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.ros]

JOINTS = robot_type("so101_follower").joint_names
ACTION = "arm_controller/follow_joint_trajectory"


@pytest.fixture(scope="module")
def so101(ros, tmp_path_factory):
    node = NodeProcess("lerobot_ros.nodes.robot_node", "so101_action",
                       {"robot_type": "so101_follower", "port": "sim"}, tmp_path_factory.mktemp("action"))
    client = RobotClient("action_state_client")
    client.wait_for_state(timeout=30.0)
    yield node, client
    client.close()
    node.stop()


@pytest.fixture(scope="module")
def action_client(so101):
    client = TrajectoryActionClient(ACTION)
    assert client.wait_for_server(), "no follow_joint_trajectory server"
    yield client
    client.close()


def _goal(points: list[tuple[list[float], float]]) -> FollowJointTrajectory.Goal:
    return trajectory_goal(JOINTS, points)


def test_goal_succeeds_and_the_arm_ends_at_the_last_point(so101, action_client):
    _, state = so101
    start = [state.positions()[j] for j in JOINTS]
    middle = [p + 0.15 for p in start]
    end = [start[0] + 0.3, start[1] - 0.2, start[2] + 0.2, start[3], start[4] + 0.4, start[5] + 0.3]
    result, feedback = action_client.run(_goal([(start, 0.0), (middle, 0.6), (end, 1.2)]))
    assert result.status == 4, result.result.error_string  # GoalStatus.STATUS_SUCCEEDED
    assert result.result.error_code == FollowJointTrajectory.Result.SUCCESSFUL
    assert len(feedback) > 10 and list(feedback[-1].joint_names) == JOINTS
    time.sleep(0.1)
    reached = state.positions()
    assert [reached[j] for j in JOINTS] == pytest.approx(end, abs=0.05)


def test_out_of_limit_goal_is_rejected_with_a_reason_and_the_arm_stays(so101, action_client):
    _, state = so101
    before = state.positions()
    start = [before[j] for j in JOINTS]
    too_far = list(start)
    too_far[1] = 3.0  # shoulder_lift is limited to +-1.745 rad
    result, _ = action_client.run(_goal([(too_far, 1.0)]))
    assert result.status == 6  # GoalStatus.STATUS_ABORTED
    assert result.result.error_code == FollowJointTrajectory.Result.INVALID_GOAL
    assert "shoulder_lift" in result.result.error_string and "limit" in result.result.error_string
    time.sleep(0.3)
    after = state.positions()
    assert [after[j] for j in JOINTS] == pytest.approx(start, abs=0.01)


def test_unknown_joint_is_rejected_naming_it(so101, action_client):
    goal = _goal([([0.0] * 6, 1.0)])
    goal.trajectory.joint_names = list(JOINTS[:5]) + ["elbow_twist"]
    result, _ = action_client.run(goal)
    assert result.status == 6
    assert result.result.error_code == FollowJointTrajectory.Result.INVALID_JOINTS
    assert "elbow_twist" in result.result.error_string
