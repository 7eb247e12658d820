"""gamepad_node jogging a simulated SO-101 (robot_node in its own process): the node runs here, in
the test process, because SDL's event queue is per process; the test posts joystick events to it
with pygame, which is where a real pad's events arrive too."""

from __future__ import annotations

import time

import pytest
import rclpy
from rclpy.parameter import Parameter

from lerobot_ros.nodes.gamepad_node import GamepadNode
from ros_processes import NodeProcess, wait_for
from teleop_listener import TeleopListener

pytestmark = [pytest.mark.slow, pytest.mark.ros]

LB = 4


@pytest.fixture(scope="module")
def ros():
    rclpy.init()
    yield
    rclpy.shutdown()


def post(pg, event_type, **fields) -> None:
    pg.event.post(pg.event.Event(event_type, instance_id=0, joy=0, **fields))


def test_gamepad_jogs_a_simulated_so101_only_while_the_deadman_is_held(ros, tmp_path):
    robot = NodeProcess("lerobot_ros.nodes.robot_node", "robot_node", {"robot_type": "so101_follower", "port": "sim"},
                        tmp_path)
    gamepad = GamepadNode(parameter_overrides=[Parameter("robot_type", value="so101_follower"),
                                               Parameter("max_joint_speed_rad_s", value=0.5)])
    pg = gamepad.gamepad.pygame
    listener = TeleopListener("gamepad_test_listener", extra_nodes=[gamepad])
    gamepad.start()
    try:
        assert wait_for(lambda: listener.latest("joint_states") is not None, 30.0), robot.log()
        assert wait_for(lambda: listener.latest("joy") is not None, 5.0)
        start = listener.position("shoulder_pan")

        post(pg, pg.JOYAXISMOTION, axis=0, value=-1.0)  # left stick left, no deadman: nothing moves
        time.sleep(0.5)
        assert listener.latest("joy").axes[0] == -1.0
        assert not listener.all("arm_controller/joint_trajectory")
        assert listener.position("shoulder_pan") == pytest.approx(start, abs=0.01)

        post(pg, pg.JOYBUTTONDOWN, button=LB)  # deadman: shoulder_pan jogs at 0.5 rad/s
        pressed = time.monotonic()
        assert wait_for(lambda: listener.position("shoulder_pan") > start + 0.3, 5.0), robot.log()
        moved = listener.position("shoulder_pan")
        assert listener.latest("joy").buttons[LB] == 1
        # command rate bounded by rate_hz (30 Hz)
        jogging_s = time.monotonic() - pressed
        assert len(listener.since("arm_controller/joint_trajectory", pressed)) <= 30 * jogging_s + 3

        post(pg, pg.JOYBUTTONUP, button=LB)  # release: frozen at the present pose, stick still held
        time.sleep(0.3)
        stopped = listener.position("shoulder_pan")
        time.sleep(0.5)
        assert listener.position("shoulder_pan") == pytest.approx(stopped, abs=0.01)
        assert stopped < moved + 0.1  # no run-on past one bounded step
        last = listener.latest("arm_controller/joint_trajectory")
        assert list(last.joint_names) == ["shoulder_pan"] and abs(last.points[0].positions[0] - stopped) < 0.05
    finally:
        gamepad.shutdown()
        listener.close()
        gamepad.destroy_node()
        robot.stop()
