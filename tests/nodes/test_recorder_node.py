"""recorder_node in its own process, fed over real DDS, driven through its services and recording
events; the dataset it writes loads in LeRobot 0.6.1 with the values, tasks, language rows and frames.

Each frame's image is identified by the sequence number in its barcode (tests/frame_barcode.py): the
feed publishes state and image of one sequence number back to back, so a frame's image is the one
published with its state, or one before or after when a tick fell between the two messages. A frame
one step off (2-3 sequence numbers at 25 Hz over a 10 fps grid) fails."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from recorder_feed import CAMERA, FPS, RecorderFeed, image_seqs, recorder_params
from ros_processes import NodeProcess, wait_for

from lerobot_ros.dataset import DatasetReader, LanguageRow, say
from oracle_helpers import lerobot_row, lerobot_view

pytestmark = [pytest.mark.slow, pytest.mark.ros]


def test_services_events_language_and_lerobot_reads_the_result(ros, tmp_path, oracle_python):
    root = tmp_path / "ds"
    feed = RecorderFeed()
    node = NodeProcess("lerobot_ros.nodes.recorder_node", "recorder_node", recorder_params(tmp_path, root), tmp_path)
    try:
        assert wait_for(lambda: feed.status() is not None and feed.status().state == "idle", 60.0), node.log()
        assert not feed.call("stop_episode").success  # nothing to stop
        feed.say("plan", "reach, then grasp")  # idle: active from frame 0 of the next episode
        response = feed.call("start_episode", "pick up the cube")
        assert response.success and response.episode_index == 0, response.message
        assert not feed.call("start_episode", "again").success
        time.sleep(0.6)
        feed.say("subtask", "grasp")
        feed.say("say", "On it.")
        feed.say("vqa/front/query", "where is the cube?")
        feed.say("vqa/front/answer", json.dumps({"label": "cube", "point_format": "xy", "point": [3, 4]}))
        time.sleep(0.4)
        feed.say("recording/events", "next_episode")  # saves episode 0, starts episode 1 with the same task
        assert wait_for(lambda: feed.status().episodes == 1 and feed.status().state == "recording", 30.0), node.log()
        time.sleep(0.8)
        stopped = feed.call("stop_episode")
        assert stopped.success, stopped.message
        assert feed.call("start_episode", "put it in the box").success
        time.sleep(0.5)
        assert feed.call("discard_episode").success
        assert feed.call("start_episode", "put it in the box").success
        feed.say("user_input", "slower please")
        time.sleep(0.8)
        assert feed.call("stop_episode").success
        finalized = feed.call("finalize")
        assert finalized.success and "3 episodes" in finalized.message, finalized.message
        assert wait_for(lambda: feed.status().state == "finalized", 10.0)
        assert feed.status().dropped_total == 0
    finally:
        feed.close()
        assert node.stop() == 0, node.log()

    reader = DatasetReader(root)
    assert reader.num_episodes == 3
    assert [reader.episode_tasks(e)[0] for e in range(3)] == ["pick up the cube"] * 2 + ["put it in the box"]
    for episode in range(3):
        columns = reader.episode_columns(episode)
        state, action, force = columns["observation.state"], columns["action"], columns["observation.force"]
        seq = state[:, 1]
        # The joints in the config's order (b, a), the action's own order (a, b), one message each.
        np.testing.assert_array_equal(state[:, 0], -seq)
        # 25 Hz feed, 10 fps grid: 2-3 messages per tick, up to max_age_s (0.5 s) on a stalled machine
        assert np.all(np.diff(seq) >= 0) and np.all(np.diff(seq) <= 13)
        assert np.all(np.abs(action[:, 0] - seq) <= 2) and np.all(action[:, 1] == 2 * action[:, 0])
        assert np.all(np.abs(force.reshape(-1) - seq) <= 2)  # size-1 features are scalar columns
        np.testing.assert_array_equal(columns["timestamp"], (np.arange(len(seq)) / FPS).astype(np.float32))
        shown = image_seqs(reader.video_frames(episode, CAMERA), seq)
        assert np.all(np.abs(shown - seq) <= 1) and np.mean(shown == seq) >= 0.5, (
            f"episode {episode}: the images' sequence numbers {shown.tolist()} do not follow the states' "
            f"{seq.astype(int).tolist()}")
        quality = json.loads((tmp_path / "ds.quality" / f"episode_{episode:06d}.json").read_text())
        account = quality["account"]
        assert account["written"] == len(seq) and not account["truncated_at_s"]
        assert account["ticks"] == account["written"] + account["not_fresh"] + account["dropped_encoder"]
    first = reader.episode_language(0)
    styles = [(r.style, r.content) for r in first.persistent]
    assert styles[0] == ("plan", "reach, then grasp") and ("subtask", "grasp") in styles
    events = [row for rows in first.events.values() for row in rows]
    assert say("On it.") in events
    assert LanguageRow(role="user", content="where is the cube?", style="vqa", camera=CAMERA) in events
    assert reader.episode_language(1).persistent == [] and reader.episode_language(1).events == {}
    assert [r.style for rows in reader.episode_language(2).events.values() for r in rows] == ["interjection"]

    columns, meta = lerobot_view(oracle_python, root, tmp_path / "view")
    assert meta["num_episodes"] == 3 and meta["num_frames"] == reader.num_frames
    at = 0
    for episode in range(3):
        ours = reader.episode_columns(episode)
        language = reader.episode_language(episode)
        length = len(ours["index"])
        seq = ours["observation.state"][:, 1]
        np.testing.assert_array_equal(image_seqs(columns[CAMERA][at:at + length], seq),
                                      image_seqs(reader.video_frames(episode, CAMERA), seq))
        for frame in range(len(ours["index"])):
            for key in ("observation.state", "action", "observation.force"):
                np.testing.assert_array_equal(columns[key][at], ours[key][frame])
            assert meta["tasks"][at] == reader.episode_tasks(episode)[frame]
            assert meta["language_persistent"][at] == [lerobot_row(r) for r in language.persistent]
            assert meta["language_events"][at] == [lerobot_row(r) for r in language.events.get(frame, [])]
            at += 1
