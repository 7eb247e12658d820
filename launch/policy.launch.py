"""The SmolVLA2 policy driving an arm: robot_node (robot.launch.py), camera_node `front`
(camera.launch.py), policy_node and say_node.

    ros2 launch lerobot_ros policy.launch.py checkpoint:=/path/to/checkpoint port:=/dev/ttyACM0 \
        calibration_id:=my_arm camera_index_or_path:=/dev/video0
    ros2 launch lerobot_ros policy.launch.py checkpoint:=/path/to/checkpoint   # simulated arm and camera view

    ros2 topic pub --once /task std_msgs/String "data: 'put the cube in the bowl'"
    ros2 topic pub -r 5 /heartbeat std_msgs/Empty      # the operator's heartbeat: the arm moves only with it
    ros2 topic pub --once /user_input std_msgs/String "data: 'not the red one!'"
    ros2 service call /policy_node/stop std_srvs/srv/Trigger

640x480 images over sensor-data QoS need the shared-memory Fast DDS profile in every process (see
docs/cameras.md). The camera is named `front`: its images feed observation.images.front.
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


def _arg(name: str, value_type: type = str) -> ParameterValue:
    """A launch argument as a parameter of a fixed type: launch_ros would YAML-parse a bare
    substitution ("0" becomes an integer, "" becomes None)."""
    return ParameterValue(LaunchConfiguration(name), value_type=value_type)


def generate_launch_description():
    arguments = [
        DeclareLaunchArgument("checkpoint", description="SmolVLA2 checkpoint: a local folder or a Hub id"),
        DeclareLaunchArgument("device", default_value="cpu", description="Torch device of the model (cpu, cuda)"),
        DeclareLaunchArgument("robot_type", default_value="so101_follower",
                              description="Follower robot type: so100_follower, so101_follower, koch_follower, "
                                          "omx_follower"),
        DeclareLaunchArgument("port", default_value="sim", description="Serial port (/dev/ttyACM0) or `sim`"),
        DeclareLaunchArgument("calibration_id", default_value="",
                              description="LeRobot calibration id of the follower (--robot.id)"),
        DeclareLaunchArgument("camera_source", default_value="sim",
                              description="camera_node source: opencv, or sim (a view of the simulated arm)"),
        DeclareLaunchArgument("camera_index_or_path", default_value="0",
                              description="camera_node: OpenCV device index, device path or video file"),
        DeclareLaunchArgument("chunk_fps", default_value="0.0",
                              description="Rate of the checkpoint's action chunks, for one that does not record "
                                          "its fps (0 = the checkpoint's)"),
        DeclareLaunchArgument("heartbeat_timeout_s", default_value="1.0",
                              description="The arm moves only while `heartbeat` arrives within this time (0 = off)"),
        DeclareLaunchArgument("speech", default_value="true", description="Also start say_node"),
        DeclareLaunchArgument("speech_output", default_value="auto",
                              description="say_node output: auto (the audio device, else WAV files), audio, "
                                          "wav (files only, no audio device) or both"),
        DeclareLaunchArgument("wav_dir", default_value="",
                              description="say_node: folder for WAV files (empty: <temp dir>/lerobot_ros_speech)"),
        DeclareLaunchArgument("namespace", default_value="", description="Namespace of the nodes and their topics"),
    ]
    namespace = LaunchConfiguration("namespace")
    # robot.launch.py and camera.launch.py start robot_node and camera_node `front`. Each include sits in
    # a scoped GroupAction: IncludeLaunchDescription sets its arguments and their defaults (params_file
    # of both files among them) in the including scope, where the next include would read them.
    launch_dir = PathJoinSubstitution([FindPackageShare("lerobot_ros"), "launch"])
    robot = GroupAction([IncludeLaunchDescription(
        PythonLaunchDescriptionSource(PathJoinSubstitution([launch_dir, "robot.launch.py"])),
        launch_arguments={"robot_type": LaunchConfiguration("robot_type"), "port": LaunchConfiguration("port"),
                          "calibration_id": LaunchConfiguration("calibration_id"), "namespace": namespace}.items(),
    )])
    camera = GroupAction([IncludeLaunchDescription(
        PythonLaunchDescriptionSource(PathJoinSubstitution([launch_dir, "camera.launch.py"])),
        launch_arguments={"name": "front", "source": LaunchConfiguration("camera_source"),
                          "index_or_path": LaunchConfiguration("camera_index_or_path"),
                          "namespace": namespace}.items(),
    )])
    policy = Node(
        package="lerobot_ros",
        executable="policy_node",
        name="policy_node",
        namespace=namespace,
        parameters=[_config("policy_node.yaml"), {
            "checkpoint": _arg("checkpoint"),
            "device": _arg("device"),
            "robot_type": _arg("robot_type"),
            "port": _arg("port"),  # with calibration_id: the follower's joint limits clamp the actions
            "calibration_id": _arg("calibration_id"),
            "heartbeat_timeout_s": _arg("heartbeat_timeout_s", float),
            "chunk_fps": _arg("chunk_fps", float),
        }],
        output="screen",
        emulate_tty=True,
    )
    speech = Node(
        package="lerobot_ros",
        executable="say_node",
        name="say_node",
        namespace=namespace,
        parameters=[_config("say_node.yaml"), {
            "output": _arg("speech_output"),
            "wav_dir": _arg("wav_dir"),
        }],
        condition=IfCondition(LaunchConfiguration("speech")),
        output="screen",
        emulate_tty=True,
    )
    return LaunchDescription([*arguments, robot, camera, policy, speech])
