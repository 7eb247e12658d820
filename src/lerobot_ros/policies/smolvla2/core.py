"""The SmolVLA2 network: prefix/suffix embedding, attention layout, flow and text losses, sampling.

Sequence layout (LeRobot's SmolVLA, plus the language head):

    prefix = [image tokens per camera | language tokens | state token | FAST tokens (training only)]
    suffix = [chunk_size noisy-action tokens]

Block flags (``make_att_2d_masks``): images and language are one bidirectional block, except the
language tokens marked ``causal`` (supervised target spans), which each open a block of their own
so next-token prediction on them is not a copy task. The state token opens a block (it sees
everything before it, nothing before it sees it). FAST tokens are causal after the state; action
tokens are causal among themselves and see the prefix, but never the FAST tokens (which encode the
very actions being denoised), and their positions ignore the FAST tokens, so training and
inference place the suffix identically.

Attribute names (``vlm_with_expert``, ``state_proj``, ``action_in_proj``, ...) are LeRobot's, so
``SmolVLA2Policy.model`` has exactly the keys of ``SmolVLAPolicy.model``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn
from torch.nn.attention.flex_attention import BlockMask

from .attention import Rope, additive_bias, group_bias, make_att_2d_masks, visibility_block_mask
from .backbone import FlowCache, VLMWithExpert
from .configuration import SmolVLA2Config
from .flow import euler_integrate, interpolate, time_embedding
from ..rtc import RTCGuidance


@dataclass
class Prefix:
    """Embedded prefix with its padding mask, block flags and where the language span sits."""

    embeddings: Tensor  # (B, P, hidden)
    pad: Tensor  # (B, P) bool
    att: Tensor  # (B, P) bool: True opens a new causal block
    lang_start: int
    lang_end: int


@dataclass
class DenoisingContext:
    """The prefix cache, attention masks and rotary tables every denoising step of one chunk reuses.

    The masks are additive biases grouped for attend's folded queries or, with the "flex" attention
    kernel, flex-attention block masks."""

    cache: FlowCache
    rope_self: Rope
    rope_cross: Rope
    bias_self: Tensor | BlockMask
    bias_cross: Tensor | BlockMask


class FlowMatchingVLA(nn.Module):
    """SmolVLM + action expert, with the projections SmolVLA puts around the expert."""

    def __init__(self, config: SmolVLA2Config, image_special_ids: tuple[int, int] | None = None):
        super().__init__()
        self.config = config
        self.vlm_with_expert = VLMWithExpert(config)
        hidden = self.vlm_with_expert.text_hidden_size
        expert = self.vlm_with_expert.expert_hidden_size
        self.state_proj = nn.Linear(config.max_state_dim, hidden)
        self.action_in_proj = nn.Linear(config.max_action_dim, expert)
        self.action_out_proj = nn.Linear(expert, config.max_action_dim)
        self.action_time_mlp_in = nn.Linear(expert * 2, expert)
        self.action_time_mlp_out = nn.Linear(expert, expert)
        if config.add_image_special_tokens and image_special_ids is None:
            raise ValueError(
                "add_image_special_tokens needs the tokenizer's <fake_token_around_image> and <global-img> ids"
            )
        # [<fake_token_around_image>, <global-img>] before each image, the first again after it.
        ids = torch.tensor(image_special_ids if image_special_ids else (), dtype=torch.long)
        self.register_buffer("image_start_ids", ids, persistent=False)

    @property
    def dtype(self) -> torch.dtype:
        return self.state_proj.weight.dtype

    # --- embeddings ----------------------------------------------------------------------------------

    def _embed_text(self, tokens: Tensor) -> Tensor:
        embedded = self.vlm_with_expert.embed_tokens(tokens)
        return embedded * math.sqrt(embedded.shape[-1])

    def embed_prefix(
        self,
        images: list[Tensor],
        image_masks: list[Tensor],
        tokens: Tensor,
        token_mask: Tensor,
        causal: Tensor | None,
        state: Tensor | None,
        extra_tokens: Tensor | None = None,
        extra_mask: Tensor | None = None,
    ) -> Prefix:
        """Images, language, then (unless ``state`` is None, as for text generation) the state token."""
        batch = tokens.shape[0]
        device = tokens.device
        embs, pads, atts = [], [], []

        def add(embedding: Tensor, pad: Tensor, att: Tensor) -> None:
            embs.append(embedding.to(self.dtype))
            pads.append(pad)
            atts.append(att)

        for image_emb, image_mask in zip(self._embed_images(images), image_masks):
            if self.config.add_image_special_tokens:
                self._add_special(add, self.image_start_ids, batch)
            # sqrt(dim) rounded to the embedding dtype, as SmolVLA scales; a host scalar, no device copy.
            scale = float(torch.tensor(image_emb.shape[-1] ** 0.5, dtype=image_emb.dtype))
            image_emb = image_emb * scale
            count = image_emb.shape[1]
            flags = torch.zeros(batch, count, dtype=torch.bool, device=device)
            add(image_emb, image_mask[:, None].expand(batch, count), flags)
            if self.config.add_image_special_tokens:
                self._add_special(add, self.image_start_ids[:1], batch)
        lang_start = sum(e.shape[1] for e in embs)
        lang_att = causal.bool() if causal is not None else torch.zeros_like(token_mask, dtype=torch.bool)
        add(self._embed_text(tokens), token_mask.bool(), lang_att)
        lang_end = lang_start + tokens.shape[1]
        if state is not None:
            state_emb = self.state_proj(state.to(self.dtype))[:, None]
            ones = torch.ones(batch, 1, dtype=torch.bool, device=device)
            add(state_emb, ones, ones)
        if extra_tokens is not None:
            add(self._embed_text(extra_tokens), extra_mask, torch.ones_like(extra_mask))
        return Prefix(torch.cat(embs, 1), torch.cat(pads, 1), torch.cat(atts, 1), lang_start, lang_end)

    def _embed_images(self, images: list[Tensor]) -> list[Tensor]:
        """Vision tower + connector per camera; cameras of one size go through in a single call."""
        if len({tuple(image.shape) for image in images}) == 1:
            return list(self.vlm_with_expert.embed_images(torch.cat(images)).chunk(len(images)))
        return [self.vlm_with_expert.embed_images(image) for image in images]

    def _add_special(self, add, ids: Tensor, batch: int) -> None:
        embedded = self.vlm_with_expert.embed_tokens(ids)[None].expand(batch, -1, -1)
        flags = torch.zeros(batch, ids.shape[0], dtype=torch.bool, device=ids.device)
        add(embedded, ~flags, flags)

    def embed_suffix(self, noisy_actions: Tensor, time: Tensor) -> Tensor:
        """Noisy actions fused with a sine-cosine embedding of the flow time by a small MLP."""
        action_emb = self.action_in_proj(noisy_actions.to(self.dtype))
        time_emb = time_embedding(
            time, action_emb.shape[-1], self.config.min_period, self.config.max_period
        ).to(action_emb.dtype)
        fused = torch.cat([action_emb, time_emb[:, None].expand_as(action_emb)], dim=2)
        return self.action_time_mlp_out(F.silu(self.action_time_mlp_in(fused)))

    def velocity(self, suffix_out: Tensor) -> Tensor:
        return self.action_out_proj(suffix_out.to(self.action_out_proj.weight.dtype)).float()

    # --- training ------------------------------------------------------------------------------------

    def training_pass(
        self, prefix: Prefix, actions: Tensor | None, noise: Tensor | None, time: Tensor | None, fast_len: int = 0
    ) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """One fused pass. Returns (prefix hidden, velocity prediction, velocity target).

        Without ``actions`` only the prefix runs (text-only batches). ``fast_len`` trailing prefix
        tokens are FAST tokens, hidden from the action tokens.
        """
        head_dim = self.vlm_with_expert.head_dim
        if actions is None:
            positions = torch.cumsum(prefix.pad.long(), dim=1) - 1
            bias = additive_bias(make_att_2d_masks(prefix.pad, prefix.att), self.dtype)
            hidden = self.vlm_with_expert.vlm_forward(prefix.embeddings, bias, Rope(positions, head_dim))
            return hidden, None, None
        noisy, target = interpolate(actions, noise, time)
        suffix = self.embed_suffix(noisy, time)
        batch, steps = suffix.shape[:2]
        suffix_pad = torch.ones(batch, steps, dtype=torch.bool, device=suffix.device)
        pad = torch.cat([prefix.pad, suffix_pad], 1)
        att = torch.cat([prefix.att, suffix_pad], 1)
        mask = make_att_2d_masks(pad, att)
        prefix_len = prefix.pad.shape[1]
        base_len = prefix_len - fast_len
        positional_pad = pad.clone()
        if fast_len:
            mask[:, prefix_len:, base_len:prefix_len] = False
            positional_pad[:, base_len:prefix_len] = False
        positions = torch.cumsum(positional_pad.long(), dim=1) - 1
        if fast_len:
            base_count = positional_pad[:, :base_len].sum(1, keepdim=True)
            positions[:, base_len:prefix_len] = base_count + torch.cumsum(prefix.pad[:, base_len:].long(), 1) - 1
        suffix_positions = positions[:, prefix_len:]
        rope_cross = Rope(suffix_positions - suffix_positions.min(dim=1, keepdim=True).values, head_dim)
        prefix_out, suffix_out = self.vlm_with_expert.joint_forward(
            prefix.embeddings, suffix, additive_bias(mask, self.dtype), Rope(positions, head_dim), rope_cross
        )
        return prefix_out, self.velocity(suffix_out[:, -steps:]), target

    # --- inference -----------------------------------------------------------------------------------

    def sample_actions(self, prefix: Prefix, noise: Tensor, guidance: RTCGuidance | None = None) -> Tensor:
        """Normalized, padded actions (B, chunk, max_action_dim) from 10 Euler steps over one prefix cache;
        ``guidance``: real-time chunking toward the running chunk (policies/rtc.py)."""
        context = self.prepare_denoising(prefix, noise.shape[1])
        return euler_integrate(lambda x, time: self.denoise_step(context, x, time), noise, self.config.num_steps,
                               guidance)

    def prepare_denoising(self, prefix: Prefix, steps: int) -> DenoisingContext:
        """Everything the denoising steps of one chunk share: the prefix pass (once), masks and rotary tables."""
        backbone = self.vlm_with_expert
        head_dim = backbone.head_dim
        batch = prefix.pad.shape[0]
        device = prefix.pad.device
        prefix_positions = torch.cumsum(prefix.pad.long(), dim=1) - 1
        prefix_bias = additive_bias(make_att_2d_masks(prefix.pad, prefix.att), self.dtype)
        cache = backbone.build_flow_cache(prefix.embeddings, prefix_bias, Rope(prefix_positions, head_dim), steps)

        prefix_len = prefix.pad.shape[1]
        causal = torch.ones(steps, steps, dtype=torch.bool, device=device).tril()
        seen_prefix = prefix.pad[:, None, :].expand(batch, steps, prefix_len)
        offsets = torch.arange(steps, device=device)[None]
        seen_self = torch.cat([seen_prefix, causal.expand(batch, -1, -1)], 2)
        if backbone.attention_kernel == "flex":
            bias_self, bias_cross = visibility_block_mask(seen_self), visibility_block_mask(seen_prefix)
        else:
            bias_self = group_bias(additive_bias(seen_self, self.dtype), backbone.query_groups)
            bias_cross = group_bias(additive_bias(seen_prefix, self.dtype), backbone.query_groups)
        return DenoisingContext(
            cache=cache,
            rope_self=Rope(prefix.pad.sum(1, keepdim=True) + offsets, head_dim),
            rope_cross=Rope(offsets.expand(batch, -1), head_dim),
            bias_self=bias_self,
            bias_cross=bias_cross,
        )

    def denoise_step(self, context: DenoisingContext, x: Tensor, time: Tensor) -> Tensor:
        """The velocity (B, chunk, max_action_dim) at noisy actions ``x`` and flow time ``time`` (B,)."""
        suffix = self.embed_suffix(x, time)
        out = self.vlm_with_expert.expert_step(
            suffix, context.cache, context.rope_self, context.rope_cross, context.bias_self, context.bias_cross
        )
        return self.velocity(out)
