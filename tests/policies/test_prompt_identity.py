"""The prompts the runtime builds are, token for token, the prefixes of the training samples.

For every component of the shipped blend, at the frames where it renders, the runtime's question
(``prompts.*_messages`` encoded with the generation prompt) must equal the training sample's tokens
up to the first supervised token, and the action prompt must equal the whole action_execution
sample, causal flags included. The runtime's inputs come from the episode definition, not from the
resolvers, so a resolver bug shows up here too.
"""

from __future__ import annotations

import pytest
import torch
from recipe_helpers import (
    FPS,
    INTERJECTION,
    INTERJECTION_FRAME,
    MEMORIES,
    PLANS,
    SUBTASKS,
    TASK,
    VQA_FRAME,
    VQA_TOP,
    VQA_WRIST,
    frame,
    tiny_tokenizer,
)

from lerobot_ros.policies import prompts
from lerobot_ros.policies.chat import ChatTokenizer, EncodedChat
from lerobot_ros.policies.recipes import load_recipe, shipped_recipe_path
from lerobot_ros.policies.recipes.render import render_component

RECIPE = load_recipe(shipped_recipe_path())


@pytest.fixture(scope="module")
def chat(tmp_path_factory):
    return ChatTokenizer(tiny_tokenizer(tmp_path_factory.mktemp("tiny_vlm")), max_length=256)


def in_force(rows, t):
    return [text for start, text in rows if start <= t + 1e-4][-1]


def training(chat, name: str, frame_index: int) -> EncodedChat:
    sample = render_component(RECIPE.component(name), frame(frame_index), frame_index, RECIPE.name)
    assert sample is not None, (name, frame_index)
    return chat.encode_sample(sample)


def assert_prompt_is_prefix(chat, prompt_messages, trained: EncodedChat) -> None:
    prompt = chat.encode(prompt_messages, add_generation_prompt=True)
    n = len(prompt.tokens)
    first_supervised = int((trained.text_labels != -100).nonzero()[0])
    assert first_supervised == n, "supervision must start right after the runtime's prompt"
    assert torch.equal(trained.tokens[:n], prompt.tokens)
    assert torch.equal(trained.causal[:n], prompt.causal)
    assert chat.tokenizer.decode(prompt.tokens).endswith("<end_of_utterance>\nAssistant:")


@pytest.mark.parametrize("frame_index", range(0, 180, 7))
def test_subtask_and_action_prompts_match_action_execution(chat, frame_index):
    t = frame_index / FPS
    task, plan, memory, subtask = TASK, in_force(PLANS, t), in_force(MEMORIES, t), in_force(SUBTASKS, t)
    trained = training(chat, "action_execution", frame_index)
    # select_message: the user turn alone, then the generation prompt, writes the subtask.
    assert_prompt_is_prefix(chat, prompts.subtask_messages(task, plan, memory), trained)
    assert chat.tokenizer.decode(trained.supervised_ids()) == f" {subtask}<end_of_utterance>"
    # predict_action_chunk: user turn plus the subtask, encoded as in training.
    acting = chat.encode(prompts.action_messages(task, plan, memory, subtask), targets=prompts.ACTION_TARGETS)
    for field in ("tokens", "attention_mask", "causal", "text_labels"):
        assert torch.equal(getattr(acting, field), getattr(trained, field)), field
    assert trained.predict_actions


@pytest.mark.parametrize("boundary", [1, 2])
@pytest.mark.parametrize("offset", [-2, 0, 3])  # emitted_at fires within 0.1 s (frames -2..+3 at 30 fps)
def test_memory_prompt_matches_memory_update(chat, boundary, offset):
    frame_index = round(SUBTASKS[boundary][0] * FPS) + offset
    plan = in_force(PLANS, frame_index / FPS)
    # The runtime asks when the subtask changed: the memory it holds is the one before.
    runtime = prompts.memory_update_messages(TASK, plan, MEMORIES[boundary - 1][1], SUBTASKS[boundary - 1][1])
    trained = training(chat, "memory_update", frame_index)
    assert_prompt_is_prefix(chat, runtime, trained)
    assert chat.tokenizer.decode(trained.supervised_ids()) == f" {MEMORIES[boundary][1]}<end_of_utterance>"
    assert not trained.predict_actions


def test_interjection_prompt_matches_user_interjection_response(chat):
    t = INTERJECTION_FRAME / FPS
    runtime = prompts.interjection_messages(TASK, PLANS[0][1], in_force(MEMORIES, t), INTERJECTION)
    trained = training(chat, "user_interjection_response", INTERJECTION_FRAME)
    assert_prompt_is_prefix(chat, runtime, trained)
    assert not trained.predict_actions


@pytest.mark.parametrize("name, qa", [("ask_vqa_top", VQA_TOP), ("ask_vqa_wrist", VQA_WRIST)])
def test_vqa_prompt_matches_ask_vqa(chat, name, qa):
    question, answer = qa
    trained = training(chat, name, VQA_FRAME)
    assert_prompt_is_prefix(chat, prompts.vqa_messages(question), trained)
    assert chat.tokenizer.decode(trained.supervised_ids()) == f" {answer}<end_of_utterance>"
