"""The SmolVLM backbone truncated to its first layers, and the action expert that runs beside it.

Module names match LeRobot's ``SmolVLMWithExpertModel`` (``vlm`` = transformers'
``SmolVLMForConditionalGeneration``, ``lm_expert`` = a Llama model without embeddings), so the
state dicts line up key for key. The layer loops are our own: the rotary tables and attention
biases are computed once per call, the prefix keys/values are written into preallocated buffers,
and the expert's cross-attention projections of the prefix are computed once per action chunk
instead of once per denoising step.

Layer ``i`` of the expert pairs with VLM layer ``i`` (or every ``n``-th VLM layer when the expert is
shallower). Pairs with ``i % self_attn_every_n_layers == 0`` attend jointly over [prefix; suffix];
the others are cross-attention: expert queries over the VLM layer's (rotated) prefix keys and
values, passed through the expert's own ``k_proj``/``v_proj``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn
from torch.nn.attention.flex_attention import BlockMask
from transformers import AutoConfig, AutoModel, AutoModelForImageTextToText, SmolVLMForConditionalGeneration

from .attention import Rope, attend, group_bias
from .configuration import SmolVLA2Config


def expert_intermediate_size(hidden: int, multiplier: int = 4, multiple_of: int = 256) -> int:
    """SmolVLA's MLP width for the expert: 2/3 of 4x hidden, rounded up to a multiple of 256."""
    size = int(multiplier * int(2 * hidden / 3))
    return multiple_of * ((size + multiple_of - 1) // multiple_of)


@dataclass
class FlowCache:
    """Per-layer prefix state reused by every denoising step of one action chunk.

    Self-attention layers: ``keys``/``values`` (B, P + S, KV, D) with the prefix in [:P] and the
    suffix slots rewritten each step. Cross-attention layers: the expert's projections of the
    prefix keys/values (B, P, KV, D).
    """

    keys: list[Tensor | None]
    values: list[Tensor | None]
    prefix_len: int


@dataclass
class TextCache:
    """Preallocated keys/values (B, capacity, KV, D) per VLM layer for autoregressive decoding."""

    keys: list[Tensor]
    values: list[Tensor]


def _project_qkv(layer: nn.Module, hidden: Tensor, rope: Rope | None) -> tuple[Tensor, Tensor, Tensor]:
    normed = layer.input_layernorm(hidden)
    shape = (*normed.shape[:-1], -1, layer.self_attn.head_dim)
    attn = layer.self_attn
    fused = _fused(attn, "qkv_weight")
    if fused is not None:
        query, key, value = F.linear(normed, fused, attn.qkv_bias).split(attn.qkv_split, dim=-1)
        query, key, value = query.view(shape), key.view(shape), value.view(shape)
    else:
        query = attn.q_proj(normed).view(shape)
        key = attn.k_proj(normed).view(shape)
        value = attn.v_proj(normed).view(shape)
    if rope is not None:
        query, key = rope.apply(query), rope.apply(key)
    return query, key, value


def _mlp(mlp: nn.Module, hidden: Tensor) -> Tensor:
    """Llama's gated MLP, down(act(gate(x)) * up(x)), with gate and up as one GEMM once fused."""
    fused = _fused(mlp, "gate_up_weight")
    if fused is None:
        return mlp(hidden)
    gate, up = F.linear(hidden, fused, mlp.gate_up_bias).chunk(2, dim=-1)
    return mlp.down_proj(mlp.act_fn(gate) * up)


def _fused(module: nn.Module, name: str) -> Tensor | None:
    """The fused inference weight, only where no gradient is wanted (training always runs the parameters)."""
    return None if torch.is_grad_enabled() else getattr(module, name, None)


def _fuse_linears(module: nn.Module, name: str, linears: list[nn.Linear]) -> None:
    """Store ``linears`` stacked as one non-persistent weight (and bias) on ``module``: a copy, so the
    parameters, their state-dict keys and any training stay exactly as they were."""
    with torch.no_grad():
        module.register_buffer(name, torch.cat([linear.weight for linear in linears]), persistent=False)
        biases = [linear.bias for linear in linears]
        bias = torch.cat(biases) if all(b is not None for b in biases) else None
        module.register_buffer(name.replace("weight", "bias"), bias, persistent=False)


def _finish_layer(layer: nn.Module, hidden: Tensor, attended: Tensor) -> Tensor:
    """Output projection, residual, post-attention norm, MLP, residual."""
    out = layer.self_attn.o_proj(attended.to(hidden.dtype)) + hidden
    return out + _mlp(layer.mlp, layer.post_attention_layernorm(out))


class VLMWithExpert(nn.Module):
    """SmolVLM (first ``num_vlm_layers`` text layers) plus the 0.75-width flow-matching expert."""

    def __init__(self, config: SmolVLA2Config):
        super().__init__()
        if config.load_vlm_weights:
            self.vlm = AutoModelForImageTextToText.from_pretrained(config.vlm_model_name, dtype=torch.bfloat16)
        else:
            self.vlm = SmolVLMForConditionalGeneration(AutoConfig.from_pretrained(config.vlm_model_name))
        text_model = self.vlm.model.text_model
        if config.num_vlm_layers > 0:
            text_model.layers = text_model.layers[: config.num_vlm_layers]
        self.num_vlm_layers = len(text_model.layers)
        text_config = self.vlm.config.text_config

        expert_config = copy.deepcopy(text_config)
        expert_config.hidden_size = int(text_config.hidden_size * config.expert_width_multiplier)
        expert_config.intermediate_size = expert_intermediate_size(expert_config.hidden_size)
        expert_config.num_hidden_layers = self.num_vlm_layers
        if config.num_expert_layers > 0:
            if self.num_vlm_layers % config.num_expert_layers:
                raise ValueError(
                    f"num_vlm_layers {self.num_vlm_layers} is not a multiple of num_expert_layers "
                    f"{config.num_expert_layers}"
                )
            expert_config.num_hidden_layers = config.num_expert_layers
        self.lm_expert = AutoModel.from_config(expert_config)
        self.self_attn_every_n_layers = config.self_attn_every_n_layers
        kv_width = text_config.num_key_value_heads * text_config.head_dim
        expert_kv_width = expert_config.num_key_value_heads * expert_config.head_dim
        for index, layer in enumerate(self.lm_expert.layers):
            if not self.is_self_attention(index):
                layer.self_attn.k_proj = nn.Linear(kv_width, expert_kv_width, bias=expert_config.attention_bias)
                layer.self_attn.v_proj = nn.Linear(kv_width, expert_kv_width, bias=expert_config.attention_bias)
        self.lm_expert.embed_tokens = None
        self.expert_hidden_size = expert_config.hidden_size
        self.head_dim = text_config.head_dim
        self.text_hidden_size = text_config.hidden_size
        self.num_key_value_heads = text_config.num_key_value_heads
        # Query heads per key/value head, the same for the VLM and the expert (the expert copies the heads).
        self.query_groups = text_config.num_attention_heads // text_config.num_key_value_heads
        self.stride = self.num_vlm_layers // len(self.lm_expert.layers)
        self._positions: dict[tuple, Tensor] = {}
        self.projections_fused = False
        # attention.attend's kernel for the cached inference paths; compile_inference may change it.
        self.attention_kernel = "sdpa"

    # --- structure --------------------------------------------------------------------------------

    @property
    def text_model(self) -> nn.Module:
        return self.vlm.model.text_model

    @property
    def vision_model(self) -> nn.Module:
        return self.vlm.model.vision_model

    def is_self_attention(self, index: int) -> bool:
        every = self.self_attn_every_n_layers
        return every > 0 and index % every == 0

    def expert_layer(self, vlm_index: int) -> nn.Module | None:
        """The expert layer paired with VLM layer ``vlm_index`` (None where a shallower expert skips)."""
        if vlm_index % self.stride:
            return None
        return self.lm_expert.layers[vlm_index // self.stride]

    def fuse_projections(self) -> None:
        """One GEMM for each layer's q/k/v and one for gate/up, at inference (no autograd).

        A batch-1 chunk is launch-bound (about 16 x 11 small kernels per denoising step), so
        three projections of the same input as one matrix product, and two as another, cut the
        launches per layer by three. The stacked weights are copies taken once, on the first call: call
        it after the checkpoint is loaded (CUDA graphs captured afterwards read them). Cross-attention
        expert layers project the prefix's keys and values instead, so only their MLP is fused.
        """
        if self.projections_fused:
            return  # once only: a captured CUDA graph reads the stacked copies at their addresses
        expert_self = [layer for index, layer in enumerate(self.lm_expert.layers) if self.is_self_attention(index)]
        for layer in [*self.text_model.layers, *expert_self]:
            attn = layer.self_attn
            _fuse_linears(attn, "qkv_weight", [attn.q_proj, attn.k_proj, attn.v_proj])
            attn.qkv_split = (attn.q_proj.out_features, attn.k_proj.out_features, attn.v_proj.out_features)
        for layer in [*self.text_model.layers, *self.lm_expert.layers]:
            _fuse_linears(layer.mlp, "gate_up_weight", [layer.mlp.gate_proj, layer.mlp.up_proj])
        self.projections_fused = True

    # --- embeddings -------------------------------------------------------------------------------

    def embed_images(self, pixels: Tensor) -> Tensor:
        """(B, 3, H, W) in [-1, 1] -> (B, tokens, text hidden): SigLIP tower, then pixel-shuffle connector.

        Images here are never patch-masked, so the patch positions depend only on the grid size and
        are computed once per size, outside the call (no host synchronisation: CUDA-graph friendly).
        """
        vision = self.vision_model
        patches = vision.embeddings.patch_embedding(pixels.to(vision.embeddings.patch_embedding.weight.dtype))
        rows, cols = patches.shape[2:]
        patches = patches.flatten(2).transpose(1, 2)
        positions = self._patch_positions(rows, cols, patches.device)
        hidden = patches + vision.embeddings.position_embedding(positions)[None]
        hidden = vision.encoder(inputs_embeds=hidden, attention_mask=None).last_hidden_state
        hidden = vision.post_layernorm(hidden)
        return self.vlm.model.connector(hidden)

    def _patch_positions(self, rows: int, cols: int, device) -> Tensor:
        """Position-embedding rows of an unmasked rows x cols patch grid, as transformers 4.57 computed them.

        SmolVLA checkpoints were trained with transformers 4.5x, whose SmolVLM vision embeddings
        bucketize ``i / n * (1 - 1e-6)`` (float32 for a float32 model) against ``k / per_side``: every
        coordinate after the first lands one bucket low (0, 0, 1, 2, ...). transformers 5 clamps
        instead and yields 0, 1, 2, ...; following 5.x would silently shift every patch of a
        community checkpoint, so the 4.57 ids are reproduced here (in float32, whatever the dtype).
        """
        key = (rows, cols, str(device))
        cached = self._positions.get(key)
        if cached is None:
            per_side = self.vision_model.embeddings.num_patches_per_side
            boundaries = torch.arange(1 / per_side, 1.0, 1 / per_side)
            def buckets(count: int) -> Tensor:
                fractions = torch.arange(count, dtype=torch.float32) / count * (1 - 1e-6)
                return torch.bucketize(fractions, boundaries, right=True)

            cached = (buckets(rows)[:, None] * per_side + buckets(cols)[None, :]).flatten().to(device)
            self._positions[key] = cached
        return cached

    def embed_tokens(self, tokens: Tensor) -> Tensor:
        return self.text_model.embed_tokens(tokens)

    def lm_logits(self, hidden: Tensor) -> Tensor:
        """Final VLM norm then the LM head."""
        return self.vlm.lm_head(self.text_model.norm(hidden))

    # --- VLM-only passes (prefix, text) -------------------------------------------------------------

    def vlm_forward(self, hidden: Tensor, bias: Tensor, rope: Rope, kv_sink=None) -> Tensor:
        """Self-attention over ``hidden`` through every kept VLM layer (not normed at the end).

        ``kv_sink(layer_index, key, value)`` receives each layer's rotated keys and values.
        """
        bias = group_bias(bias, self.query_groups)
        for index, layer in enumerate(self.text_model.layers):
            query, key, value = _project_qkv(layer, hidden, rope)
            if kv_sink is not None:
                kv_sink(index, key, value)
            hidden = _finish_layer(layer, hidden, attend(query, key, value, bias, self.attention_kernel))
        return hidden

    def new_text_cache(self, batch: int, capacity: int, dtype: torch.dtype, device) -> TextCache:
        shape = (batch, capacity, self.num_key_value_heads, self.head_dim)
        layers = range(self.num_vlm_layers)
        return TextCache(
            keys=[torch.zeros(shape, dtype=dtype, device=device) for _ in layers],
            values=[torch.zeros(shape, dtype=dtype, device=device) for _ in layers],
        )

    def vlm_decode(self, hidden: Tensor, bias: Tensor, rope: Rope, cache: TextCache, slots: Tensor) -> Tensor:
        """New tokens (B, n, hidden) written into ``cache`` at ``slots`` (n,), attending the whole cache.

        ``bias`` (B, 1, n, capacity) hides the unwritten slots; shapes never change between steps.
        """
        bias = group_bias(bias, self.query_groups)
        for index, layer in enumerate(self.text_model.layers):
            query, key, value = _project_qkv(layer, hidden, rope)
            cache.keys[index].index_copy_(1, slots, key)
            cache.values[index].index_copy_(1, slots, value)
            attended = attend(query, cache.keys[index], cache.values[index], bias, self.attention_kernel)
            hidden = _finish_layer(layer, hidden, attended)
        return hidden

    # --- the action expert ---------------------------------------------------------------------------

    def build_flow_cache(self, prefix: Tensor, bias: Tensor, rope: Rope, suffix_len: int) -> FlowCache:
        """Run the prefix once; keep what every denoising step of the chunk needs."""
        batch, prefix_len = prefix.shape[:2]
        keys: list[Tensor | None] = [None] * self.num_vlm_layers
        values: list[Tensor | None] = [None] * self.num_vlm_layers

        def keep(index: int, key: Tensor, value: Tensor) -> None:
            expert = self.expert_layer(index)
            if expert is None:
                return
            if self.is_self_attention(index):
                keys[index] = torch.cat([key, key.new_zeros(batch, suffix_len, *key.shape[2:])], dim=1)
                values[index] = torch.cat([value, value.new_zeros(batch, suffix_len, *value.shape[2:])], dim=1)
            else:
                keys[index] = self._cross_project(expert.self_attn.k_proj, key)
                values[index] = self._cross_project(expert.self_attn.v_proj, value)

        self.vlm_forward(prefix, bias, rope, kv_sink=keep)
        return FlowCache(keys=keys, values=values, prefix_len=prefix_len)

    def _cross_project(self, projection: nn.Linear, states: Tensor) -> Tensor:
        flat = states.reshape(*states.shape[:2], -1).to(projection.weight.dtype)
        return projection(flat).view(*states.shape[:2], -1, self.head_dim)

    def expert_step(
        self,
        suffix: Tensor,
        cache: FlowCache,
        rope_self: Rope,
        rope_cross: Rope,
        bias_self: Tensor | BlockMask,
        bias_cross: Tensor | BlockMask,
    ) -> Tensor:
        """One denoising pass of the suffix (B, S, expert hidden) against the cached prefix, normed."""
        prefix_len = cache.prefix_len
        for index in range(self.num_vlm_layers):
            layer = self.expert_layer(index)
            if layer is None:
                continue
            if self.is_self_attention(index):
                query, key, value = _project_qkv(layer, suffix, rope_self)
                keys, values = cache.keys[index], cache.values[index]
                keys[:, prefix_len:] = key
                values[:, prefix_len:] = value
                attended = attend(query, keys, values, bias_self, self.attention_kernel)
            else:
                query = self._expert_query(layer, suffix, rope_cross)
                attended = attend(query, cache.keys[index], cache.values[index], bias_cross, self.attention_kernel)
            suffix = _finish_layer(layer, suffix, attended)
        return self.lm_expert.norm(suffix)

    @staticmethod
    def _expert_query(layer: nn.Module, hidden: Tensor, rope: Rope) -> Tensor:
        normed = layer.input_layernorm(hidden)
        query = layer.self_attn.q_proj(normed).view(*normed.shape[:-1], -1, layer.self_attn.head_dim)
        return rope.apply(query)

    def joint_forward(
        self,
        prefix: Tensor,
        suffix: Tensor,
        mask_bias: Tensor,
        rope: Rope,
        rope_cross: Rope,
    ) -> tuple[Tensor, Tensor]:
        """Training pass of both streams. ``mask_bias`` (B, 1, P+S, P+S); returns (prefix, suffix) unnormed/normed.

        The prefix never sees the suffix, so its output (and the text logits) do not depend on it.
        """
        prefix_len = prefix.shape[1]
        prefix_bias = mask_bias[:, :, :prefix_len, :prefix_len]
        suffix_bias = mask_bias[:, :, prefix_len:]
        cross_bias = suffix_bias[..., :prefix_len]
        rope_prefix = _slice_rope(rope, 0, prefix_len)
        rope_suffix = _slice_rope(rope, prefix_len, None)
        for index, vlm_layer in enumerate(self.text_model.layers):
            expert = self.expert_layer(index)
            query, key, value = _project_qkv(vlm_layer, prefix, rope_prefix)
            if expert is not None and self.is_self_attention(index):
                e_query, e_key, e_value = _project_qkv(expert, suffix, rope_suffix)
                attended = attend(
                    torch.cat([query, e_query.to(query.dtype)], dim=1),
                    torch.cat([key, e_key.to(key.dtype)], dim=1),
                    torch.cat([value, e_value.to(value.dtype)], dim=1),
                    mask_bias,
                )
                prefix_att, suffix_att = attended[:, :prefix_len], attended[:, prefix_len:]
            else:
                prefix_att = attend(query, key, value, prefix_bias)
                if expert is not None:
                    e_query = self._expert_query(expert, suffix, rope_cross)
                    e_key = self._cross_project(expert.self_attn.k_proj, key)
                    e_value = self._cross_project(expert.self_attn.v_proj, value)
                    suffix_att = attend(e_query, e_key, e_value, cross_bias)
            new_prefix = _finish_layer(vlm_layer, prefix, prefix_att)
            if expert is not None:
                suffix = _finish_layer(expert, suffix, suffix_att)
            prefix = new_prefix
        return prefix, self.lm_expert.norm(suffix)


def _slice_rope(rope: Rope, start: int, stop: int | None) -> Rope:
    part = Rope.__new__(Rope)
    part.cos = rope.cos[:, start:stop]
    part.sin = rope.sin[:, start:stop]
    return part
