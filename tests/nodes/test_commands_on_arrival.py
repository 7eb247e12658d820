"""robot_node acts on a command when it arrives, not at its next loop tick (issue 20, leader -> follower
latency): the loop thread waits between ticks on an rcl wait set over its command subscriptions
(nodes/loop_subscription.py, SubscriptionArrivals) and writes the goal at once (Driver.write_now).

The loop's side (nodes/fixed_rate_loop.py) is checked with a plain Python command queue; the wait set
with real DDS in this process; robot_node end to end with real DDS across processes on a simulated
bus, with its loop slowed to 1 Hz so that "at the tick" (0-1 s later) and "on arrival" (milliseconds)
are told apart by a count, not a tight timing bound.
"""

from __future__ import annotations

import queue
import threading
import time

import numpy as np
import pytest
import rclpy
from geometry_msgs.msg import Twist
from rclpy.qos import QoSProfile
from trajectory_msgs.msg import JointTrajectory

from lerobot_ros.motors.calibration import save_calibration
from lerobot_ros.nodes.fixed_rate_loop import FixedRateLoop
from lerobot_ros.nodes.loop_subscription import LoopSubscription, SubscriptionArrivals
from lerobot_ros.nodes.spin_thread import spin_in_thread
from lerobot_ros.robots.ports import simulated_bus
from lerobot_ros.robots.sim_calibration import default_sim_calibration
from lerobot_ros.robots.tables import robot_type
from ros_client import RobotClient
from ros_processes import NodeProcess, wait_for


class QueueArrivals:
    """Commands put on a queue by another thread; what the loop did, in order, in ``events``."""

    def __init__(self, events: list):
        self.commands: queue.Queue = queue.Queue()
        self.events = events

    def wait(self, timeout_s: float) -> bool:
        try:
            self.commands.put(self.commands.get(timeout=max(timeout_s, 0.0)))  # leave it queued
        except queue.Empty:
            return False
        return True

    def handle(self, now_s: float) -> None:
        while not self.commands.empty():
            self.events.append(("command", self.commands.get()))


class Flood:
    """A command always waiting (a stream far faster than the loop)."""

    def __init__(self):
        self.handled = 0

    def wait(self, timeout_s: float) -> bool:
        return True

    def handle(self, now_s: float) -> None:
        self.handled += 1


def test_the_loop_acts_on_a_command_before_its_next_tick():
    events: list = []
    ticked = threading.Event()

    def tick(now_s: float) -> None:
        events.append(("tick", now_s))
        ticked.set()

    arrivals = QueueArrivals(events)
    loop = FixedRateLoop(2.0, tick, arrivals=arrivals)  # a 2 s period: the next tick is far away
    loop.start()
    try:
        assert ticked.wait(5.0)
        time.sleep(0.1)  # the loop is waiting between ticks now
        arrivals.commands.put("first")
        assert wait_for(lambda: ("command", "first") in events, 1.5), events
    finally:
        loop.stop()
    assert [kind for kind, _ in events[:2]] == ["tick", "command"], events  # not held until the second tick
    assert loop.arrivals_handled == 1


def test_a_flood_of_commands_wakes_the_loop_at_most_once_per_period():
    ticks: list[float] = []
    flood = Flood()
    loop = FixedRateLoop(0.02, ticks.append, arrivals=flood)
    loop.start()
    time.sleep(1.0)
    loop.stop()
    # At most one command handled between two ticks, whatever the stream's rate; the ticks keep going.
    assert 0 < flood.handled <= len(ticks), (flood.handled, len(ticks))
    assert len(ticks) >= 25, f"{len(ticks)} ticks in 1 s at 50 Hz: the flood starved the loop"


def test_the_loop_without_arrivals_only_ticks():
    ticks: list[float] = []
    loop = FixedRateLoop(0.02, ticks.append)
    loop.start()
    time.sleep(0.3)
    loop.stop()
    assert len(ticks) >= 5 and loop.arrivals_handled == 0


@pytest.mark.ros
def test_the_wait_set_wakes_on_a_message_and_leaves_it_to_take(ros):
    node = rclpy.create_node("arrivals_waiter")
    sender = rclpy.create_node("arrivals_sender")
    subscription = LoopSubscription(node, Twist, "arrivals_probe", QoSProfile(depth=1))
    handled: list[float] = []
    arrivals = SubscriptionArrivals(node, [subscription], handled.append)
    publisher = sender.create_publisher(Twist, "arrivals_probe", QoSProfile(depth=1))
    spinning = spin_in_thread(sender)
    try:
        assert wait_for(lambda: publisher.get_subscription_count() == 1, 10.0)
        assert arrivals.wait(0.05) is False  # nothing sent: it times out
        message = Twist()
        message.linear.x = 0.25
        threading.Timer(0.3, publisher.publish, (message,)).start()
        started = time.monotonic()
        assert arrivals.wait(10.0) is True
        waited = time.monotonic() - started
        assert 0.2 < waited < 5.0, waited  # woken by the message, not by the timeout
        taken = subscription.take_latest()  # still queued for the loop to take
        assert taken is not None and taken[0].linear.x == 0.25
        assert subscription.take_latest() is None
        assert arrivals.wait(0.05) is False  # taken: nothing waiting any more
        arrivals.handle(1.5)
        assert handled == [1.5]
    finally:
        assert spinning.stop()
        sender.destroy_node()
        node.destroy_node()


@pytest.mark.ros
def test_a_stream_faster_than_the_loop_is_left_to_the_tick(ros):
    """More than one message between two waits (a loop period): the next wait returns at once and the
    tick takes the newest; a period with one message brings the waiting back."""
    node = rclpy.create_node("arrivals_fast_waiter")
    sender = rclpy.create_node("arrivals_fast_sender")
    subscription = LoopSubscription(node, Twist, "arrivals_fast_probe", QoSProfile(depth=1))
    arrivals = SubscriptionArrivals(node, [subscription], lambda now_s: None)
    publisher = sender.create_publisher(Twist, "arrivals_fast_probe", QoSProfile(depth=10))
    spinning = spin_in_thread(sender)

    def send(value: float) -> None:
        message = Twist()
        message.linear.x = value
        publisher.publish(message)

    try:
        assert wait_for(lambda: publisher.get_subscription_count() == 1, 10.0)
        assert arrivals.wait(0.05) is False
        send(1.0)
        assert arrivals.wait(10.0) is True and subscription.take_latest()[0].linear.x == 1.0
        for value in (2.0, 3.0, 4.0):  # three commands within one period: the queue keeps the newest
            send(value)
        time.sleep(0.3)
        assert subscription.take_latest()[0].linear.x == 4.0
        assert subscription.arrived == 4  # counted from the publisher's sequence numbers
        send(5.0)
        time.sleep(0.3)
        started = time.monotonic()
        assert arrivals.wait(10.0) is False  # a message is waiting, but the stream outpaced the loop
        assert time.monotonic() - started < 5.0
        assert subscription.take_latest()[0].linear.x == 5.0  # left for the tick
        send(6.0)  # one message in the last period: acted on as it arrives again
        assert arrivals.wait(10.0) is True and subscription.take_latest()[0].linear.x == 6.0
    finally:
        assert spinning.stop()
        sender.destroy_node()
        node.destroy_node()


def test_subscription_arrivals_needs_a_subscription():
    with pytest.raises(ValueError, match="at least one subscription"):
        SubscriptionArrivals(None, [], lambda now_s: None)


SO101 = robot_type("so101_follower")
LOOP_HZ = 1.0  # a tick a second: a command written at the tick would wait 0-1 s
TRIALS = 6
ON_ARRIVAL_S = 0.25  # a quarter of the period: a tick-only loop meets it in ~1 trial of 4


def _first_change_s(read, before: int, sent: float, timeout_s: float = 2.5) -> float:
    """Seconds from ``sent`` until ``read()`` first differs from ``before`` (inf: never)."""
    while time.monotonic() - sent < timeout_s:
        if read() != before:
            return time.monotonic() - sent
        time.sleep(0.0005)
    return float("inf")


@pytest.mark.slow
@pytest.mark.ros
def test_robot_node_writes_a_trajectory_to_the_servos_when_it_arrives(tmp_path, ros):
    calibration_file = save_calibration(tmp_path / "so101.json", default_sim_calibration("so101_follower"))
    rng = np.random.default_rng(20)
    with simulated_bus("so101_follower") as sim:
        node = NodeProcess("lerobot_ros.nodes.robot_node", "arrival_follower", {
            "robot_type": "so101_follower", "port": sim.port, "calibration_file": str(calibration_file),
            "publish_rate_hz": LOOP_HZ, "command_timeout_s": 0.0, "diagnostics_rate_hz": 2.0}, tmp_path)
        client = RobotClient("arrival_client")
        pan = sim.servo(SO101.motor("shoulder_pan").id)
        latencies = []
        try:
            client.wait_for_state(timeout=30.0)
            start = client.positions()
            assert wait_for(lambda: client.trajectory_pub.get_subscription_count() > 0, 10.0)
            for trial in range(TRIALS):
                # At random phases of the 1 s loop, one trajectory per period (at most one command is
                # written on arrival between two ticks).
                time.sleep(rng.uniform(1.0, 2.0))
                step = 0.1 if trial % 2 == 0 else 0.0
                target = [start[j] + (step if j == "shoulder_pan" else 0.0) for j in SO101.joint_names]
                before = pan.read_register("Goal_Position")  # held still since the last trial's end
                sent = time.monotonic()
                client.send(SO101.joint_names, [(target, 0.01)])
                latencies.append(_first_change_s(lambda: pan.read_register("Goal_Position"), before, sent))
            assert node.alive(), node.log()
            written = wait_for(lambda: _counter(client, "commands_on_arrival") >= TRIALS - 1, 5.0)
        finally:
            client.close()
            node.stop()
    assert all(t < 2.5 for t in latencies), f"a trajectory never reached Goal_Position: {latencies}"
    on_arrival = sum(t < ON_ARRIVAL_S for t in latencies)
    assert on_arrival >= TRIALS - 1, (
        f"only {on_arrival} of {TRIALS} trajectories reached Goal_Position within {ON_ARRIVAL_S} s of being sent "
        f"with a {1 / LOOP_HZ:.0f} s loop: they waited for the tick ({np.round(latencies, 3).tolist()} s)")
    assert written, "robot_node's /diagnostics never counted commands_on_arrival"


def _counter(client: RobotClient, key: str) -> int:
    with client.lock:
        values = [kv.value for array in client.diagnostics for status in array.status
                  if status.name.endswith(": bus") for kv in status.values if kv.key == key]
    return int(values[-1]) if values else -1


@pytest.mark.slow
@pytest.mark.ros
def test_lekiwi_writes_cmd_vel_to_the_wheels_when_it_arrives(tmp_path, ros):
    calibration_file = save_calibration(tmp_path / "lekiwi.json", default_sim_calibration("lekiwi"))
    rng = np.random.default_rng(21)
    with simulated_bus("lekiwi") as sim:
        node = NodeProcess("lerobot_ros.nodes.robot_node", "arrival_lekiwi", {
            "robot_type": "lekiwi", "port": sim.port, "calibration_file": str(calibration_file),
            "publish_rate_hz": LOOP_HZ}, tmp_path)
        client = RobotClient("arrival_lekiwi_client")
        cmd_vel = client.node.create_publisher(Twist, "cmd_vel", 10)
        wheel = sim.servo(robot_type("lekiwi").motor(robot_type("lekiwi").base.wheels[0]).id)
        latencies = []
        try:
            client.wait_for_state(timeout=30.0)
            assert wait_for(lambda: cmd_vel.get_subscription_count() > 0, 10.0)
            command = Twist()
            command.linear.x = 0.2
            for _ in range(TRIALS):
                # The base stops 0.5 s after a command (base_command_timeout_s), at a tick: wait for it.
                assert wait_for(lambda: wheel.read_register("Goal_Velocity") == 0, 3.0), node.log()
                time.sleep(rng.uniform(0.0, 1.0))  # at random phases of the 1 s loop
                sent = time.monotonic()
                cmd_vel.publish(command)
                latencies.append(_first_change_s(lambda: wheel.read_register("Goal_Velocity"), 0, sent))
            assert node.alive(), node.log()
        finally:
            client.close()
            node.stop()
    assert all(t < 2.5 for t in latencies), f"a cmd_vel never reached the wheels: {latencies}"
    on_arrival = sum(t < ON_ARRIVAL_S for t in latencies)
    assert on_arrival >= TRIALS - 1, (
        f"only {on_arrival} of {TRIALS} cmd_vel reached the wheels within {ON_ARRIVAL_S} s of being sent "
        f"with a {1 / LOOP_HZ:.0f} s loop: they waited for the tick ({np.round(latencies, 3).tolist()} s)")
