"""A tiny PI052 trained with ``lerobot-ros train --policy pi052`` on the annotated dataset learns it:
the runtime's subtask prompt yields the right subtask in every phase of every episode, the flow loss
falls by an order of magnitude, and each phase's predicted actions are nearer that phase's recorded
actions than any other phase's."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lerobot_ros.cli.main import main
from lerobot_ros.dataset import DatasetReader
from lerobot_ros.policies.chat import ChatTokenizer
from lerobot_ros.policies.pi052 import PI052Policy, tiny_config, write_tiny_paligemma
from lerobot_ros.policies.prompts import ACTION_TARGETS, action_messages, subtask_messages
from lerobot_ros.training.quick import dataset_corpus, tiny_policy_overrides
from lerobot_ros.training.synthetic import SUBTASKS, TASK, SyntheticSpec, active_language

SPEC = SyntheticSpec()
FRONT = "observation.images.front"
STEPS = 600


def batch_for(policy, chat, image, state, messages, **encode) -> dict:
    batch = policy.prepare_observation({FRONT: image}, state.copy())
    batch.update({k: v.to(policy.device) for k, v in chat.collate([chat.encode(messages, **encode)]).items()})
    return batch


@pytest.mark.slow
def test_tiny_pi052_overfits_subtasks_and_actions(annotated_dataset, tmp_path):
    vlm = write_tiny_paligemma(tmp_path / "tiny_vlm", corpus=dataset_corpus(annotated_dataset))
    overrides = json.dumps(tiny_policy_overrides(vlm, "pi052", chunk_size=10, n_action_steps=10))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is fastest, and steady on a loaded machine
    try:
        assert main(["train", "--policy", "pi052", "--dataset", str(annotated_dataset), "--vlm", str(vlm),
                     "--policy-overrides", overrides, "--output-dir", str(tmp_path / "run"), "--steps", str(STEPS),
                     "--batch-size", "8", "--lr", "3e-3", "--warmup-steps", "60", "--decay-steps", str(STEPS),
                     "--decay-lr", "3e-4", "--device", "cpu", "--num-workers", "0", "--log-every", "10",
                     "--val-every", str(STEPS), "--save-every", str(STEPS), "--no-progress"]) == 0
    finally:
        torch.set_num_threads(threads)

    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    train = [r for r in records if r["split"] == "train"]
    first, last = train[0]["flow_loss"], sum(r["flow_loss"] for r in train[-5:]) / 5
    assert last < first / 10, f"flow loss fell from {first:.3f} to {last:.3f} only"
    assert train[-1]["text_loss"] < 0.05

    checkpoint = tmp_path / "run" / "checkpoints" / f"{STEPS:06d}" / "pretrained_model"
    assert json.loads((checkpoint / "config.json").read_text())["type"] == "pi052"
    policy = PI052Policy.from_pretrained(checkpoint)
    chat = ChatTokenizer(policy.tokenizer, policy.config.tokenizer_max_length)
    reader = DatasetReader(annotated_dataset)
    for episode in range(reader.num_episodes):
        frames = reader.video_frames(episode, FRONT)
        columns = reader.episode_columns(episode)
        middles = [phase * SPEC.frames_per_phase + SPEC.frames_per_phase // 2 for phase in range(len(SUBTASKS))]
        recorded = [np.asarray(columns["action"][m : m + 10]) for m in middles]
        for phase, subtask in enumerate(SUBTASKS):
            frame = middles[phase]
            language = active_language(SPEC, episode, frame)
            state = columns["observation.state"][frame]
            asked = batch_for(policy, chat, frames[frame], state, subtask_messages(TASK, language["plan"],
                              language["memory"]), add_generation_prompt=True)
            said = policy.select_message(asked, max_new_tokens=16)
            assert said == subtask, f"episode {episode} phase {phase}: {said!r}"
            acting = batch_for(policy, chat, frames[frame], state,
                               action_messages(TASK, language["plan"], language["memory"], subtask),
                               targets=ACTION_TARGETS)
            actions = policy.predict_action_chunk(acting)[0].numpy()
            errors = [np.abs(actions[: len(chunk)] - chunk).mean() for chunk in recorded]
            assert int(np.argmin(errors)) == phase, f"episode {episode} phase {phase}: errors {errors}"


def test_pi052_trains_with_fast_action_tokens(annotated_dataset, tmp_path):
    """The FAST option end to end: the tokenizer is fitted on the policy's own (quantile) action
    normalization, the loss has its FAST part, and the checkpoint carries the fitted tokenizer."""
    vlm = write_tiny_paligemma(tmp_path / "tiny_vlm", corpus=dataset_corpus(annotated_dataset))
    overrides = tiny_policy_overrides(vlm, "pi052", chunk_size=10, n_action_steps=10)
    overrides.update(enable_fast_action_loss=True, fast_vocab_size=128)
    assert main(["train", "--policy", "pi052", "--dataset", str(annotated_dataset), "--vlm", str(vlm),
                 "--policy-overrides", json.dumps(overrides), "--output-dir", str(tmp_path / "run"), "--steps", "4",
                 "--batch-size", "4", "--device", "cpu", "--num-workers", "0", "--log-every", "1",
                 "--val-every", "4", "--save-every", "4", "--no-progress"]) == 0
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert all(r["fast_loss"] > 0 for r in records if r["split"] == "train")
    checkpoint = tmp_path / "run" / "checkpoints" / "000004" / "pretrained_model"
    assert (checkpoint / "fast_tokenizer").is_dir()
    assert json.loads((checkpoint / "config.json").read_text())["enable_fast_action_loss"] is True


def test_a_lerobot_pi05_checkpoint_fine_tunes_as_pi052(annotated_dataset, tmp_path, capsys):
    """--policy-path with a pi05 checkpoint (LeRobot's layout, task prompts): its language head is
    switched on and the run writes pi052 checkpoints; another model's flag is refused by name."""
    vlm = write_tiny_paligemma(tmp_path / "tiny_vlm", corpus=dataset_corpus(annotated_dataset))
    config = tiny_config(vlm, state_dim=SPEC.dim, action_dim=SPEC.dim, cameras=[FRONT], type="pi05",
                         image_shapes={FRONT: [3, SPEC.height, SPEC.width]})
    pi05 = PI052Policy(config, {key: {"q01": [-1.0] * SPEC.dim, "q99": [1.0] * SPEC.dim}
                                for key in ("observation.state", "action")})
    source = pi05.save_pretrained(tmp_path / "pi05")
    assert json.loads((source / "config.json").read_text())["type"] == "pi05"
    common = ["--dataset", str(annotated_dataset), "--policy-path", str(source), "--steps", "2", "--batch-size", "2",
              "--device", "cpu", "--num-workers", "0", "--val-every", "2", "--save-every", "2", "--no-progress"]
    assert main(["train", "--policy", "pi052", "--output-dir", str(tmp_path / "run"), *common]) == 0
    checkpoint = tmp_path / "run" / "checkpoints" / "000002" / "pretrained_model"
    saved = json.loads((checkpoint / "config.json").read_text())
    assert saved["type"] == "pi052" and saved["fps"] == SPEC.fps
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert {"flow_loss", "text_loss"} <= set(records[0])
    assert main(["train", "--output-dir", str(tmp_path / "wrong"), *common]) != 0
    assert f"{source} is a pi052 checkpoint: train it with --policy pi052" in capsys.readouterr().err
