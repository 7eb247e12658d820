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

    ``images``: ``observation.images.<camera>`` -> HxWx3 uint8 RGB; ``state``: the policy's state
    vector (the follower's joint positions in radians, in the policy's joint order); ``stamp_s``:
    monotonic time of the joint state, which anchors the action chunk in time.
    """

    images: Mapping[str, np.ndarray]
    state: np.ndarray
    stamp_s: float


class LanguagePolicy(Protocol):
    """A policy that talks (text after a chat prompt) and acts (an action chunk after a chat prompt)."""

    @property
    def chunk_fps(self) -> float:
        """Rate of the action chunk's steps (the training dataset's fps)."""

    @property
    def image_features(self) -> list[str]:
        """The image features (``observation.images.<camera>``) the policy needs."""

    def generate(self, messages: Sequence[dict], observation: Observation) -> str:
        """The assistant's reply to ``messages`` (HF chat dicts), seeing ``observation``."""

    def action_chunk(self, messages: Sequence[dict], observation: Observation) -> np.ndarray:
        """Actions (steps, action_dim) in raw units for ``messages`` ending with the assistant's subtask."""
