"""SpinThread: stopped, nothing of the executor runs any more, so its nodes can be destroyed.

A test process once hung for good destroying a node that another thread was spinning (the deferred
destruction ran in the spin thread inside Fast DDS, holding the GIL). Here nodes under traffic are
stopped and destroyed many times, and a callback still running on a MultiThreadedExecutor's worker
is waited for.
"""

from __future__ import annotations

import threading
import time

import pytest
import rclpy
from rclpy.executors import MultiThreadedExecutor
from std_msgs.msg import String

from lerobot_ros.nodes.spin_thread import spin_in_thread

pytestmark = pytest.mark.ros

ROUNDS = 20


def test_nodes_under_traffic_are_destroyed_after_stop_round_after_round(ros):
    for round_ in range(ROUNDS):
        talker, listener = rclpy.create_node("spin_talker"), rclpy.create_node("spin_listener")
        received = []
        listener.create_subscription(String, "spin_chatter", lambda m: received.append(m.data), 10)
        publisher = talker.create_publisher(String, "spin_chatter", 10)
        talker.create_timer(0.001, lambda: publisher.publish(String(data=str(round_))))
        spinning = spin_in_thread(talker, listener)
        deadline = time.monotonic() + 10.0
        while str(round_) not in received:
            assert time.monotonic() < deadline, f"round {round_}: nothing received"
            time.sleep(0.01)
        assert spinning.stop()
        count = len(received)
        time.sleep(0.05)
        assert len(received) == count, "a callback ran after stop()"
        talker.destroy_node()
        listener.destroy_node()


def test_stop_waits_for_a_callback_running_on_a_worker_thread(ros):
    node = rclpy.create_node("spin_slow")
    running, finished = threading.Event(), threading.Event()

    def slow() -> None:
        running.set()
        time.sleep(0.5)
        finished.set()

    timer = node.create_timer(0.01, lambda: None if running.is_set() else slow())
    spinning = spin_in_thread(node, executor=MultiThreadedExecutor(num_threads=2))
    assert running.wait(5.0)
    assert spinning.stop()
    assert finished.is_set(), "stop() returned while the callback was still running"
    timer.cancel()
    node.destroy_node()


def test_stop_gives_up_on_a_callback_that_never_ends_and_says_so(ros):
    node = rclpy.create_node("spin_stuck")
    running, release = threading.Event(), threading.Event()

    def stuck() -> None:
        running.set()
        release.wait()

    node.create_timer(0.01, lambda: None if running.is_set() else stuck())
    spinning = spin_in_thread(node, executor=MultiThreadedExecutor(num_threads=2))
    assert running.wait(5.0)
    assert spinning.stop(timeout_s=0.3) is False
    release.set()
    deadline = time.monotonic() + 5.0
    while not spinning.stop(timeout_s=0.3):
        assert time.monotonic() < deadline
    node.destroy_node()


def test_an_idle_executor_stops_at_once(ros):
    node = rclpy.create_node("spin_idle")  # nothing to do: the spin thread sits in its wait
    spinning = spin_in_thread(node)
    time.sleep(0.2)
    started = time.monotonic()
    assert spinning.stop()
    assert time.monotonic() - started < 1.0
    node.destroy_node()
