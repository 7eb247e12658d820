"""The pi0.5 network: prefix/suffix embedding, attention layout, flow loss and action sampling.

Sequence layout (LeRobot's PI05Pytorch):

    prefix = [image tokens per camera | language tokens]   (the prompt carries the state as text)
    suffix = [chunk_size noisy-action tokens]              (the flow time enters through AdaRMS)

The prefix is one bidirectional block, except language tokens flagged ``causal`` (PI052's
supervised spans, e.g. the subtask), each of which opens a block of its own so next-token
prediction on them is not a copy task. The suffix opens a block: actions see the whole prefix and
each other, the prefix never sees them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn
from transformers import GemmaConfig, PaliGemmaConfig

from .backbone import KeyValues, PaliGemmaWithExpert, Stream, attention_bias
from .configuration import GEMMA_VARIANTS, PI052Config
from ..rtc import RTCGuidance
from .flow import euler_integrate, interpolate, time_embedding
from ..smolvla2.attention import make_att_2d_masks

EXPERT_CONFIG_FILE = "expert_config.json"
GEMMA_VOCAB = 257_152
FLOAT32_PARTS = ("vision_tower", "multi_modal_projector", "input_layernorm", "post_attention_layernorm", "model.norm")


def _gemma(variant: str, vocab: int) -> GemmaConfig:
    size = GEMMA_VARIANTS[variant]
    return GemmaConfig(
        vocab_size=vocab, hidden_size=size["width"], intermediate_size=size["mlp_dim"],
        num_hidden_layers=size["depth"], num_attention_heads=size["num_heads"],
        num_key_value_heads=size["num_kv_heads"], head_dim=size["head_dim"], hidden_activation="gelu_pytorch_tanh",
    )


def model_configs(config: PI052Config, vlm_folder: str | Path | None) -> tuple[PaliGemmaConfig, GemmaConfig]:
    """The PaliGemma and expert configs: from a folder holding ``config.json`` and
    ``expert_config.json`` (tiny models, saved checkpoints), else LeRobot's full pi0.5 sizes."""
    folder = Path(vlm_folder) if vlm_folder else None
    if folder is not None and (folder / "config.json").is_file():
        vlm = PaliGemmaConfig.from_pretrained(folder)
        expert = GemmaConfig.from_json_file(folder / EXPERT_CONFIG_FILE)
    else:
        vlm = PaliGemmaConfig(text_config=_gemma(config.paligemma_variant, GEMMA_VOCAB).to_dict())
        vlm.vision_config.intermediate_size = 4304
        vlm.image_token_index = GEMMA_VOCAB
        expert = _gemma(config.action_expert_variant, GEMMA_VOCAB)
    vlm.vision_config.image_size = config.image_resolution[0]
    vlm.vision_config.vision_use_head = False
    vlm.vision_config.projection_dim = vlm.text_config.hidden_size
    vlm.vision_config.projector_hidden_act = "gelu_fast"
    return vlm, expert


@dataclass
class Prefix:
    """Embedded prefix with its padding mask, block flags and where the language span sits."""

    embeddings: Tensor  # (B, P, width)
    pad: Tensor  # (B, P) bool
    att: Tensor  # (B, P) bool: True opens a new block
    lang_start: int


class PI05Model(nn.Module):
    """PaliGemma + expert with pi0.5's projections around the expert (LeRobot's ``model``)."""

    def __init__(self, config: PI052Config, vlm_config: PaliGemmaConfig, expert_config: GemmaConfig):
        super().__init__()
        self.config = config
        self.paligemma_with_expert = PaliGemmaWithExpert(vlm_config, expert_config)
        width = expert_config.hidden_size
        self.action_in_proj = nn.Linear(config.max_action_dim, width)
        self.action_out_proj = nn.Linear(width, config.max_action_dim)
        self.time_mlp_in = nn.Linear(width, width)
        self.time_mlp_out = nn.Linear(width, width)
        self._init_gemma_weights(vlm_config.text_config.initializer_range)
        if config.dtype == "bfloat16":
            self.set_backbone_dtype(torch.bfloat16)

    def set_backbone_dtype(self, dtype: torch.dtype) -> None:
        """The backbone in ``dtype`` as LeRobot's ``dtype: bfloat16`` does: the vision path and the
        norms stay float32, and so do the action/time projections around the expert."""
        self.paligemma_with_expert.to(dtype)
        for name, param in self.paligemma_with_expert.named_parameters():
            if any(part in name for part in FLOAT32_PARTS):
                param.data = param.data.float()

    def _init_gemma_weights(self, std: float) -> None:
        """Gemma's initialization for the language model and the expert (a fresh model; checkpoints
        overwrite it): normal(0, std) projections and embedding, zero biases; the norms' own zero
        init (scale 1 + 0) and the AdaRMS modulation's zero weights are kept."""
        backbone = self.paligemma_with_expert
        for stack in (backbone.language_model, backbone.gemma_expert):
            for name, module in stack.named_modules():
                if isinstance(module, (nn.Linear, nn.Embedding)) and not name.endswith("dense"):
                    nn.init.normal_(module.weight, std=std)
                    if getattr(module, "bias", None) is not None:
                        nn.init.zeros_(module.bias)

    @property
    def dtype(self) -> torch.dtype:
        return self.action_in_proj.weight.dtype

    def embed_prefix(self, images: list[Tensor], image_masks: list[Tensor], tokens: Tensor, token_mask: Tensor,
                     causal: Tensor | None = None) -> Prefix:
        backbone = self.paligemma_with_expert
        embs, pads, atts = [], [], []
        for image, mask in zip(images, image_masks):
            emb = backbone.embed_images(image.to(self.dtype))
            batch, count = emb.shape[:2]
            embs.append(emb)
            pads.append(mask[:, None].expand(batch, count))
            atts.append(torch.zeros(batch, count, dtype=torch.bool, device=emb.device))
        lang_start = sum(e.shape[1] for e in embs)
        embs.append(backbone.embed_tokens(tokens))
        pads.append(token_mask.bool())
        atts.append(causal.bool() if causal is not None else torch.zeros_like(token_mask, dtype=torch.bool))
        return Prefix(torch.cat(embs, 1), torch.cat(pads, 1), torch.cat(atts, 1), lang_start)

    def embed_suffix(self, noisy_actions: Tensor, time: Tensor) -> tuple[Tensor, Tensor]:
        """Action tokens and the AdaRMS conditioning (an MLP of the flow time's sine-cosine embedding)."""
        width = self.action_in_proj.out_features
        time_emb = time_embedding(time, width, self.config.min_period, self.config.max_period).to(time.dtype)
        actions = self.action_in_proj(noisy_actions.to(self.dtype))
        cond = F.silu(self.time_mlp_out(F.silu(self.time_mlp_in(time_emb.to(self.dtype)))))
        return actions, cond

    def velocity(self, suffix_out: Tensor) -> Tensor:
        return self.action_out_proj(suffix_out[:, -self.config.chunk_size :].to(self.dtype)).float()

    # --- training ------------------------------------------------------------------------------------

    def training_pass(
        self, prefix: Prefix, actions: Tensor | None, noise: Tensor | None, time: Tensor | None, fast_len: int = 0
    ) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """One joint pass: (prefix hidden, velocity, velocity target); only the prefix without actions.

        ``fast_len`` trailing prefix tokens are FAST tokens: the action tokens never see them (they
        encode the very actions being denoised) and take their positions as if they were absent, so
        training and inference place the suffix alike.
        """
        backbone = self.paligemma_with_expert
        if actions is None:
            bias = attention_bias(make_att_2d_masks(prefix.pad, prefix.att))
            positions = torch.cumsum(prefix.pad.long(), dim=1) - 1
            (hidden,), _ = backbone.run([Stream(backbone.language_model, prefix.embeddings)], bias, positions)
            return hidden, None, None
        noisy, target = interpolate(actions, noise, time)
        suffix, cond = self.embed_suffix(noisy, time)
        steps = suffix.shape[1]
        ones = torch.ones(suffix.shape[0], steps, dtype=torch.bool, device=suffix.device)
        first = torch.zeros_like(ones)
        first[:, 0] = True
        pad = torch.cat([prefix.pad, ones], 1)
        visible = make_att_2d_masks(pad, torch.cat([prefix.att, first], 1))
        prefix_len = prefix.pad.shape[1]
        base_len = prefix_len - fast_len
        positional = pad.clone()
        if fast_len:
            visible[:, prefix_len:, base_len:prefix_len] = False
            positional[:, base_len:prefix_len] = False
        positions = torch.cumsum(positional.long(), dim=1) - 1
        if fast_len:
            base_count = positional[:, :base_len].sum(1, keepdim=True)
            positions[:, base_len:prefix_len] = base_count + torch.cumsum(prefix.pad[:, base_len:].long(), 1) - 1
        streams = [Stream(backbone.language_model, prefix.embeddings), Stream(backbone.expert, suffix, cond)]
        (prefix_out, suffix_out), _ = backbone.run(streams, attention_bias(visible), positions)
        return prefix_out, self.velocity(suffix_out), target

    # --- inference -----------------------------------------------------------------------------------

    def prefix_cache(self, prefix: Prefix) -> tuple[Tensor, KeyValues]:
        """The prefix pass once: its hidden states and every layer's keys/values."""
        backbone = self.paligemma_with_expert
        bias = attention_bias(make_att_2d_masks(prefix.pad, prefix.att))
        positions = torch.cumsum(prefix.pad.long(), dim=1) - 1
        (hidden,), cache = backbone.run([Stream(backbone.language_model, prefix.embeddings)], bias, positions,
                                        keep=True)
        return hidden, cache

    def sample_actions(self, prefix: Prefix, noise: Tensor, guidance: RTCGuidance | None = None) -> Tensor:
        """Normalized, padded actions (B, chunk, max_action_dim): Euler steps over one prefix cache;
        ``guidance``: real-time chunking toward the running chunk (SmolVLA2's :mod:`rtc`)."""
        _, cache = self.prefix_cache(prefix)
        batch, steps = noise.shape[:2]
        prefix_len = prefix.pad.shape[1]
        causal = torch.ones(batch, steps, steps, dtype=torch.bool, device=noise.device)  # one block: all see all
        visible = torch.cat([prefix.pad[:, None, :].expand(batch, steps, prefix_len), causal], 2)
        bias = attention_bias(visible)
        positions = prefix.pad.sum(1, keepdim=True) + torch.arange(steps, device=noise.device)[None]
        expert = self.paligemma_with_expert.expert

        def velocity(x: Tensor, time: Tensor) -> Tensor:
            suffix, cond = self.embed_suffix(x, time)
            (out,), _ = self.paligemma_with_expert.run([Stream(expert, suffix, cond)], bias, positions, past=cache)
            return self.velocity(out)

        return euler_integrate(velocity, noise, self.config.num_inference_steps, guidance)
