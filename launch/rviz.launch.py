"""RViz showing a robot: robot_state_publisher with the robot type's URDF, and rviz2.

    ros2 launch lerobot_ros rviz.launch.py robot_type:=so101_follower           # beside a running robot_node
    ros2 launch lerobot_ros rviz.launch.py robot_type:=koch_follower gui:=true  # no robot: move joints by hand

robot_state_publisher turns robot_node's joint_states into TF; with gui:=true,
joint_state_publisher_gui publishes joint_states from sliders instead (do not run it beside a
robot_node: two publishers on joint_states fight). bringup.launch.py and sim.launch.py include this
file with publish_description:=false, as they run their own robot_state_publisher.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare


def generate_launch_description():
    share = FindPackageShare("lerobot_ros")
    arguments = [
        DeclareLaunchArgument("robot_type", default_value="so101_follower",
                              description="Robot type with a URDF (see description.launch.py)"),
        DeclareLaunchArgument("gui", default_value="false",
                              description="Start joint_state_publisher_gui (sliders) when no robot_node runs"),
        DeclareLaunchArgument("publish_description", default_value="true",
                              description="Start robot_state_publisher (false when the caller runs one)"),
        DeclareLaunchArgument("namespace", default_value="", description="Namespace of joint_states and the nodes"),
        DeclareLaunchArgument("rviz_config",
                              default_value=PathJoinSubstitution([share, "config", "rviz", "lerobot_ros.rviz"]),
                              description="RViz configuration file"),
    ]
    namespace = LaunchConfiguration("namespace")
    description = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(PathJoinSubstitution([share, "launch", "description.launch.py"])),
        launch_arguments={"robot_type": LaunchConfiguration("robot_type"), "namespace": namespace}.items(),
        condition=IfCondition(LaunchConfiguration("publish_description")),
    )
    sliders = Node(
        package="joint_state_publisher_gui",
        executable="joint_state_publisher_gui",
        namespace=namespace,
        condition=IfCondition(LaunchConfiguration("gui")),
        output="screen",
    )
    rviz = Node(
        package="rviz2",
        executable="rviz2",
        namespace=namespace,
        arguments=["-d", LaunchConfiguration("rviz_config")],
        output="screen",
    )
    return LaunchDescription([*arguments, description, sliders, rviz])
