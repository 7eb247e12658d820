"""control_msgs/action/FollowJointTrajectory, the interface MoveIt executes trajectories through.

From ros-jazzy-control-msgs on a ROS 2 install, or built from interfaces/control_msgs by
scripts/build_control_msgs.sh in a venv with the PyPI wheels. Either way it must be the official
definition: same fields, same constants and the same type hashes (RIHS01) as the released Jazzy package,
or MoveIt's goals would not be understood.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# Type hashes of the released ros-jazzy-control-msgs (5.x); they ignore comments, not fields.
JAZZY_HASHES = {
    "control_msgs/action/FollowJointTrajectory":
        "RIHS01_738ebcb7a2d7cfa42f9f1001cc99ce3a4383d1cfe508015d9be8485e4b1c66f6",
    "control_msgs/action/FollowJointTrajectory_Goal":
        "RIHS01_8a9060704b269608f5a340934cc26e66869dd14bdac29e2e7fd9ec8b9882d205",
    "control_msgs/action/FollowJointTrajectory_Result":
        "RIHS01_8002e99ed2c14c6faa522f2a93c26d744c5982f254f9e98ff9c6f19789bdb220",
    "control_msgs/action/FollowJointTrajectory_FeedbackMessage":
        "RIHS01_80398fcb9674a79081a9906e2ccf0c804dd7cb15e22e362e606ee87186beab71",
    "control_msgs/msg/JointTolerance":
        "RIHS01_c254f9cece0f3b733017b6990fd46d1326e25242d6b8844398c97d9a88e7d648",
    "control_msgs/msg/JointComponentTolerance":
        "RIHS01_739ea7566931944d33830fa10f1bf5e7a7fbdc3172bce7a7eaac642bd6e3ffa4",
}


def test_goal_fields_moveit_uses():
    from builtin_interfaces.msg import Duration
    from control_msgs.action import FollowJointTrajectory
    from control_msgs.msg import JointTolerance
    from trajectory_msgs.msg import JointTrajectory

    fields = FollowJointTrajectory.Goal.get_fields_and_field_types()
    assert fields["trajectory"] == "trajectory_msgs/JointTrajectory"
    assert fields["path_tolerance"] == "sequence<control_msgs/JointTolerance>"
    assert fields["goal_tolerance"] == "sequence<control_msgs/JointTolerance>"
    assert fields["goal_time_tolerance"] == "builtin_interfaces/Duration"
    assert fields["multi_dof_trajectory"] == "trajectory_msgs/MultiDOFJointTrajectory"
    assert fields["component_path_tolerance"] == "sequence<control_msgs/JointComponentTolerance>"
    assert fields["component_goal_tolerance"] == "sequence<control_msgs/JointComponentTolerance>"

    goal = FollowJointTrajectory.Goal()
    assert isinstance(goal.trajectory, JointTrajectory)
    assert isinstance(goal.goal_time_tolerance, Duration)
    goal.path_tolerance = [JointTolerance(name="shoulder_pan", position=0.1, velocity=0.5, acceleration=1.0)]
    assert goal.path_tolerance[0].position == 0.1
    assert set(JointTolerance.get_fields_and_field_types()) == {"name", "position", "velocity", "acceleration"}


def test_result_error_codes():
    from control_msgs.action import FollowJointTrajectory

    result = FollowJointTrajectory.Result
    assert result.SUCCESSFUL == 0
    assert result.INVALID_GOAL == -1
    assert result.INVALID_JOINTS == -2
    assert result.OLD_HEADER_TIMESTAMP == -3
    assert result.PATH_TOLERANCE_VIOLATED == -4
    assert result.GOAL_TOLERANCE_VIOLATED == -5
    assert result.get_fields_and_field_types() == {"error_code": "int32", "error_string": "string"}
    feedback = FollowJointTrajectory.Feedback.get_fields_and_field_types()
    for name in ("header", "joint_names", "desired", "actual", "error"):
        assert name in feedback


def _type_description_json() -> Path | None:
    prefixes = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p] + [sys.prefix]
    for prefix in prefixes:
        path = Path(prefix) / "share" / "control_msgs" / "action" / "FollowJointTrajectory.json"
        if path.is_file():
            return path
    return None


def test_type_hashes_match_released_jazzy():
    path = _type_description_json()
    if path is None:
        pytest.skip("control_msgs' type description (share/control_msgs/action/*.json) not found")
    hashes = {h["type_name"]: h["hash_string"] for h in json.loads(path.read_text())["type_hashes"]}
    for name, expected in JAZZY_HASHES.items():
        if name == "control_msgs/action/FollowJointTrajectory_FeedbackMessage":
            continue  # not listed in the action's description; checked on the wire below
        assert hashes[name] == expected, name


SERVER = textwrap.dedent('''
    import sys
    import time

    import rclpy
    from rclpy.action import ActionServer, GoalResponse
    from rclpy.executors import ExternalShutdownException
    from control_msgs.action import FollowJointTrajectory

    JOINTS = ["shoulder_pan", "shoulder_lift", "elbow_flex"]


    def execute(handle):
        goal = handle.request
        result = FollowJointTrajectory.Result()
        if list(goal.trajectory.joint_names) != JOINTS:
            handle.abort()
            result.error_code = FollowJointTrajectory.Result.INVALID_JOINTS
            result.error_string = "expected joints " + ",".join(JOINTS)
            return result
        # Feedback is a topic: publish only once the client's subscription has matched.
        deadline = time.monotonic() + 10.0
        while node.count_subscribers(sys.argv[1] + "/_action/feedback") == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        feedback = FollowJointTrajectory.Feedback()
        feedback.joint_names = JOINTS
        for point in goal.trajectory.points:
            feedback.desired = point
            handle.publish_feedback(feedback)
        handle.succeed()
        result.error_code = FollowJointTrajectory.Result.SUCCESSFUL
        result.error_string = "points={} last={} goal_time_tolerance={}.{:09d} path_tol={} goal_tol={}".format(
            len(goal.trajectory.points), list(goal.trajectory.points[-1].positions),
            goal.goal_time_tolerance.sec, goal.goal_time_tolerance.nanosec,
            [(t.name, t.position) for t in goal.path_tolerance],
            [(t.name, t.position) for t in goal.goal_tolerance])
        return result


    def main():
        rclpy.init()
        global node
        node = rclpy.create_node("fjt_test_server")
        ActionServer(node, FollowJointTrajectory, sys.argv[1], execute_callback=execute,
                     goal_callback=lambda goal: GoalResponse.ACCEPT)
        print("ready", flush=True)
        try:
            rclpy.spin(node)
        except (KeyboardInterrupt, ExternalShutdownException):
            pass


    main()
''')


@pytest.mark.slow
@pytest.mark.ros
def test_goal_round_trip_across_processes(tmp_path):
    import rclpy
    from builtin_interfaces.msg import Duration
    from control_msgs.action import FollowJointTrajectory
    from control_msgs.msg import JointTolerance
    from rclpy.action import ActionClient
    from rclpy.executors import SingleThreadedExecutor
    from trajectory_msgs.msg import JointTrajectoryPoint

    action = f"/fjt_test_{os.getpid()}/follow_joint_trajectory"
    script = tmp_path / "fjt_server.py"
    script.write_text(SERVER)
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen([sys.executable, str(script), action], stdout=log, stderr=subprocess.STDOUT,
                              env=os.environ.copy(), start_new_session=True)
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node("fjt_test_client", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    try:
        client = ActionClient(node, FollowJointTrajectory, action)
        assert client.wait_for_server(timeout_sec=30.0), (tmp_path / "server.log").read_text()
        # Feedback is a volatile topic: see the server's feedback publisher before sending goals.
        deadline = time.monotonic() + 10.0
        while node.count_publishers(action + "/_action/feedback") == 0 and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.01)

        def run(goal, feedback=None):
            future = client.send_goal_async(goal, feedback_callback=feedback)
            executor.spin_until_future_complete(future, timeout_sec=20.0)
            handle = future.result()
            assert handle is not None and handle.accepted
            result_future = handle.get_result_async()
            executor.spin_until_future_complete(result_future, timeout_sec=20.0)
            assert result_future.result() is not None
            return result_future.result()

        goal = FollowJointTrajectory.Goal()
        goal.trajectory.joint_names = ["shoulder_pan", "shoulder_lift", "elbow_flex"]
        for i in range(3):
            goal.trajectory.points.append(JointTrajectoryPoint(
                positions=[0.1 * i, -0.2 * i, 0.3 * i], velocities=[0.0] * 3,
                time_from_start=Duration(sec=i, nanosec=500_000_000)))
        goal.path_tolerance = [JointTolerance(name="elbow_flex", position=0.05)]
        goal.goal_tolerance = [JointTolerance(name="shoulder_pan", position=0.01)]
        goal.goal_time_tolerance = Duration(sec=0, nanosec=250_000_000)
        feedbacks = []
        response = run(goal, lambda msg: feedbacks.append(msg.feedback))
        assert response.status == 4  # GoalStatus.STATUS_SUCCEEDED
        assert response.result.error_code == FollowJointTrajectory.Result.SUCCESSFUL
        assert response.result.error_string == (
            f"points=3 last={[0.1 * 2, -0.2 * 2, 0.3 * 2]} goal_time_tolerance=0.250000000 "
            "path_tol=[('elbow_flex', 0.05)] goal_tol=[('shoulder_pan', 0.01)]")
        deadline = time.monotonic() + 10.0
        while not feedbacks and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.05)
        assert feedbacks and list(feedbacks[0].joint_names) == ["shoulder_pan", "shoulder_lift", "elbow_flex"]

        # The feedback topic carries the released Jazzy type (hash announced by the server process).
        infos = node.get_publishers_info_by_topic(action + "/_action/feedback")
        assert infos, "no publisher on the feedback topic"
        assert str(infos[0].topic_type_hash) == \
            JAZZY_HASHES["control_msgs/action/FollowJointTrajectory_FeedbackMessage"]

        bad = FollowJointTrajectory.Goal()
        bad.trajectory.joint_names = ["nope"]
        bad.trajectory.points = [JointTrajectoryPoint(positions=[0.0])]
        response = run(bad)
        assert response.status == 6  # GoalStatus.STATUS_ABORTED
        assert response.result.error_code == FollowJointTrajectory.Result.INVALID_JOINTS
        assert response.result.error_string.startswith("expected joints")
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=context)
        if server.poll() is None:
            os.killpg(server.pid, 2)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, 9)
                server.wait(5)
        log.close()


def test_dds_stays_on_loopback():
    """Every run (pytest, make test, colcon test) reaches the tests with loopback-only DDS settings."""
    assert os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "LOCALHOST"
    for variable in ("FASTRTPS_DEFAULT_PROFILES_FILE", "FASTDDS_DEFAULT_PROFILES_FILE"):
        profile = Path(os.environ[variable])
        assert profile.is_file() and "127.0.0.1" in profile.read_text()
    assert 0 <= int(os.environ["ROS_DOMAIN_ID"]) <= 232
