"""config/recipes/pi052_hirobot.yaml is the SmolVLA2 blend, sample for sample, and PI052's chat
tokenizer (PaliGemma's chat format) supervises exactly the subtask in its action samples.

The episode and the sample draws are test_recipes_lerobot's (every event kind often); that test
compares our renderer with LeRobot 0.6.1's on the blend LeRobot's loader accepts (it refuses the
``route:`` and ``at=`` this blend uses), so the renderer that renders pi052_hirobot here is the one
checked against LeRobot there.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest
from recipe_helpers import FPS, TASK
from test_recipes_lerobot import EVENT_KINDS, FRAMES, draws, event_rows, persistent_rows
from transformers import AutoTokenizer

from lerobot_ros.policies.chat import ChatTokenizer
from lerobot_ros.policies.pi052 import write_tiny_paligemma
from lerobot_ros.policies.recipes import FrameLanguage, load_recipe, shipped_recipe_path

PI052 = load_recipe(shipped_recipe_path("pi052_hirobot"))
SMOLVLA2 = load_recipe(shipped_recipe_path("smolvla2_hirobot"))


def frames():
    persistent = [r.to_arrow() for r in persistent_rows()]
    for i in range(FRAMES):
        events = [r.to_arrow() for r in event_rows(i)]
        for k in range(draws(i)):
            yield FrameLanguage(TASK, float(np.float32(i / FPS)), persistent, events), 1000 * i + k


def test_pi052_hirobot_renders_the_smolvla2_blend_sample_for_sample():
    rendered = collections.Counter()
    for frame, index in frames():
        ours, theirs = PI052.render(frame, index), SMOLVLA2.render(frame, index)
        assert (ours is None) == (theirs is None), (frame.t, index)
        if ours is None:
            continue
        assert (ours.messages, ours.streams, ours.targets, ours.images, ours.predict_actions) == \
            (theirs.messages, theirs.streams, theirs.targets, theirs.images, theirs.predict_actions)
        component = ours.recipe_name.split("/")[-1]
        assert theirs.recipe_name == f"smolvla2_hirobot/{component}"
        rendered[component] += 1
    assert sum(rendered.values()) >= 1000, rendered
    assert all(rendered[kind] >= 100 for kind in EVENT_KINDS), rendered


def test_pi052_blend_frequencies_match_the_weights():
    weights = {"action_execution": 0.60, "memory_update": 0.10, "user_interjection_response": 0.15,
               "ask_vqa_top": 0.075, "ask_vqa_wrist": 0.075}
    assert {c.name: c.weight for c in PI052.components} == weights
    n = 20_000
    counts = collections.Counter(PI052.choose(i).name for i in range(n))
    for name, weight in weights.items():
        assert counts[name] / n == pytest.approx(weight, abs=4 * (weight * (1 - weight) / n) ** 0.5), name


def test_paligemma_chat_format_supervises_the_subtask(tmp_path):
    tokenizer = AutoTokenizer.from_pretrained(write_tiny_paligemma(tmp_path, corpus=["subtask 0: move part 0"]))
    chat = ChatTokenizer(tokenizer, 128)
    frame, index = next((f, i) for f, i in frames() if (s := PI052.render(f, i)) and s.predict_actions)
    sample = PI052.render(frame, index)
    encoded = chat.encode_sample(sample)
    subtask = sample.messages[sample.targets[0]]["content"]
    assert tokenizer.decode(encoded.supervised_ids()) == f" {subtask}<eos>"
    prompt = chat.render(sample.messages[:-1], add_generation_prompt=True)
    assert prompt.startswith("<bos>User: ") and prompt.endswith("<eos>\nAssistant:")
