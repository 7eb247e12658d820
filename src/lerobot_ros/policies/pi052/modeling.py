"""PI052Policy: pi0.5 actions from the flow-matching expert, text from PaliGemma's LM head.

Batches (as SmolVLA2Policy's): raw-unit state and actions (normalized here with the dataset
statistics), images in [0, 1] (pad-resized and scaled here), language tokens with their padding
mask and, for PI052, ``causal`` flags and ``text_labels`` from the chat tokenizer.

* Type "pi05" (a LeRobot pi05 checkpoint): the language tokens are pi0.5's whole prompt,
  ``"Task: ..., State: <bins>;\\nAction: "`` (``pi05_language`` builds them as LeRobot's
  preprocessor does).
* Type "pi052": the language tokens are a chat; the policy appends ``"State: <bins>;\\nAction: "``
  for actions (prompt.py). ``select_message`` sees the chat only, as SmolVLA2's does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from . import checkpoint
from ..config_json import ACTION_KEY, STATE_KEY
from ..language_head import CAUSAL_KEY, FAST_KEY, MASK_KEY, TOKENS_KEY, LanguageHeadPolicy
from ..rtc import ChunkPrefix, RTCConfig
from ..smolvla2.images import observation_to_batch
from .configuration import PI052Config
from .core import PI05Model, Prefix, model_configs
from .flow import sample_time
from .generation import SamplingOptions, decode_with_cache, decode_without_cache
from .normalization import DEFAULT_EPS, Normalizer, Stats, as_stats
from .prompt import CHAT_TEMPLATE, pi05_language, state_suffix


def resize_with_pad(images: Tensor, size: int) -> Tensor:
    """(B, C, H, W) in [0, 1] -> (B, C, size, size): aspect-preserving bilinear resize, centered zero
    padding, clamped to [0, 1] (openpi's ``resize_with_pad_torch``)."""
    height, width = images.shape[2:]
    ratio = max(width / size, height / size)
    new_h, new_w = int(height / ratio), int(width / ratio)
    resized = F.interpolate(images, size=(new_h, new_w), mode="bilinear", align_corners=False).clamp(0.0, 1.0)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    return F.pad(resized, (left, size - new_w - left, top, size - new_h - top), value=0.0)


class PI052Policy(LanguageHeadPolicy, nn.Module):
    """pi0.5 with a language head; loads and saves LeRobot pi05 checkpoints."""

    def __init__(
        self,
        config: PI052Config,
        dataset_stats: Mapping[str, Mapping[str, object]] | None = None,
        *,
        tokenizer: PreTrainedTokenizerBase | None = None,
        vlm_folder: str | Path | None = None,
        eps: float = DEFAULT_EPS,
    ):
        super().__init__()
        self.config = config
        self.tokenizer = tokenizer if tokenizer is not None else AutoTokenizer.from_pretrained(config.vlm_model_name)
        self.model = PI05Model(config, *model_configs(config, vlm_folder or config.vlm_model_name))
        self.normalizer = Normalizer(as_stats(dataset_stats), config.normalization_mapping, eps)
        self.tokenizer_hub_id: str | None = None  # the Hub tokenizer a loaded checkpoint's processor named
        self.set_requires_grad()

    @property
    def device(self) -> torch.device:
        return self.model.action_in_proj.weight.device

    def set_requires_grad(self) -> None:
        """LeRobot's freezing (vision tower, or everything but the expert); the expert's LM head is never used."""
        backbone = self.model.paligemma_with_expert
        for param in backbone.paligemma.parameters():
            param.requires_grad = not (self.config.train_expert_only and not self.config.trains_text)
        if self.config.freeze_vision_encoder:
            for param in backbone.paligemma.model.vision_tower.parameters():
                param.requires_grad = False
        backbone.gemma_expert.lm_head.weight.requires_grad = False

    def enable_language_head(self) -> None:
        """Turn a LeRobot "pi05" policy into a "pi052" one: chat prompts (PaliGemma's chat format when
        the tokenizer has no template of its own), the state after the chat, the LM head trained."""
        self.config.type = "pi052"
        if getattr(self.tokenizer, "chat_template", None) is None:
            self.tokenizer.chat_template = CHAT_TEMPLATE
        self.set_requires_grad()

    def set_stats(self, dataset_stats: Mapping[str, Mapping[str, object]]) -> None:
        self.normalizer.set_stats(as_stats(dataset_stats))

    def stats(self) -> Stats:
        return self.normalizer.stats()

    # --- inputs --------------------------------------------------------------------------------------

    def prepare_observation(self, images: Mapping[str, np.ndarray], state: np.ndarray) -> dict[str, Tensor]:
        """Camera frames (HxWx3 uint8) and a raw state vector -> a batch of one on the policy's device."""
        return observation_to_batch(images, state, self.config, self.device)

    def pi05_language(self, tasks: Sequence[str], state: Tensor) -> dict[str, Tensor]:
        """pi0.5's prompt tokens for tasks and raw states, as LeRobot's preprocessor builds them."""
        normalized = self.normalizer.normalize(STATE_KEY, state.to(self.device))
        out = pi05_language(self.tokenizer, tasks, normalized, self.config.tokenizer_max_length)
        return {key: value.to(self.device) for key, value in out.items()}

    def _images(self, batch: Mapping[str, Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """The cameras at the model's resolution in [-1, 1]; configured cameras missing from the batch
        become all -1 images with mask 0 (LeRobot's PI05Policy)."""
        present = [key for key in self.config.image_features if key in batch]
        if not present:
            raise ValueError(f"none of the policy's cameras {self.config.image_features} is in the batch "
                             f"(keys: {sorted(batch)})")
        size = self.config.image_resolution[0]
        images, masks = [], []
        for key in present:
            image = batch[key]
            image = image[:, -1] if image.ndim == 5 else image
            if image.dtype == torch.uint8:
                raise ValueError(f"{key}: images must be float in [0, 1], got uint8")
            image = image.to(self.device, torch.float32)
            if tuple(image.shape[2:]) != (size, size):
                image = resize_with_pad(image, size)
            images.append(image * 2.0 - 1.0)
            masks.append(torch.ones(image.shape[0], dtype=torch.bool, device=self.device))
        for _ in range(len(self.config.image_features) - len(present)):
            images.append(torch.full_like(images[-1], -1.0))
            masks.append(torch.zeros_like(masks[-1]))
        return images, masks

    def fast_token_ids(self, fast: Tensor) -> Tensor:
        """FAST id f -> LM vocabulary row ``vocab - 1 - fast_skip_tokens - f`` (the tail, as pi0-FAST)."""
        vocab = self.model.paligemma_with_expert.paligemma.lm_head.out_features
        if int(fast.max()) >= self.config.fast_vocab_size:
            raise ValueError(f"FAST id {int(fast.max())} is outside fast_vocab_size {self.config.fast_vocab_size}")
        if vocab - self.config.fast_skip_tokens - self.config.fast_vocab_size < len(self.tokenizer):
            raise ValueError(f"the LM head's {vocab} rows leave no room for {self.config.fast_vocab_size} FAST "
                             f"tokens above the tokenizer's {len(self.tokenizer)} (fast_skip_tokens "
                             f"{self.config.fast_skip_tokens})")
        return vocab - 1 - self.config.fast_skip_tokens - fast

    def action_affine(self) -> tuple[Tensor, Tensor]:
        """The action normalization as (x - center) / scale (QUANTILES: the q01..q99 middle and half
        span), so FAST tokenizes actions exactly as the flow loss sees them."""
        stats = self.stats()["action"]
        mode = self.config.normalization_mapping.get("ACTION", "IDENTITY")
        if mode == "QUANTILES":
            span = stats["q99"] - stats["q01"]
            span = torch.where(span == 0, torch.full_like(span, self.normalizer.eps), span)
            return stats["q01"] + span / 2, span / 2
        if mode == "MEAN_STD":
            return stats["mean"], stats["std"] + self.normalizer.eps
        return torch.zeros_like(stats["mean"]), torch.ones_like(stats["mean"])

    def _prefix(self, batch: Mapping[str, Tensor], *, with_state: bool = True, fast: Tensor | None = None) -> Prefix:
        for key in (TOKENS_KEY, MASK_KEY):
            if key not in batch:
                raise ValueError(f"batch has no {key!r} (keys: {sorted(batch)})")
        tokens, mask = batch[TOKENS_KEY].long().to(self.device), batch[MASK_KEY].bool().to(self.device)
        causal = batch.get(CAUSAL_KEY)
        causal = causal.bool().to(self.device) if causal is not None else torch.zeros_like(mask)
        if self.config.chat_prompt and with_state:
            if STATE_KEY not in batch:
                raise ValueError(f"batch has no {STATE_KEY!r} (keys: {sorted(batch)})")
            raw = batch[STATE_KEY]
            raw = raw[:, -1] if raw.ndim > 2 else raw
            state_ids, state_mask = state_suffix(
                self.tokenizer, self.normalizer.normalize(STATE_KEY, raw.to(self.device)), self.device
            )
            opens = torch.zeros_like(state_mask)
            opens[:, 0] = True  # the state text is a block of its own after the chat
            tokens, mask = torch.cat([tokens, state_ids], 1), torch.cat([mask, state_mask], 1)
            causal = torch.cat([causal, opens], 1)
        if fast is not None:  # causal FAST tokens after the state text; padding (-1) masked
            fast = fast.to(self.device)
            fast_mask = fast >= 0
            tokens = torch.cat([tokens, torch.where(fast_mask, self.fast_token_ids(fast.clamp(min=0)), 0)], 1)
            mask, causal = torch.cat([mask, fast_mask], 1), torch.cat([causal, torch.ones_like(fast_mask)], 1)
        images, image_masks = self._images(batch)
        return self.model.embed_prefix(images, image_masks, tokens, mask, causal)

    # --- training ------------------------------------------------------------------------------------

    def forward(self, batch: Mapping[str, Tensor], *, noise: Tensor | None = None, time: Tensor | None = None
                ) -> tuple[Tensor, dict[str, float]]:
        """Weighted flow-matching (+ PI052 text and FAST) loss, and each part as a float.

        ``noise``/``time`` fix the flow sample (tests); by default they are drawn as LeRobot does.
        """
        config = self.config
        fast = batch.get(FAST_KEY) if config.enable_fast_action_loss and config.chat_prompt else None
        prefix = self._prefix(batch, fast=fast)
        fast_len = 0 if fast is None else fast.shape[1]
        batch_size = prefix.pad.shape[0]
        predict = batch.get("predict_actions")
        predict = torch.ones(batch_size, dtype=torch.bool, device=self.device) if predict is None else predict.bool()
        actions = None
        if ACTION_KEY in batch and bool(predict.any()):
            normalized = self.normalizer.normalize(ACTION_KEY, batch[ACTION_KEY].to(self.device))
            actions = F.pad(normalized, (0, config.max_action_dim - normalized.shape[-1]))
            noise = torch.randn_like(actions) if noise is None else noise.to(actions)
            time = sample_time(batch_size, config, self.device) if time is None else time.to(actions)
        prefix_out, velocity, target = self.model.training_pass(prefix, actions, noise, time, fast_len)
        parts: dict[str, Tensor] = {}
        total = prefix_out.new_zeros((), dtype=torch.float32)
        if velocity is not None:
            losses = F.mse_loss(target, velocity, reduction="none")[:, :, : config.action_dim]
            if config.chat_prompt and "action_is_pad" in batch:
                losses = losses * (~batch["action_is_pad"].bool().to(self.device))[..., None]
            parts["flow_loss"] = losses[predict].mean()
            weight = config.flow_loss_weight if config.chat_prompt else 1.0
            total = total + weight * parts["flow_loss"]
        if config.trains_text and "text_labels" in batch:
            length = batch[TOKENS_KEY].shape[1]
            chat = prefix_out[:, prefix.lang_start : prefix.lang_start + length]
            parts["text_loss"] = self._next_token_loss(chat, batch["text_labels"].long().to(self.device))
            total = total + config.text_loss_weight * parts["text_loss"]
        if fast is not None:  # after the state text
            parts["fast_loss"] = self._fast_loss(prefix_out, fast)
            total = total + config.fast_loss_weight * parts["fast_loss"]
        return total, {"loss": float(total.detach()), **{k: float(v.detach()) for k, v in parts.items()}}

    def _lm_logits(self, hidden: Tensor) -> Tensor:
        return self.model.paligemma_with_expert.lm_logits(hidden)

    # --- inference -----------------------------------------------------------------------------------

    @torch.no_grad()
    def predict_action_chunk(self, batch: Mapping[str, Tensor], *, noise: Tensor | None = None,
                             rtc: ChunkPrefix | None = None, rtc_config: RTCConfig = RTCConfig()) -> Tensor:
        """(B, chunk, action_dim) actions in raw units; ``rtc``: real-time chunking, the running chunk's
        left-over actions in raw units (normalized here) and the inference delay."""
        guidance = None if rtc is None else self._guidance(rtc, rtc_config)
        return self.normalizer.unnormalize(
            ACTION_KEY, self.predict_action_chunk_normalized(batch, noise=noise, guidance=guidance))

    @torch.no_grad()
    def generate_tokens(self, batch: Mapping[str, Tensor], *, max_new_tokens: int = 64, min_new_tokens: int = 0,
                        temperature: float = 0.0, top_p: float = 1.0, generator: torch.Generator | None = None,
                        use_cache: bool = True) -> list[int]:
        """Token ids generated after the prompt (stop token excluded); see select_message."""
        options = SamplingOptions(max_new_tokens, min_new_tokens, temperature, top_p)
        prefix = self._text_prompt(batch)
        tokenizer = self.tokenizer
        choice = {
            "special_ids": torch.tensor(sorted(set(tokenizer.all_special_ids)), device=self.device),
            "stop_ids": {tokenizer.eos_token_id} - {None},
            "generator": generator,
        }
        decode = decode_with_cache if use_cache else decode_without_cache
        return decode(self.model, prefix, options, len(tokenizer), **choice)

    # --- checkpoints ---------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, *, device: torch.device | str | None = None,
                        torch_dtype: torch.dtype | None = None, vlm: str | Path | None = None) -> PI052Policy:
        """Load a LeRobot pi05 / our pi052 checkpoint (local folder or Hub id) with strict keys.

        The PaliGemma config and tokenizer come from ``vlm`` if given, else the folder's ``vlm/``, else
        the tokenizer the preprocessor names (LeRobot's full-size pi0.5 otherwise).
        """
        folder = checkpoint.resolve_folder(name_or_path)
        config = PI052Config.load(folder)
        if vlm is None and (folder / checkpoint.VLM_FOLDER).is_dir():
            vlm = folder / checkpoint.VLM_FOLDER
        named = checkpoint.tokenizer_name(folder)
        config.vlm_model_name = str(vlm) if vlm is not None else (named or config.vlm_model_name)
        weights = checkpoint.map_keys(checkpoint.read_weights(folder))
        stats, eps = checkpoint.read_stats(folder)
        policy = cls(config, stats, eps=eps)
        if named and not Path(named).expanduser().exists():
            policy.tokenizer_hub_id = named  # saved again in the processor, for LeRobot elsewhere
        checkpoint.load_strict(policy, weights, folder)
        policy.eval()
        return policy.to(device=device, dtype=torch_dtype)

    def save_pretrained(self, folder: str | Path) -> Path:
        """config.json, model.safetensors, LeRobot's processor files, and vlm/ (configs + tokenizer)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        vlm_folder = folder / checkpoint.VLM_FOLDER
        vlm_folder.mkdir(exist_ok=True)
        backbone = self.model.paligemma_with_expert
        backbone.paligemma.config.save_pretrained(vlm_folder)
        backbone.gemma_expert.model.config.to_json_file(vlm_folder / "expert_config.json")
        self.tokenizer.save_pretrained(vlm_folder)
        self.config.save(folder)
        checkpoint.write_weights(folder, self.state_dict())
        # LeRobot's tokenizer step loads this name: the Hub tokenizer the checkpoint came with, else
        # the saved vlm/ folder (an absolute path: valid on this machine).
        tokenizer = self.tokenizer_hub_id or str(vlm_folder.resolve())
        checkpoint.write_processors(folder, self.config, self.stats(), self.normalizer.eps, tokenizer)
        return folder
