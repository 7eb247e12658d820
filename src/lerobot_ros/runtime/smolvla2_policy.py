"""SmolVLA2 behind the runtime's :class:`~lerobot_ros.runtime.policy.LanguagePolicy` interface.

Prompts are encoded with the training chat tokenizer (:class:`lerobot_ros.policies.chat.ChatTokenizer`)
exactly as the recipe's samples are: text questions with the generation prompt (``Assistant:``),
the action prompt with the subtask turn as its causal target span. So the model sees at run time the
token sequences it was trained on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from ..policies import prompts
from ..policies.chat import ChatTokenizer
from ..policies.language_head import LANGUAGE_KEYS
from ..policies.rtc import ChunkPrefix, RTCConfig
from .policy import Observation
from .schedule import RunningPrefix

log = logging.getLogger(__name__)


def constant_state_features(policy, min_std: float = 1e-6) -> list[int]:
    """Indices of state features whose training standard deviation is about zero."""
    stats = policy.stats().get("observation.state")
    if stats is None:
        return []
    return [int(i) for i in torch.nonzero(stats["std"].flatten() < min_std).flatten()]


@dataclass(frozen=True)
class TextGeneration:
    """``select_message`` options (greedy by default: the same text for the same observation)."""

    max_new_tokens: int = 64
    min_new_tokens: int = 0
    temperature: float = 0.0
    top_p: float = 1.0


class SmolVLA2LanguagePolicy:
    """A loaded SmolVLA2Policy, asked questions and actions through chat prompts."""

    talks = True
    observation_steps = 1  # each chunk from the present frame alone

    def __init__(self, policy, text: TextGeneration = TextGeneration(), chunk_fps: float | None = None,
                 rtc: RTCConfig = RTCConfig()):
        self.policy = policy.eval()
        self.text = text
        self.rtc = rtc  # how a chunk asked for with the running chunk's prefix is guided onto it
        self.chat = ChatTokenizer(policy.tokenizer, policy.config.tokenizer_max_length)
        fps = chunk_fps or getattr(policy.config, "fps", None)
        if not fps:
            raise ValueError("the checkpoint's config has no fps: give the rate of its action steps (chunk_fps)")
        self._chunk_fps = float(fps)
        self.constant_state = constant_state_features(policy)
        if self.constant_state:
            log.warning("state features %s never changed in the training data (std ~ 0): normalization will "
                        "amplify any measured deviation (even servo quantization) into huge inputs; "
                        "`lerobot-ros train` floors that std (--min-state-std): retrain or fine-tune with it",
                        self.constant_state)

    @classmethod
    def load(cls, name_or_path: str, *, device: str = "cpu", text: TextGeneration = TextGeneration(),
             chunk_fps: float | None = None, rtc: RTCConfig = RTCConfig()) -> SmolVLA2LanguagePolicy:
        """A checkpoint folder or Hub id (through huggingface_hub's cache)."""
        from ..policies.smolvla2 import SmolVLA2Policy

        policy = SmolVLA2Policy.from_pretrained(name_or_path, device=device)
        # On a GPU the chunk and the text step replay from CUDA graphs (captured on first use).
        policy.use_cuda_graphs = policy.device.type == "cuda"
        return cls(policy, text, chunk_fps, rtc)

    @property
    def chunk_fps(self) -> float:
        return self._chunk_fps

    @property
    def image_features(self) -> list[str]:
        return list(self.policy.config.image_features)

    @property
    def image_shapes(self) -> dict[str, list[int]]:
        return dict(self.policy.config.image_shapes)

    def language_batch(self, messages: Sequence[dict], *, generation: bool) -> dict[str, torch.Tensor]:
        """The language part of the batch: a text question ends with ``Assistant:``; the action prompt
        carries the subtask as its (causal) target turn, as in training."""
        if generation:
            encoded = self.chat.encode(list(messages), add_generation_prompt=True)
        else:
            encoded = self.chat.encode(list(messages), targets=prompts.ACTION_TARGETS)
        collated = self.chat.collate([encoded])
        return {key: collated[key] for key in LANGUAGE_KEYS}

    def _batch(self, messages: Sequence[dict], observation: Observation, *, generation: bool) -> dict:
        batch = self.policy.prepare_observation(dict(observation.images), np.asarray(observation.state))
        device = batch["observation.state"].device
        batch.update({k: v.to(device) for k, v in self.language_batch(messages, generation=generation).items()})
        return batch

    @torch.inference_mode()
    def generate(self, messages: Sequence[dict], observation: Observation) -> str:
        t = self.text
        return self.policy.select_message(self._batch(messages, observation, generation=True),
                                          max_new_tokens=t.max_new_tokens, min_new_tokens=t.min_new_tokens,
                                          temperature=t.temperature, top_p=t.top_p)

    @torch.inference_mode()
    def action_chunk(self, messages: Sequence[dict], observation: Observation,
                     rtc: RunningPrefix | None = None) -> np.ndarray:
        """The chunk; ``rtc``: real-time chunking onto the running chunk's next steps (its raw units)."""
        batch = self._batch(messages, observation, generation=False)
        if rtc is None:
            actions = self.policy.predict_action_chunk(batch)
        else:
            steps = self.policy.config.chunk_size  # steps of the old chunk past the new one's end guide nothing
            prefix = ChunkPrefix(torch.as_tensor(np.asarray(rtc.actions)[:steps], dtype=torch.float32),
                                 rtc.inference_delay)
            actions = self.policy.predict_action_chunk(batch, rtc=prefix, rtc_config=self.rtc)
        return actions[0].float().cpu().numpy()
