"""The sample pipeline without a model: chunks and padding, frames, replacement, splits, sampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer

from lerobot_ros.dataset import DatasetReader, DatasetWriter, FileLimits
from lerobot_ros.policies.chat import ChatTokenizer
from lerobot_ros.policies.recipes import load_recipe, recipe_from_dict, shipped_recipe_path
from lerobot_ros.policies.smolvla2 import write_tiny_vlm
from lerobot_ros.training.batch import Collate, to_device
from lerobot_ros.training.episodes import load_episodes
from lerobot_ros.training.frames import FrameSource
from lerobot_ros.training.quick import dataset_corpus
from lerobot_ros.training.step_sampler import BatchLayout, StepSampler
from lerobot_ros.training.samples import PolicyDataset, SampleSpec
from lerobot_ros.training.split import split_episodes
from lerobot_ros.training.synthetic import (
    INTERJECTION,
    SUBTASKS,
    TASK,
    SyntheticSpec,
    action,
    event_rows,
    features,
    image,
    persistent_rows,
)

SPEC = SyntheticSpec()
FRONT = "observation.images.front"


@pytest.fixture(scope="module")
def chat(annotated_dataset, tmp_path_factory):
    folder = write_tiny_vlm(tmp_path_factory.mktemp("vlm"), corpus=dataset_corpus(annotated_dataset))
    return ChatTokenizer(AutoTokenizer.from_pretrained(folder), 128)


def make_dataset(root, chat, recipe=None, chunk=10, spec=None) -> PolicyDataset:
    reader = DatasetReader(root)
    episodes = list(load_episodes(reader).values())
    return PolicyDataset(episodes, FrameSource(reader, 64), recipe or load_recipe(shipped_recipe_path()),
                         chat, spec or SampleSpec((FRONT,), chunk), reader.info.fps, max_render_attempts=64)


def test_episodes_read_once_per_file_equal_the_readers_per_episode_view(tmp_path):
    spec = SyntheticSpec(episodes=3, frames_per_phase=4)
    root = tmp_path / "shards"
    # tiny data shards: the episodes spread over several files
    writer = DatasetWriter.create(root, spec.fps, features(spec), video=spec.video, language=True,
                                  limits=FileLimits(data_files_size_in_mb=0.004))
    for episode in range(spec.episodes):
        for frame in range(spec.episode_length):
            writer.add_frame({"action": action(spec, episode, frame), "observation.state": action(spec, episode, frame),
                              FRONT: image(spec, 0, frame)}, task=TASK, language_events=event_rows(spec, episode, frame))
        writer.save_episode(language_persistent=persistent_rows(spec, episode))
    writer.close()
    reader = DatasetReader(root)
    assert len({r.data_slot for r in reader.episodes}) > 1
    loaded = load_episodes(reader)
    assert sorted(loaded) == [0, 1, 2] and sorted(load_episodes(reader, [2])) == [2]
    for episode, data in loaded.items():
        columns = reader.episode_columns(episode)
        np.testing.assert_array_equal(data.action, columns["action"])
        np.testing.assert_array_equal(data.state, columns["observation.state"])
        assert data.tasks == reader.episode_tasks(episode)
        language = reader.episode_language(episode)
        assert data.persistent == language.persistent and data.events == language.events


def test_sample_holds_the_frame_its_future_actions_and_pads_at_the_episode_end(annotated_dataset, chat):
    dataset = make_dataset(annotated_dataset, chat, chunk=10)
    length = SPEC.episode_length
    for index in (0, length - 4, length + 7):  # episode 0 start, near its end, episode 1
        episode, frame, rendered = dataset.render(index)
        sample = dataset[index]
        wanted = [action(SPEC, episode.index, min(f, length - 1)) for f in range(frame, frame + 10)]
        np.testing.assert_allclose(sample["action"].numpy(), np.stack(wanted), rtol=1e-6)
        assert sample["action_is_pad"].tolist() == [f >= length for f in range(frame, frame + 10)]
        np.testing.assert_allclose(sample["observation.state"].numpy(),
                                   action(SPEC, episode.index, max(frame - 1, 0)), rtol=1e-6)
        # the decoded frame is the phase's picture (x264 is lossy: compare loosely)
        diff = np.abs(sample[FRONT].numpy().astype(int) - image(SPEC, 0, frame).astype(int))
        assert diff.mean() < 6
    assert dataset[length - 4]["action_is_pad"].sum() == 6


def test_batch_has_the_policy_contract_keys(annotated_dataset, chat):
    dataset = make_dataset(annotated_dataset, chat)
    batch = to_device(Collate(chat, (FRONT,))([dataset[i] for i in range(5)]), torch.device("cpu"))
    assert batch[FRONT].shape == (5, 3, SPEC.height, SPEC.width) and batch[FRONT].dtype == torch.float32
    assert 0.0 <= batch[FRONT].min() and batch[FRONT].max() <= 1.0
    assert batch["action"].shape == (5, 10, SPEC.dim) and batch["action_is_pad"].dtype == torch.bool
    tokens = batch["observation.language.tokens"]
    for key in ("observation.language.attention_mask", "observation.language.causal", "text_labels"):
        assert batch[key].shape == tokens.shape
    assert batch["predict_actions"].shape == (5,)
    supervised = batch["text_labels"] != -100
    assert torch.equal(supervised, batch["observation.language.causal"])
    assert torch.equal(batch["text_labels"][supervised], tokens[supervised])


def test_renamed_cameras_read_the_dataset_camera_and_missing_ones_are_named(annotated_dataset, chat):
    camera1 = "observation.images.camera1"
    renamed = make_dataset(annotated_dataset, chat, spec=SampleSpec((camera1,), 10, {camera1: FRONT}))
    plain = make_dataset(annotated_dataset, chat)
    assert camera1 in renamed[7] and FRONT not in renamed[7]
    assert torch.equal(renamed[7][camera1], plain[7][FRONT])
    with pytest.raises(ValueError, match=r"lacks.*--rename-map"):
        make_dataset(annotated_dataset, chat, spec=SampleSpec((camera1,), 10))


def test_frames_from_the_episode_cache_equal_single_frame_decoding(annotated_dataset):
    reader = DatasetReader(annotated_dataset)
    cached, seeking = FrameSource(reader, cache_mb=64), FrameSource(reader, cache_mb=0)
    assert cached.cache_whole_episodes and not seeking.cache_whole_episodes
    for episode, frame in ((0, 0), (1, 17), (3, SPEC.episode_length - 1)):
        np.testing.assert_array_equal(cached.frame(episode, frame, FRONT), seeking.frame(episode, frame, FRONT))


def test_unrenderable_samples_are_replaced_deterministically(annotated_dataset, chat):
    # Only frames with an interjection supervise anything: every other index must be replaced.
    recipe = recipe_from_dict({"messages": [
        {"role": "user", "content": "${interjection}", "stream": "high_level", "if_present": "interjection"},
        {"role": "assistant", "content": "${plan}", "stream": "high_level", "target": True,
         "if_present": "interjection"}]})
    dataset = make_dataset(annotated_dataset, chat, recipe=recipe)
    dataset.max_render_attempts = 10_000
    seen = set()
    for index in range(0, 40, 3):
        episode, frame, rendered = dataset.render(index)
        again, again_frame, _ = dataset.render(index)
        assert (episode.index, frame) == (again.index, again_frame)  # the same replacement every time
        assert frame == SPEC.interjection_frame(episode.index)
        assert rendered.messages[0]["content"] == INTERJECTION
        seen.add(episode.index)
    assert len(seen) > 1  # replacements walk through the dataset, not to one fixed frame


def test_a_recipe_that_never_renders_is_a_clear_error(annotated_dataset, chat):
    recipe = recipe_from_dict({"messages": [
        {"role": "assistant", "content": "${x}", "stream": "high_level", "target": True, "if_present": "x"}],
        "bindings": {"x": "emitted_at(t, style=trace, camera=observation.images.front)"}})
    with pytest.raises(ValueError, match="rendered no supervised sample"):
        make_dataset(annotated_dataset, chat, recipe=recipe)[0]


def test_shipped_recipe_trains_subtasks_on_most_samples(annotated_dataset, chat):
    dataset = make_dataset(annotated_dataset, chat)
    names = [dataset.render(i)[2].recipe_name.split("/")[1] for i in range(3 * len(dataset))]
    assert names.count("action_execution") > 0.7 * len(names)
    assert {"memory_update", "user_interjection_response", "ask_vqa_top"} <= set(names)
    # the action path supervises the active subtask
    episode, frame, rendered = dataset.render(names.index("action_execution"))
    assert rendered.messages[1]["content"] == SUBTASKS[SPEC.phase(frame)]


def test_a_dataset_without_language_trains_actions_on_the_task_alone(tmp_path, chat):
    spec = SyntheticSpec(episodes=1, frames_per_phase=4)
    writer = DatasetWriter.create(tmp_path / "plain", spec.fps, features(spec), video=spec.video)
    for frame in range(spec.episode_length):
        writer.add_frame({"action": action(spec, 0, frame), "observation.state": action(spec, 0, frame),
                          FRONT: image(spec, 0, frame)}, task=TASK)
    writer.save_episode()
    writer.close()
    dataset = make_dataset(tmp_path / "plain", chat)
    batch = Collate(chat, (FRONT,))([dataset[i] for i in range(len(dataset))])
    assert batch["predict_actions"].all() and (batch["text_labels"] == -100).all()
    rendered = dataset.render(0)[2]
    assert rendered.messages == [{"role": "user", "content": f"{TASK}\nPlan: \nMemory: "}]


def test_validation_split_is_by_episode_and_seeded():
    train, val = split_episodes(10, 0.2, seed=3)
    assert len(val) == 2 and sorted(train + val) == list(range(10))
    assert (train, val) == split_episodes(10, 0.2, seed=3)
    assert split_episodes(1, 0.5, seed=3) == ([0], [])  # nothing to hold out from one episode
    assert len(split_episodes(3, 0.01, seed=0)[1]) == 1


def test_each_rank_gets_the_micro_batch_a_single_process_would_accumulate():
    single = StepSampler(37, BatchLayout(batch_size=4, grad_accum=2, world_size=1, rank=0), seed=5)
    ranks = [StepSampler(37, BatchLayout(batch_size=4, grad_accum=1, world_size=2, rank=r), seed=5) for r in (0, 1)]
    for step in range(12):
        micro = single.step_indices(step)
        assert [r.step_indices(step)[0] for r in ranks] == micro
    # every epoch visits every frame once; later epochs carry the epoch in the index
    stream = [i for step in range(20) for m in single.step_indices(step) for i in m]
    assert sorted(stream[:37]) == list(range(37))
    assert sorted(stream[37:74]) == list(range(37, 74))
    resumed = StepSampler(37, single.layout, seed=5, start_step=6)
    assert [next(iter(resumed)) for _ in range(1)] == [single.step_indices(6)[0][0]]


def test_a_repo_id_resolves_to_lerobots_cache_folder_without_network(annotated_dataset, tmp_path, monkeypatch):
    import shutil

    from huggingface_hub import constants

    from lerobot_ros.dataset.hub import HubError
    from lerobot_ros.training.sources import resolve_dataset

    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "home"))
    shutil.copytree(annotated_dataset, tmp_path / "home" / "me" / "annotated")
    assert resolve_dataset("me/annotated") == tmp_path / "home" / "me" / "annotated"
    assert resolve_dataset(str(annotated_dataset)) == annotated_dataset
    with pytest.raises(FileNotFoundError, match="not a Hub repo id"):
        resolve_dataset(str(tmp_path / "nowhere"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # a pull is refused before any traffic
    with pytest.raises(HubError, match="offline"):
        resolve_dataset("me/not_pulled_yet")
