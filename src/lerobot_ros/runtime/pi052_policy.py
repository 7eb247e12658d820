"""PI052 behind the runtime's :class:`~lerobot_ros.runtime.policy.LanguagePolicy` interface.

PI052Policy has SmolVLA2Policy's inference interface (``prepare_observation``, ``select_message``,
``predict_action_chunk`` on chat-token batches with ``causal`` flags), so the runtime drives it
through the same adapter: prompts from the same builders, encoded by the same chat tokenizer with
the checkpoint's own chat template (PaliGemma's format), the subtask as the action prompt's causal
target span. Only loading differs; the policy appends the discretized state itself.
"""

from __future__ import annotations

from ..policies.rtc import RTCConfig
from .smolvla2_policy import SmolVLA2LanguagePolicy, TextGeneration


class PI052LanguagePolicy(SmolVLA2LanguagePolicy):
    """A loaded PI052Policy (config type "pi052"), asked questions and actions through chat prompts."""

    @classmethod
    def load(cls, name_or_path: str, *, device: str = "cpu", text: TextGeneration = TextGeneration(),
             chunk_fps: float | None = None, rtc: RTCConfig = RTCConfig()) -> PI052LanguagePolicy:
        from ..policies.pi052 import PI052Policy

        policy = PI052Policy.from_pretrained(name_or_path, device=device)
        if not policy.config.chat_prompt:
            raise ValueError(f"{name_or_path} is a LeRobot pi05 checkpoint (task prompts, no language head): "
                             "run it with backend lerobot, or fine-tune it as pi052 (lerobot-ros train --policy pi052)")
        return cls(policy, text, chunk_fps, rtc)
