"""A model that fails ends policy_node at once (as a failed camera ends camera_node), over real DDS in
this process: /diagnostics says ERROR "model failed: ..." and the node's ``finished`` is set within a
second, although its periodic diagnostics come only every 10 s here; stopping it exits 1.

The policy double raises on its first call: no trained model can be made to fail on cue.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import String

from lerobot_ros.nodes.policy_node import PolicyNode
from lerobot_ros.nodes.spin_thread import spin_in_thread
from lerobot_ros.robots.tables import robot_type
from ros_processes import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.ros]

JOINTS = list(robot_type("so101_follower").joint_names)
CAMERA = "observation.images.front"
WIDTH, HEIGHT = 32, 24
FAILURE = "CUDA error: an illegal memory access was encountered"


class FailingPolicy:
    chunk_fps = 10.0
    image_features = [CAMERA]
    image_shapes = {CAMERA: [3, HEIGHT, WIDTH]}

    def generate(self, messages, observation):
        raise RuntimeError(FAILURE)

    def action_chunk(self, messages, observation):
        raise RuntimeError(FAILURE)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the worker re-raises
def test_a_failed_model_ends_policy_node_at_once(ros):
    node = PolicyNode(FailingPolicy(), parameter_overrides=[
        Parameter("port", value="sim"), Parameter("heartbeat_timeout_s", value=0.0),
        Parameter("diagnostics_rate_hz", value=0.1)])
    world = rclpy.create_node("policy_failure_world")
    errors: list[str] = []
    world.create_subscription(DiagnosticArray, "/diagnostics", lambda msg: errors.extend(
        s.message for s in msg.status if s.name.startswith("policy_node") and s.level == DiagnosticStatus.ERROR), 10)
    task = world.create_publisher(String, "task", 10)
    states = world.create_publisher(JointState, "joint_states", 10)
    images = world.create_publisher(Image, "front/image_raw", qos_profile_sensor_data)
    frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    world.create_timer(0.02, lambda: states.publish(JointState(name=JOINTS, position=[0.1] * len(JOINTS))))
    world.create_timer(0.05, lambda: images.publish(Image(height=HEIGHT, width=WIDTH, encoding="rgb8",
                                                          step=WIDTH * 3, data=frame.tobytes())))
    spinning = spin_in_thread(node, world)
    node.start()
    try:
        assert wait_for(lambda: task.get_subscription_count() > 0, 10)
        time.sleep(1.5)  # the first diagnostics tick has passed; the next is 10 s away
        task.publish(String(data="pick the cube"))
        asked = time.monotonic()
        assert node.finished.wait(5.0), "policy_node did not end after its model failed"
        ended = time.monotonic() - asked
        assert wait_for(lambda: errors, 2.0), "no ERROR on /diagnostics"
        assert errors[0] == f"model failed: {FAILURE}"
        assert ended < 2.0, f"policy_node ended {ended:.1f} s after the task (diagnostics period 10 s)"
    finally:
        spinning.stop()
        with pytest.raises(SystemExit) as stopped:
            node.shutdown()
        node.destroy_node()
        world.destroy_node()
    assert stopped.value.code == 1
