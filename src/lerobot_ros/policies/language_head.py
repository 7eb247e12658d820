"""What SmolVLA2 and PI052 share around their models: the batch keys, the language head's losses,
the text prompt for decoding, the action chunk's noise and its real-time-chunking guidance.

Both policies are a flow-matching action expert beside a VLM whose LM head also writes text. They
differ in the backbone (SmolVLM or PaliGemma), in the prefix they build and in the numerics of their
flow loss, each matched to its LeRobot counterpart; those stay in each ``modeling.py``. This mixin
holds the parts that are the same computation in both, so a fix to one is a fix to both.

A policy that mixes it in provides ``config``, ``model`` (with ``sample_actions``), ``normalizer``,
``tokenizer``, ``device``, ``_prefix(batch, with_state=..., fast=...)``, ``fast_token_ids`` and
``_lm_logits(hidden)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from .chat import IGNORE_INDEX
from .config_json import ACTION_KEY
from .rtc import ChunkPrefix, RTCConfig, RTCGuidance

TOKENS_KEY = "observation.language.tokens"
MASK_KEY = "observation.language.attention_mask"
CAUSAL_KEY = "observation.language.causal"
LANGUAGE_KEYS = (TOKENS_KEY, MASK_KEY, CAUSAL_KEY)
FAST_KEY = "action.fast_tokens"


class LanguageHeadPolicy:
    """Mixin for a flow-matching VLA with a text-generating LM head (SmolVLA2Policy, PI052Policy)."""

    # --- language-head losses ------------------------------------------------------------------------

    def _next_token_loss(self, hidden: Tensor, labels: Tensor) -> Tensor:
        """Shifted cross-entropy: position i predicts label i+1; the LM head runs on supervised rows only."""
        targets = labels[:, 1:]
        selected = targets != IGNORE_INDEX
        if not bool(selected.any()):
            return hidden.sum() * 0.0
        logits = self._lm_logits(hidden[:, :-1][selected])
        return F.cross_entropy(logits.float(), targets[selected])

    def _fast_loss(self, prefix_out: Tensor, fast: Tensor) -> Tensor:
        """FAST action tokens (padding -1) at the prefix's end: the token before them predicts the
        first, each FAST token the next."""
        fast = fast.to(prefix_out.device)
        hidden = prefix_out[:, -fast.shape[1] - 1 :]
        ids = torch.where(fast >= 0, self.fast_token_ids(fast.clamp(min=0)), IGNORE_INDEX)
        labels = torch.cat([torch.full_like(fast[:, :1], IGNORE_INDEX), ids], 1)
        return self._next_token_loss(hidden, labels)

    # --- inference -----------------------------------------------------------------------------------

    @torch.no_grad()
    def predict_action_chunk_normalized(self, batch: Mapping[str, Tensor], *, noise: Tensor | None = None,
                                        guidance: RTCGuidance | None = None) -> Tensor:
        """(B, chunk, action_dim) actions before unnormalization (what LeRobot's policy returns);
        ``guidance``: real-time chunking toward the running chunk's normalized prefix (policies/rtc.py)."""
        prefix = self._prefix(batch)
        shape = (prefix.pad.shape[0], self.config.chunk_size, self.config.max_action_dim)
        if noise is None:
            noise = torch.randn(shape, dtype=torch.float32, device=self.device)
        elif tuple(noise.shape) != shape:
            raise ValueError(f"noise must have shape {shape}, got {tuple(noise.shape)}")
        actions = self.model.sample_actions(prefix, noise.to(self.device, torch.float32), guidance)
        return actions[:, :, : self.config.action_dim]

    def _guidance(self, rtc: ChunkPrefix, rtc_config: RTCConfig) -> RTCGuidance:
        """Real-time chunking toward the running chunk's left-over actions, given in raw units."""
        normalized = self.normalizer.normalize(ACTION_KEY, rtc.actions.to(self.device))
        return RTCGuidance(ChunkPrefix(normalized, rtc.inference_delay), rtc_config)

    def _text_prompt(self, batch: Mapping[str, Tensor]):
        """The prefix (the model's own ``Prefix``) that text is generated after: the chat without its
        padding and without the state (a batch of one)."""
        tokens = batch[TOKENS_KEY]
        if tokens.shape[0] != 1:
            raise ValueError(f"select_message takes a batch of one, got {tokens.shape[0]}")
        keep = batch[MASK_KEY][0].bool()
        prompt = {key: value for key, value in batch.items() if key not in LANGUAGE_KEYS}
        prompt[TOKENS_KEY] = tokens[:, keep]
        prompt[MASK_KEY] = torch.ones_like(prompt[TOKENS_KEY], dtype=torch.bool)
        if CAUSAL_KEY in batch:
            prompt[CAUSAL_KEY] = batch[CAUSAL_KEY][:, keep]
        return self._prefix(prompt, with_state=False)

    def select_message(self, batch: Mapping[str, Tensor], **options) -> str:
        """Text generated after the prompt (a chat ending with ``Assistant:``), with a KV cache.

        Greedy at temperature 0, else nucleus sampling (``top_p``); special tokens are barred for the
        first ``min_new_tokens``. Decoded with skip_special_tokens, so ``<say>`` markers stay. Batch
        size 1; ``options`` are ``generate_tokens``'.
        """
        return self.tokenizer.decode(self.generate_tokens(batch, **options), skip_special_tokens=True).strip()
