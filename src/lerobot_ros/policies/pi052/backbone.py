"""PaliGemma (SigLIP tower, projector, Gemma language model) beside the Gemma action expert.

The two streams attend jointly, layer by layer (openpi's ``PaliGemmaWithExpertModel``): each stream
normalizes and projects its own tokens with its own weights, queries/keys/values are concatenated
along the sequence, one attention runs over them, and each stream takes its slice back through its
own output projection and MLP. With only the prefix the same loop fills a key/value cache; the
action expert's denoising steps then attend to that cache (10 Euler steps, one prefix pass).

The attention is transformers' eager Gemma attention (scores in the input dtype, softmax in float32,
an additive mask with openpi's large negative constant), and the rotary tables are transformers'
Gemma ones, so results match LeRobot's PI05Policy to float32 rounding. Attribute names are
LeRobot's (``paligemma.model.vision_tower``, ``gemma_expert.model.layers``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from transformers import GemmaConfig, PaliGemmaConfig, SiglipVisionModel
from transformers.models.gemma.modeling_gemma import apply_rotary_pos_emb
from transformers.models.paligemma.modeling_paligemma import PaliGemmaMultiModalProjector

from .expert import GemmaCausalLM, GemmaLayer, GemmaStack

MASK_VALUE = -2.3819763e38  # openpi's masked-attention logit (LeRobot's OPENPI_ATTENTION_MASK_VALUE)


def attention_bias(visible: Tensor) -> Tensor:
    """(B, Lq, Lk) bool -> (B, 1, Lq, Lk) float32 additive mask."""
    return torch.where(visible[:, None], 0.0, MASK_VALUE)


@dataclass
class Stream:
    """One stream's tokens in a pass: the stack whose weights process them, its hidden states and
    the AdaRMS conditioning (None for the language model)."""

    stack: GemmaStack
    hidden: Tensor
    cond: Tensor | None = None


KeyValues = list[tuple[Tensor, Tensor]]  # per layer: post-rotary keys and values (B, kv_heads, L, head_dim)


class VisionTower(nn.Module):
    """SigLIP under ``vision_model``: the checkpoint layout (``vision_tower.vision_model.*``) of the
    transformers LeRobot 0.6.1 pins, whichever layout the installed transformers' SiglipVisionModel has."""

    def __init__(self, config):
        super().__init__()
        siglip = SiglipVisionModel(config)
        self.vision_model = getattr(siglip, "vision_model", siglip)

    def forward(self, images: Tensor) -> Tensor:
        return self.vision_model(pixel_values=images).last_hidden_state


class PaliGemmaParts(nn.Module):
    """PaliGemma's ``model``: vision tower, projector and (here, pi0.5's) Gemma language model."""

    def __init__(self, config: PaliGemmaConfig):
        super().__init__()
        self.vision_tower = VisionTower(config.vision_config)
        self.multi_modal_projector = PaliGemmaMultiModalProjector(config)
        self.language_model = GemmaStack(config.text_config, adaptive=False)


class PaliGemma(nn.Module):
    def __init__(self, config: PaliGemmaConfig):
        super().__init__()
        self.config = config
        self.model = PaliGemmaParts(config)
        self.lm_head = nn.Linear(config.text_config.hidden_size, config.text_config.vocab_size, bias=False)
        self.lm_head.weight = self.model.language_model.embed_tokens.weight  # tied, as PaliGemma's


class PaliGemmaWithExpert(nn.Module):
    def __init__(self, vlm_config: PaliGemmaConfig, expert_config: GemmaConfig):
        super().__init__()
        text = vlm_config.text_config
        for name in ("num_hidden_layers", "head_dim", "num_key_value_heads"):
            if getattr(text, name) != getattr(expert_config, name):
                raise ValueError(
                    f"the language model and the action expert must share {name} (they attend jointly): "
                    f"{getattr(text, name)} vs {getattr(expert_config, name)}"
                )
        self.paligemma = PaliGemma(vlm_config)
        self.gemma_expert = GemmaCausalLM(expert_config, adaptive=True)

    @property
    def language_model(self) -> GemmaStack:
        return self.paligemma.model.language_model

    @property
    def expert(self) -> GemmaStack:
        return self.gemma_expert.model

    def embed_images(self, images: Tensor) -> Tensor:
        """(B, 3, H, W) in [-1, 1] -> (B, patches, width); the vision path runs in float32."""
        parts = self.paligemma.model
        hidden = parts.vision_tower(images.float())
        return parts.multi_modal_projector(hidden).to(images.dtype)

    def embed_tokens(self, tokens: Tensor) -> Tensor:
        return self.language_model.embed_tokens(tokens)

    def lm_logits(self, hidden: Tensor) -> Tensor:
        return self.paligemma.lm_head(hidden.to(self.paligemma.lm_head.weight.dtype))

    def run(
        self,
        streams: Sequence[Stream],
        bias: Tensor,
        positions: Tensor,
        past: KeyValues | None = None,
        keep: bool = False,
    ) -> tuple[list[Tensor], KeyValues | None]:
        """Every layer over the streams' concatenated tokens; returns each stream's normed output and,
        with ``keep``, the keys/values of every layer (for a later pass with ``past``)."""
        first = self.language_model.layers[0].self_attn
        dtype = first.q_proj.weight.dtype
        hidden = [s.hidden.to(dtype) for s in streams]
        kept: KeyValues = []
        for index in range(len(self.language_model.layers)):
            layers: list[GemmaLayer] = [s.stack.layers[index] for s in streams]
            parts = [layer.qkv(h, s.cond) for layer, h, s in zip(layers, hidden, streams)]
            q = torch.cat([p[0] for p in parts], dim=2)
            k = torch.cat([p[1] for p in parts], dim=2)
            v = torch.cat([p[2] for p in parts], dim=2)
            cos, sin = self.language_model.rotary_emb(q.new_zeros(q.shape[0], q.shape[2], q.shape[-1]), positions)
            q, k = apply_rotary_pos_emb(q, k, cos, sin, unsqueeze_dim=1)
            if past is not None:
                k = torch.cat([past[index][0], k], dim=2)
                v = torch.cat([past[index][1], v], dim=2)
            if keep:
                kept.append((k, v))
            attended = _eager_attention(q, k, v, bias, first.scaling)
            start = 0
            for i, (layer, h, s) in enumerate(zip(layers, hidden, streams)):
                end = start + h.shape[1]
                hidden[i] = layer.finish(h, attended[:, start:end], parts[i][3], s.cond)
                start = end
        outputs = [s.stack.norm(h, s.cond)[0] for s, h in zip(streams, hidden)]
        return outputs, (kept if keep else None)


def _eager_attention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, scaling: float) -> Tensor:
    """transformers' eager attention: (B, H, Lq, D) x (B, KV, Lk, D) -> (B, Lq, H * D)."""
    groups = q.shape[1] // k.shape[1]
    if groups > 1:
        k = k.repeat_interleave(groups, dim=1)
        v = v.repeat_interleave(groups, dim=1)
    scores = torch.matmul(q, k.transpose(2, 3)) * scaling + bias.to(q.dtype)
    weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
    out = torch.matmul(weights, v).transpose(1, 2)
    return out.reshape(q.shape[0], q.shape[2], -1)
