"""The composed Graph (nodes/composition.py: the demo's and the evaluation bench's): stages of nodes come
and go on one rclpy context without ending the spin.

A CI run of `make demo` lost every callback of its last stage: the previous stage's nodes were
destroyed while the executor thread was adding their handles to its wait set, rclpy raised
InvalidHandle in that thread, and nothing spun any more. Here busy nodes (a 1 kHz timer, QoS
event handlers on every publisher and subscription) are torn down stage after stage, and each new
stage must still exchange messages.
"""

from __future__ import annotations

import sys
import time

import pytest
from rclpy._rclpy_pybind11 import InvalidHandle
from rclpy.node import Node
from std_msgs.msg import String

from lerobot_ros.nodes.composition import Graph

pytestmark = pytest.mark.ros

STAGES = 25
TIMEOUT_S = 10.0


@pytest.fixture
def graph(tmp_path):
    parameters = tmp_path / "parameters.yaml"
    parameters.write_text("/**:\n  ros__parameters: {}\n")
    switch_interval = sys.getswitchinterval()
    graph = Graph(parameters)
    yield graph
    graph.close()
    sys.setswitchinterval(switch_interval)


def busy_stage(graph: Graph, stage: int) -> list[str]:
    """A talker publishing every millisecond and a listener; returns what the listener received."""
    talker, listener = graph.add(Node("talker")), graph.add(Node("listener"))
    received: list[str] = []
    listener.create_subscription(String, "chatter", lambda msg: received.append(msg.data), 10)
    publisher = talker.create_publisher(String, "chatter", 10)
    talker.create_timer(0.001, lambda: publisher.publish(String(data=f"stage {stage}")))
    return received


def test_each_stage_still_spins_after_the_last_was_torn_down_mid_traffic(graph):
    for stage in range(STAGES):
        received = busy_stage(graph, stage)
        deadline = time.monotonic() + TIMEOUT_S
        while f"stage {stage}" not in received:
            assert time.monotonic() < deadline, f"stage {stage}: no message in {TIMEOUT_S:g} s (the executor stopped)"
            time.sleep(0.01)
        graph.remove_all()
        assert graph.nodes == []


def test_a_failing_shutdown_still_destroys_every_node(graph):
    class FailingShutdown(Node):
        def shutdown(self) -> None:
            raise SystemExit(1)  # as policy_node does after a model error

    survivor = graph.add(Node("survivor"))
    graph.add(FailingShutdown("failing"))
    with pytest.raises(SystemExit):
        graph.remove_all()
    assert graph.nodes == []
    with pytest.raises(InvalidHandle):  # the node under the failing one was destroyed too
        survivor.get_node_names()
