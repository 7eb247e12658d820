"""Our renderer against LeRobot 0.6.1's (the oracle venv): same recipe, rows and sample indices ->
the same messages, streams and targets, sample by sample.

The recipe (recipe_oracle/blend_lerobot_0_6_1.yaml) uses only what LeRobot 0.6.1 knows (no
``route:``, no ``at=``, a target in every component), and the episode has no ``task_aug`` rows (we
keep the canonical task among the phrasings, LeRobot does not). Two cameras' VQA pairs never share a
frame: LeRobot resolves every default binding eagerly, so two cameras' answers on one frame make its
default ``vqa`` binding ambiguous for every component, where ours resolves only the bindings a
component uses.

The episode (20 s at 30 fps) is built so that every kind of sample is drawn often: a subtask and a
memory every 2 s, a plan every 5 s, and every 2 s one interjection with its spoken reply, one front
and one wrist VQA pair, each with its own text. Event frames get 200 sample indices, frames within
0.1 s of a memory change 20, the rest 3: 8,900 cases. The test requires at least 1,000 rendered
samples and at least 100 of each event kind (interjection response, front VQA, wrist VQA, memory
update), counted by the component that rendered them; the run that wrote this rendered 5,854 (194
interjection responses, 135 front VQA, 140 wrist VQA, 170 memory updates), identical to LeRobot's.
"""

from __future__ import annotations

import collections
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from recipe_helpers import FPS, FRONT, TASK, WRIST

from lerobot_ros.dataset.language import LanguageRow, say
from lerobot_ros.policies.recipes import FrameLanguage, load_recipe

ORACLE_SCRIPT = Path(__file__).parent / "recipe_oracle" / "render_with_lerobot.py"
RECIPE_PATH = Path(__file__).parent / "recipe_oracle" / "blend_lerobot_0_6_1.yaml"
FRAMES = 600  # 20 s
PERIOD = 60  # frames: a subtask, a memory and each kind of event every 2 s
INTERJECTION_AT, VQA_FRONT_AT, VQA_WRIST_AT = 45, 15, 30  # frame within each period
EVENT_DRAWS, MEMORY_DRAWS, OTHER_DRAWS = 200, 20, 3
EVENT_KINDS = ("user_interjection_response", "ask_vqa_top", "ask_vqa_wrist", "memory_update")


def persistent_rows() -> list[LanguageRow]:
    rows = []
    for k in range(FRAMES // PERIOD):
        t = float(np.float32(k * PERIOD / FPS))
        rows += [LanguageRow("assistant", f"subtask {k}: move part {k}", "subtask", timestamp=t),
                 LanguageRow("assistant", f"{k} parts moved", "memory", timestamp=t)]
    rows += [LanguageRow("assistant", f"plan {k}: move the parts in order {k}", "plan",
                         timestamp=float(np.float32(5.0 * k))) for k in range(4)]
    return rows


def event_rows(frame_index: int) -> list[LanguageRow]:
    k, at = divmod(frame_index, PERIOD)
    if at == INTERJECTION_AT:
        return [LanguageRow("user", f"skip part {k}", "interjection"), say(f"Okay, skipping part {k}.")]
    if at in (VQA_FRONT_AT, VQA_WRIST_AT):
        camera = FRONT if at == VQA_FRONT_AT else WRIST
        answer = json.dumps({"label": f"part {k}", "point_format": "xy", "point": [k, 2 * k]})
        return [LanguageRow("user", f"where is part {k}?", "vqa", camera=camera),
                LanguageRow("assistant", answer, "vqa", camera=camera)]
    return []


def draws(frame_index: int) -> int:
    """Sample indices drawn at a frame: many where events fire or a memory is emitted (within 0.1 s)."""
    if event_rows(frame_index):
        return EVENT_DRAWS
    near_memory = min(frame_index % PERIOD, PERIOD - frame_index % PERIOD) / FPS <= 0.1 + 1e-6
    return MEMORY_DRAWS if near_memory else OTHER_DRAWS


def plain(row: dict) -> dict:
    """A stored row with its tool calls parsed (LeRobot's reader hands them over parsed)."""
    return {**row, "tool_calls": [json.loads(c) for c in row["tool_calls"]]}


@pytest.mark.slow  # about 10 s, most of it importing LeRobot in the oracle venv
def test_renders_like_lerobot(tmp_path, oracle_python):
    persistent = [plain(r.to_arrow()) for r in persistent_rows()]
    cases = [
        {"persistent": persistent, "events": [plain(r.to_arrow()) for r in event_rows(i)],
         "t": float(np.float32(i / FPS)), "sample_idx": 1000 * i + k, "task": TASK}
        for i in range(FRAMES) for k in range(draws(i))
    ]
    recipe = yaml.safe_load(RECIPE_PATH.read_text())
    (tmp_path / "cases.json").write_text(json.dumps({"recipe": recipe, "cases": cases}))
    result = subprocess.run([str(oracle_python), str(ORACLE_SCRIPT), str(tmp_path / "cases.json"),
                             str(tmp_path / "out.json")], capture_output=True, text=True, timeout=600,
                            env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-4000:]
    theirs = json.loads((tmp_path / "out.json").read_text())["results"]

    ours = load_recipe(RECIPE_PATH)
    assert len(theirs) == len(cases)
    rendered = collections.Counter()
    for case, expected in zip(cases, theirs):
        frame = FrameLanguage(case["task"], case["t"], case["persistent"], case["events"])
        sample = ours.render(frame, case["sample_idx"])
        got = None if sample is None else {
            "messages": sample.messages, "message_streams": sample.streams, "target_message_indices": sample.targets}
        assert got == expected, (case["t"], case["sample_idx"])
        if sample is not None:
            rendered[sample.recipe_name.split("/")[-1]] += 1
    # The comparison covers every component, each event kind many times, not just the empty cases.
    assert sum(rendered.values()) >= 1000, rendered
    assert all(rendered[kind] >= 100 for kind in EVENT_KINDS), rendered
    assert sum(1 for s in theirs if s and s["messages"][-1].get("tool_calls")) >= 100
    assert sum(1 for s in theirs if s and isinstance(s["messages"][0]["content"], list)) >= 200
