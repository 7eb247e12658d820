"""SIGKILL recorder_node at seeded random moments: after repair the folder holds every episode that
~/status had reported committed, bit for bit, the next recorder_node resumes it, and LeRobot 0.6.1
loads the result with the same states, actions and frames.

stop_episode answers at once and the episode is saved in the background; ~/status's ``episodes``
counts the committed ones. The moments are checked, not assumed: each kill is filed under what was
observed when it landed, and all four must have happened: ``idle`` (the status said idle),
``recording`` (the status said recording, with frames written), ``saving`` (stop_episode answered,
the status had not reported the episode committed before the process died: a kill in the middle of
the background save) and ``committed`` (killed just after the status reported it committed: that
episode must survive). Frames are identified by their barcode (tests/frame_barcode.py)."""

from __future__ import annotations

import hashlib
import random
import signal
import time

import numpy as np
import pytest
from recorder_feed import CAMERA, RecorderFeed, image_seqs, recorder_params
from ros_processes import NodeProcess, wait_for

from lerobot_ros.dataset import DatasetReader, repair
from oracle_helpers import lerobot_view

pytestmark = [pytest.mark.slow, pytest.mark.ros]

TRIALS = 20
MOMENTS = ("idle", "recording", "saving", "committed")


def _digest(reader: DatasetReader, episode: int) -> str:
    """sha256 over the episode's parquet values (every column) and its decoded camera frames."""
    digest = hashlib.sha256()
    for key, values in sorted(reader.episode_columns(episode).items()):
        digest.update(key.encode() + np.ascontiguousarray(values).tobytes())
    digest.update(np.ascontiguousarray(reader.video_frames(episode, CAMERA)).tobytes())
    digest.update("|".join(reader.episode_tasks(episode)).encode())
    return digest.hexdigest()


def _fresh_status(feed: RecorderFeed, since_ns: int, timeout_s: float = 60.0):
    """The first status the newly started node published (its stamp is after ``since_ns``)."""
    def fresh():
        status = feed.status()
        return status is not None and status.stamp.sec * 1_000_000_000 + status.stamp.nanosec > since_ns
    assert wait_for(fresh, timeout_s), "the restarted recorder_node published no status"
    return feed.status()


def _committed(feed: RecorderFeed, episodes: int, timeout_s: float = 30.0) -> None:
    """Wait until ~/status reports ``episodes`` committed episodes."""
    assert wait_for(lambda: feed.status().episodes >= episodes, timeout_s), f"not reported committed: {feed.status()}"


def _frames_flowing(feed: RecorderFeed, timeout_s: float = 30.0) -> None:
    """Wait until the episode holds written frames: a restarted recorder_node has its status out before
    DDS has matched its subscriptions to the feed, and an episode stopped before any data is refused."""
    def flowing():
        status = feed.status()
        return status is not None and status.state == "recording" and status.frames > 0
    assert wait_for(flowing, timeout_s), f"no frames recorded: {feed.status()}"


def test_sigkill_at_random_moments_keeps_every_finished_episode(ros, tmp_path, oracle_python):
    root = tmp_path / "ds"
    rng = random.Random(20261129)
    feed = RecorderFeed()
    params = recorder_params(tmp_path, root, data_files_size_in_mb=0.02, video_files_size_in_mb=0.05)
    finished: dict[int, str] = {}  # episode index -> digest, taken when the status reported it committed
    moments, repaired = [], []
    try:
        for trial in range(TRIALS):
            started_ns = time.time_ns()
            node = NodeProcess("lerobot_ros.nodes.recorder_node", "recorder_node", params, tmp_path)
            status = _fresh_status(feed, started_ns)
            assert status.state == "idle" and status.episodes == len(finished), (status, node.log())
            for _ in range(rng.randint(0, 2)):  # complete episodes
                assert feed.call("start_episode", f"task {trial % 3}").success, node.log()
                _frames_flowing(feed)
                time.sleep(rng.uniform(0.3, 0.8))
                stopped = feed.call("stop_episode")
                assert stopped.success, stopped.message
                _committed(feed, len(finished) + 1)
                finished[len(finished)] = _digest(DatasetReader(root), len(finished))
            moment = rng.choice(MOMENTS)
            stopped = False
            if moment != "idle":
                assert feed.call("start_episode", "killed").success
                _frames_flowing(feed)
                time.sleep(rng.uniform(0.2, 0.7))
            if moment in ("saving", "committed"):
                answer = feed.call("stop_episode")  # answers at once; the save goes on in the background
                assert answer.success, answer.message
                stopped = True
            if moment == "committed":
                _committed(feed, len(finished) + 1)
                time.sleep(rng.uniform(0.0, 0.05))
            elif moment == "saving":
                time.sleep(rng.uniform(0.0, 0.15))  # the sampling delay, encoder flush and commit take longer
            else:
                time.sleep(rng.uniform(0.0, 0.25))
                expected = "idle" if moment == "idle" else "recording"
                status = feed.status()
                assert status.state == expected and (moment == "idle" or status.frames > 0), (moment, status)
            reported = feed.status().episodes  # a status on its way is missed: only ever an undercount
            node.stop(signal.SIGKILL)
            if stopped:
                moment = "committed" if reported > len(finished) else "saving"
            moments.append(moment)

            report = repair(root)
            repaired.append(report.changed)
            reader = DatasetReader(root)
            assert len(finished) <= reader.num_episodes <= len(finished) + stopped
            if reported > len(finished):
                assert reader.num_episodes == len(finished) + 1, "an episode reported committed was lost"
            for episode, digest in finished.items():
                assert _digest(reader, episode) == digest, f"trial {trial}: episode {episode} changed ({report})"
            for episode in range(len(finished), reader.num_episodes):  # committed, not reported before the kill
                state = reader.episode_columns(episode)["observation.state"]
                np.testing.assert_array_equal(state[:, 0], -state[:, 1])
                finished[episode] = _digest(reader, episode)
            assert not repair(root).changed
    finally:
        feed.close()
    assert set(moments) == set(MOMENTS), f"kill moments observed: {moments}"
    assert any(repaired), "no kill left anything for repair to cut (staging, tails, a half-written save)"
    assert len(finished) >= 10, finished

    columns, meta = lerobot_view(oracle_python, root, tmp_path / "view")
    reader = DatasetReader(root)
    assert meta["num_episodes"] == len(finished) and meta["num_frames"] == reader.num_frames
    at = 0
    for episode in range(len(finished)):
        ours = reader.episode_columns(episode)
        frames = reader.video_frames(episode, CAMERA)
        stop = at + len(frames)
        for key in ("observation.state", "action"):
            np.testing.assert_array_equal(columns[key][at:stop], ours[key], err_msg=f"episode {episode}: {key}")
        seq = ours["observation.state"][:, 1]
        shown = image_seqs(frames, seq)
        assert np.all(np.abs(shown - seq) <= 1), f"episode {episode}: images {shown.tolist()}, states {seq.tolist()}"
        np.testing.assert_array_equal(image_seqs(columns[CAMERA][at:stop], seq), shown,
                                      err_msg=f"episode {episode}: LeRobot decodes other frames than ours")
        assert np.abs(columns[CAMERA][at:stop].astype(int) - frames.astype(int)).mean() < 1
        at = stop
