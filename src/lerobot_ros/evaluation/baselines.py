"""Policies that must fail, to show the scorer gives nothing away.

:class:`PresentPosePolicy` answers every observation with the pose the arm is in: run through
policy_node it holds the arm still, so the task can only succeed if the scorer is broken.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..runtime.policy import Observation


class PresentPosePolicy:
    """A flat policy (LeRobot-style: no language) whose action chunk repeats the observed state."""

    talks = False

    def __init__(self, cameras: Sequence[str] = ("front",), image_size: tuple[int, int] = (96, 128),
                 chunk_steps: int = 10, fps: float = 10.0):
        self._images = [f"observation.images.{c}" for c in cameras]
        self._shape = (3, *image_size)
        self._steps, self._fps = chunk_steps, fps

    @property
    def chunk_fps(self) -> float:
        return self._fps

    @property
    def image_features(self) -> list[str]:
        return list(self._images)

    @property
    def image_shapes(self) -> Mapping[str, Sequence[int]]:
        return {key: self._shape for key in self._images}

    def generate(self, messages, observation: Observation) -> str:
        raise NotImplementedError("a flat policy does not talk")

    def action_chunk(self, messages, observation: Observation) -> np.ndarray:
        return np.tile(np.asarray(observation.state, float), (self._steps, 1))
