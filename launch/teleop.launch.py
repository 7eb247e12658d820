"""Teleoperate a follower arm with a leader arm: the follower's robot_node (robot.launch.py),
teleop_node and, with camera:=true, camera_node `front` (camera.launch.py).

    ros2 launch lerobot_ros teleop.launch.py follower_port:=/dev/ttyACM0 follower_calibration_id:=my_arm \
        leader_port:=/dev/ttyACM1 leader_calibration_id:=my_leader
    ros2 launch lerobot_ros teleop.launch.py follower_type:=koch_follower leader_type:=koch_leader ...
    ros2 launch lerobot_ros teleop.launch.py              # both simulated (the simulated leader stays still)

teleop_node needs the follower's calibration too (it converts units through both calibrations, as
LeRobot does), so the follower's type, port and calibration id go to both nodes.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, GroupAction, IncludeLaunchDescription
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
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
                              description="Leader arm type: so100_leader, so101_leader, koch_leader, omx_leader, or "
                                          "lerobot:<type> for LeRobot's own teleoperator driver"),
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
    # robot.launch.py and camera.launch.py start robot_node and camera_node `front`. Each include sits in
    # a scoped GroupAction: IncludeLaunchDescription sets its arguments and their defaults (params_file
    # of both files among them) in the including scope, where the next include would read them.
    launch_dir = PathJoinSubstitution([FindPackageShare("lerobot_ros"), "launch"])
    robot = GroupAction([IncludeLaunchDescription(
        PythonLaunchDescriptionSource(PathJoinSubstitution([launch_dir, "robot.launch.py"])),
        launch_arguments={"robot_type": LaunchConfiguration("follower_type"),
                          "port": LaunchConfiguration("follower_port"),
                          "calibration_id": LaunchConfiguration("follower_calibration_id"),
                          "namespace": namespace}.items(),
    )])
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
    camera = GroupAction([IncludeLaunchDescription(
        PythonLaunchDescriptionSource(PathJoinSubstitution([launch_dir, "camera.launch.py"])),
        launch_arguments={"name": "front", "source": LaunchConfiguration("camera_source"),
                          "index_or_path": LaunchConfiguration("camera_index_or_path"),
                          "namespace": namespace}.items(),
    )], condition=IfCondition(LaunchConfiguration("camera")))
    return LaunchDescription([*arguments, robot, teleop, camera])
