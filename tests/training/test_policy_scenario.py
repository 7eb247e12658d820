"""The policy scenario's demonstrations: identical episodes on the motion, and strayed ones whose arm
is off it while their commands stay on it (what the PI052 end-to-end test trains on)."""

from __future__ import annotations

import numpy as np
import pyarrow.dataset as pads

from lerobot_ros.scenarios.policy_scenario import KEY_POSES, Scenario, write_scenario_dataset

SCENARIO = Scenario(episodes=1, strayed_episodes=2)


def test_the_plain_episodes_put_the_arm_where_the_previous_command_put_it():
    states = SCENARIO.observed_states(0)
    expected = np.array([SCENARIO.target(frame - 1) for frame in range(SCENARIO.episode_length)])
    np.testing.assert_array_equal(states, expected)


def test_a_strayed_episode_is_off_the_motion_within_its_joint_ranges_and_repeatable():
    on_motion = SCENARIO.observed_states(0)
    first, second = SCENARIO.observed_states(1), SCENARIO.observed_states(2)
    offset = np.abs(first - on_motion)
    assert offset.max() > SCENARIO.stray_rad, "a strayed episode must leave the motion"
    assert offset.max() < 6 * SCENARIO.stray_rad, "the offset is a small walk, not a jump elsewhere"
    assert (first >= KEY_POSES.min(axis=0)).all() and (first <= KEY_POSES.max(axis=0)).all()
    np.testing.assert_array_equal(first, SCENARIO.observed_states(1))
    assert not np.array_equal(first, second)
    # neighbouring frames stray alike: the offset changes less per frame than it amounts to
    assert np.abs(np.diff(first - on_motion, axis=0)).mean() < offset.mean()


def test_the_dataset_holds_the_strayed_episodes_with_their_commands_on_the_motion(tmp_path):
    root = write_scenario_dataset(tmp_path / "dataset", SCENARIO)
    table = pads.dataset(root / "data", format="parquet").to_table().sort_by([("episode_index", "ascending"),
                                                                               ("frame_index", "ascending")])
    episodes = np.array(table["episode_index"].to_pylist())
    state = np.array(table["observation.state"].to_pylist())
    action = np.array(table["action"].to_pylist())
    assert sorted(set(episodes)) == [0, 1, 2]
    for episode in (0, 1, 2):
        rows = episodes == episode
        np.testing.assert_allclose(state[rows], SCENARIO.observed_states(episode), atol=1e-6)
        np.testing.assert_allclose(action[rows], action[episodes == 0], atol=0)

