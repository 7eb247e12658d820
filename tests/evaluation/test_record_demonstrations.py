"""Demonstrations of the physics task recorded the way a person records them: the scripted expert
on the leader arm, teleop_node, recorder_node, with the expert's subtasks and memories as live
language (memories after the next subtask has begun, no plan: as the runtime meets them). The dataset holds the successful takes, their cube pick visible in the state."""

from __future__ import annotations

import numpy as np
import pytest

from lerobot_ros.dataset import DatasetReader
from lerobot_ros.evaluation.run import record_demonstrations
from lerobot_ros.scenarios.pick_place_expert import MEMORY_DELAY_S, PHASES

pytestmark = [pytest.mark.ros, pytest.mark.slow]


@pytest.mark.timeout(300)
def test_expert_demonstrations_are_recorded_with_their_language(tmp_path):
    outcomes = record_demonstrations(tmp_path / "dataset", episodes=2, speed=1.5)
    assert [o.success for o in outcomes] == [True, True]
    reader = DatasetReader(tmp_path / "dataset")
    assert reader.num_episodes == 2 and reader.info.fps == 10
    assert set(reader.tasks.tasks) == {"Pick up the red cube and put it on the green square."}
    for episode in range(2):
        columns = reader.episode_columns(episode)
        assert columns["index"].size >= 60  # about 7 s at 10 fps
        gripper = columns["observation.state"][:, 5]  # radians (the config records joint_states as they are)
        assert np.ptp(gripper) > 0.5  # opened, then closed on the cube
        language = reader.episode_language(episode)
        persistent = {(row.style, row.content) for row in language.persistent}
        assert not any(style == "plan" for style, _ in persistent)  # the runtime starts without a plan
        assert {p.subtask for p in PHASES} <= {c for s, c in persistent if s == "subtask"}
        assert {p.memory_after for p in PHASES[:-1]} <= {c for s, c in persistent if s == "memory"}
        # Each memory comes MEMORY_DELAY_S after the subtask that follows its phase, so frames in
        # between pair the new subtask with the old memory (the image must tell the phase changed).
        starts = {row.content: row.timestamp for row in language.persistent if row.style == "subtask"}
        said = {row.content: row.timestamp for row in language.persistent if row.style == "memory"}
        for before, after in zip(PHASES, PHASES[1:]):
            assert said[before.memory_after] - starts[after.subtask] == pytest.approx(MEMORY_DELAY_S, abs=0.15)
        frames = reader.video_frames(episode, "observation.images.front")
        assert frames.shape[1:] == (96, 128, 3)
