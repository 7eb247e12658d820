"""The hierarchical policy end to end: a tiny SmolVLA2 trained here drives the simulated SO-101.

robot_node (simulated SO-101), camera_node (the simulated camera's view of that arm) and
policy_node run in separate processes over loopback DDS. The checkpoint is trained in this test on
the simulated arm's three-phase task (lerobot_ros.scenarios.policy_scenario: reach, grasp, lift, with
memories, an interjection with a spoken reply and a new plan, and a question), until it overfits.
Then, from this process:

* a task without the operator's heartbeat: the subtask is written, the arm does not move;
* with the heartbeat: subtask and memory advance through the trained phases and the arm follows
  the trained motion; when the heartbeat stops mid-task the arm stops, and it resumes with it;
* after the motion, an interjection on user_input: a new plan and a say; a question: a vqa/answer;
* ~/pause, ~/start and ~/stop answer as they should.

Training settings come from trials on the scenario: with batch 4, 800 steps missed a memory and
1000 got every text right; 1500 steps of batch 8 (50-70 s on 2 cores) passed this test in each of
three runs. Smaller settings were not tried again after the scenario's fix for constant joints.
Since each memory is written once per phase (policy_scenario.Scenario.persistent_rows says why),
1000 and 1500 steps with three seeds all wrote the right memory at every frame of the motion.
"""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
import rclpy
import torch
from rclpy.qos import DurabilityPolicy, QoSProfile
from std_msgs.msg import Empty, String
from std_srvs.srv import Trigger

from lerobot_ros.nodes.spin_thread import spin_in_thread
from lerobot_ros.runtime.smolvla2_policy import SmolVLA2LanguagePolicy
from lerobot_ros.scenarios.policy_scenario import (JOINTS, KEY_POSES, Scenario, write_scenario_dataset,
                                                   wrong_memory_updates)
from lerobot_ros.training import synthetic, train_tiny_checkpoint
from ros_client import RobotClient
from ros_processes import NodeProcess, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.ros]

SCENARIO = Scenario()
TRAIN_STEPS, BATCH = 1500, 8
HEARTBEAT_TIMEOUT_S = 0.5
PATH_TOLERANCE_RAD = 0.3  # the arm's largest joint distance from the trained motion
POSE_TOLERANCE_RAD = 0.2


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("policy")
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        dataset = write_scenario_dataset(folder / "dataset", SCENARIO)
        return train_tiny_checkpoint(dataset, folder / "train", steps=TRAIN_STEPS, batch_size=BATCH)
    finally:
        torch.set_num_threads(threads)


def test_the_checkpoint_writes_the_next_memory_wherever_the_arm_is(checkpoint):
    """The runtime asks for the memory right after the subtask changed, so wherever the arm is then:
    the completed subtask, not the image, must decide the new memory. (Data that let the image
    decide put the memory's boundary on the subtask's, and the node's memory advanced or not by
    chance: one clean-clone CI run in three.)"""
    assert not wrong_memory_updates(SmolVLA2LanguagePolicy.load(str(checkpoint)), SCENARIO)


class Operator:
    """The test's ROS side: listens to the policy's language outputs, sends tasks, input, heartbeat."""

    def __init__(self):
        self.node = rclpy.create_node("policy_operator")
        self.heard: dict[str, list[str]] = {topic: [] for topic in ("subtask", "plan", "memory", "say", "vqa/answer")}
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        for topic in self.heard:
            qos = latched if topic in ("subtask", "plan", "memory") else 10
            self.node.create_subscription(String, topic, lambda m, t=topic: self.heard[t].append(m.data), qos)
        self.task = self.node.create_publisher(String, "task", 10)
        self.user_input = self.node.create_publisher(String, "user_input", 10)
        heartbeat = self.node.create_publisher(Empty, "heartbeat", 10)
        self.beating = threading.Event()
        self.node.create_timer(0.05, lambda: heartbeat.publish(Empty()) if self.beating.is_set() else None)
        self.spinning = spin_in_thread(self.node)

    def say(self, publisher, text: str) -> None:
        publisher.publish(String(data=text))

    def close(self) -> None:
        assert self.spinning.stop()
        self.node.destroy_node()


def positions(client: RobotClient) -> np.ndarray:
    p = client.positions()
    return np.array([p[n] for n in JOINTS])


def subsequence(items: list[str], wanted) -> bool:
    it = iter(items)
    return all(any(x == w for x in it) for w in wanted)


def test_policy_drives_the_simulated_arm_through_the_trained_task(ros, checkpoint, tmp_path):
    drive_through_the_trained_task(checkpoint, tmp_path)


def drive_through_the_trained_task(checkpoint, tmp_path, policy_params: dict | None = None) -> None:
    """The whole check over DDS for a checkpoint trained on the scenario (tests/nodes/
    test_pi052_end_to_end.py runs it with a PI052 checkpoint); ``policy_params`` adds policy_node
    parameters."""
    robot = NodeProcess("lerobot_ros.nodes.robot_node", "robot_node",
                        {"robot_type": "so101_follower", "port": "sim"}, tmp_path)
    camera = NodeProcess("lerobot_ros.nodes.camera_node", "front_camera",
                         {"name": "front", "source": "sim", "width": SCENARIO.width, "height": SCENARIO.height,
                          "fps": 30.0}, tmp_path)
    policy = NodeProcess("lerobot_ros.nodes.policy_node", "policy_node",
                         # the scenario dataset has no feature contract: radians, policy_node's default topics
                         {"checkpoint": str(checkpoint), "units": "radians", "subtask_rate_hz": 2.0,
                          "heartbeat_timeout_s": HEARTBEAT_TIMEOUT_S, **(policy_params or {})}, tmp_path)
    nodes = [robot, camera, policy]
    client = RobotClient("policy_test_arm")
    operator = Operator()
    heard = operator.heard
    logs = lambda: "\n".join(f"--- {n.log_path.name}\n{n.log()[-3000:]}" for n in nodes)  # noqa: E731
    try:
        assert wait_for(lambda: "ready" in policy.log(), 120), logs()
        client.wait_for_state()
        assert wait_for(lambda: operator.task.get_subscription_count() > 0, 20), logs()
        start = positions(client)
        np.testing.assert_allclose(start, KEY_POSES[0], atol=0.05)

        # A task without the heartbeat: the policy thinks, the arm stays.
        operator.say(operator.task, synthetic.TASK)
        assert wait_for(lambda: heard["subtask"][:1] == [synthetic.SUBTASKS[0]], 60), (heard, logs())
        time.sleep(1.0)
        assert np.abs(positions(client) - start).max() < 0.01, "the arm moved without the operator's heartbeat"

        # With the heartbeat the arm follows the trained motion.
        samples: list[np.ndarray] = []
        sampling = threading.Event()
        sampling.set()

        def sample() -> None:
            while sampling.is_set():
                samples.append(positions(client))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        operator.beating.set()

        # The heartbeat stops mid-task: the arm stops; it resumes with the heartbeat.
        assert wait_for(lambda: synthetic.SUBTASKS[1] in heard["subtask"], 60), (heard, logs())
        operator.beating.clear()
        time.sleep(HEARTBEAT_TIMEOUT_S + 0.5)
        held = positions(client)
        time.sleep(1.0)
        assert np.abs(positions(client) - held).max() < 0.01, "the arm kept moving after the heartbeat stopped"
        assert np.abs(held - KEY_POSES[-1]).max() > POSE_TOLERANCE_RAD, "stopped only because the task ended"
        operator.beating.set()

        # It finishes: subtask and memory went through every phase, in order.
        assert wait_for(lambda: np.abs(positions(client) - KEY_POSES[-1]).max() < POSE_TOLERANCE_RAD
                        and len(heard["memory"]) >= 2, 60), (positions(client), heard, logs())
        sampling.clear()
        sampler.join()
        assert subsequence(heard["subtask"], synthetic.SUBTASKS), heard["subtask"]
        assert heard["subtask"][-1] == synthetic.SUBTASKS[-1]
        assert heard["memory"] == list(synthetic.MEMORIES[1:]), heard["memory"]

        # An interjection: a new plan and a spoken reply; a question: an answer.
        operator.say(operator.user_input, synthetic.INTERJECTION)
        operator.say(operator.user_input, synthetic.VQA_QUESTION)
        assert wait_for(lambda: heard["plan"] and heard["say"] and heard["vqa/answer"], 30), (heard, logs())
        assert heard["plan"] == [synthetic.NEW_PLAN]
        assert heard["say"] == [synthetic.REPLY]
        answer = json.loads(heard["vqa/answer"][0])
        assert answer == {"camera": "", "question": synthetic.VQA_QUESTION, "answer": synthetic.VQA_ANSWER}

        # The services: pause keeps the task, start resumes it, stop clears it.
        for service, reply in (("pause", "paused"), ("start", f"running: {synthetic.TASK}"), ("stop", "stopped")):
            trigger = operator.node.create_client(Trigger, f"policy_node/{service}")
            assert trigger.wait_for_service(10), service
            response = trigger.call(Trigger.Request(), timeout_sec=10)
            assert response.success and response.message.startswith(reply), (service, response.message)

        # The arm stayed on the trained motion and passed every key pose in order.
        path = SCENARIO.path()
        trace = np.array(samples)
        distance = np.abs(trace[:, None, :] - path[None, :, :]).max(axis=2).min(axis=1)
        assert distance.max() < PATH_TOLERANCE_RAD, f"left the trained motion by {distance.max():.3f} rad"
        # Near every key pose (corners are cut a little: chunks blend and the servos lag), in order.
        to_pose = np.stack([np.abs(trace - pose).max(axis=1) for pose in KEY_POSES[1:]])  # (poses, samples)
        assert to_pose.min(axis=1).max() < PATH_TOLERANCE_RAD, to_pose.min(axis=1)
        closest = to_pose.argmin(axis=1)
        assert list(closest) == sorted(closest), closest
    finally:
        operator.beating.clear()
        operator.close()
        client.close()
        for node in nodes:
            assert node.stop() == 0, logs()


def test_policy_node_without_a_checkpoint_exits_naming_the_parameter(tmp_path):
    node = NodeProcess("lerobot_ros.nodes.policy_node", "policy_node", {"device": "cpu"}, tmp_path)
    assert node.proc.wait(60) == 1
    assert "parameter checkpoint is empty" in node.log()


def test_policy_node_with_a_missing_checkpoint_folder_exits_naming_it(tmp_path):
    missing = tmp_path / "no_such_checkpoint"
    node = NodeProcess("lerobot_ros.nodes.policy_node", "policy_node", {"checkpoint": str(missing)}, tmp_path)
    assert node.proc.wait(60) == 1
    assert "no_such_checkpoint" in node.log()
