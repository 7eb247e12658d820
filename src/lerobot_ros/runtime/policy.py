"""What the runtime needs from a hierarchical policy, as a small Protocol.

The runtime's scheduling (which question when, which thread, what reaches the arm) depends only on
this interface, so it is unit-testable with a scripted double; :mod:`.smolvla2_policy` implements it
with the real SmolVLA2 model and the training chat tokenizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Protocol, Sequence

import numpy as np


@dataclass(frozen=True)
class Observation:
    """One observation: camera frames by image feature key, the joint state, and when it was measured.

    ``images``: ``observation.images.<camera>`` -> HxWx3 uint8 RGB; ``state``: the policy's
    ``observation.state``, as its dataset recorded it (the checkpoint's feature contract: joints in
    their units, e.g. LeRobot's degrees); ``stamp_s``: monotonic time of the joint state, which
    anchors the action chunk in time; ``present_rad``: the action's joints where they are now, in
    radians (where the runtime's per-step limit starts), then an action's base velocity (REP-103,
    LeKiwi), None when ``state`` is exactly that. ``history``: for a policy that reads earlier
    frames too (``observation_steps`` > 1: LeRobot's Diffusion, VQ-BeT), the observations one, two,
    ... frame intervals (1 / ``chunk_fps``) before this one, oldest first, as its dataset's frames
    were spaced; empty for the others.
    """

    images: Mapping[str, np.ndarray]
    state: np.ndarray
    stamp_s: float
    present_rad: np.ndarray | None = None
    history: tuple[Observation, ...] = ()

    @property
    def start_rad(self) -> np.ndarray:
        """The action joints' present positions in radians."""
        return self.state if self.present_rad is None else self.present_rad


class LanguagePolicy(Protocol):
    """A policy that talks (text after a chat prompt) and acts (an action chunk after a chat prompt).

    ``talks`` False marks a flat policy (LeRobot's ACT, Diffusion, ...): it only acts, its action
    prompt is one user message holding the task, and ``generate`` is never called.
    """

    talks: bool

    @property
    def chunk_fps(self) -> float:
        """Rate of the action chunk's steps (the training dataset's fps)."""

    @property
    def observation_steps(self) -> int:
        """How many frames, 1 / ``chunk_fps`` apart and ending with the present one, each action
        chunk is computed from (``Observation.history`` holds the earlier ones); 1 for most."""

    @property
    def image_features(self) -> list[str]:
        """The image features (``observation.images.<camera>``) the policy needs."""

    @property
    def image_shapes(self) -> Mapping[str, Sequence[int]]:
        """``(3, height, width)`` of each image feature as trained (the size a camera must have when
        the checkpoint has no feature contract to say so)."""

    def generate(self, messages: Sequence[dict], observation: Observation) -> str:
        """The assistant's reply to ``messages`` (HF chat dicts), seeing ``observation``."""

    def action_chunk(self, messages: Sequence[dict], observation: Observation) -> np.ndarray:
        """Actions (steps, action_dim) for ``messages`` ending with the assistant's subtask; the runtime
        takes them as radians of the action joints (``policy_io.RadianActions`` converts a policy
        trained in other units)."""
