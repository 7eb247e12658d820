from __future__ import annotations

import sys

import pytest
import rclpy


@pytest.fixture(scope="module")
def ros():
    """rclpy initialised for this test module (the loopback DDS environment is set by tests/conftest.py).

    These tests' process serves the simulated servo buses the nodes talk to while it spins its own
    subscriptions: hand the GIL over every 1 ms (Python's default is 5 ms, as robot_node does for its
    own port:=sim bus), so a bus reply is not held up behind a joint_states callback. (Two clean-clone
    CI runs measured a robot_node's 100 Hz joint_states at 84 Hz under the default; not reproduced
    in isolation, so this is the likely cause, not a proven one.)
    """
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    rclpy.init()
    yield
    rclpy.shutdown()
    sys.setswitchinterval(interval)
