"""`make demo` end to end, as the Makefile runs it (python -m lerobot_ros.demo, DEMO_OUTPUT), with
fewer episodes, training steps and evaluation scenes: the scripted expert's takes on the physics twin
load in LeRobot 0.6.1 with their live language rows, the checkpoint loads with
SmolVLA2Policy.from_pretrained, the evaluation scored it with a success rate and its interval, the
arm moved under the policy, and nothing is written outside the output folder (HOME and the working
directory stay empty)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from oracle_helpers import lerobot_view

from lerobot_ros.dataset import DatasetReader
from lerobot_ros.policies.smolvla2 import SmolVLA2Policy
from lerobot_ros.scenarios.pick_place_expert import PHASES

pytestmark = [pytest.mark.slow, pytest.mark.ros]

EPISODES = 2
EVAL_EPISODES = 1
TASK = "Pick up the red cube and put it on the green square."  # sim/physics/tasks.py, pick_place
# Per episode: the new plan of the interjection (the expert says none: the runtime starts without),
# a subtask per phase, the memory after each phase (demo/narration.py, scenarios/pick_place_expert.py); events: the VQA
# question and answer, the interjection and the spoken reply.
PERSISTENT_STYLES = Counter({"plan": 1, "subtask": len(PHASES), "memory": len(PHASES)})
EVENT_KINDS = Counter({"vqa": 2, "interjection": 1, "say": 1})


def kind(row: dict) -> str:
    """An event row's style, or for the speech row (no style) the tool it calls."""
    return row["style"] or row["tool_calls"][0]["function"]["name"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    home, cwd, out = base / "home", base / "cwd", base / "demo_output"
    home.mkdir()
    cwd.mkdir()
    env = {**os.environ, "HOME": str(home), "DEMO_OUTPUT": str(out), "PYTHONUNBUFFERED": "1"}
    env.pop("ROS_LOG_DIR", None)
    env.pop("MPLCONFIGDIR", None)
    result = subprocess.run([sys.executable, "-m", "lerobot_ros.demo", "--episodes", str(EPISODES),
                             "--train-steps", "40", "--eval-episodes", str(EVAL_EPISODES), "--eval-timeout-s", "8"],
                            cwd=cwd, env=env, capture_output=True, text=True, timeout=840)
    (base / "demo.log").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"the demo failed:\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}"
    return out, result.stdout, home, cwd


@pytest.mark.timeout(900)
def test_demo_writes_only_its_output_folder_and_says_where_things_are(demo):
    out, stdout, home, cwd = demo
    assert list(home.iterdir()) == [] and list(cwd.iterdir()) == []
    summary = json.loads((out / "summary.json").read_text())
    for path in summary["paths"].values():
        assert path in stdout
    for episode in range(EPISODES):
        png = out / "plots" / f"episode_{episode}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        report = json.loads((out / "dataset.quality" / f"episode_{episode:06d}.json").read_text())
        assert report["account"]["written"] == DatasetReader(out / "dataset").episode_columns(episode)["index"].size


@pytest.mark.timeout(900)
def test_lerobot_reads_the_recorded_dataset_with_its_live_language(demo, oracle_python, tmp_path):
    out = demo[0]
    columns, meta = lerobot_view(oracle_python, out / "dataset", tmp_path / "view")
    assert meta["num_episodes"] == EPISODES and meta["fps"] == 10
    assert meta["num_frames"] >= EPISODES * 90  # the expert's takes last about 10 s at 10 fps
    assert set(meta["tasks"]) == {TASK}
    episodes = columns["episode_index"]
    state = columns["observation.state"]
    for episode in range(EPISODES):
        frames = np.flatnonzero(episodes == episode)
        persistent = [meta["language_persistent"][i] for i in frames]
        assert all(rows == persistent[0] for rows in persistent), "persistent rows are the episode's, on every frame"
        assert Counter(row["style"] for row in persistent[0]) == PERSISTENT_STYLES
        events = [row for i in frames for row in meta["language_events"][i]]
        assert Counter(kind(row) for row in events) == EVENT_KINDS
        # The cues of one moment share a frame: the question with its answer, the interjection with the reply.
        by_frame = sorted(sorted(kind(row) for row in meta["language_events"][i]) for i in frames
                          if meta["language_events"][i])
        assert by_frame == [["interjection", "say"], ["vqa", "vqa"]]
        # The answer points at the cube inside the 128x96 front image.
        answer = next(row for row in events if row["style"] == "vqa" and row["role"] == "assistant")
        point = json.loads(answer["content"])["point"]
        assert 0 <= point[0] < 128 and 0 <= point[1] < 96
        # The follower followed the leader through the pick and place: the arm swung from the cube to
        # the square, and the gripper opened, closed on the cube and opened again.
        arm = state[frames]
        assert np.ptp(arm[:, 0]) > 0.4 and np.ptp(arm[:, 1]) > 0.4  # shoulder_pan, shoulder_lift
        gripper = arm[:, 5]
        closed = int(np.argmin(gripper))
        assert gripper[:closed].max() > 0.5 and gripper[closed] < 0.2 and gripper[closed:].max() > 0.5


@pytest.mark.timeout(900)
def test_the_checkpoint_loads_and_the_policy_moved_the_arm(demo):
    out = demo[0]
    summary = json.loads((out / "summary.json").read_text())
    policy = SmolVLA2Policy.from_pretrained(summary["paths"]["checkpoint"])
    assert policy.config.image_features == ["observation.images.front"]
    assert policy.config.state_dim == 6 and policy.config.action_dim == 6
    assert summary["final_losses"]["loss"] > 0
    run = summary["policy"]
    assert min(run["joint_states_per_episode"]) > 400  # 8 s of joint_states at 100 Hz, on a busy machine
    assert run["max_displacement_rad"] > 0.05, "the arm did not move under the policy"
    assert run["subtasks"], "the policy generated no subtask"


@pytest.mark.timeout(900)
def test_the_evaluation_scored_the_policy_on_the_physics_task(demo):
    out, stdout = demo[0], demo[1]
    summary = json.loads((out / "summary.json").read_text())
    score = summary["evaluation"]
    assert score["episodes"] == EVAL_EPISODES and 0 <= score["successes"] <= EVAL_EPISODES
    assert score["success_rate"] == score["successes"] / EVAL_EPISODES
    assert 0.0 <= score["ci_low"] <= score["success_rate"] <= score["ci_high"] <= 1.0
    assert score["ci_high"] - score["ci_low"] > 0.5  # one scene says little, and the interval says so
    assert f"success {score['successes']}/{EVAL_EPISODES} = {100 * score['success_rate']:.0f} %" in stdout
    # The evaluation's own files: lerobot-ros eval's summary (the same numbers), the plot, a video per scene.
    evaluation = json.loads((out / "eval" / "summary.json").read_text())
    assert evaluation["summary"]["successes"] == score["successes"]
    assert [row["seed"] for row in evaluation["episodes"]] == score["seeds"] == [1000]
    assert [row["path_length_rad"] for row in evaluation["episodes"]] == summary["policy"]["path_length_rad"]
    assert (out / "eval" / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "eval" / "videos" / "episode_1000.mp4").stat().st_size > 1000
    # Smoothness is compared with the recorded takes (the reference).
    assert score["reference_path_length_rad"] > 1.0


def _demo_command(*args: str, env: dict, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lerobot_ros.demo", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_demo_refuses_dds_settings_that_leave_the_machine(tmp_path):
    env = {**os.environ, "ROS_AUTOMATIC_DISCOVERY_RANGE": "SUBNET", "DEMO_OUTPUT": str(tmp_path / "out")}
    result = _demo_command(env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert "ROS_AUTOMATIC_DISCOVERY_RANGE=SUBNET" in result.stderr and "LOCALHOST" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_demo_refuses_to_replace_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    result = _demo_command("--output", str(tmp_path / "mine"), env=dict(os.environ), cwd=tmp_path)
    assert result.returncode != 0 and "is not a demo output folder" in result.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_a_preset_sets_the_sizes_and_an_option_beside_it_overrides_one(tmp_path):
    from lerobot_ros.demo.__main__ import parse_settings

    quick = parse_settings(["--output", str(tmp_path)])
    assert (quick.episodes, quick.train_steps, quick.eval_episodes) == (3, 200, 2)
    full = parse_settings(["--output", str(tmp_path), "--preset", "full", "--episodes", "5"])
    assert (full.episodes, full.train_steps, full.eval_episodes, full.eval_timeout_s) == (5, 2000, 20, 20.0)
    with pytest.raises(SystemExit):  # argparse's error: one held-out episode needs two
        parse_settings(["--output", str(tmp_path), "--episodes", "1"])
