"""pi0.5's Gemma decoder stack: transformers' Gemma attention projections and MLP, with adaptive RMSNorm.

Both streams of pi0.5 are this stack: the PaliGemma language model (plain RMSNorm, scale
``1 + weight``) and the action expert, whose norms are modulated by the flow time (AdaRMS: a linear
map of the time embedding gives a scale, a shift and a gate; the gate scales the residual branch).
Module and parameter names are LeRobot's (``input_layernorm.dense``, ``self_attn.q_proj``, ...),
so state dicts load either way. The attention itself is computed by the backbone, which runs the
two streams jointly (see backbone.py); a layer here only provides its pieces.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from transformers import GemmaConfig
from transformers.models.gemma.modeling_gemma import GemmaAttention, GemmaMLP, GemmaRotaryEmbedding


class AdaptiveRMSNorm(nn.Module):
    """Gemma's RMSNorm, or with ``cond_dim`` the AdaRMS variant; returns (normed, gate or None)."""

    def __init__(self, dim: int, eps: float = 1e-6, cond_dim: int | None = None):
        super().__init__()
        self.eps = eps
        self.cond_dim = cond_dim
        if cond_dim is None:
            self.weight = nn.Parameter(torch.zeros(dim))
            self.dense = None
        else:
            self.dense = nn.Linear(cond_dim, dim * 3)
            nn.init.zeros_(self.dense.weight)

    def forward(self, x: Tensor, cond: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        variance = torch.mean(torch.square(x.float()), dim=-1, keepdim=True)
        normed = x * torch.rsqrt(variance + self.eps)  # float32 statistics, as Gemma and openpi
        if self.dense is None:
            return (normed * (1.0 + self.weight.float())).type_as(x), None
        if cond is None:
            raise ValueError("this norm is adaptive: it needs the flow-time conditioning")
        scale, shift, gate = self.dense(cond.to(self.dense.weight.dtype))[:, None].chunk(3, dim=-1)
        return (normed * (1 + scale.float()) + shift.float()).to(x.dtype), gate.to(x.dtype)


def gated_residual(x: Tensor, y: Tensor, gate: Tensor | None) -> Tensor:
    return x + y if gate is None else x + y * gate


class GemmaLayer(nn.Module):
    """One decoder layer's parameters: norms, attention projections (GemmaAttention) and MLP (GemmaMLP)."""

    def __init__(self, config: GemmaConfig, index: int, cond_dim: int | None):
        super().__init__()
        self.self_attn = GemmaAttention(config=config, layer_idx=index)
        self.mlp = GemmaMLP(config)
        self.input_layernorm = AdaptiveRMSNorm(config.hidden_size, config.rms_norm_eps, cond_dim)
        self.post_attention_layernorm = AdaptiveRMSNorm(config.hidden_size, config.rms_norm_eps, cond_dim)

    def qkv(self, hidden: Tensor, cond: Tensor | None) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
        """Norm, then (B, heads, L, head_dim) queries, keys, values; and the attention-branch gate."""
        normed, gate = self.input_layernorm(hidden, cond)
        attn = self.self_attn
        shape = (*normed.shape[:-1], -1, attn.head_dim)
        q, k, v = (proj(normed).view(shape).transpose(1, 2) for proj in (attn.q_proj, attn.k_proj, attn.v_proj))
        return q, k, v, gate

    def finish(self, hidden: Tensor, attended: Tensor, gate: Tensor | None, cond: Tensor | None) -> Tensor:
        """Output projection and gated residual, then the MLP branch (B, L, width)."""
        out = self.self_attn.o_proj(attended.to(self.self_attn.o_proj.weight.dtype))
        hidden = gated_residual(hidden, out, gate)
        normed, gate = self.post_attention_layernorm(hidden, cond)
        if self.mlp.up_proj.weight.dtype == torch.bfloat16:
            normed = normed.to(torch.bfloat16)
        return gated_residual(hidden, self.mlp(normed), gate)


class GemmaStack(nn.Module):
    """Token embedding (scaled by sqrt(width), as Gemma's), layers, final norm and rotary tables."""

    def __init__(self, config: GemmaConfig, *, adaptive: bool, embeddings: bool = True):
        super().__init__()
        self.config = config
        cond_dim = config.hidden_size if adaptive else None
        if embeddings:
            from transformers.models.gemma.modeling_gemma import GemmaTextScaledWordEmbedding

            self.embed_tokens = GemmaTextScaledWordEmbedding(
                config.vocab_size, config.hidden_size, config.pad_token_id, embed_scale=config.hidden_size**0.5
            )
        self.layers = nn.ModuleList(GemmaLayer(config, i, cond_dim) for i in range(config.num_hidden_layers))
        self.norm = AdaptiveRMSNorm(config.hidden_size, config.rms_norm_eps, cond_dim)
        self.rotary_emb = GemmaRotaryEmbedding(config=config)


class GemmaCausalLM(nn.Module):
    """A Gemma stack under ``model`` with its ``lm_head`` (LeRobot's key layout for the expert)."""

    def __init__(self, config: GemmaConfig, *, adaptive: bool):
        super().__init__()
        self.model = GemmaStack(config, adaptive=adaptive, embeddings=False)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
