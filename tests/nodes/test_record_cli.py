"""`lerobot-ros record` end to end: a timed session in its own process, fed over DDS, with a
re-record and a stop from recording/events, and a push that fails with a clear error offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from recorder_feed import RecorderFeed, recorder_params
from ros_processes import wait_for

from lerobot_ros.dataset import DatasetReader

pytestmark = [pytest.mark.slow, pytest.mark.ros]


def _record(tmp_path, *args: str, env: dict | None = None) -> subprocess.Popen:
    out = open(tmp_path / "record.log", "wb")
    return subprocess.Popen([sys.executable, "-m", "lerobot_ros.cli.main", "record", *args],
                            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})}, start_new_session=True)


def test_bad_arguments_are_refused_before_anything_starts(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lerobot_ros.cli.main", "record", "--config", "x.yaml",
                             "--root", str(tmp_path / "ds"), "--task", "t", "--num-episodes", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "number of episodes must be >= 1" in result.stderr
    assert not (tmp_path / "ds").exists()


def test_timed_session_with_rerecord_stop_and_offline_push(ros, tmp_path):
    root = tmp_path / "ds"
    params = recorder_params(tmp_path, root)
    feed = RecorderFeed()
    feed.prepare("recording/events")
    started_ns = time.time_ns()
    proc = _record(tmp_path, "--config", params["config"], "--root", str(root), "--task", "pick up the cube",
                   "--num-episodes", "3", "--episode-time-s", "2.5", "--reset-time-s", "0.5",
                   "--codec", "libx264", "--push-to-hub", "me/pick_cube", env={"HF_HUB_OFFLINE": "1"})
    log = lambda: (tmp_path / "record.log").read_text(errors="replace")  # noqa: E731

    def recording_since(ns: int) -> bool:
        s = feed.status()
        return s is not None and s.state == "recording" and s.stamp.sec * 10**9 + s.stamp.nanosec > ns
    try:
        assert wait_for(lambda: recording_since(started_ns), 60.0), log()
        time.sleep(0.3)
        feed.say("recording/events", "rerecord_episode")
        assert wait_for(lambda: "Re-recording episode 0" in log(), 20.0), log()
        assert wait_for(lambda: "saved episode 0" in log(), 20.0), log()
        assert wait_for(lambda: "Recording episode 1" in log(), 20.0), log()
        time.sleep(0.5)
        feed.say("recording/events", "stop_recording")
        assert proc.wait(60) == 1, log()
    finally:
        if proc.poll() is None:
            proc.kill()
        feed.close()
    text = log()
    assert "Saved 2 episodes (re-recorded 1)" in text
    assert "push to the Hub failed" in text and "HF_HUB_OFFLINE" in text
    reader = DatasetReader(root)
    assert reader.num_episodes == 2
    assert set(reader.episode_tasks(0) + reader.episode_tasks(1)) == {"pick up the cube"}
    # The first episode holds exactly its 2.5 s of 10 fps ticks, however late the driver stopped it;
    # the stopped one fewer.
    first = json.loads((tmp_path / "ds.quality" / "episode_000000.json").read_text())["account"]
    assert first["ticks"] == 25 and reader.episodes[0].length == first["written"] >= 20
    assert reader.episodes[1].length < 25 and (tmp_path / "ds.quality" / "episode_000001.json").is_file()


def test_silent_topics_end_the_session_before_the_first_episode(tmp_path):
    params = recorder_params(tmp_path, tmp_path / "ds")
    proc = _record(tmp_path, "--config", params["config"], "--root", str(tmp_path / "ds"), "--task", "t",
                   "--wait-for-topics-s", "1")
    assert proc.wait(60) == 1
    text = (tmp_path / "record.log").read_text()
    assert "no message within 1 s on joint_states (observation.state), arm_controller/joint_trajectory" in text
    assert "Recording episode" not in text
