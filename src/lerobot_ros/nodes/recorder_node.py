"""recorder_node: records ROS topics into a LeRobotDataset v3.0 folder, episode by episode.

A thin adapter over :class:`lerobot_ros.recording.recording_session.RecordingSession` (docs/recording.md):
subscriptions from the recording YAML push converted messages into the session, whose ticker
samples the fps grid and whose worker encodes in the background.

* Features: sensor_msgs/JointState, trajectory_msgs/JointTrajectory, sensor_msgs/Image and
  CompressedImage, a base's nav_msgs/Odometry and geometry_msgs/Twist(Stamped) (LeKiwi's velocity,
  alone or as a joint feature's ``base`` part), and numeric topics (any message with ``data``: std_msgs Float32/Float64 and their
  MultiArrays; the type is read from the ROS graph once a publisher appears). Best-effort QoS, which
  matches both best-effort (camera_node) and reliable publishers.
* Language: std_msgs/String topics of the YAML's ``language`` section.
* ``recording/events`` (std_msgs/String from keyboard_node): ``next_episode`` saves the episode and
  starts the next with the same task, ``rerecord_episode`` discards it and starts again,
  ``stop_recording`` saves it and finalizes (lerobot_ros.recording.episode_events, the rule
  ``lerobot-ros record`` follows too).
* Services: ``~/start_episode`` (lerobot_ros_interfaces/StartEpisode: the task), ``~/stop_episode``,
  ``~/discard_episode``, ``~/finalize`` (std_srvs/Trigger). ``~/status``
  (lerobot_ros_interfaces/RecorderStatus, transient local) on every change and once a second.
* ``~/stop_episode`` answers at once (the next episode may start right away): the episode's encoder
  flush and commit run in the background, and ``~/status`` says when it is saved: its ``episodes``
  counts committed episodes only (those survive a kill), its ``message`` names the saved ones and
  ``last_save_s`` is how long the last commit took. See "Saving in the background" in
  lerobot_ros.recording.recording_session.

On SIGINT/SIGTERM an episode in progress is saved, every stopped one committed, then the dataset is closed.

Executor. The node runs on rclpy's SingleThreadedExecutor, never its MultiThreadedExecutor: in
rclpy up to Jazzy (ros2/rclpy#1452, fixed upstream after 7.1.x) the multi-threaded one re-submits a
callback that waits in its thread pool on every spin, so its spin thread loops and floods the pool
with copies; under a 100 Hz JointState stream a callback then waited 0.1-1.7 s for a worker, and every
such stall truncated the episode. Messages are filed at the time the middleware received them
(``received_timestamp``), not when their callback ran, so a late callback no longer ages them.
A service call (``~/finalize`` waits for the saves) blocks the callbacks meanwhile, which loses
nothing: no episode records then, and messages queued meanwhile keep their receive time.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Callable

from geometry_msgs.msg import Twist, TwistStamped
from nav_msgs.msg import Odometry
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from rclpy.subscription import Subscription
from sensor_msgs.msg import CompressedImage, Image, JointState
from std_msgs.msg import String
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

from ..dataset import FileLimits, VideoEncoding
from ..recording.config import FeatureConfig, RecordingConfigError, load_recording_config
from ..recording.contract import FeatureContract
from ..recording.episode_events import Phase, react
from ..recording.message_values import MessageValueError, header_time_s
from ..recording.recording_session import FINALIZED, RecordingSession, SessionError, SessionSettings
from ..robots.tables import robot_type
from ..robots.ports import is_sim_port
from lerobot_ros_interfaces.msg import RecorderStatus
from lerobot_ros_interfaces.srv import StartEpisode

from .log_bridge import bridge_core_logging
from .parameters import declare
from .runner import run_node
from ..node_params.recorder_node import PARAMS


SENSOR_QOS = qos_profile_sensor_data  # best effort: matches camera_node and reliable publishers alike
JOINT_QOS = QoSProfile(depth=50, reliability=ReliabilityPolicy.BEST_EFFORT)
STATUS_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
# rclpy hands rmw's message info to a two-argument callback since Iron; Humble's rclpy does not.
MESSAGE_INFO = hasattr(Subscription, "CallbackType")
MESSAGE_TYPES = {"joint_state": JointState, "joint_trajectory": JointTrajectory, "image": Image,
                 "compressed_image": CompressedImage, "odometry": Odometry, "twist": Twist,
                 "twist_stamped": TwistStamped}


def received_time_s(info: dict) -> float | None:
    """When the middleware received the message (wall clock, s); None where the rmw leaves it unset."""
    stamp_ns = info.get("received_timestamp") or 0
    return stamp_ns * 1e-9 if stamp_ns > 0 else None


def open_session(p: dict) -> tuple[RecordingSession, FeatureContract]:
    """The session the parameters describe (the dataset created or resumed) and the contract that
    converts its messages (saved in the dataset's meta/ when the dataset is new)."""
    if not p["config"] or not p["root"]:
        raise ValueError("set both parameters `config` (the recording YAML) and `root` (the dataset folder)")
    config = load_recording_config(Path(p["config"]).expanduser())
    contract = FeatureContract.for_arm(config, p["calibration_file"], p["calibration_id"], p["calibration_dir"],
                                       is_sim_port(p["port"]))
    meta = Path(p["root"]).expanduser() / "meta"
    new = not (meta / "info.json").exists()
    if not new:
        contract.check_matches(meta)
    settings = SessionSettings(
        root=Path(p["root"]).expanduser(),
        robot_type=p["robot_type"] or (robot_type(config.robot.type).calibration_name if config.robot else None),
        video=VideoEncoding(codec=p["codec"], crf=p["crf"]), max_queued_frames=p["max_queued_frames"],
        encoder_nice=p["encoder_nice"],
        sample_delay_s=p["sample_delay_s"], on_gap=p["on_gap"],
        limits=FileLimits(data_files_size_in_mb=p["data_files_size_in_mb"],
                          video_files_size_in_mb=p["video_files_size_in_mb"]))
    session = RecordingSession.open(config, settings, config.language)
    if new:
        contract.save(meta)
    return session, contract


class RecorderNode(Node):
    def __init__(self, event_handler: Callable[[str], None] | None = None, **kwargs):
        """``event_handler`` replaces the node's own handling of recording events (the record CLI)."""
        super().__init__("recorder_node", **kwargs)
        bridge_core_logging(self)
        self.p = declare(self, PARAMS)
        self.session, self.contract = open_session(self.p)
        self.finished = threading.Event()
        self.bad_messages = 0
        self._task = ""
        self._event_handler = event_handler or self.follow_event
        control = MutuallyExclusiveCallbackGroup()  # services and events: one at a time, apart from data
        self._pending_numeric: list[FeatureConfig] = []
        for feature in self.session.config.streams:  # a feature's base part is a topic of its own
            if feature.type in MESSAGE_TYPES:
                self._subscribe(feature, MESSAGE_TYPES[feature.type])
            else:
                self._pending_numeric.append(feature)
        for topic in self.session.language or ():
            self.create_subscription(String, topic.topic, lambda msg, t=topic: self.session.push_language(t, msg.data), 50)
        if self.p["events_topic"]:
            self.create_subscription(String, self.p["events_topic"], lambda msg: self._event_handler(msg.data), 10,
                                     callback_group=control)
        self.status_pub = self.create_publisher(RecorderStatus, "~/status", STATUS_QOS)
        self.create_service(StartEpisode, "~/start_episode", self._on_start, callback_group=control)
        self.create_service(Trigger, "~/stop_episode", self._on_stop, callback_group=control)
        self.create_service(Trigger, "~/discard_episode", self._on_discard, callback_group=control)
        self.create_service(Trigger, "~/finalize", self._on_finalize, callback_group=control)
        self.create_timer(self.p["status_period_s"], self.publish_status)
        if self._pending_numeric:
            self.create_timer(0.2, self._resolve_numeric_topics)
        repaired = self.session.writer.repair_report
        if repaired is not None and repaired.changed:
            self.get_logger().warning(f"resumed after a repair:\n{repaired.summary()}")
        self.get_logger().info(
            f"recording {len(self.session.config.features)} features at {self.session.config.fps} fps into "
            f"{self.session.settings.root} ({self.session.writer.num_episodes} episodes already)")

    # -- subscriptions ----------------------------------------------------------------------------

    def _subscribe(self, feature: FeatureConfig, msg_type) -> None:
        qos = SENSOR_QOS if feature.is_image else JOINT_QOS
        if MESSAGE_INFO:
            def callback(msg, info, f=feature):
                self._on_message(f, msg, received_time_s(info))
        else:
            def callback(msg, f=feature):
                self._on_message(f, msg, None)
        self.create_subscription(msg_type, feature.topic, callback, qos)

    def _resolve_numeric_topics(self) -> None:
        """Subscribe numeric features once their topic's type is known from the graph."""
        types = dict(self.get_topic_names_and_types())
        for feature in list(self._pending_numeric):
            name = self.resolve_topic_name(feature.topic)
            if name in types:
                package, _, kind = types[name][0].split("/")
                module = __import__(f"{package}.msg", fromlist=[kind])
                self._subscribe(feature, getattr(module, kind))
                self._pending_numeric.remove(feature)
                self.get_logger().info(f"{feature.key}: subscribed {name} ({types[name][0]})")

    def _on_message(self, feature: FeatureConfig, msg, received_s: float | None) -> None:
        try:
            value = self.contract.value(feature, msg)
        except MessageValueError as err:
            self.bad_messages += 1
            self.get_logger().error(str(err), throttle_duration_sec=5.0)
            return
        self.session.push(feature.key, value, header_time_s(msg), received_s)

    # -- episodes ---------------------------------------------------------------------------------

    def start(self) -> None:
        self.session.start_ticker()
        self.publish_status()

    def start_episode(self, task: str) -> tuple[bool, str, int]:
        try:
            index = self.session.start_episode(task)
        except SessionError as err:
            return False, str(err), -1
        self._task = task
        self.publish_status()
        self.get_logger().info(f"episode {index} started: {task}")
        return True, f"recording episode {index}: {task}", index

    def stop_episode(self, wait: bool = False) -> tuple[bool, str]:
        """End the take at once; it is saved in the background while the next one may record.
        ~/status says when: its ``episodes`` counts committed episodes, its message names them.
        With ``wait`` (a caller in this process, e.g. the demo), return once it is committed:
        whether anything was saved, and what."""
        try:
            committed = self.session.end_episode()
        except SessionError as err:
            return False, str(err)
        committed.add_done_callback(self._on_committed)
        self.publish_status()
        if wait:
            outcome = committed.result()
            return outcome.saved, outcome.message
        return True, self.session.message

    def _on_committed(self, committed: Future) -> None:
        """On the session's commit thread, once every part of a stopped take is committed."""
        try:
            outcome = committed.result()
        except Exception as err:  # noqa: BLE001 - the session logged it; say it here too
            self.get_logger().error(f"saving the stopped episode failed: {err}")
            self.publish_status()
            return
        text = f"{outcome.message}\n{outcome.quality.summary()}"
        # Two call sites: rclpy refuses one call site logging at two severities ("Logger severity
        # cannot be changed between calls"), which a truncated episode after a clean one hit.
        if outcome.saved and not outcome.account.interrupted:
            self.get_logger().info(text)
        else:
            self.get_logger().warning(text)
        self.publish_status()

    def discard_episode(self) -> tuple[bool, str]:
        try:
            self.session.discard_episode()
        except SessionError as err:
            return False, str(err)
        self.publish_status()
        return True, "episode discarded"

    def finalize(self) -> tuple[bool, str]:
        if self.session.state == FINALIZED:
            return False, "already finalized"
        outcome = self.session.finalize()
        self.publish_status()
        return True, self.session.message + (f" (last episode: {outcome.message})" if outcome else "")

    def follow_event(self, event: str) -> None:
        """keyboard_node's keys when no session driver runs (recording.episode_events' rule, no reset periods)."""
        state = self.session.state
        phase = Phase.RECORDING if state == "recording" else Phase.ENDED if state == FINALIZED else Phase.BETWEEN
        reaction = react(event, phase)
        if reaction.note:
            self.get_logger().info(reaction.note)
        if reaction.discard:
            self.discard_episode()
        if reaction.end:
            self.finalize()  # saves the episode in progress
            return
        if reaction.save:
            self.stop_episode()
        if reaction.start_next and self._task and self.session.state == "idle":
            self.start_episode(self._task)

    def _on_start(self, request, response):
        response.success, response.message, response.episode_index = self.start_episode(request.task)
        return response

    def _on_stop(self, request, response):
        response.success, response.message = self.stop_episode()
        return response

    def _on_discard(self, request, response):
        response.success, response.message = self.discard_episode()
        return response

    def _on_finalize(self, request, response):
        response.success, response.message = self.finalize()
        return response

    def publish_status(self) -> None:
        s = self.session.status()
        msg = RecorderStatus(state=s.state, task=s.task, root=s.root, episodes=s.episodes, ticks=s.ticks,
                             frames=s.frames, not_fresh=s.not_fresh, dropped=s.dropped, truncated=s.truncated,
                             dropped_total=s.dropped_total, queued_frames=s.queued_frames,
                             last_save_s=s.last_save_s, message=s.message)
        msg.stamp = self.get_clock().now().to_msg()
        self.status_pub.publish(msg)

    def shutdown(self) -> None:
        if self.session.state != FINALIZED:
            outcome = self.session.finalize()
            if outcome is not None:
                self.get_logger().info(f"on shutdown: {outcome.message}")
        self.get_logger().info(f"closed {self.session.settings.root} with {self.session.writer.num_episodes} episodes")


def main(args=None) -> None:
    # A SingleThreadedExecutor, on purpose: see the module docstring.
    run_node(RecorderNode, "recorder_node", (ValueError, RecordingConfigError, SessionError, FileExistsError), args)


if __name__ == "__main__":
    main()
