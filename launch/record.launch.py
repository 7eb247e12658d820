"""Record a dataset: the follower's robot_node (robot.launch.py), camera_node `front` (camera.launch.py)
and recorder_node (docs/recording.md).

    ros2 launch lerobot_ros record.launch.py root:=~/datasets/pick_cube \
        follower_port:=/dev/ttyACM0 follower_calibration_id:=my_arm
    ros2 launch lerobot_ros record.launch.py root:=/tmp/sim_ds camera_source:=sim   # all simulated

Episodes are started and stopped through recorder_node's services (or `lerobot-ros record`, or
keyboard_node's recording keys); something must drive the arm meanwhile (teleop.launch.py's
teleop_node, a policy). The default recording config is config/recording/so101_front_camera.yaml
(SO-101 joints, camera `front`, the language topics); pass another with recording_config:=<path>.
640x480 raw images need the shared-memory Fast DDS profile: export
FASTRTPS_DEFAULT_PROFILES_FILE=<share>/config/fastdds/robot.xml before launching (docs/cameras.md).
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, GroupAction, IncludeLaunchDescription
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare


def _config(*parts: str) -> PathJoinSubstitution:
    return PathJoinSubstitution([FindPackageShare("lerobot_ros"), "config", *parts])


def generate_launch_description():
    arguments = [
        DeclareLaunchArgument("root", description="Dataset folder (created, or resumed when it holds a dataset)"),
        DeclareLaunchArgument("recording_config", default_value=_config("recording", "so101_front_camera.yaml"),
                              description="Recording YAML: topics -> features, fps, language topics"),
        DeclareLaunchArgument("follower_type", default_value="so101_follower",
                              description="Follower robot type: so100_follower, so101_follower, koch_follower, "
                                          "omx_follower, lekiwi"),
        DeclareLaunchArgument("follower_port", default_value="sim",
                              description="Follower serial port (/dev/ttyACM0) or `sim`"),
        DeclareLaunchArgument("follower_calibration_id", default_value="",
                              description="LeRobot calibration id of the follower (--robot.id)"),
        DeclareLaunchArgument("namespace", default_value="", description="Namespace of the nodes and their topics"),
        DeclareLaunchArgument("robot", default_value="true", description="Also start the follower's robot_node"),
        DeclareLaunchArgument("camera", default_value="true", description="Also start camera_node `front`"),
        DeclareLaunchArgument("camera_source", default_value="opencv", description="camera_node source: opencv or sim"),
        DeclareLaunchArgument("camera_index_or_path", default_value="0",
                              description="camera_node: OpenCV device index, device path or video file"),
        DeclareLaunchArgument("codec", default_value="libsvtav1",
                              description="Video codec: libsvtav1 (LeRobot's default) or libx264 (faster)"),
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
    )], condition=IfCondition(LaunchConfiguration("robot")))
    camera = GroupAction([IncludeLaunchDescription(
        PythonLaunchDescriptionSource(PathJoinSubstitution([launch_dir, "camera.launch.py"])),
        launch_arguments={"name": "front", "source": LaunchConfiguration("camera_source"),
                          "index_or_path": LaunchConfiguration("camera_index_or_path"),
                          "namespace": namespace}.items(),
    )], condition=IfCondition(LaunchConfiguration("camera")))
    recorder = Node(
        package="lerobot_ros",
        executable="recorder_node",
        name="recorder_node",
        namespace=namespace,
        parameters=[_config("recorder_node.yaml"), {
            "config": ParameterValue(LaunchConfiguration("recording_config"), value_type=str),
            "root": ParameterValue(LaunchConfiguration("root"), value_type=str),
            "codec": ParameterValue(LaunchConfiguration("codec"), value_type=str),
            # The follower's calibration converts its joints into the recording config's units.
            "port": ParameterValue(LaunchConfiguration("follower_port"), value_type=str),
            "calibration_id": ParameterValue(LaunchConfiguration("follower_calibration_id"), value_type=str),
        }],
        output="screen",
        emulate_tty=True,
    )
    return LaunchDescription([*arguments, robot, camera, recorder])
