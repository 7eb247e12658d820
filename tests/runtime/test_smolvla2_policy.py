"""The runtime drives the real SmolVLA2 with the training prompts, token for token.

tests/policies/test_prompt_identity.py shows the prompt builders equal the recipe's training
samples. Here the whole runtime path runs with a real (tiny, untrained) SmolVLA2 behind
SmolVLA2LanguagePolicy; what reaches ``select_message`` and ``predict_action_chunk`` is recorded on
the model itself and compared with the recipe renderer's sample for the same task, plan, memory and
subtask, encoded as training encodes it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lerobot_ros.dataset.language import LanguageRow, say
from lerobot_ros.policies.chat import ChatTokenizer
from lerobot_ros.policies.recipes import load_recipe, shipped_recipe_path
from lerobot_ros.policies.recipes.frame import FrameLanguage
from lerobot_ros.policies.recipes.render import render_component
from lerobot_ros.policies.smolvla2 import SmolVLA2Policy, tiny_config, write_tiny_vlm
from lerobot_ros.runtime.policy import Observation
from lerobot_ros.runtime.runtime import HierarchicalRuntime, RuntimeConfig
from lerobot_ros.runtime.smolvla2_policy import (LANGUAGE_KEYS, SmolVLA2LanguagePolicy, TextGeneration,
                                                 constant_state_features)

FRONT = "observation.images.front"
TASK = "put the cube in the bowl"
INTERJECTION = "please be gentle with it"
QUESTION = "where is the cube?"
RECIPE = load_recipe(shipped_recipe_path())


class Outputs:
    def __init__(self):
        self.subtasks, self.trajectories = [], []

    def subtask(self, text):
        self.subtasks.append(text)

    def plan(self, text):
        pass

    def memory(self, text):
        pass

    def say(self, text):
        pass

    def vqa_answer(self, camera, question, answer):
        pass

    def trajectory(self, window, now_s):
        self.trajectories.append(window)

    def hold(self):
        pass


@pytest.fixture(scope="module")
def runtime_and_calls(tmp_path_factory):
    torch.manual_seed(0)
    vlm = write_tiny_vlm(tmp_path_factory.mktemp("vlm"), corpus=[TASK, INTERJECTION, QUESTION])
    unit = {"mean": np.zeros(6), "std": np.ones(6), "min": -np.ones(6), "max": np.ones(6)}
    model = SmolVLA2Policy(tiny_config(vlm, state_dim=6, action_dim=6, cameras=[FRONT], chunk_size=10,
                                       n_action_steps=10), {"observation.state": unit, "action": unit})
    calls: list[tuple[str, dict]] = []
    for name in ("select_message", "predict_action_chunk"):  # record the batch, then run the real method
        method = getattr(model, name)
        setattr(model, name, lambda batch, _m=method, _n=name, **kw: calls.append((_n, batch)) or _m(batch, **kw))
    # An untrained head greedily repeats one token (often a space); sampling (seeded) gives words, and
    # the subtask must be accepted for the runtime to act.
    policy = SmolVLA2LanguagePolicy(model, TextGeneration(max_new_tokens=8, min_new_tokens=4, temperature=1.0),
                                    chunk_fps=10.0)
    observation = Observation({FRONT: np.full((48, 64, 3), 90, np.uint8)}, np.zeros(6), 0.0)
    rt = HierarchicalRuntime(policy, RuntimeConfig(heartbeat_timeout_s=0.0), lambda: observation, Outputs())
    rt.set_task(TASK)
    rt.run_next_job()  # subtask
    assert rt.subtask, f"the tiny model's subtask was rejected: {rt.snapshot()['last_rejected']}"
    rt.run_next_job()  # action chunk
    rt.interject(INTERJECTION)
    rt.run_next_job()
    rt.ask(QUESTION)
    rt.run_next_job()
    return rt, calls, ChatTokenizer(model.tokenizer, model.config.tokenizer_max_length)


def trained(chat, component: str, persistent, events=()):
    frame = FrameLanguage(TASK, 0.0, [r.to_arrow() for r in persistent], [r.to_arrow() for r in events])
    sample = render_component(RECIPE.component(component), frame, 0, RECIPE.name)
    assert sample is not None
    return chat.encode_sample(sample)


def assert_prefix(batch, sample):
    tokens = batch["observation.language.tokens"][0]
    n = len(tokens)
    assert int((sample.text_labels != -100).nonzero()[0]) == n, "supervision starts right after the prompt"
    assert torch.equal(tokens, sample.tokens[:n])
    assert torch.equal(batch["observation.language.causal"][0], sample.causal[:n])
    assert bool(batch["observation.language.attention_mask"].all())


def test_subtask_and_action_batches_are_the_action_execution_sample(runtime_and_calls):
    rt, calls, chat = runtime_and_calls
    (_, subtask_batch), (_, action_batch) = calls[0], calls[1]
    assert [name for name, _ in calls[:2]] == ["select_message", "predict_action_chunk"]
    sample = trained(chat, "action_execution",
                     [LanguageRow(role="assistant", content=rt.subtask, style="subtask", timestamp=0.0)])
    assert_prefix(subtask_batch, sample)
    assert torch.equal(action_batch["observation.language.tokens"][0], sample.tokens)
    assert torch.equal(action_batch["observation.language.causal"][0], sample.causal)
    assert set(LANGUAGE_KEYS) <= set(action_batch) and FRONT in action_batch
    assert action_batch["observation.state"].shape == (1, 6)


def test_interjection_and_question_batches_are_the_training_prompts(runtime_and_calls):
    rt, calls, chat = runtime_and_calls
    (_, interjection_batch), (_, question_batch) = calls[2], calls[3]
    subtask = LanguageRow(role="assistant", content=rt.subtask, style="subtask", timestamp=0.0)
    sample = trained(chat, "user_interjection_response",
                     [subtask, LanguageRow(role="assistant", content="new plan", style="plan", timestamp=0.0)],
                     [LanguageRow(role="user", content=INTERJECTION, style="interjection"), say("okay")])
    assert_prefix(interjection_batch, sample)
    sample = trained(chat, "ask_vqa_top", [subtask],
                     [LanguageRow(role="user", content=QUESTION, style="vqa", camera=FRONT),
                      LanguageRow(role="assistant", content="{}", style="vqa", camera=FRONT)])
    assert_prefix(question_batch, sample)


def test_state_features_constant_in_training_are_named(runtime_and_calls):
    rt, _, _ = runtime_and_calls
    model = rt.policy.policy
    assert constant_state_features(model) == []
    before = model.stats()
    std = np.ones(6)
    std[4] = 0.0
    model.set_stats({"observation.state": {"mean": np.zeros(6), "std": std}, "action": before["action"]})
    try:
        assert constant_state_features(model) == [4]
    finally:
        model.set_stats(before)
