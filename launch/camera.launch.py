"""One camera: camera_node publishing <name>/image_raw, <name>/image_raw/compressed and <name>/camera_info.

    ros2 launch lerobot_ros camera.launch.py name:=front index_or_path:=/dev/video0
    ros2 launch lerobot_ros camera.launch.py name:=front source:=sim      # a view of the simulated arm

640x480 images over sensor-data (best-effort) QoS need the shared-memory Fast DDS profile in every
process that publishes or subscribes them: export FASTRTPS_DEFAULT_PROFILES_FILE (Humble, Jazzy) and
FASTDDS_DEFAULT_PROFILES_FILE (Kilted and later) as
$(ros2 pkg prefix lerobot_ros)/share/lerobot_ros/config/fastdds/robot.xml (see docs/cameras.md).
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare


def generate_launch_description():
    arguments = [
        DeclareLaunchArgument("name", default_value="camera", description="Camera name (topic prefix)"),
        DeclareLaunchArgument("source", default_value="opencv", description="opencv or sim"),
        DeclareLaunchArgument("index_or_path", default_value="0",
                              description="OpenCV device index, device path or video file"),
        DeclareLaunchArgument("namespace", default_value="", description="Namespace of the node and its topics"),
        DeclareLaunchArgument("params_file",
                              default_value=PathJoinSubstitution([FindPackageShare("lerobot_ros"), "config",
                                                                  "camera_node.yaml"]),
                              description="camera_node parameter file"),
    ]
    camera = Node(
        package="lerobot_ros",
        executable="camera_node",
        name=[LaunchConfiguration("name"), "_camera"],
        namespace=LaunchConfiguration("namespace"),
        parameters=[LaunchConfiguration("params_file"), {
            "name": ParameterValue(LaunchConfiguration("name"), value_type=str),
            "source": ParameterValue(LaunchConfiguration("source"), value_type=str),
            "index_or_path": ParameterValue(LaunchConfiguration("index_or_path"), value_type=str),
        }],
        output="screen",
        emulate_tty=True,
    )
    return LaunchDescription([*arguments, camera])
