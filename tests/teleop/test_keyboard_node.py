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


def hold_key(master: int, key: bytes, seconds: float, until=None, repeat_s: float = 0.04) -> bool:
    """A held key as a terminal sends it: the key, then auto-repeats, for ``seconds`` or until
    ``until()`` holds (then: whether it did)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        os.write(master, key)
        time.sleep(repeat_s)
        if until is not None and until():
            return True
    return until is None or until()


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
        # the listener sees keyboard_node's publishers (discovery) before anything is typed
        graph = listener.node
        assert wait_for(lambda: graph.count_publishers("cmd_vel") == 1 and graph.count_subscribers("cmd_vel") == 2
                        and graph.count_publishers("recording/events") == 1, 10.0)

        # i held: forward at max_linear_speed_m_s (0.2 m/s)
        def odom_x() -> float:
            return listener.latest("odom").pose.pose.position.x

        assert hold_key(master, b"i", 5.0, until=lambda: odom_x() > 0.1), (odom_x(), robot.log(), keyboard.log())
        assert listener.latest("odom").twist.twist.linear.x == pytest.approx(0.2, abs=0.03)
        released = time.monotonic()
        # key timeout: a zero cmd_vel, and the base stops (odometry stays put)
        assert wait_for(lambda: any(m.linear.x == 0.0 for m in listener.since("cmd_vel", released)), 2.0), \
            ([(round(t - released, 3), m.linear.x) for t, m in listener.messages["cmd_vel"]], keyboard.log())
        time.sleep(0.5)
        x_stopped = listener.latest("odom").pose.pose.position.x
        time.sleep(0.5)
        assert abs(listener.latest("odom").pose.pose.position.x - x_stopped) < 0.005
        assert abs(listener.latest("odom").twist.twist.linear.x) < 0.01

        # q held: the arm's shoulder_pan jogs up at max_joint_speed_rad_s (0.5 rad/s)
        start = listener.position("arm_shoulder_pan")
        assert hold_key(master, b"q", 5.0, until=lambda: listener.position("arm_shoulder_pan") > start + 0.15), \
            keyboard.log()
        time.sleep(0.6)  # key timeout: frozen at the present pose
        settled = listener.position("arm_shoulder_pan")
        time.sleep(0.4)
        assert listener.position("arm_shoulder_pan") == pytest.approx(settled, abs=0.01)

        # recording keys: right arrow (held: one event), b, Escape
        hold_key(master, b"\x1b[C", 0.12)  # a few repeats (short: a loaded machine may stall 0.25 s)
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
