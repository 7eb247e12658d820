"""The reference side of benchmarks/teleop_rate.py and teleop_latency.py: robot_node as it was before
issue 20, its ``joint_trajectory`` commands handled by rclpy's MultiThreadedExecutor (3 threads, a
mutually exclusive callback group, depth 1) instead of being read by the control loop (at its tick,
and on arrival between ticks).

    python benchmarks/robot_node_with_rclpy_executor.py --ros-args <robot_node's arguments>

Everything else is the shipped robot_node, so the two runs differ only in how commands arrive; see
src/lerobot_ros/nodes/loop_subscription.py for why the shipped node reads them on its loop thread.
"""

from __future__ import annotations

from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.executors import MultiThreadedExecutor
from rclpy.qos import QoSProfile
from trajectory_msgs.msg import JointTrajectory

from lerobot_ros.motors.errors import BusError
from lerobot_ros.nodes.fixed_rate_loop import FixedRateLoop
from lerobot_ros.nodes.robot_node import RobotNode
from lerobot_ros.nodes.runner import run_node
from lerobot_ros.robots.setup import RobotSetupError


class _Nothing:
    """Stands in for the loop-read subscription: the loop takes no command itself."""

    def take_latest(self):
        return None


class ExecutorFedRobotNode(RobotNode):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.trajectories = _Nothing()
        self.loop = FixedRateLoop(self.loop.period_s, self._tick)  # it waited for no command between ticks
        self.create_subscription(JointTrajectory, f"{self.p['controller_name']}/joint_trajectory",
                                 lambda msg: self._on_trajectory(msg, self._now()), QoSProfile(depth=1),
                                 callback_group=MutuallyExclusiveCallbackGroup())


if __name__ == "__main__":
    run_node(ExecutorFedRobotNode, "robot_node", (RobotSetupError, BusError, ValueError),
             make_executor=lambda: MultiThreadedExecutor(num_threads=3))
