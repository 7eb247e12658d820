"""A conversion killed with SIGKILL loses only uncommitted episodes: after repair the folder holds
the episodes committed before the kill, value for value as a clean conversion writes them, and
``--append`` converts the remaining bags into it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml
from bag_scenarios import config, session
from bag_writers import write_rosbags

from lerobot_ros.dataset import DatasetReader, repair

pytestmark = pytest.mark.slow


def test_a_killed_conversion_keeps_its_committed_episodes_and_appends_the_rest(tmp_path):
    bags = [write_rosbags(tmp_path / f"bag{k}", session(duration_s=4.0, tasks=((0.0, f"task {k}"),),
                                                        language=()).messages, "mcap") for k in range(5)]
    (tmp_path / "rec.yaml").write_text(yaml.safe_dump(config(language=False)))

    def command(out, *bag_paths, append=False):
        return [sys.executable, "-m", "lerobot_ros.cli.main", "convert", *map(str, bag_paths), "--config",
                str(tmp_path / "rec.yaml"), "--out", str(out), "--task-topic", "/task", "--codec", "libx264",
                "--no-progress", *(["--append"] if append else [])]

    subprocess.run(command(tmp_path / "clean", *bags), check=True, capture_output=True, timeout=600)
    clean = DatasetReader(tmp_path / "clean")

    killed = tmp_path / "killed"
    process = subprocess.Popen(command(killed, *bags), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first_report = tmp_path / "killed.quality" / "episode_000000.json"
    deadline = time.monotonic() + 300
    while not first_report.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    repair(killed)
    reader = DatasetReader(killed)
    committed = reader.num_episodes
    assert 1 <= committed < len(bags), "the kill should land after the first commit and before the end"
    for episode in range(committed):
        ours, theirs = reader.episode_columns(episode), clean.episode_columns(episode)
        for key in ("observation.state", "action", "observation.force", "index"):
            np.testing.assert_array_equal(ours[key], theirs[key])
        np.testing.assert_array_equal(reader.video_frames(episode, "observation.images.front"),
                                      clean.video_frames(episode, "observation.images.front"))
    subprocess.run(command(killed, *bags[committed:], append=True), check=True, capture_output=True, timeout=600)
    resumed = DatasetReader(killed)
    assert resumed.num_episodes == len(bags)
    assert [resumed.episode_tasks(e)[0] for e in range(len(bags))] == [f"task {k}" for k in range(len(bags))]
    np.testing.assert_array_equal(resumed.episode_columns(len(bags) - 1)["action"],
                                  clean.episode_columns(len(bags) - 1)["action"])
