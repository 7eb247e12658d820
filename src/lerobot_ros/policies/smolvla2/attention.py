"""Attention primitives shared by the backbone, the action expert and text generation.

SmolVLA builds its attention from two per-token vectors (big_vision's ``make_att_2d_masks``):
a padding mask, and an "att" flag that opens a new causal block. It applies its own RoPE
(wavelength 10 000, halves rotated, computed in float32) rather than the text config's, so the
rotary tables here follow SmolVLA, not transformers' Llama rotary embedding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor
from torch.nn.attention.flex_attention import BlockMask, flex_attention

ROPE_WAVELENGTH = 10_000.0


def make_att_2d_masks(pad_masks: Tensor, att_masks: Tensor) -> Tensor:
    """(B, L) padding and block flags -> (B, L, L) bool: query i sees key j iff cumsum(att)[j] <= cumsum(att)[i]."""
    if pad_masks.ndim != 2 or att_masks.ndim != 2:
        raise ValueError(f"masks must be (batch, length), got {tuple(pad_masks.shape)} and {tuple(att_masks.shape)}")
    blocks = torch.cumsum(att_masks.to(torch.int64), dim=1)
    visible = blocks[:, None, :] <= blocks[:, :, None]
    return visible & (pad_masks[:, None, :] & pad_masks[:, :, None])


def additive_bias(mask: Tensor, dtype: torch.dtype) -> Tensor:
    """(B, Lq, Lk) bool -> (B, 1, Lq, Lk) additive bias: 0 where visible, the dtype's minimum elsewhere.

    A finite minimum (not -inf) keeps fully masked rows (padding queries) finite, as SmolVLA does.
    """
    bias = torch.zeros(mask.shape, dtype=dtype, device=mask.device)
    bias.masked_fill_(~mask, torch.finfo(dtype).min)
    return bias[:, None]


class Rope:
    """Cos/sin tables for integer positions (B, L), computed once and applied to every layer."""

    def __init__(self, positions: Tensor, head_dim: int):
        half = head_dim // 2
        exponents = (2.0 / head_dim) * torch.arange(half, dtype=torch.float32, device=positions.device)
        angles = positions[..., None].to(torch.float32) / (ROPE_WAVELENGTH**exponents)
        self.cos = torch.cos(angles)[..., None, :]  # (B, L, 1, half)
        self.sin = torch.sin(angles)[..., None, :]

    def apply(self, x: Tensor) -> Tensor:
        """Rotate (B, L, H, D) by the table, in float32, back to x's dtype."""
        x32 = x.to(torch.float32)
        x1, x2 = x32.chunk(2, dim=-1)
        rotated = torch.cat((x1 * self.cos - x2 * self.sin, x2 * self.cos + x1 * self.sin), dim=-1)
        return rotated.to(x.dtype)


def group_bias(bias: Tensor, groups: int) -> Tensor:
    """(B, 1, Lq, Lk) -> (B, 1, groups * Lq, Lk): the bias of ``attend``'s folded query rows.

    ``attend`` does this itself; a pass that reuses one bias in every layer does it once up front.
    """
    return bias if groups == 1 else bias.repeat(1, 1, groups, 1)


ATTENTION_KERNELS = ("sdpa", "matmul", "flex")

# Tiles for flex attention at a batch-1 denoising step (50 queries, a few hundred keys, head dim 64).
# Measured on an H100 under a CUDA graph: 7.6 us per call against 14.2 us for cuDNN's kernel with a
# bias and 10-11 us for flash or memory-efficient attention with a lower-right causal mask
# (docs/benchmarks.md, issue 19). Two warps or 64-row query tiles were 1.3-7x slower.
STEP_FLEX_OPTIONS = {"BLOCK_M": 32, "BLOCK_N": 64, "num_warps": 4, "num_stages": 2}


def visibility_block_mask(visible: Tensor) -> BlockMask:
    """(B, Lq, Lk) bool -> a flex-attention BlockMask that applies ``visible`` element by element.

    Every tile is marked partial (none skipped as empty, none trusted as full), so the mask is exact
    whatever ``visible`` holds, and its structure never depends on the data: it is built without
    reading the mask on the host, so a CUDA graph can capture it and replay it for a new prefix. At
    the sizes of a denoising step the element-wise lookup costs nothing measurable.
    """
    if visible.ndim != 3 or visible.dtype != torch.bool:
        raise ValueError(f"visibility must be a (batch, queries, keys) bool tensor, got {visible.dtype} {tuple(visible.shape)}")
    batch, queries, keys = visible.shape
    block = 128
    query_blocks, key_blocks = -(-queries // block), -(-keys // block)
    counts = torch.full((batch, 1, query_blocks), key_blocks, dtype=torch.int32, device=visible.device)
    indices = torch.arange(key_blocks, dtype=torch.int32, device=visible.device)
    indices = indices.expand(batch, 1, query_blocks, key_blocks).contiguous()

    def lookup(b: Tensor, h: Tensor, q: Tensor, k: Tensor) -> Tensor:
        return visible[b, q, k]

    return BlockMask.from_kv_blocks(
        counts, indices, BLOCK_SIZE=block, mask_mod=lookup, seq_lengths=(queries, keys), compute_q_blocks=False
    )


def _flex_attend(query: Tensor, key: Tensor, value: Tensor, mask: BlockMask) -> Tensor:
    """``attend`` through flex attention: grouped-query attention is native there, nothing is folded."""
    batch, length, heads, dim = query.shape
    q = query.transpose(1, 2)
    k = key.transpose(1, 2).to(q.dtype)
    v = value.transpose(1, 2).to(q.dtype)
    out = flex_attention(q, k, v, block_mask=mask, enable_gqa=heads != k.shape[1], kernel_options=STEP_FLEX_OPTIONS)
    return out.transpose(1, 2).reshape(batch, length, heads * dim)


def attend(query: Tensor, key: Tensor, value: Tensor, bias: Tensor | BlockMask, kernel: str = "sdpa") -> Tensor:
    """Grouped-query attention. query (B, Lq, H, D), key/value (B, Lk, KV, D) -> (B, Lq, H*D).

    ``bias`` is (B, 1, Lq, Lk), or already grouped (B, 1, H/KV * Lq, Lk) by ``group_bias``; or a
    ``visibility_block_mask``, which runs flex attention whatever ``kernel`` says. The H/KV
    query heads that share a key/value head are folded into the query length (one attention per
    key/value head over H/KV * Lq rows) instead of repeating the keys and values H/KV times: the
    same result without copying them in every layer.

    ``kernel`` "sdpa" is torch's fused attention (cuDNN's on Hopper when a bias is given); "matmul"
    spells it out as two matrix products around a float32 softmax, which torch.compile turns into
    two GEMMs and one fused bias-softmax kernel (on an H100 no faster than cuDNN's: docs/benchmarks.md).
    "flex" is "sdpa" for tensor biases: it names the choice to build the denoising steps' masks as
    block masks (``core``), where flex attention's compiled kernel takes half cuDNN's time.
    """
    if kernel not in ATTENTION_KERNELS:
        raise ValueError(f"attention kernel {kernel!r} is not one of {ATTENTION_KERNELS}")
    if isinstance(bias, BlockMask):
        return _flex_attend(query, key, value, bias)
    batch, length, heads, dim = query.shape
    kv_heads = key.shape[2]
    groups = heads // kv_heads
    q = query.reshape(batch, length, kv_heads, groups, dim).permute(0, 2, 3, 1, 4)
    q = q.reshape(batch, kv_heads, groups * length, dim)
    k = key.transpose(1, 2).to(q.dtype)
    v = value.transpose(1, 2).to(q.dtype)
    if bias.shape[-2] != groups * length:
        bias = group_bias(bias, groups)
    if kernel != "matmul":
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype))
    else:
        scores = torch.matmul(q, k.transpose(-1, -2)).float() * dim**-0.5 + bias.float()
        out = torch.matmul(scores.softmax(dim=-1).to(q.dtype), v)
    return out.view(batch, kv_heads, groups, length, dim).permute(0, 3, 1, 2, 4).reshape(batch, length, heads * dim)
