"""Shared by the recipe, chat and prompt-identity tests: one annotated episode with known rows."""

from __future__ import annotations

import json

import numpy as np

from lerobot_ros.dataset.language import LanguageRow, say
from lerobot_ros.policies.recipes import FrameLanguage

FPS = 30
TASK = "pick up the cube and put it in the bowl"
FRONT, WRIST = "observation.images.front", "observation.images.wrist"
SUBTASKS = [(0.0, "reach the cube"), (2.0, "grasp the cube"), (4.0, "place the cube in the bowl")]
MEMORIES = [(0.0, "nothing done yet"), (2.0, "the cube is reached"), (4.0, "the cube is grasped")]
PLANS = [(0.0, "1. reach 2. grasp 3. place"), (3.0, "1. reach 2. grasp 3. place in the blue bowl")]
TASK_AUGS = ["put the cube into the bowl", "move the cube to the bowl"]
INTERJECTION_FRAME = 90  # t = 3.0 s, when the second plan starts
INTERJECTION = "use the blue bowl instead"
SPEECH = "Okay, I will use the blue bowl."
VQA_FRAME = 150  # t = 5.0 s: a question on each camera
VQA_TOP = ("where is the cube?",
           json.dumps({"detections": [{"label": "cube", "bbox_format": "xyxy", "bbox": [1, 2, 30, 40]}]}))
VQA_WRIST = ("how many cubes are in the gripper?", json.dumps({"label": "cube", "count": 1, "note": ""}))


def persistent_rows() -> list[LanguageRow]:
    rows = [LanguageRow("assistant", text, "subtask", timestamp=t) for t, text in SUBTASKS]
    rows += [LanguageRow("assistant", text, "memory", timestamp=t) for t, text in MEMORIES]
    rows += [LanguageRow("assistant", text, "plan", timestamp=t) for t, text in PLANS]
    rows += [LanguageRow("user", text, "task_aug", timestamp=0.0) for text in TASK_AUGS]
    return rows


def event_rows(frame_index: int) -> list[LanguageRow]:
    if frame_index == INTERJECTION_FRAME:
        return [LanguageRow("user", INTERJECTION, "interjection"), say(SPEECH)]
    if frame_index == VQA_FRAME:
        return [
            LanguageRow("user", VQA_TOP[0], "vqa", camera=FRONT),
            LanguageRow("assistant", VQA_TOP[1], "vqa", camera=FRONT),
            LanguageRow("user", VQA_WRIST[0], "vqa", camera=WRIST),
            LanguageRow("assistant", VQA_WRIST[1], "vqa", camera=WRIST),
        ]
    return []


def frame(frame_index: int, *, with_augmentations: bool = False, timestamp: float | None = None) -> FrameLanguage:
    """The frame as the dataset stores it: row dicts with JSON tool calls, float32 timestamps."""
    persistent = [r for r in persistent_rows() if with_augmentations or r.style != "task_aug"]
    t = float(np.float32(frame_index / FPS)) if timestamp is None else timestamp
    return FrameLanguage(
        TASK, t, [r.to_arrow() for r in persistent], [r.to_arrow() for r in event_rows(frame_index)]
    )


def tiny_tokenizer(folder):
    """The tiny SmolVLM tokenizer, written to ``folder`` and loaded the way users load a Hub name."""
    from transformers import AutoTokenizer  # imported here: the recipe-only tests need no transformers

    from lerobot_ros.policies.smolvla2.tiny import write_tiny_vlm

    corpus = [TASK, *TASK_AUGS, INTERJECTION, SPEECH, *(text for _, text in SUBTASKS + MEMORIES + PLANS)]
    return AutoTokenizer.from_pretrained(write_tiny_vlm(folder, corpus=corpus))
