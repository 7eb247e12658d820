"""``make demo``: a simulated SO-101 brought up by robot_node, moved through a trajectory, reported.

Everything runs in one process, composed in one executor: robot_node on a protocol-level simulated
servo bus (``port:=sim``), and a small operator node that sends a FollowJointTrajectory goal (what
MoveIt sends) and listens to ``joint_states`` and ``/diagnostics``. It prints what happened.
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import MultiThreadedExecutor
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectoryPoint

from .nodes.robot_node import RobotNode

WAYPOINTS_RAD = [  # shoulder_pan, shoulder_lift, elbow_flex, wrist_flex, wrist_roll, gripper
    ([0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 0.0),
    ([0.6, -0.5, 0.7, 0.3, 0.0, 0.8], 1.5),
    ([-0.6, -0.8, 1.1, -0.4, 1.5, 0.1], 3.0),
    ([0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 4.5),
]


class Operator:
    """Records joint_states and diagnostics; sends the demo goal."""

    def __init__(self, node):
        self.node = node
        self.states: list[tuple[float, np.ndarray]] = []
        self.diagnostics: DiagnosticArray | None = None
        node.create_subscription(JointState, "joint_states", self._on_state, 100)
        node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)

    def _on_state(self, msg: JointState) -> None:
        self.states.append((time.monotonic(), np.array(msg.position)))

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        self.diagnostics = msg

    def follow(self, joint_names: list[str]):
        from control_msgs.action import FollowJointTrajectory
        from rclpy.action import ActionClient

        client = ActionClient(self.node, FollowJointTrajectory, "arm_controller/follow_joint_trajectory")
        if not client.wait_for_server(timeout_sec=10.0):
            raise RuntimeError("robot_node's follow_joint_trajectory action did not come up")
        goal = FollowJointTrajectory.Goal()
        goal.trajectory.joint_names = joint_names
        for positions, t in WAYPOINTS_RAD[1:]:
            point = JointTrajectoryPoint(positions=positions)
            point.time_from_start.sec, point.time_from_start.nanosec = int(t), int((t % 1) * 1e9)
            goal.trajectory.points.append(point)
        sent = client.send_goal_async(goal)
        while not sent.done():
            time.sleep(0.01)
        result = sent.result().get_result_async()
        while not result.done():
            time.sleep(0.02)
        return result.result()


def _closest_sample(states, t: float) -> np.ndarray:
    return min(states, key=lambda s: abs(s[0] - t))[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", default="sim://so101_follower?timing=1mbps",
                        help="serial port of a real SO-101 follower, or a sim:// port (default: simulated, 1 Mbps timing)")
    args = parser.parse_args(argv)

    rclpy.init()
    robot = RobotNode(parameter_overrides=[Parameter("robot_type", value="so101_follower"),
                                           Parameter("port", value=args.port),
                                           Parameter("diagnostics_rate_hz", value=2.0)])
    robot.start()
    operator = Operator(rclpy.create_node("demo_operator"))
    executor = MultiThreadedExecutor(num_threads=3)
    executor.add_node(robot)
    executor.add_node(operator.node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    try:
        joints = robot.joint_names
        print(f"\nrobot_node is up: so101_follower on {robot.setup.port_description}")
        print(f"joints: {', '.join(joints)}")
        time.sleep(1.0)
        started = time.monotonic()
        print(f"\nsending a FollowJointTrajectory goal with {len(WAYPOINTS_RAD) - 1} waypoints over "
              f"{WAYPOINTS_RAD[-1][1]:.1f} s ...")
        result = operator.follow(joints)
        elapsed = time.monotonic() - started
        status = "succeeded" if result.status == 4 else f"ended with status {result.status}"
        print(f"goal {status} after {elapsed:.2f} s: error_code {result.result.error_code} "
              f"{result.result.error_string!r}")

        print("\nwaypoint   time_s  " + "  ".join(f"{j[:11]:>11}" for j in joints))
        for i, (target, t) in enumerate(WAYPOINTS_RAD):
            reached = _closest_sample(operator.states, started + t)
            print(f"target {i}  {t:6.2f}  " + "  ".join(f"{v:+11.3f}" for v in target))
            print(f"measured   {t:6.2f}  " + "  ".join(f"{v:+11.3f}" for v in reached))

        window = [s for s in operator.states if s[0] >= started]
        periods = np.diff([s[0] for s in window])
        print(f"\njoint_states: {len(window)} messages in {window[-1][0] - window[0][0]:.2f} s "
              f"({(len(window) - 1) / (window[-1][0] - window[0][0]):.1f} Hz), receive period p50 "
              f"{np.percentile(periods, 50) * 1e3:.1f} ms, p99 {np.percentile(periods, 99) * 1e3:.1f} ms")
        time.sleep(0.6)
        if operator.diagnostics is not None:
            print("diagnostics:")
            for s in operator.diagnostics.status:
                print(f"  {s.name}: {s.message}")
    finally:
        executor.shutdown(timeout_sec=2.0)
        robot.shutdown()
        robot.destroy_node()
        operator.node.destroy_node()
        rclpy.try_shutdown()
    print("\ndone: torque off, simulated bus closed.")


if __name__ == "__main__":
    main()
