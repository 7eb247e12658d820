"""``lerobot-ros eval`` in a subprocess: bad input gets one line, and a run writes its report.

The run evaluates the present-pose baseline (it must score 0 %) with one reference episode of the
scripted expert: the whole path (expert through teleop_node, policy_node, scoring, MP4, plot, JSON)
without training a model; tests/evaluation/test_bench_graph.py checks the bench's numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import av
import pytest


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lerobot_ros.cli.main", "eval", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


@pytest.mark.parametrize("args, message", [
    (["ckpt", "--baseline", "present-pose"], "give a checkpoint or a baseline"),
    ([], "give a checkpoint or a baseline"),
    (["--baseline", "present-pose", "--image-size", "96by128"], "--image-size '96by128': give HEIGHTxWIDTH"),
    (["--baseline", "present-pose", "--episodes", "0"], "episodes must be >= 1"),
])
def test_bad_arguments_get_one_line(tmp_path, args, message):
    result = cli(*args, "--output", tmp_path / "out")
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.ros
def test_an_evaluation_writes_its_report(tmp_path):
    out = tmp_path / "eval"
    result = cli("--baseline", "present-pose", "--episodes", "2", "--reference-episodes", "1", "--timeout-s", "3",
                 "--output", out, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "success 0/2 = 0 %" in result.stdout
    report = json.loads((out / "summary.json").read_text())
    assert report["summary"]["successes"] == 0 and report["summary"]["episodes"] == 2
    assert [e["seed"] for e in report["episodes"]] == [1000, 1001]
    assert report["summary"]["reference_path_length_rad"] > 3.0  # the expert moved the cube
    assert report["settings"]["real_time_factor"] > 0.5
    assert (out / "summary.png").stat().st_size > 10_000
    for seed in (1000, 1001):
        with av.open(str(out / "videos" / f"episode_{seed}.mp4")) as video:
            frames = sum(1 for _ in video.decode(video=0))
        assert frames >= 20  # 3 s at 15 fps, less what a busy machine drops
