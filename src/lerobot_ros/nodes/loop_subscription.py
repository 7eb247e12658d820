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

A loop that must act on a command as soon as it arrives, not at its next tick (robot_node writing
the servo goal: issue 20's leader-to-follower latency), waits between ticks on
:class:`SubscriptionArrivals`: an rcl wait set over its loop-read subscriptions, waited on by the
loop thread itself (the GIL is released while it waits). Jazzy's rclpy (7.1.x) does not expose
rcl's new-message callback to Python (only its C++ EventsExecutor uses it), so the wait set is the
way to be woken by the middleware without an executor.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Callable, Sequence

from rclpy.callback_groups import CallbackGroup
from rclpy.impl.implementation_singleton import rclpy_implementation as _rclpy
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
        # Messages that reached this subscription so far, taken or replaced in its queue before a take
        # (counted from the publisher's sequence numbers where the rmw gives them): a stream's rate
        # as the loop sees it, whatever the queue's depth.
        self.arrived = 0
        self._last_sequence: int | None = None

    def take_latest(self) -> tuple[object, float | None] | None:
        """The newest message received since the last call and when the middleware received it
        (wall clock, s; None where the rmw leaves it unset), or None; older queued ones are dropped."""
        latest = None
        handle = self._subscription.handle
        with handle:
            while (taken := handle.take_message(self._msg_type, False)) is not None:
                latest = taken
                self._count(taken[1].get("publication_sequence_number"))
        if latest is None:
            return None
        msg, info = latest
        received_ns = info.get("received_timestamp") or 0
        return msg, (received_ns * 1e-9 if received_ns > 0 else None)

    def _count(self, sequence: int | None) -> None:
        """One more message, plus those its publisher sent since the last one taken (replaced in the
        queue). A sequence number that does not follow on (another publisher, a restarted one) adds
        only the message itself."""
        skipped = 0
        if sequence is not None and self._last_sequence is not None and sequence > self._last_sequence:
            skipped = sequence - self._last_sequence - 1
        self._last_sequence = sequence
        self.arrived += 1 + skipped


class SubscriptionArrivals:
    """The loop's :class:`~.fixed_rate_loop.Arrivals` for loop-read subscriptions: :meth:`wait`
    blocks until one of ``subscriptions`` has a message queued (leaving it queued), and
    :meth:`handle` calls ``handle(now_s)``, which takes it (with :meth:`LoopSubscription.take_latest`).

    Only for streams no faster than the loop: when more than one message of a subscription arrived
    since the previous wait (one loop period: the loop waits once between two ticks), the stream
    outpaces the loop and :meth:`wait` returns False at once, leaving its commands to the tick, which
    takes the newest (at most a period away, and it would replace the one acted on anyway). Acting
    on each arrival of a 500 Hz stream took robot_node's CPU to 1.5-1.7x that under a 10 Hz stream
    (tests/nodes/test_robot_node_under_teleop.py); a teleop stream at the loop's rate is still
    acted on as each command arrives, and after a period with two (jitter) the next is again.
    """

    def __init__(self, node: Node, subscriptions: Sequence[LoopSubscription], handle: Callable[[float], None]):
        if not subscriptions:
            raise ValueError("SubscriptionArrivals needs at least one subscription to wait on")
        self._context = node.context
        self._subscriptions = list(subscriptions)
        self._handles = [s._subscription.handle for s in subscriptions]
        self._arrived = [s.arrived for s in subscriptions]  # as of the previous wait
        self._handle = handle
        # One wait set for the loop's life: rebuilding it each wait would allocate at the loop's rate.
        self._wait_set = _rclpy.WaitSet(len(self._handles), 0, 0, 0, 0, 0, self._context.handle)

    def wait(self, timeout_s: float) -> bool:
        arrived = [s.arrived for s in self._subscriptions]
        faster_than_the_loop = any(now - before > 1 for now, before in zip(arrived, self._arrived))
        self._arrived = arrived
        if faster_than_the_loop or not self._context.ok():  # (not ok: shutting down, nothing will arrive)
            return False
        with ExitStack() as in_use:  # the handles cannot be destroyed while rcl waits on them
            for handle in self._handles:
                in_use.enter_context(handle)
            in_use.enter_context(self._context.handle)
            self._wait_set.clear_entities()
            for handle in self._handles:
                self._wait_set.add_subscription(handle)
            self._wait_set.wait(max(0, round(timeout_s * 1e9)))
            return bool(self._wait_set.get_ready_entities("subscription"))

    def handle(self, now_s: float) -> None:
        self._handle(now_s)
