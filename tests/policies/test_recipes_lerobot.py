"""Our renderer against LeRobot 0.6.1's (the oracle venv): same recipe, rows and sample indices ->
the same messages, streams and targets, sample by sample.

The recipe (recipe_oracle/blend_lerobot_0_6_1.yaml) uses only what LeRobot 0.6.1 knows (no
``route:``, no ``at=``, a target in every component), and the episode has no ``task_aug`` rows (we
keep the canonical task among the phrasings, LeRobot does not). The two VQA pairs sit on different
frames: LeRobot resolves every default binding eagerly, so two cameras' answers on one frame make
its default ``vqa`` binding ambiguous for every component, where ours resolves only the bindings a
component uses.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from recipe_helpers import FPS, FRONT, TASK, VQA_FRAME, WRIST, event_rows, persistent_rows

from lerobot_ros.policies.recipes import FrameLanguage, load_recipe

ORACLE_SCRIPT = Path(__file__).parent / "recipe_oracle" / "render_with_lerobot.py"
RECIPE_PATH = Path(__file__).parent / "recipe_oracle" / "blend_lerobot_0_6_1.yaml"
WRIST_VQA_FRAME = VQA_FRAME + 10


def events(frame_index: int) -> list[dict]:
    """The helper episode's events, the wrist VQA pair moved 10 frames later."""
    rows = event_rows(VQA_FRAME if frame_index == WRIST_VQA_FRAME else frame_index)
    if frame_index == VQA_FRAME:
        rows = [r for r in rows if r.camera == FRONT]
    elif frame_index == WRIST_VQA_FRAME:
        rows = [r for r in rows if r.camera == WRIST]
    return [plain(r.to_arrow()) for r in rows]


def plain(row: dict) -> dict:
    """A stored row with its tool calls parsed (LeRobot's reader hands them over parsed)."""
    return {**row, "tool_calls": [json.loads(c) for c in row["tool_calls"]]}


@pytest.mark.slow  # about 20 s, most of it importing LeRobot in the oracle venv
def test_renders_like_lerobot(tmp_path, oracle_python):
    persistent = [plain(r.to_arrow()) for r in persistent_rows() if r.style != "task_aug"]
    cases = [
        {"persistent": persistent, "events": events(i), "t": float(np.float32(i / FPS)), "sample_idx": 13 * i + k,
         "task": TASK}
        for i in range(180) for k in range(40 if events(i) else 3)  # event frames: every component drawn
    ]
    recipe = yaml.safe_load(RECIPE_PATH.read_text())
    (tmp_path / "cases.json").write_text(json.dumps({"recipe": recipe, "cases": cases}))
    result = subprocess.run([str(oracle_python), str(ORACLE_SCRIPT), str(tmp_path / "cases.json"),
                             str(tmp_path / "out.json")], capture_output=True, text=True, timeout=600,
                            env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-4000:]
    theirs = json.loads((tmp_path / "out.json").read_text())["results"]

    ours = load_recipe(RECIPE_PATH)
    rendered_count = 0
    for case, expected in zip(cases, theirs):
        frame = FrameLanguage(case["task"], case["t"], case["persistent"], case["events"])
        sample = ours.render(frame, case["sample_idx"])
        got = None if sample is None else {
            "messages": sample.messages, "message_streams": sample.streams, "target_message_indices": sample.targets}
        assert got == expected, (case["t"], case["sample_idx"])
        rendered_count += sample is not None
    # The comparison covers every component, events included, not just the empty cases.
    assert rendered_count > 300
    assert any(s and s["messages"][-1].get("tool_calls") for s in theirs)
    assert any(s and isinstance(s["messages"][0]["content"], list) for s in theirs)
