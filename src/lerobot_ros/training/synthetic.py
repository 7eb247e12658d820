"""A synthetic annotated LeRobotDataset, written with our DatasetWriter: the training tests, the
scaling benchmark and demos need one with every kind of language row, and no download.

Each episode runs through three phases (reach, grasp, lift). A phase decides everything a policy
can see or must produce: the camera colour, the action trajectory, the active subtask and the
memory (written when the previous phase ends). The language has every row kind the SmolVLA2 recipe
reads: a plan, subtasks and memories (persistent), a VQA question and answer on the front camera in
phase 0, and in phase 1 a user interjection with a spoken reply and a new plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..dataset import DatasetWriter, LanguageRow, VideoEncoding, say

TASK = "put the cube in the bowl"
PLAN = "reach the cube, grasp the cube, lift the cube"
SUBTASKS = ("reach the cube", "grasp the cube", "lift the cube")
MEMORIES = (None, "the cube is reached", "the cube is grasped")  # active from each phase's start
PHASE_COLOURS = ((220, 40, 40), (40, 200, 60), (50, 70, 230))
INTERJECTION = "please be gentle with it"
REPLY = "Okay, I will be gentle."
NEW_PLAN = "grasp the cube gently, lift the cube"
VQA_QUESTION = "where is the cube?"
VQA_ANSWER = '{"label": "cube", "point_format": "xy", "point": [12, 9]}'


@dataclass(frozen=True)
class SyntheticSpec:
    episodes: int = 4
    frames_per_phase: int = 10
    fps: int = 10
    cameras: tuple[str, ...] = ("observation.images.front",)
    height: int = 32
    width: int = 48
    dim: int = 6  # state and action dimension
    video: VideoEncoding = VideoEncoding(codec="libx264", preset="ultrafast")

    @property
    def episode_length(self) -> int:
        return len(SUBTASKS) * self.frames_per_phase

    def phase(self, frame: int) -> int:
        return frame // self.frames_per_phase

    def interjection_frame(self, episode: int) -> int:
        """A frame in phase 1, different in each episode."""
        return self.frames_per_phase + 1 + episode % max(self.frames_per_phase - 2, 1)

    def vqa_frame(self, episode: int) -> int:
        return (episode % max(self.frames_per_phase - 1, 1)) + 1 if self.frames_per_phase > 1 else 0


def features(spec: SyntheticSpec) -> dict:
    names = [f"joint_{i}.pos" for i in range(spec.dim)]
    out = {
        "observation.state": {"dtype": "float32", "shape": [spec.dim], "names": names},
        "action": {"dtype": "float32", "shape": [spec.dim], "names": names},
    }
    for camera in spec.cameras:
        out[camera] = {"dtype": "video", "shape": [spec.height, spec.width, 3],
                       "names": ["height", "width", "channels"]}
    return out


def image(spec: SyntheticSpec, camera_index: int, frame: int) -> np.ndarray:
    """The phase's colour with a soft stripe that moves through the phase (one per camera)."""
    offset = frame % spec.frames_per_phase
    y, x = np.mgrid[0:spec.height, 0:spec.width]
    colour = np.array(PHASE_COLOURS[spec.phase(frame)], dtype=np.float32)
    stripe = 40.0 * np.exp(-(((x + 7 * camera_index) % spec.width - 4.0 * offset) / 6.0) ** 2)
    return np.clip(colour[None, None, :] + stripe[..., None], 0, 255).astype(np.uint8)


def action(spec: SyntheticSpec, episode: int, frame: int) -> np.ndarray:
    """A smooth per-phase trajectory: each phase moves the joints along its own direction."""
    phase = spec.phase(frame)
    progress = (frame % spec.frames_per_phase) / spec.frames_per_phase
    joints = np.arange(spec.dim, dtype=np.float32)
    start = 10.0 * phase + 0.5 * episode
    direction = np.cos(joints * (phase + 1))
    return (start + 8.0 * direction * progress + 2.0 * np.sin(joints + phase)).astype(np.float32)


def persistent_rows(spec: SyntheticSpec, episode: int) -> list[LanguageRow]:
    rows = [LanguageRow(role="assistant", content=PLAN, style="plan", timestamp=0.0)]
    for phase, (subtask, memory) in enumerate(zip(SUBTASKS, MEMORIES)):
        start = phase * spec.frames_per_phase / spec.fps
        rows.append(LanguageRow(role="assistant", content=subtask, style="subtask", timestamp=start))
        if memory is not None:
            rows.append(LanguageRow(role="assistant", content=memory, style="memory", timestamp=start))
    rows.append(LanguageRow(role="assistant", content=NEW_PLAN, style="plan",
                            timestamp=spec.interjection_frame(episode) / spec.fps))
    return rows


def event_rows(spec: SyntheticSpec, episode: int, frame: int) -> list[LanguageRow]:
    if frame == spec.interjection_frame(episode):
        return [LanguageRow(role="user", content=INTERJECTION, style="interjection"), say(REPLY)]
    if frame == spec.vqa_frame(episode) and spec.cameras:
        camera = spec.cameras[0]
        return [LanguageRow(role="user", content=VQA_QUESTION, style="vqa", camera=camera),
                LanguageRow(role="assistant", content=VQA_ANSWER, style="vqa", camera=camera)]
    return []


def active_language(spec: SyntheticSpec, episode: int, frame: int) -> dict[str, str | None]:
    """The plan, memory and subtask active at ``frame`` (what the runtime would hold there)."""
    t = np.float32(frame / spec.fps)
    active: dict[str, str | None] = {"plan": None, "memory": None, "subtask": None}
    for row in sorted(persistent_rows(spec, episode), key=lambda r: r.timestamp):
        if row.timestamp <= t:
            active[row.style] = row.content
    return active


def write_synthetic_dataset(root: str | Path, spec: SyntheticSpec = SyntheticSpec(),
                            tasks: Sequence[str] = (TASK,)) -> Path:
    """Write ``spec.episodes`` annotated episodes to the new folder ``root``; returns ``root``."""
    writer = DatasetWriter.create(root, spec.fps, features(spec), robot_type="so_follower",
                                  video=spec.video, language=True)
    try:
        for episode in range(spec.episodes):
            for frame in range(spec.episode_length):
                values = {"action": action(spec, episode, frame),
                          "observation.state": action(spec, episode, max(frame - 1, 0))}
                for index, camera in enumerate(spec.cameras):
                    values[camera] = image(spec, index, frame)
                writer.add_frame(values, task=tasks[episode % len(tasks)],
                                 language_events=event_rows(spec, episode, frame))
            writer.save_episode(language_persistent=persistent_rows(spec, episode))
    finally:
        writer.close()
    return Path(root)
