"""Bring up a robot: robot_node, its cameras (front, wrist) and robot_state_publisher; RViz optional.

    ros2 launch lerobot_ros bringup.launch.py robot_type:=so101_follower port:=/dev/ttyACM0 \
        calibration_id:=my_arm front_camera:=/dev/video0 wrist_camera:=/dev/video2 rviz:=true
    ros2 launch lerobot_ros bringup.launch.py robot_type:=lekiwi port:=/dev/ttyACM0 wrist_camera:=none

A camera argument of `none` leaves that camera out. Camera images carry `<name>_optical_frame`,
the frame the URDFs mount each camera at. Parameter files: config/robot_node.yaml and
config/camera_node.yaml (launch arguments override what they name). 640x480 images need the
shared-memory Fast DDS profile (docs/cameras.md).
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, NotEqualsSubstitution, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare
from lerobot_ros.launch_checks import require_packages


def _camera(name: str, share, namespace) -> Node:
    source = LaunchConfiguration(f"{name}_camera")
    return Node(
        package="lerobot_ros",
        executable="camera_node",
        name=f"{name}_camera",
        namespace=namespace,
        parameters=[PathJoinSubstitution([share, "config", "camera_node.yaml"]), {
            "name": name,
            "source": ParameterValue(LaunchConfiguration("camera_source"), value_type=str),
            "index_or_path": ParameterValue(source, value_type=str),
        }],
        condition=IfCondition(NotEqualsSubstitution(source, "none")),
        output="screen",
        emulate_tty=True,
    )


def generate_launch_description():
    share = FindPackageShare("lerobot_ros")
    arguments = [
        DeclareLaunchArgument("robot_type", default_value="so101_follower",
                              choices=["so101_follower", "so100_follower", "koch_follower", "omx_follower", "lekiwi"],
                              description="Robot type (one with a URDF in urdf/)"),
        DeclareLaunchArgument("port", default_value="sim",
                              description="Serial port (/dev/ttyACM0) or `sim` for a simulated servo bus"),
        DeclareLaunchArgument("calibration_id", default_value="",
                              description="LeRobot calibration id (the --robot.id used when calibrating)"),
        DeclareLaunchArgument("front_camera", default_value="0",
                              description="Front camera: OpenCV index, device path or video file, or `none`"),
        DeclareLaunchArgument("wrist_camera", default_value="none",
                              description="Wrist camera: OpenCV index, device path or video file, or `none`"),
        DeclareLaunchArgument("camera_source", default_value="opencv",
                              description="camera_node source: opencv, or sim (a view of the simulated arm)"),
        DeclareLaunchArgument("rviz", default_value="false", description="Also start RViz"),
        DeclareLaunchArgument("namespace", default_value="", description="Namespace of the nodes and their topics"),
        DeclareLaunchArgument("robot_params_file",
                              default_value=PathJoinSubstitution([share, "config", "robot_node.yaml"]),
                              description="robot_node parameter file"),
    ]
    namespace = LaunchConfiguration("namespace")
    robot_type = LaunchConfiguration("robot_type")
    robot = Node(
        package="lerobot_ros",
        executable="robot_node",
        name="robot_node",
        namespace=namespace,
        parameters=[LaunchConfiguration("robot_params_file"), {
            "robot_type": robot_type,
            "port": ParameterValue(LaunchConfiguration("port"), value_type=str),
            "calibration_id": ParameterValue(LaunchConfiguration("calibration_id"), value_type=str),
        }],
        output="screen",
        emulate_tty=True,
    )
    description = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(PathJoinSubstitution([share, "launch", "description.launch.py"])),
        launch_arguments={"robot_type": robot_type, "namespace": namespace}.items(),
    )
    rviz = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(PathJoinSubstitution([share, "launch", "rviz.launch.py"])),
        launch_arguments={"robot_type": robot_type, "namespace": namespace, "publish_description": "false"}.items(),
        condition=IfCondition(LaunchConfiguration("rviz")),
    )
    # Before robot_node: a missing package must fail the launch before the arm is powered (issue 13, bug 3).
    check = require_packages(["robot_state_publisher"], rviz=["rviz2"])
    return LaunchDescription([*arguments, check, robot, _camera("front", share, namespace),
                              _camera("wrist", share, namespace), description, rviz])
