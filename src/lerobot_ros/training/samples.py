"""The torch ``Dataset`` of training samples: one frame of one episode, rendered through the recipe.

A sample is the frame's camera images, its state, the chunk of ``chunk_size`` actions starting at
it (padded at the episode end), and the recipe's chat for the frame's language, tokenized by the
same ``ChatTokenizer.encode`` the runtime uses. Indices past the number of frames select the same
frame in a later epoch (``index % len``): the recipe sees the full index, so its deterministic blend
gives a frame a different flavour from one epoch to the next.

When the recipe renders nothing for a frame (its flavour needs an annotation the frame lacks), the
sample is replaced by the frame ``STRIDE`` further on, then the next one, deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..policies.language_head import FAST_KEY
from ..policies.recipes import FrameLanguage
from .episodes import EpisodeData, action_chunk
from .frames import FrameSource

STRIDE = 7919  # a prime: the replacements of one sample walk through the whole dataset


@dataclass(frozen=True)
class SampleSpec:
    """What a sample holds, from the policy's configuration."""

    image_keys: tuple[str, ...]  # the policy's camera features
    chunk_size: int
    camera_sources: dict[str, str] = field(default_factory=dict)  # policy camera -> dataset camera, if renamed

    def source(self, image_key: str) -> str:
        return self.camera_sources.get(image_key, image_key)


class PolicyDataset(torch.utils.data.Dataset):
    def __init__(self, episodes: list[EpisodeData], frames: FrameSource, recipe, chat_tokenizer,
                 spec: SampleSpec, fps: int, max_render_attempts: int = 64, fast=None):
        missing = [spec.source(k) for k in spec.image_keys if spec.source(k) not in frames.video_keys]
        if missing:
            raise ValueError(f"the policy reads cameras {missing} that the dataset lacks (dataset cameras: "
                             f"{list(frames.video_keys)}); map dataset cameras to the policy's with --rename-map, "
                             "e.g. '{\"observation.images.front\": \"observation.images.camera1\"}'")
        if not episodes:
            raise ValueError("no episodes to build samples from")
        self.episodes = episodes
        self.frames = frames
        self.recipe = recipe
        self.chat = chat_tokenizer
        self.spec = spec
        self.fps = fps
        self.max_render_attempts = max_render_attempts
        self.fast = fast  # (FastActionTokenizer, mean, std) when the FAST loss is on
        lengths = np.array([ep.length for ep in episodes])
        self._starts = np.concatenate([[0], np.cumsum(lengths)])

    def __len__(self) -> int:
        return int(self._starts[-1])

    def locate(self, index: int) -> tuple[EpisodeData, int]:
        """The episode and frame of sample ``index`` (modulo the dataset length)."""
        index %= len(self)
        position = int(np.searchsorted(self._starts, index, side="right")) - 1
        return self.episodes[position], index - int(self._starts[position])

    def frame_language(self, episode: EpisodeData, frame: int) -> FrameLanguage:
        return FrameLanguage(task=episode.tasks[frame], timestamp=frame / self.fps,
                             persistent=episode.persistent, events=episode.events.get(frame, []))

    def render(self, index: int):
        """(episode, frame, rendered sample) for ``index`` or its deterministic replacement."""
        for attempt in range(self.max_render_attempts):
            candidate = index + attempt * STRIDE
            episode, frame = self.locate(candidate)
            rendered = self.recipe.render(self.frame_language(episode, frame), candidate)
            if rendered is not None:
                return episode, frame, rendered
        raise ValueError(
            f"the recipe rendered no supervised sample for index {index} and its "
            f"{self.max_render_attempts - 1} replacements: do the dataset's language annotations match "
            "the recipe (subtask rows for action_execution, events for the event recipes)?")

    def __getitem__(self, index: int) -> dict:
        episode, frame, rendered = self.render(index)
        actions, is_pad = action_chunk(episode, frame, self.spec.chunk_size)
        sample = {
            "observation.state": torch.from_numpy(episode.state[frame].copy()),
            "action": torch.from_numpy(actions.copy()),
            "action_is_pad": torch.from_numpy(is_pad),
            "chat": self.chat.encode_sample(rendered),
        }
        for key in self.spec.image_keys:
            sample[key] = torch.from_numpy(self.frames.frame(episode.index, frame, self.spec.source(key)).copy())
        if self.fast is not None:
            tokenizer, mean, std = self.fast
            sample[FAST_KEY] = list(tokenizer.encode((actions - mean) / std))
        return sample
