"""Everything on simulated hardware: bringup.launch.py with a simulated servo bus (`port:=sim`) and
a simulated front camera (a view of the simulated arm), robot_state_publisher and RViz.

    ros2 launch lerobot_ros sim.launch.py                       # simulated SO-101, RViz
    ros2 launch lerobot_ros sim.launch.py robot_type:=lekiwi rviz:=false

Move it with `ros2 launch lerobot_ros teleop.launch.py`'s leader, gamepad_node or keyboard_node, or
MoveIt (`moveit.launch.py`, which includes this file's pieces for the SO-101).
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.substitutions import FindPackageShare


def generate_launch_description():
    arguments = [
        DeclareLaunchArgument("robot_type", default_value="so101_follower",
                              description="Robot type (one with a URDF in urdf/)"),
        DeclareLaunchArgument("rviz", default_value="true", description="Also start RViz"),
        DeclareLaunchArgument("namespace", default_value="", description="Namespace of the nodes and their topics"),
    ]
    bringup = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(PathJoinSubstitution([FindPackageShare("lerobot_ros"), "launch",
                                                            "bringup.launch.py"])),
        launch_arguments={
            "robot_type": LaunchConfiguration("robot_type"),
            "port": "sim",
            "front_camera": "0",
            "wrist_camera": "none",
            "camera_source": "sim",
            "rviz": LaunchConfiguration("rviz"),
            "namespace": LaunchConfiguration("namespace"),
        }.items(),
    )
    return LaunchDescription([*arguments, bringup])
