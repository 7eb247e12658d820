"""Teleoperate a follower arm with a leader arm: the follower's robot_node, teleop_node and, with
camera:=true, a camera_node.

    ros2 launch lerobot_ros teleop.launch.py follower_port:=/dev/ttyACM0 follower_calibration_id:=my_arm \
        leader_port:=/dev/ttyACM1 leader_calibration_id:=my_leader
    ros2 launch lerobot_ros teleop.launch.py follower_type:=koch_follower leader_type:=koch_leader ...
    ros2 launch lerobot_ros teleop.launch.py              # both simulated (the simulated leader stays still)

teleop_node needs the follower's calibration too (it converts units through both calibrations, as
LeRobot does), so the follower's type, port and calibration id go to both nodes.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare


def _config(name: str) -> PathJoinSubstitution:
    return PathJoinSubstitution([FindPackageShare("lerobot_ros"), "config", name])


def generate_launch_description():
    arguments = [
        DeclareLaunchArgument("follower_type", default_value="so101_follower",
                              description="Follower robot type: so100_follower, so101_follower, koch_follower, "
                                          "omx_follower, lekiwi"),
        DeclareLaunchArgument("follower_port", default_value="sim",
                              description="Follower serial port (/dev/ttyACM0) or `sim`"),
        DeclareLaunchArgument("follower_calibration_id", default_value="",
                              description="LeRobot calibration id of the follower (--robot.id)"),
        DeclareLaunchArgument("leader_type", default_value="so101_leader",
                              description="Leader arm type: so100_leader, so101_leader, koch_leader, omx_leader"),
        DeclareLaunchArgument("leader_port", default_value="sim",
                              description="Leader serial port (/dev/ttyACM1) or `sim`"),
        DeclareLaunchArgument("leader_calibration_id", default_value="",
                              description="LeRobot calibration id of the leader (--teleop.id)"),
        DeclareLaunchArgument("namespace", default_value="", description="Namespace of the nodes and their topics"),
        DeclareLaunchArgument("camera", default_value="false", description="Also start a camera_node"),
        DeclareLaunchArgument("camera_source", default_value="opencv", description="camera_node source: opencv or sim"),
        DeclareLaunchArgument("camera_index_or_path", default_value="0",
                              description="camera_node: OpenCV device index, device path or video file"),
    ]
    namespace = LaunchConfiguration("namespace")
    robot = Node(
        package="lerobot_ros",
        executable="robot_node",
        name="robot_node",
        namespace=namespace,
        parameters=[_config("robot_node.yaml"), {
            "robot_type": ParameterValue(LaunchConfiguration("follower_type"), value_type=str),
            "port": ParameterValue(LaunchConfiguration("follower_port"), value_type=str),
            "calibration_id": ParameterValue(LaunchConfiguration("follower_calibration_id"), value_type=str),
        }],
        output="screen",
        emulate_tty=True,
    )
    teleop = Node(
        package="lerobot_ros",
        executable="teleop_node",
        name="teleop_node",
        namespace=namespace,
        parameters=[_config("teleop_node.yaml"), {
            "follower_type": ParameterValue(LaunchConfiguration("follower_type"), value_type=str),
            "follower_port": ParameterValue(LaunchConfiguration("follower_port"), value_type=str),
            "follower_calibration_id": ParameterValue(LaunchConfiguration("follower_calibration_id"), value_type=str),
            "leader_type": ParameterValue(LaunchConfiguration("leader_type"), value_type=str),
            "leader_port": ParameterValue(LaunchConfiguration("leader_port"), value_type=str),
            "leader_calibration_id": ParameterValue(LaunchConfiguration("leader_calibration_id"), value_type=str),
        }],
        output="screen",
        emulate_tty=True,
    )
    camera = Node(
        package="lerobot_ros",
        executable="camera_node",
        name="front_camera",
        namespace=namespace,
        parameters=[_config("camera_node.yaml"), {
            "name": "front",
            "source": ParameterValue(LaunchConfiguration("camera_source"), value_type=str),
            "index_or_path": ParameterValue(LaunchConfiguration("camera_index_or_path"), value_type=str),
        }],
        condition=IfCondition(LaunchConfiguration("camera")),
        output="screen",
        emulate_tty=True,
    )
    return LaunchDescription([*arguments, robot, teleop, camera])
