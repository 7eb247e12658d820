"""``lerobot-ros dataset`` in a subprocess: what it prints and writes, and its errors.

push and pull are tested only for their argument checks and the offline error (HF_HUB_OFFLINE=1):
there is no network here and no mock Hub; the real calls are single huggingface_hub calls.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "dataset"))
from dataset_helpers import CAMERA, create, frames_digest, record_episode  # noqa: E402

from lerobot_ros.dataset import DatasetReader  # noqa: E402


def cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lerobot_ros.cli.main", "dataset", *map(str, args)],
                          capture_output=True, text=True, timeout=60, env={**os.environ, **env})


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "ds"
    with create(root) as writer:
        for episode, length in enumerate((4, 5, 3)):
            record_episode(writer, episode, length)
    return root


def test_info(source):
    result = cli("info", source)
    assert result.returncode == 0, result.stderr
    assert "episodes 3, frames 12 (1.2 s), tasks 2" in result.stdout
    assert f"{CAMERA}: video [24, 32, 3] h264" in result.stdout
    assert "  1: 5, 0.5 s, put it in the box / pick up the cube" in result.stdout


def test_edits_write_new_datasets(source, tmp_path):
    result = cli("delete-episodes", source, tmp_path / "del", "--episodes", "0,2")
    assert result.returncode == 0, result.stderr
    assert "1 episodes, 5 frames" in result.stdout
    old, new = DatasetReader(source), DatasetReader(tmp_path / "del")
    assert frames_digest(new.video_frames(0, CAMERA)) == frames_digest(old.video_frames(1, CAMERA))

    assert cli("split", source, tmp_path / "split", "--parts", "a=0-1", "b=2").returncode == 0
    assert [DatasetReader(tmp_path / "split" / n).num_episodes for n in "ab"] == [2, 1]
    result = cli("merge", tmp_path / "split" / "b", tmp_path / "split" / "a", "--out", tmp_path / "merged")
    assert result.returncode == 0, result.stderr
    assert [r.length for r in DatasetReader(tmp_path / "merged").episodes] == [3, 4, 5]
    assert cli("remove-feature", source, tmp_path / "rm", "--feature", "action").returncode == 0
    assert "action" not in DatasetReader(tmp_path / "rm").info.features.to_json()
    result = cli("recompute-stats", tmp_path / "rm")
    assert result.returncode == 0 and "recomputed" in result.stdout


def test_plot(source, tmp_path):
    result = cli("plot", source, "--out", tmp_path / "plots", "--episodes", "1-2")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["episode_1.png", "episode_2.png"]
    assert cv2.imread(str(tmp_path / "plots" / "episode_2.png")).shape == (800, 1200, 3)


@pytest.mark.parametrize("args, message", [
    (("info", "{tmp}/missing"), "no meta/info.json"),
    (("delete-episodes", "{src}", "{tmp}/out", "--episodes", "7"), "episode 7 does not exist"),
    (("delete-episodes", "{src}", "{tmp}/out", "--episodes", "1-x"), "bad episode list '1-x'"),
    (("delete-episodes", "{src}", "{src}", "--episodes", "0"), "already exists"),
    (("split", "{src}", "{tmp}/s", "--parts", "train"), "bad part 'train'"),
    (("merge", "{src}", "--out", "{tmp}/m"), "at least two datasets"),
    (("remove-feature", "{src}", "{tmp}/r", "--feature", "nope"), "no removable feature 'nope'"),
    (("push", "{src}", "no_slash"), "is not <owner>/<name>"),
    (("push", "{tmp}/missing", "me/ds"), "no meta/info.json"),
    (("push", "{src}", "me/ds"), "offline mode is on (HF_HUB_OFFLINE=1)"),
    (("pull", "me/ds", "{tmp}/pulled"), "offline mode is on (HF_HUB_OFFLINE=1)"),
    (("pull", "me/ds", "{src}"), "already exists"),
])
def test_errors_name_the_problem(source, tmp_path, args, message):
    result = cli(*(a.format(src=source, tmp=tmp_path) for a in args), HF_HUB_OFFLINE="1")
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "pulled").exists()
