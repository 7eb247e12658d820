"""teleop_node: a leader arm drives a follower arm's robot_node, the way LeRobot teleoperates.

Reads the leader (torque off; Koch/OMX grippers held as triggers) on a fixed-rate thread, publishes
``leader/joint_states`` (radians, leader names) and streams single-point trajectories to the
follower's ``<controller>/joint_trajectory``, with units converted through both calibrations
(:mod:`lerobot_ros.teleop.leader`) and the safety rules of :mod:`lerobot_ros.teleop.teleop_session`.
The follower's present pose comes from its ``joint_states``. /diagnostics reports the leader bus
and the stream. ``leader_type:=lerobot:<type>`` reads LeRobot's own teleoperator driver instead
(:mod:`lerobot_ros.teleop.lerobot_teleop`), behind the same loop, session and topics.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import replace

import numpy as np
from builtin_interfaces.msg import Duration
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from ..motors.errors import BusError
from ..recording.message_values import MissingJoints, pick_joints
from ..robots.driver import Driver, DriverConfig
from .fixed_rate_loop import FixedRateLoop
from ..robots.setup import RobotSetup, RobotSetupError, resolve_calibration
from ..robots.tables import robot_type
from ..robots.ports import is_sim_port
from ..teleop.health import leader_health, stream_health
from ..teleop.leader import LeaderFollowerMap, TeleopPairError
from ..teleop.lerobot_teleop import LeRobotFollowerMap, LeRobotLeaderSetup, is_lerobot_type
from ..teleop.teleop_session import Command, TeleopConfig, TeleopSession
from .diagnostics import diagnostic_status
from .log_bridge import bridge_core_logging
from .loop_subscription import LoopSubscription
from .parameters import declare
from .runner import run_node
from ..node_params.teleop_node import PARAMS


LATENCY_WINDOW = 1000  # read-to-publish samples kept for the /diagnostics percentiles


class TeleopNode(Node):
    def __init__(self, **kwargs):
        super().__init__("teleop_node", **kwargs)
        bridge_core_logging(self)
        self.p = p = declare(self, PARAMS)
        follower = robot_type(p["follower_type"])
        follower_calibration, follower_source = resolve_calibration(
            follower, p["follower_calibration_file"], p["follower_calibration_id"], p["calibration_dir"],
            is_sim_port(p["follower_port"]))
        if is_lerobot_type(p["leader_type"]):  # LeRobot's own teleoperator driver (teleop/lerobot_teleop.py)
            self.setup = LeRobotLeaderSetup.from_parameters(p)
            self.map = LeRobotFollowerMap(self.setup.robot, follower, follower_calibration, p["follower_joint_prefix"])
        else:
            self.setup = RobotSetup.from_parameters({
                "robot_type": p["leader_type"], "port": p["leader_port"], "baudrate": p["baudrate"],
                "calibration_id": p["leader_calibration_id"], "calibration_file": p["leader_calibration_file"],
                "calibration_dir": p["calibration_dir"], "torque": "off", "max_relative_target": 0.0})
            self.map = LeaderFollowerMap(self.setup.robot.rtype, self.setup.robot.calibration, follower,
                                         follower_calibration, p["follower_joint_prefix"])
        leader = self.setup.robot
        self.session = TeleopSession(self.map.follower_names, self.map.follower_limits_rad, TeleopConfig(
            ramp_time_s=p["ramp_time_s"], max_step_rad=p["max_step_rad"],
            min_command_interval_s=0.5 / p["rate_hz"], leader_timeout_s=p["leader_timeout_s"],
            follower_timeout_s=p["follower_timeout_s"]))
        self._lock = threading.Lock()  # the session is fed by the loop thread, read by the diagnostics timer
        self._latency_s: collections.deque[float] = collections.deque(maxlen=LATENCY_WINDOW)
        self.leader = Driver(leader, DriverConfig(reconnect_period_s=0.5))
        reading = self.leader.start(time.monotonic())  # raises if the leader cannot be read
        self.get_logger().info(
            f"leader {p['leader_type']} on {self.setup.port_description} ({self.setup.calibration_source}) -> "
            f"follower {p['follower_type']} ({follower_source}) on {p['controller_name']}/joint_trajectory; "
            f"leader at {', '.join(f'{n}={v:+.3f}' for n, v in zip(leader.joint_names, reading.positions_rad))} rad")

        self.leader_pub = self.create_publisher(JointState, "leader/joint_states", 10)
        self.command_pub = self.create_publisher(JointTrajectory, f"{p['controller_name']}/joint_trajectory", 10)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        # Read by the leader loop at its tick, not by the executor (loop_subscription.py says why). Depth 1:
        # only the newest follower pose matters, and a queue would let a busy moment make it stale.
        self.follower_states = LoopSubscription(self, JointState, p["follower_joint_states_topic"], 1)
        self.create_timer(1.0 / p["diagnostics_rate_hz"], self._publish_diagnostics)
        tfs = p["time_from_start_s"]
        self._time_from_start = Duration(sec=int(tfs), nanosec=int(round((tfs - int(tfs)) * 1e9)))
        self.loop = FixedRateLoop(1.0 / p["rate_hz"], self._tick, name="teleop-loop")
        self.finished = threading.Event()  # teleop_node only stops on a signal

    # -- callbacks --------------------------------------------------------------------------------

    def _on_follower_state(self, msg: JointState) -> None:
        try:
            positions = pick_joints(self.map.follower_names, msg.name, msg.position).tolist()
        except MissingJoints:
            return  # another robot's joint_states on the same topic
        with self._lock:
            self.session.on_follower_state(positions, time.monotonic())

    def _tick(self, now_s: float) -> None:
        if (taken := self.follower_states.take_latest()) is not None:
            self._on_follower_state(taken[0])
        tick = self.leader.step(now_s)
        if tick.reading is None:
            with self._lock:
                command = self.session.on_leader_failure(self.leader.status.last_error or "not answering", now_s)
        else:
            self._publish_leader(tick.reading.positions_rad)
            target = self.map.follower_positions_rad(tick.reading.raw)
            with self._lock:
                command = self.session.on_leader(target, now_s)
        if command is not None:
            self._publish_command(command)
            if not command.stop:
                self._latency_s.append(time.monotonic() - now_s)

    def _publish_leader(self, positions_rad: np.ndarray) -> None:
        msg = JointState()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.name = self.map.leader_names
        msg.position = positions_rad.tolist()
        self.leader_pub.publish(msg)

    def _publish_command(self, command: Command) -> None:
        # A zero stamp: start on receipt. An empty message (no points) is robot_node's stop-and-hold.
        msg = JointTrajectory()
        msg.joint_names = self.map.follower_names
        if not command.stop:
            msg.points = [JointTrajectoryPoint(positions=command.positions_rad.tolist(),
                                               time_from_start=self._time_from_start)]
        self.command_pub.publish(msg)

    def _publish_diagnostics(self) -> None:
        with self._lock:
            status = replace(self.session.status)  # a copy: the loop thread updates it
            counters = {"phase": status.phase.value, "commands_sent": status.commands_sent, "stops_sent": status.stops_sent,
                        "clamped_steps": status.clamped_steps, "leader_read_failures": status.leader_failures,
                        "leader_faults": status.leader_faults}
        counters["loop_overruns"] = self.loop.overruns
        if self._latency_s:
            latency_ms = np.asarray(self._latency_s) * 1e3
            counters["read_to_publish_ms_p50"] = f"{np.percentile(latency_ms, 50):.3f}"
            counters["read_to_publish_ms_p99"] = f"{np.percentile(latency_ms, 99):.3f}"
        leader_name = f"leader {self.p['leader_type']}"
        bus = diagnostic_status(f"{self.get_name()}: {leader_name}", self.setup.port_description,
                                leader_health(status, leader_name, self.setup.port_description))
        for name, d in self.setup.robot.bus.diagnostics().items():
            counters[f"{name}.timeouts"] = d.timeouts
            counters[f"{name}.corrupt_packets"] = d.corrupt_packets
        stream = diagnostic_status(f"{self.get_name()}: teleop", self.p["controller_name"],
                                   stream_health(status, leader_name, self.p["follower_joint_states_topic"]), counters)
        array = DiagnosticArray(status=[bus, stream])
        array.header.stamp = self.get_clock().now().to_msg()
        self.diagnostics_pub.publish(array)

    def start(self) -> None:
        self.loop.start()

    def shutdown(self) -> None:
        self.loop.stop()
        self.leader.shutdown(torque_off=True)  # a leader's only torque is the trigger's
        self.setup.close()
        self.get_logger().info("stopped")


def main(args=None) -> None:
    # Its callbacks are short (store a pose, publish diagnostics): one executor thread is enough and
    # costs the least CPU, which the leader loop and the follower's robot_node need more.
    run_node(TeleopNode, "teleop_node", (RobotSetupError, TeleopPairError, BusError, ValueError, ImportError), args)


if __name__ == "__main__":
    main()
