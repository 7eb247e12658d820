"""The second reference of benchmarks/teleop_latency.py and teleop_rate.py: robot_node as first shipped
for issue 20, reading its ``joint_trajectory`` commands on the control loop at its tick only (no write
when a command arrives between ticks, so every command waited 0-1 period for the next tick).

    python benchmarks/robot_node_reading_at_tick.py --ros-args <robot_node's arguments>

Everything else is the shipped robot_node: the two differ only in when a command reaches the servos.
"""

from __future__ import annotations

from lerobot_ros.motors.errors import BusError
from lerobot_ros.nodes.fixed_rate_loop import FixedRateLoop
from lerobot_ros.nodes.robot_node import RobotNode
from lerobot_ros.nodes.runner import run_node
from lerobot_ros.robots.setup import RobotSetupError
from rclpy.executors import MultiThreadedExecutor


class TickReadRobotNode(RobotNode):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.loop = FixedRateLoop(self.loop.period_s, self._tick)  # sleeps between ticks, no arrivals


if __name__ == "__main__":
    run_node(TickReadRobotNode, "robot_node", (RobotSetupError, BusError, ValueError),
             make_executor=lambda: MultiThreadedExecutor(num_threads=3))
