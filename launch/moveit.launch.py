"""MoveIt 2 for the SO-101: move_group, RViz with the MotionPlanning panel and, unless bringup:=false,
the robot (bringup.launch.py: robot_node, robot_state_publisher, a front camera).

    ros2 launch lerobot_ros moveit.launch.py                                  # simulated SO-101
    ros2 launch lerobot_ros moveit.launch.py port:=/dev/ttyACM0 calibration_id:=my_arm front_camera:=none
    ros2 launch lerobot_ros moveit.launch.py bringup:=false                   # robot_node already running

Plans execute through robot_node's arm_controller/follow_joint_trajectory (config/moveit/so101/
moveit_controllers.yaml). The configuration is read here, at launch, from the installed share folder.
"""

import os

import yaml
from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, GroupAction, IncludeLaunchDescription
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from lerobot_ros.launch_checks import require_packages

URDF = "urdf/so101_follower.urdf"
SRDF = "config/moveit/so101/so101.srdf"
KINEMATICS = "config/moveit/so101/kinematics.yaml"
JOINT_LIMITS = "config/moveit/so101/joint_limits.yaml"
OMPL = "config/moveit/so101/ompl_planning.yaml"
CONTROLLERS = "config/moveit/so101/moveit_controllers.yaml"
RVIZ = "config/rviz/moveit.rviz"
BRINGUP = "launch/bringup.launch.py"


def _read(share: str, path: str) -> str:
    with open(os.path.join(share, path)) as f:
        return f.read()


def _yaml(share: str, path: str) -> dict:
    return yaml.safe_load(_read(share, path))


def generate_launch_description():
    share = get_package_share_directory("lerobot_ros")
    arguments = [
        DeclareLaunchArgument("bringup", default_value="true",
                              description="Also start the robot (robot_node, robot_state_publisher, camera)"),
        DeclareLaunchArgument("port", default_value="sim", description="robot_node serial port, or `sim`"),
        DeclareLaunchArgument("calibration_id", default_value="", description="LeRobot calibration id of the arm"),
        DeclareLaunchArgument("front_camera", default_value="none",
                              description="Front camera (OpenCV index or path), `none` for no camera"),
        DeclareLaunchArgument("camera_source", default_value="opencv",
                              description="Front camera source: opencv, or sim (a view of the simulated arm)"),
        DeclareLaunchArgument("rviz", default_value="true", description="Start RViz with the MotionPlanning panel"),
    ]
    description = {
        "robot_description": _read(share, URDF),
        "robot_description_semantic": _read(share, SRDF),
        "robot_description_kinematics": _yaml(share, KINEMATICS),
        "robot_description_planning": _yaml(share, JOINT_LIMITS),
    }
    planning = {"planning_pipelines": ["ompl"], "default_planning_pipeline": "ompl", "ompl": _yaml(share, OMPL)}
    scene_monitor = {
        "publish_planning_scene": True,
        "publish_geometry_updates": True,
        "publish_state_updates": True,
        "publish_transforms_updates": True,
        "publish_robot_description": True,
        "publish_robot_description_semantic": True,
    }
    move_group = Node(
        package="moveit_ros_move_group",
        executable="move_group",
        parameters=[description, planning, _yaml(share, CONTROLLERS), scene_monitor],
        output="screen",
    )
    rviz = Node(
        package="rviz2",
        executable="rviz2",
        arguments=["-d", os.path.join(share, RVIZ)],
        parameters=[description, planning],
        condition=IfCondition(LaunchConfiguration("rviz")),
        output="screen",
    )
    # Scoped: an include sets its launch arguments in the including scope, so the `rviz: false` given
    # to bringup would otherwise turn off our own RViz below (issue 13, bug 1).
    robot = GroupAction([IncludeLaunchDescription(
        PythonLaunchDescriptionSource(os.path.join(share, BRINGUP)),
        launch_arguments={
            "robot_type": "so101_follower",
            "port": LaunchConfiguration("port"),
            "calibration_id": LaunchConfiguration("calibration_id"),
            "front_camera": LaunchConfiguration("front_camera"),
            "camera_source": LaunchConfiguration("camera_source"),
            "rviz": "false",  # RViz with the MotionPlanning panel starts here; unpassed, bringup reads our `rviz`
        }.items(),
    )], condition=IfCondition(LaunchConfiguration("bringup")))
    # Before the robot: a missing package must fail the launch before the arm is powered (issue 13, bug 3).
    check = require_packages(["moveit_ros_move_group"], rviz=["rviz2"], bringup=["robot_state_publisher"])
    return LaunchDescription([*arguments, check, robot, move_group, rviz])
