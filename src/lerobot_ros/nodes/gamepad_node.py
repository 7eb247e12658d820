"""gamepad_node: a gamepad (SDL through pygame) jogs an arm's joints or drives LeKiwi's base.

Publishes ``joy`` (sensor_msgs/Joy) at ``rate_hz``; with the deadman button held, sticks jog the arm
(single-point ``<controller>/joint_trajectory`` commands from the present pose in ``joint_states``)
or, on a robot with a base, drive it (``cmd_vel``); the mode button switches. The mapping and
safety logic live in :mod:`lerobot_ros.teleop.gamepad`; this file only wires ROS to it.
"""

from __future__ import annotations

import threading

from rclpy.node import Node
from sensor_msgs.msg import Joy

from .fixed_rate_loop import FixedRateLoop
from ..teleop.gamepad import ARM, BASE, GamepadMapping, GamepadTeleop, GamepadUnavailable, PygameGamepad
from .log_bridge import bridge_core_logging
from .parameters import declare
from .runner import run_node
from .teleop_io import TeleopIO
from ..node_params.gamepad_node import PARAMS


class GamepadNode(Node):
    def __init__(self, **kwargs):
        super().__init__("gamepad_node", **kwargs)
        bridge_core_logging(self)
        self.p = declare(self, PARAMS)
        self.io = TeleopIO(self, self.p)
        mapping = GamepadMapping.from_specs(self.p["arm_controls"], self.p["base_controls"],
                                            self.p["deadman_button"], self.p["mode_button"], self.p["deadzone"])
        mode = self.p["mode"] if self.p["mode"] != "auto" else (BASE if self.io.base is not None else ARM)
        self.teleop = GamepadTeleop(mapping, self.io.jog, self.io.base, mode)
        self.gamepad = PygameGamepad()
        self.joy_pub = self.create_publisher(Joy, "joy", 10)
        self.finished = threading.Event()  # gamepad_node only stops on a signal
        self._last_tick_s: float | None = None
        self._names_logged: set[int] = set()
        self.loop = FixedRateLoop(self.io.period_s, self._tick, name="gamepad")
        self.get_logger().info(f"gamepad teleop for {self.p['robot_type']}: hold button {self.p['deadman_button']} "
                               f"to move the {mode}; {self.gamepad.connected()} pad(s) connected")

    def start(self) -> None:
        self.loop.start()

    def _tick(self, now_s: float) -> None:
        dt_s = now_s - self._last_tick_s if self._last_tick_s is not None else 0.0
        self._last_tick_s = now_s
        state = self.gamepad.poll()
        for instance_id, name in self.gamepad.names.items():
            if instance_id not in self._names_logged:
                self._names_logged.add(instance_id)
                self.get_logger().info(f"gamepad connected: {name}")
        mode = self.teleop.mode
        out = self.teleop.update(state, self.io.present(), dt_s)
        if self.teleop.mode != mode:
            self.get_logger().info(f"gamepad now moves the {self.teleop.mode}")
        self.io.publish(out)
        joy = Joy()
        joy.header.stamp = self.get_clock().now().to_msg()
        if state is not None:
            joy.axes = state.joy_axes()
            joy.buttons = list(state.buttons)
        self.joy_pub.publish(joy)

    def shutdown(self) -> None:
        self.loop.stop()
        self.io.release()
        self.gamepad.close()
        self.get_logger().info("stopped")


def main(args=None) -> None:
    run_node(GamepadNode, "gamepad_node", (ValueError, GamepadUnavailable), args)


if __name__ == "__main__":
    main()
