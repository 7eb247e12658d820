"""The pick-and-place task through the real ROS graph on the physics twin.

* The scripted expert, turning the simulated leader arm's shafts, drives the follower through
  teleop_node -> robot_node -> Feetech SDK -> simulated servos -> MuJoCo, and must succeed in at
  least 95 % of seeded episodes: the task is solvable through our own drivers, and the recorder
  path sees what it sees with a person.
* A policy that answers with the present pose, run by policy_node, must score 0 %: the scorer
  gives nothing away for an arm that stays put.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from lerobot_ros.nodes.composition import Graph
from lerobot_ros.evaluation.baselines import PresentPosePolicy
from lerobot_ros.evaluation.bench import ExpertBench, PolicyBench
from lerobot_ros.evaluation.metrics import summarize
from lerobot_ros.evaluation.settings import BenchConfig

pytestmark = [pytest.mark.ros, pytest.mark.slow]

EXPERT_EPISODES = 20
EXPERT_SPEED = 1.5  # about 7 s an episode
HOLD_EPISODES = 3


@pytest.fixture
def graph(tmp_path):
    switch_interval = sys.getswitchinterval()
    config = BenchConfig()
    graph = Graph(config.parameters(tmp_path, {"policy_node": {"port": config.port, "heartbeat_timeout_s": 1.0}}))
    yield graph, config
    graph.close()
    sys.setswitchinterval(switch_interval)


@pytest.mark.timeout(600)
def test_the_scripted_expert_solves_pick_and_place_through_teleop(graph):
    graph, config = graph
    bench = ExpertBench(graph, config, speed=EXPERT_SPEED)
    outcomes = [bench.episode(seed) for seed in range(EXPERT_EPISODES)]
    summary = summarize(outcomes)
    failed = [o.seed for o in outcomes if not o.success]
    assert summary.success_rate >= 0.95, f"{summary.text()}; failed seeds {failed}"
    # the follower was measured all along (joint_states through the graph), and it moved
    assert all(len(o.poses) > 50 * o.duration_s for o in outcomes)
    assert all(o.path_length_rad > 3.0 for o in outcomes)
    assert bench.world.stats().real_time_factor > 0.8


@pytest.mark.timeout(300)
def test_a_policy_holding_the_present_pose_scores_zero(graph):
    graph, config = graph
    bench = PolicyBench(graph, config, policy=PresentPosePolicy(config.cameras, (config.image_height,
                                                                                  config.image_width)))
    outcomes = []
    for seed in range(HOLD_EPISODES):
        outcome, frames = bench.episode(seed, timeout_s=4.0)
        outcomes.append(outcome)
        assert len(outcome.poses) > 100 and len(frames) > 10  # the graph ran: joint_states and images came
        # The arm only creeps (each command is the pose the servos sagged to under gravity); the cube stays.
        cube = bench.world.object_state()["cube_pos"][:2]
        assert np.linalg.norm(cube - bench.world.episode["cube_xy"]) < 0.005
    assert [o.success for o in outcomes] == [False] * HOLD_EPISODES
    assert summarize(outcomes).success_rate == 0.0
