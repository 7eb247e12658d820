"""keyboard_node: keys in a plain terminal (SSH is fine) jog an arm, drive LeKiwi's base and send
recording events.

Jogs go out as single-point ``<controller>/joint_trajectory`` commands from the present pose in
``joint_states``; base keys as ``cmd_vel``; recording keys as std_msgs/String on
``recording/events`` (``next_episode``, ``rerecord_episode``, ``stop_recording``). The key map,
auto-repeat handling and terminal modes live in :mod:`lerobot_ros.teleop.keyboard`.
"""

from __future__ import annotations

import threading

from rclpy.node import Node

from .fixed_rate_loop import FixedRateLoop
from ..teleop.keyboard import KeyboardTeleop, KeyMap, TerminalClosed, TerminalKeyReader
from .log_bridge import bridge_core_logging
from .parameters import declare
from .runner import run_node
from .teleop_io import TeleopIO
from ..node_params.keyboard_node import PARAMS


class KeyboardNode(Node):
    def __init__(self, **kwargs):
        super().__init__("keyboard_node", **kwargs)
        bridge_core_logging(self)
        self.p = declare(self, PARAMS)
        self.io = TeleopIO(self, self.p, recording_events=True)
        self.keymap = KeyMap()
        self.teleop = KeyboardTeleop(self.keymap, self.io.jog, self.io.base, self.p["key_timeout_s"])
        self.finished = threading.Event()  # set when the terminal goes away
        self.reader = TerminalKeyReader(self.p["tty"])
        self._last_tick_s: float | None = None
        self.loop = FixedRateLoop(self.io.period_s, self._tick, name="keyboard")
        self.help = self.keymap.help_line(self.io.jog.joint_names, self.io.base is not None)
        self.get_logger().info(f"keyboard teleop for {self.p['robot_type']} on {self.reader.name}")

    def start(self) -> None:
        self.reader.write(self.help + "\r\n")
        self.loop.start()

    def _tick(self, now_s: float) -> None:
        if self.finished.is_set():
            return
        dt_s = now_s - self._last_tick_s if self._last_tick_s is not None else 0.0
        self._last_tick_s = now_s
        try:
            keys = self.reader.read_keys(now_s)
        except TerminalClosed as err:
            self.get_logger().warning(f"{err}: stopping")
            keys = list(self.keymap.stop)
            self.finished.set()
        if self.keymap.help in keys:
            self.reader.write(self.help + "\r\n")
        self.io.publish(self.teleop.update(keys, self.io.present(), now_s, dt_s))

    def shutdown(self) -> None:
        self.loop.stop()
        self.io.release()
        self.reader.close()
        self.get_logger().info(f"stopped; {self.reader.name} restored")


def main(args=None) -> None:
    run_node(KeyboardNode, "keyboard_node", (ValueError,), args)


if __name__ == "__main__":
    main()
