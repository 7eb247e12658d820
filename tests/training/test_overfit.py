"""A tiny SmolVLA2 trained on the annotated dataset learns it: the runtime's subtask prompt yields the
right subtask in every phase, and the flow-matching loss falls by an order of magnitude."""

from __future__ import annotations

import json

import pytest

from lerobot_ros.dataset import DatasetReader
from lerobot_ros.policies.chat import ChatTokenizer
from lerobot_ros.policies.prompts import subtask_messages
from lerobot_ros.policies.smolvla2 import SmolVLA2Policy
from lerobot_ros.training import train_tiny_checkpoint
from lerobot_ros.training.synthetic import SUBTASKS, TASK, SyntheticSpec, active_language

SPEC = SyntheticSpec()
FRONT = "observation.images.front"


def runtime_subtask(policy, chat, image, state, plan, memory) -> str:
    """What the runtime asks at a chunk boundary: control_prompt + ChatTokenizer + select_message."""
    batch = policy.prepare_observation({FRONT: image}, state.copy())
    encoded = chat.encode(subtask_messages(TASK, plan, memory), add_generation_prompt=True)
    batch.update({k: v.to(policy.device) for k, v in chat.collate([encoded]).items()})
    return policy.select_message(batch, max_new_tokens=16)


@pytest.mark.slow
def test_tiny_policy_overfits_subtasks_and_actions(annotated_dataset, tmp_path):
    checkpoint = train_tiny_checkpoint(annotated_dataset, tmp_path / "run", steps=600, log_every=10)

    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    train = [r for r in records if r["split"] == "train"]
    first, last = train[0]["flow_loss"], sum(r["flow_loss"] for r in train[-5:]) / 5
    assert last < first / 10, f"flow loss fell from {first:.3f} to {last:.3f} only"
    assert train[-1]["text_loss"] < 0.05

    policy = SmolVLA2Policy.from_pretrained(checkpoint)
    chat = ChatTokenizer(policy.tokenizer, policy.config.tokenizer_max_length)
    reader = DatasetReader(annotated_dataset)
    for episode in range(reader.num_episodes):
        frames = reader.video_frames(episode, FRONT)
        states = reader.episode_columns(episode)["observation.state"]
        for phase, subtask in enumerate(SUBTASKS):
            frame = phase * SPEC.frames_per_phase + SPEC.frames_per_phase // 2
            language = active_language(SPEC, episode, frame)
            said = runtime_subtask(policy, chat, frames[frame], states[frame], language["plan"], language["memory"])
            assert said == subtask, f"episode {episode} phase {phase}: {said!r}"
