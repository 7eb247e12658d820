"""LeKiwi's base under robot_node: cmd_vel (Twist and TwistStamped) drives the wheels, odom integrates."""

from __future__ import annotations

import time

import pytest
import rclpy
from geometry_msgs.msg import Twist, TwistStamped
from nav_msgs.msg import Odometry

from lerobot_ros.nodes.spin_thread import spin_in_thread
from lerobot_ros.robots.ports import simulated_bus
from lerobot_ros.robots.sim_calibration import default_sim_calibration
from lerobot_ros.motors.calibration import save_calibration
from ros_processes import NodeProcess, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.ros]

WHEEL_IDS = (7, 8, 9)


@pytest.mark.parametrize("cmd_vel_type", ["twist", "twist_stamped"])
def test_cmd_vel_drives_wheels_and_odom_follows(cmd_vel_type, tmp_path, ros):
    calibration_file = save_calibration(tmp_path / "lekiwi.json", default_sim_calibration("lekiwi"))
    with simulated_bus("lekiwi") as sim:
        node = NodeProcess("lerobot_ros.nodes.robot_node", f"lekiwi_{cmd_vel_type}", {
            "robot_type": "lekiwi", "port": sim.port, "calibration_file": str(calibration_file),
            "cmd_vel_type": cmd_vel_type}, tmp_path)
        client = rclpy.create_node(f"lekiwi_client_{cmd_vel_type}")
        odometry: list[Odometry] = []
        client.create_subscription(Odometry, "odom", odometry.append, 50)
        msg_type = TwistStamped if cmd_vel_type == "twist_stamped" else Twist
        cmd_vel = client.create_publisher(msg_type, "cmd_vel", 10)
        spinning = spin_in_thread(client)
        try:
            assert wait_for(lambda: len(odometry) > 0, timeout=30.0), node.log()
            command = msg_type()
            twist = command.twist if cmd_vel_type == "twist_stamped" else command
            twist.linear.x = 0.2  # m/s forward
            deadline = time.monotonic() + 1.5
            while time.monotonic() < deadline:
                cmd_vel.publish(command)
                time.sleep(0.05)
            speeds = [sim.servo(i).read_register("Goal_Velocity") for i in WHEEL_IDS]
            assert any(s != 0 for s in speeds), speeds
            pose = odometry[-1].pose.pose.position
            # ~1.5 s at 0.2 m/s (wheel speed quantised to raw units, ramp-up in the simulated wheels)
            assert 0.2 < pose.x < 0.35 and abs(pose.y) < 0.03, (pose.x, pose.y)
            assert odometry[-1].twist.twist.linear.x == pytest.approx(0.2, abs=0.02)
            assert odometry[-1].header.frame_id == "odom" and odometry[-1].child_frame_id == "base_link"

            # cmd_vel stops arriving: the base stops by itself (base_command_timeout_s).
            assert wait_for(lambda: all(sim.servo(i).read_register("Goal_Velocity") == 0 for i in WHEEL_IDS), 2.0)
        finally:
            assert spinning.stop()
            client.destroy_node()
            node.stop()
