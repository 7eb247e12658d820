"""Text from PaliGemma's language-model head, with a key/value cache.

The prompt (images + chat tokens, no state) runs once through the language model, keeping every
layer's keys and values; each new token then runs alone against them. ``decode_without_cache``
re-runs the whole sequence every step: the reference the cached loop is tested against. Token
choice (greedy, nucleus sampling, special tokens barred before ``min_new_tokens``) is SmolVLA2's.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .backbone import Stream, attention_bias
from .core import PI05Model, Prefix
from ..smolvla2.attention import make_att_2d_masks
from ..smolvla2.generation import SamplingOptions, decode

__all__ = ["SamplingOptions", "decode_with_cache", "decode_without_cache"]


def _logits(model: PI05Model, hidden: Tensor, vocab: int) -> Tensor:
    """Next-token logits over the tokenizer's ids (LM-head rows beyond the tokenizer never win)."""
    logits = model.paligemma_with_expert.lm_logits(hidden[:, -1])[0].float()
    logits[vocab:] = float("-inf")
    return logits


def decode_with_cache(model: PI05Model, prefix: Prefix, options: SamplingOptions, vocab: int, **choice) -> list[int]:
    """Prompt once (keys/values kept), then one token per step; batch of one."""
    backbone = model.paligemma_with_expert
    stack = backbone.language_model
    hidden, cache = model.prefix_cache(prefix)
    first_logits = _logits(model, hidden, vocab)
    visible = prefix.pad.clone()
    state = {"position": int(prefix.pad.sum()), "visible": visible, "cache": cache}

    def next_logits(step: int, last: Tensor | None) -> Tensor:
        if last is None:
            return first_logits
        ones = torch.ones(1, 1, dtype=torch.bool, device=prefix.pad.device)
        state["visible"] = torch.cat([state["visible"], ones], 1)
        bias = attention_bias(state["visible"][:, None, :])
        position = torch.full((1, 1), state["position"], dtype=torch.long, device=prefix.pad.device)
        state["position"] += 1
        embedded = backbone.embed_tokens(last.view(1, 1))
        (out,), state["cache"] = backbone.run([Stream(stack, embedded)], bias, position, past=state["cache"], keep=True)
        return _logits(model, out, vocab)

    return decode(next_logits, options, **choice)


def decode_without_cache(model: PI05Model, prefix: Prefix, options: SamplingOptions, vocab: int, **choice) -> list[int]:
    """Re-run the prompt plus everything generated so far at every step (the O(n^2) reference)."""
    backbone = model.paligemma_with_expert
    generated: list[Tensor] = []

    def next_logits(step: int, last: Tensor | None) -> Tensor:
        if last is not None:
            generated.append(backbone.embed_tokens(last.view(1, 1)))
        ones = torch.ones(1, len(generated), dtype=torch.bool, device=prefix.pad.device)
        pad = torch.cat([prefix.pad, ones], 1)
        att = torch.cat([prefix.att, ones], 1)
        embeddings = torch.cat([prefix.embeddings, *[g.to(prefix.embeddings.dtype) for g in generated]], 1)
        positions = torch.cumsum(pad.long(), dim=1) - 1
        bias = attention_bias(make_att_2d_masks(pad, att))
        (hidden,), _ = backbone.run([Stream(backbone.language_model, embeddings)], bias, positions)
        return _logits(model, hidden, vocab)

    return decode(next_logits, options, **choice)
