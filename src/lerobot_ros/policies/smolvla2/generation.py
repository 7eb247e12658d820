"""Autoregressive text from the language head: token choice and the decoding loops.

Two loops produce the same tokens. ``decode_with_cache`` runs the prompt once and then one token
per step against preallocated keys/values (fixed shapes: the write slot and the visibility row
are tensors, so a CUDA graph can replay the step). ``decode_without_cache`` re-runs the whole
sequence every step, as LeRobot's SmolVLA2 ``select_message`` did; it is the reference the cached
loop is tested and benchmarked against.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import torch
from torch import Tensor

from lerobot_ros.policies.smolvla2.attention import Rope, additive_bias, make_att_2d_masks
from lerobot_ros.policies.smolvla2.core import FlowMatchingVLA, Prefix


@dataclass(frozen=True)
class SamplingOptions:
    max_new_tokens: int = 64
    min_new_tokens: int = 0
    temperature: float = 0.0
    top_p: float = 1.0

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")
        if not 0 <= self.min_new_tokens <= self.max_new_tokens:
            raise ValueError(
                f"min_new_tokens must be in [0, max_new_tokens={self.max_new_tokens}], got {self.min_new_tokens}"
            )
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")


def choose_token(
    logits: Tensor,
    step: int,
    options: SamplingOptions,
    special_ids: Tensor,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Next token id (0-d tensor) from (V,) logits: special tokens barred before min_new_tokens,
    then greedy (temperature 0) or nucleus sampling."""
    logits = logits.float()
    if step < options.min_new_tokens:
        logits = logits.index_fill(0, special_ids, float("-inf"))
    if options.temperature == 0:
        return logits.argmax()
    probs = torch.softmax(logits / options.temperature, dim=-1)
    if options.top_p < 1:
        sorted_probs, order = probs.sort(descending=True)
        before = sorted_probs.cumsum(0) - sorted_probs  # mass strictly above each token
        sorted_probs = sorted_probs.masked_fill(before >= options.top_p, 0.0)
        probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
    return torch.multinomial(probs, 1, generator=generator)[0]


def decode(
    next_logits: Callable[[int, Tensor | None], Tensor],
    options: SamplingOptions,
    special_ids: Tensor,
    stop_ids: Collection[int],
    generator: torch.Generator | None = None,
) -> list[int]:
    """Drive ``next_logits(step, last_token)`` until a stop token or max_new_tokens."""
    tokens: list[int] = []
    last = None
    for step in range(options.max_new_tokens):
        token = choose_token(next_logits(step, last), step, options, special_ids, generator)
        value = int(token)
        if value in stop_ids:
            break
        tokens.append(value)
        last = token
    return tokens


def _prompt_mask(prefix: Prefix) -> tuple[Tensor, Tensor]:
    """RoPE positions (padding skipped) and the attention bias of a prompt."""
    positions = torch.cumsum(prefix.pad.long(), dim=1) - 1
    return positions, additive_bias(make_att_2d_masks(prefix.pad, prefix.att), prefix.embeddings.dtype)


def decode_with_cache(model: FlowMatchingVLA, prefix: Prefix, options: SamplingOptions, **choice) -> list[int]:
    """Prompt once into a preallocated cache, then one token per step (batch of one, no padding)."""
    backbone = model.vlm_with_expert
    head_dim = backbone.head_dim
    embeddings = prefix.embeddings
    device, dtype = embeddings.device, embeddings.dtype
    prompt_len = embeddings.shape[1]
    capacity = prompt_len + options.max_new_tokens
    cache = backbone.new_text_cache(1, capacity, dtype, device)
    positions, bias = _prompt_mask(prefix)

    def keep(index: int, key: Tensor, value: Tensor) -> None:
        cache.keys[index][:, :prompt_len] = key
        cache.values[index][:, :prompt_len] = value

    hidden = backbone.vlm_forward(embeddings, bias, Rope(positions, head_dim), kv_sink=keep)
    first_logits = backbone.lm_logits(hidden[:, -1])[0]
    slot = torch.zeros(1, dtype=torch.long, device=device)
    position = torch.zeros(1, 1, dtype=torch.long, device=device)
    first_position = int(prefix.pad.sum())  # masked (empty-camera) tokens take no position
    visible = torch.full((1, 1, 1, capacity), torch.finfo(dtype).min, dtype=dtype, device=device)
    visible[..., :prompt_len].masked_fill_(prefix.pad[:, None, None], 0.0)

    def next_logits(step: int, last: Tensor | None) -> Tensor:
        if last is None:
            return first_logits
        slot.fill_(prompt_len + step - 1)
        position.fill_(first_position + step - 1)
        visible.index_fill_(3, slot, 0.0)
        new = model._embed_text(last.view(1, 1)).to(dtype)
        out = backbone.vlm_decode(new, visible, Rope(position, head_dim), cache, slot)
        return backbone.lm_logits(out[:, -1])[0]

    return decode(next_logits, options, **choice)


def decode_without_cache(model: FlowMatchingVLA, prefix: Prefix, options: SamplingOptions, **choice) -> list[int]:
    """Re-run the prompt plus everything generated so far at every step (the O(n^2) reference)."""
    backbone = model.vlm_with_expert
    generated: list[Tensor] = []

    def next_logits(step: int, last: Tensor | None) -> Tensor:
        if last is not None:
            generated.append(model._embed_text(last.view(1, 1)).to(prefix.embeddings.dtype))
        count = len(generated)
        ones = torch.ones(1, count, dtype=torch.bool, device=prefix.pad.device)
        extended = Prefix(
            torch.cat([prefix.embeddings, *generated], 1),
            torch.cat([prefix.pad, ones], 1),
            torch.cat([prefix.att, ones], 1),
            prefix.lang_start,
            prefix.lang_end,
        )
        positions, bias = _prompt_mask(extended)
        hidden = backbone.vlm_forward(extended.embeddings, bias, Rope(positions, backbone.head_dim))
        return backbone.lm_logits(hidden[:, -1])[0]

    return decode(next_logits, options, **choice)
