"""Rendering the shipped blend: each flavour's exact messages, guards, routing and blend frequencies."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from recipe_helpers import (
    FRONT,
    INTERJECTION,
    INTERJECTION_FRAME,
    MEMORIES,
    PLANS,
    SPEECH,
    SUBTASKS,
    TASK,
    TASK_AUGS,
    VQA_FRAME,
    VQA_TOP,
    VQA_WRIST,
    WRIST,
    event_rows,
    frame,
    persistent_rows,
)

from lerobot_ros.dataset import DatasetReader, DatasetWriter
from lerobot_ros.policies.prompts import control_prompt
from lerobot_ros.policies.recipes import FrameLanguage, load_recipe, recipe_from_dict, shipped_recipe_path
from lerobot_ros.policies.recipes.render import render_component

RECIPE = load_recipe(shipped_recipe_path())


def render(name: str, frame_language: FrameLanguage, sample_index: int = 0):
    return render_component(RECIPE.component(name), frame_language, sample_index, RECIPE.name)


def test_action_execution_fuses_task_plan_memory_and_supervises_the_subtask():
    sample = render("action_execution", frame(75))  # t = 2.5 s
    assert sample.messages == [
        {"role": "user", "content": control_prompt(TASK, PLANS[0][1], MEMORIES[1][1])},
        {"role": "assistant", "content": SUBTASKS[1][1]},
    ]
    assert sample.messages[0]["content"] == (
        "pick up the cube and put it in the bowl\nPlan: 1. reach 2. grasp 3. place\nMemory: the cube is reached")
    assert (sample.streams, sample.targets, sample.predict_actions) == (["low_level"] * 2, [1], True)
    assert sample.recipe_name == "smolvla2_hirobot/action_execution"


def test_action_execution_without_annotations_still_trains_actions():
    bare = FrameLanguage(TASK, 1.0)
    sample = render("action_execution", bare)
    assert sample.messages == [{"role": "user", "content": f"{TASK}\nPlan: \nMemory: "}]
    assert (sample.targets, sample.predict_actions) == ([], True)


@pytest.mark.parametrize("frame_index", [59, 60, 61, 62])  # 1.967 .. 2.067 s around the change at 2.0 s
def test_memory_update_fires_around_a_subtask_boundary_with_the_previous_context(frame_index):
    sample = render("memory_update", frame(frame_index))
    assert sample.messages == [
        {"role": "user", "content": control_prompt(TASK, PLANS[0][1], MEMORIES[0][1])},
        {"role": "user", "content": f"Completed subtask: {SUBTASKS[0][1]}"},
        {"role": "assistant", "content": MEMORIES[1][1]},
    ]
    assert (sample.streams, sample.targets, sample.predict_actions) == (["high_level"] * 3, [2], False)


def test_memory_update_gives_no_sample_away_from_a_change():
    assert render("memory_update", frame(45)) is None  # t = 1.5 s
    assert render("memory_update", frame(90)) is None  # an interjection frame, no memory change


def test_the_first_memory_has_no_previous_context():
    sample = render("memory_update", frame(0))
    assert sample.messages == [
        {"role": "user", "content": control_prompt(TASK, PLANS[0][1], None)},
        {"role": "assistant", "content": MEMORIES[0][1]},
    ]


def test_interjection_response_answers_with_the_new_plan_and_a_say_call():
    sample = render("user_interjection_response", frame(INTERJECTION_FRAME))
    assert sample.messages == [
        {"role": "user", "content": control_prompt(TASK, PLANS[0][1], MEMORIES[1][1])},
        {"role": "user", "content": INTERJECTION},
        {"role": "assistant", "content": PLANS[1][1],
         "tool_calls": [{"type": "function", "function": {"name": "say", "arguments": {"text": SPEECH}}}]},
    ]
    assert (sample.targets, sample.predict_actions) == ([2], False)
    assert render("user_interjection_response", frame(INTERJECTION_FRAME + 1)) is None


@pytest.mark.parametrize("name, camera, qa", [("ask_vqa_top", FRONT, VQA_TOP), ("ask_vqa_wrist", WRIST, VQA_WRIST)])
def test_vqa_components_ask_about_their_own_camera(name, camera, qa):
    question, answer = qa
    sample = render(name, frame(VQA_FRAME))
    assert sample.messages == [
        {"role": "user", "content": [{"type": "image", "feature": camera}, {"type": "text", "text": question}]},
        {"role": "assistant", "content": answer},
    ]
    assert (sample.images, sample.targets, sample.predict_actions) == ([camera], [1], False)
    assert render(name, frame(VQA_FRAME - 1)) is None


def test_blend_choice_is_deterministic_and_matches_the_weights():
    n = 20_000
    counts = collections.Counter(RECIPE.choose(i).name for i in range(n))
    for component in RECIPE.components:
        share = counts[component.name] / n
        # binomial standard deviation at n = 20k is at most 0.0035: 4 sigma
        assert share == pytest.approx(component.weight, abs=0.014), component.name
    assert [RECIPE.choose(i).name for i in range(50)] == [RECIPE.choose(i).name for i in range(50)]


def test_rendered_frequencies_on_an_event_frame():
    # At the interjection frame every non-VQA component renders except memory_update (no memory
    # change there); VQA components give None, so those draws return None.
    event_frame = frame(INTERJECTION_FRAME)
    n = 4000
    names = collections.Counter(
        (s.recipe_name.split("/")[1] if s else None) for s in (RECIPE.render(event_frame, i) for i in range(n)))
    assert names["action_execution"] / n == pytest.approx(0.60, abs=0.035)
    assert names["user_interjection_response"] / n == pytest.approx(0.15, abs=0.025)
    assert names[None] / n == pytest.approx(0.10 + 0.15, abs=0.03)
    assert set(names) == {"action_execution", "user_interjection_response", None}


def test_vqa_frames_are_routed_to_the_vqa_components():
    n = 2000
    names = collections.Counter(RECIPE.render(frame(VQA_FRAME), i).recipe_name for i in range(n))
    assert set(names) == {"smolvla2_hirobot/ask_vqa_top", "smolvla2_hirobot/ask_vqa_wrist"}
    assert names["smolvla2_hirobot/ask_vqa_top"] / n == pytest.approx(0.5, abs=0.05)
    only_wrist = FrameLanguage(TASK, 5.0, [], [r for r in event_rows(VQA_FRAME) if r.camera == WRIST])
    assert {RECIPE.render(only_wrist, i).recipe_name for i in range(200)} == {"smolvla2_hirobot/ask_vqa_wrist"}


def test_task_rotates_through_its_rephrasings_deterministically():
    augmented = frame(30, with_augmentations=True)
    tasks = [render("action_execution", augmented, i).messages[0]["content"].split("\n")[0] for i in range(3000)]
    counts = collections.Counter(tasks)
    assert set(counts) == {TASK, *TASK_AUGS}
    for phrasing in counts:
        assert counts[phrasing] / len(tasks) == pytest.approx(1 / 3, abs=0.04)
    again = [render("action_execution", augmented, i).messages[0]["content"].split("\n")[0] for i in range(3000)]
    assert tasks == again
    # Without task_aug rows the task is always the canonical one.
    plain = {render("action_execution", frame(30), i).messages[0]["content"].split("\n")[0] for i in range(100)}
    assert plain == {TASK}


def test_a_vqa_answer_logged_without_its_question_renders_none():
    question, answer = VQA_TOP
    rows = [r for r in event_rows(VQA_FRAME) if r.content != question]
    assert len(rows) == len(event_rows(VQA_FRAME)) - 1
    alone = FrameLanguage(TASK, frame(VQA_FRAME).timestamp, frame(VQA_FRAME).persistent,
                          [r.to_arrow() for r in rows])
    assert render("ask_vqa_top", alone) is None
    assert render("ask_vqa_wrist", alone).messages[1] == {"role": "assistant", "content": VQA_WRIST[1]}


def test_a_sample_with_nothing_supervised_renders_none():
    recipe = recipe_from_dict({"messages": [
        {"role": "user", "content": "${task}", "stream": "high_level"},
        {"role": "assistant", "content": "${subtask}", "stream": "high_level", "target": True, "if_present": "subtask"},
    ]}, name="subtask_only")
    assert recipe.render(FrameLanguage(TASK, 1.0), 0) is None
    sample = recipe.render(frame(30), 0)
    assert sample.messages[1] == {"role": "assistant", "content": SUBTASKS[0][1]}
    assert sample.recipe_name == "subtask_only/subtask_only"


def test_frames_read_back_from_a_written_dataset_render(tmp_path):
    features = {"observation.state": {"dtype": "float32", "shape": [2], "names": ["a", "b"]},
                "action": {"dtype": "float32", "shape": [2], "names": ["a", "b"]}}
    with DatasetWriter.create(tmp_path / "ds", 30, features, robot_type="so_follower", language=True) as writer:
        for i in range(100):
            value = np.full(2, i, dtype=np.float32)
            writer.add_frame({"observation.state": value, "action": value}, task=TASK, language_events=event_rows(i))
        writer.save_episode(language_persistent=persistent_rows())
    reader = DatasetReader(tmp_path / "ds")
    language = reader.episode_language(0)
    read = FrameLanguage.from_episode(TASK, INTERJECTION_FRAME / 30, language, INTERJECTION_FRAME)
    assert render("user_interjection_response", read) == render(
        "user_interjection_response", frame(INTERJECTION_FRAME, with_augmentations=True))
    assert render("user_interjection_response", FrameLanguage.from_episode(TASK, 3.1, language, 93)) is None
