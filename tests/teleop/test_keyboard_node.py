"""keyboard_node in its own process, its stdin the slave side of a pseudo-terminal: key bytes written
to the master drive a simulated LeKiwi (robot_node on `sim://lekiwi`) and jog its arm; recording keys
become recording/events; the terminal is restored when the node stops."""

from __future__ import annotations

import os
import signal
import termios
import time

import pytest
import rclpy

from ros_processes import NodeProcess, wait_for
from teleop_listener import TeleopListener

pytestmark = [pytest.mark.slow, pytest.mark.ros]


@pytest.fixture(scope="module")
def ros():
    rclpy.init()
    yield
    rclpy.shutdown()


def hold_key(master: int, key: bytes, seconds: float, repeat_s: float = 0.04) -> None:
    """A held key as a terminal sends it: the key, then auto-repeats."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        os.write(master, key)
        time.sleep(repeat_s)


def test_keyboard_drives_a_simulated_lekiwi(ros, tmp_path):
    master, slave = os.openpty()
    robot = NodeProcess("lerobot_ros.nodes.robot_node", "robot_node", {"robot_type": "lekiwi", "port": "sim://lekiwi"},
                        tmp_path)
    keyboard = NodeProcess("lerobot_ros.nodes.keyboard_node", "keyboard_node",
                           {"robot_type": "lekiwi", "key_timeout_s": 0.25}, tmp_path, stdin=slave)
    listener = TeleopListener("keyboard_test_listener")
    try:
        assert wait_for(lambda: listener.latest("odom") is not None, 30.0), robot.log()
        assert wait_for(lambda: "keys: q/a arm_shoulder_pan" in keyboard.log(), 30.0), keyboard.log()
        assert wait_for(lambda: listener.node.count_publishers("cmd_vel") > 0, 10.0)

        # i held for 1 s: forward at max_linear_speed_m_s (0.2 m/s)
        hold_key(master, b"i", 1.0)
        released = time.monotonic()
        x_moving = listener.latest("odom").pose.pose.position.x
        assert x_moving > 0.08, (x_moving, robot.log(), keyboard.log())
        # key timeout: a zero cmd_vel, and the base stops (odometry stays put)
        assert wait_for(lambda: any(m.linear.x == 0.0 for m in listener.since("cmd_vel", released)), 1.0)
        time.sleep(0.5)
        x_stopped = listener.latest("odom").pose.pose.position.x
        time.sleep(0.5)
        assert abs(listener.latest("odom").pose.pose.position.x - x_stopped) < 0.005
        assert abs(listener.latest("odom").twist.twist.linear.x) < 0.01

        # q held: the arm's shoulder_pan jogs up at max_joint_speed_rad_s (0.5 rad/s)
        start = listener.position("arm_shoulder_pan")
        hold_key(master, b"q", 0.6)
        assert listener.position("arm_shoulder_pan") > start + 0.1, keyboard.log()
        time.sleep(0.6)  # key timeout: frozen at the present pose
        settled = listener.position("arm_shoulder_pan")
        time.sleep(0.4)
        assert listener.position("arm_shoulder_pan") == pytest.approx(settled, abs=0.01)

        # recording keys: right arrow (held: one event), b, Escape
        hold_key(master, b"\x1b[C", 0.3)
        os.write(master, b"b")
        time.sleep(0.3)
        os.write(master, b"\x1b")
        assert wait_for(lambda: len(listener.all("recording/events")) >= 3, 3.0), keyboard.log()
        time.sleep(0.2)
        assert [m.data for m in listener.all("recording/events")] == [
            "next_episode", "rerecord_episode", "stop_recording"]
    finally:
        listener.close()
        assert keyboard.stop(signal.SIGTERM) == 0, keyboard.log()
        robot.stop()
    lflag = termios.tcgetattr(slave)[3]
    assert lflag & termios.ECHO and lflag & termios.ICANON, "keyboard_node left the terminal in cbreak mode"
    os.close(slave)
    os.close(master)


def test_keyboard_node_refuses_stdin_that_is_not_a_terminal(ros, tmp_path):
    devnull = os.open(os.devnull, os.O_RDONLY)
    node = NodeProcess("lerobot_ros.nodes.keyboard_node", "keyboard_node", {}, tmp_path, stdin=devnull)
    os.close(devnull)
    assert node.proc.wait(30) == 1
    assert "stdin is not a terminal" in node.log()
    node.stop()


def test_keyboard_node_stops_when_its_terminal_goes_away(ros, tmp_path):
    master, slave = os.openpty()
    node = NodeProcess("lerobot_ros.nodes.keyboard_node", "keyboard_node", {}, tmp_path, stdin=slave)
    os.close(slave)
    try:
        assert wait_for(lambda: "keys: q/a shoulder_pan" in node.log(), 30.0), node.log()
        os.close(master)  # the SSH session / terminal window closes
        assert node.proc.wait(10) == 0, node.log()
        assert ": stopping" in node.log()  # "stdin closed" or "stdin reached end of file"
    finally:
        node.stop()
