"""Bring up one arm: robot_node for a robot type on a serial port (or `port:=sim`).

    ros2 launch lerobot_ros robot.launch.py robot_type:=so101_follower port:=/dev/ttyACM0 calibration_id:=my_arm
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare


def generate_launch_description():
    arguments = [
        DeclareLaunchArgument("robot_type", default_value="so101_follower",
                              description="Robot type, e.g. so101_follower, koch_follower, omx_follower, lekiwi"),
        DeclareLaunchArgument("port", default_value="sim",
                              description="Serial port (/dev/ttyACM0) or `sim` for a simulated servo bus"),
        DeclareLaunchArgument("calibration_id", default_value="",
                              description="LeRobot calibration id (the --robot.id used when calibrating)"),
        DeclareLaunchArgument("namespace", default_value="", description="Namespace of the node and its topics"),
        DeclareLaunchArgument("params_file",
                              default_value=PathJoinSubstitution([FindPackageShare("lerobot_ros"), "config",
                                                                  "robot_node.yaml"]),
                              description="robot_node parameter file"),
    ]
    robot = Node(
        package="lerobot_ros",
        executable="robot_node",
        name="robot_node",
        namespace=LaunchConfiguration("namespace"),
        parameters=[LaunchConfiguration("params_file"), {
            "robot_type": ParameterValue(LaunchConfiguration("robot_type"), value_type=str),
            "port": ParameterValue(LaunchConfiguration("port"), value_type=str),
            "calibration_id": ParameterValue(LaunchConfiguration("calibration_id"), value_type=str),
        }],
        output="screen",
        emulate_tty=True,
    )
    return LaunchDescription([*arguments, robot])
