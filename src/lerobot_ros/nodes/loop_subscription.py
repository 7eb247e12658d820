"""A subscription that a node's control loop reads at its own tick, outside every executor.

Why: a command stream at 100 Hz (teleop_node -> robot_node) handed to rclpy's executors starved the
loop that uses it. Jazzy's rclpy (7.1.x, ros2/rclpy#1452) MultiThreadedExecutor re-submits a
callback still waiting in its thread pool on every spin, so its spin thread busy-loops and floods the
pool; robot_node's joint_states fell to 38-52 Hz under teleoperation (docs/benchmarks.md). Even a
SingleThreadedExecutor spends its Python wait-set rebuilding on every message, holding the GIL the
loop needs. Here the subscription sits in a callback group that never lets an executor schedule it:
no executor waits on it or takes from it. The loop thread takes the newest queued message at the
start of each tick (older ones are dropped: a newer command or pose replaces them anyway), so a
message is deserialised once, on the thread that uses it, and is applied at the first tick after it
arrived, as it was when a callback stored it. It comes with the time the middleware received it,
so that what starts "on receipt" (a trajectory point's interpolation) starts then, not at the tick.
"""

from __future__ import annotations

from rclpy.callback_groups import CallbackGroup
from rclpy.node import Node
from rclpy.qos import QoSProfile


class _NeverScheduled(CallbackGroup):
    """A callback group whose entities no executor waits on or runs."""

    def can_execute(self, entity) -> bool:
        return False

    def beginning_execution(self, entity) -> bool:
        return False

    def ending_execution(self, entity) -> None:
        pass


def _not_called(*_) -> None:
    """The subscription's callback: never run (the group is never scheduled)."""


class LoopSubscription:
    """``topic`` of ``msg_type``, read with :meth:`take_latest` from the node's loop thread."""

    def __init__(self, node: Node, msg_type, topic: str, qos: QoSProfile | int):
        self._msg_type = msg_type
        self._subscription = node.create_subscription(msg_type, topic, _not_called, qos,
                                                      callback_group=_NeverScheduled())

    def take_latest(self) -> tuple[object, float | None] | None:
        """The newest message received since the last call and when the middleware received it
        (wall clock, s; None where the rmw leaves it unset), or None; older queued ones are dropped."""
        latest = None
        handle = self._subscription.handle
        with handle:
            while (taken := handle.take_message(self._msg_type, False)) is not None:
                latest = taken
        if latest is None:
            return None
        msg, info = latest
        received_ns = info.get("received_timestamp") or 0
        return msg, (received_ns * 1e-9 if received_ns > 0 else None)
