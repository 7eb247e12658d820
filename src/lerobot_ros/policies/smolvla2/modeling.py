"""SmolVLA2Policy: actions from the flow-matching expert, text from the language head.

The policy takes batches of tensors (see /work/policy_interfaces.md): raw-unit state and actions
(normalized here with the dataset statistics), images in [0, 1] (pad-resized and scaled here),
language tokens with their padding mask and ``causal`` flags from the chat tokenizer.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from .configuration import SmolVLA2Config
from .core import FlowMatchingVLA, Prefix
from .cuda_graphs import GraphedActionChunk
from .flow import sample_time
from .generation import (
    SamplingOptions,
    TextDecoder,
    decode_with_cache,
    decode_without_cache,
)
from .images import observation_to_batch, prepare_images
from .normalization import DEFAULT_EPS, Normalizer, Stats, as_stats

DECODER_CAPACITY_STEP = 128  # graphed decoders are shared by all prompts that round up to the same size


def _pad_last(vector: Tensor, size: int) -> Tensor:
    if vector.shape[-1] > size:
        raise ValueError(f"vector of {vector.shape[-1]} values does not fit the model's {size}")
    return F.pad(vector, (0, size - vector.shape[-1]))


class SmolVLA2Policy(LanguageHeadPolicy, nn.Module):
    """SmolVLA with a language head; loads and saves LeRobot SmolVLA/SmolVLA2 checkpoints."""

    def __init__(
        self,
        config: SmolVLA2Config,
        dataset_stats: Mapping[str, Mapping[str, object]] | None = None,
        *,
        tokenizer: PreTrainedTokenizerBase | None = None,
        eps: float = DEFAULT_EPS,
    ):
        super().__init__()
        self.config = config
        self.tokenizer = tokenizer if tokenizer is not None else AutoTokenizer.from_pretrained(config.vlm_model_name)
        image_ids = None
        if config.add_image_special_tokens:
            image_ids = tuple(
                self.tokenizer.convert_tokens_to_ids(t) for t in ("<fake_token_around_image>", "<global-img>")
            )
        self.model = FlowMatchingVLA(config, image_ids)
        self.normalizer = Normalizer(as_stats(dataset_stats), config.normalization_mapping, eps)
        self.set_requires_grad()
        # On a CUDA device: action chunks replayed from one CUDA graph per input-shape set, and text
        # decoders with a graphed step, one per capacity; both captured on first use and kept.
        self.use_cuda_graphs = False
        self._decoders: dict[int, TextDecoder] = {}
        self._chunk_graphs: dict[tuple, GraphedActionChunk] = {}

    # --- parameters ----------------------------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        return self.model.state_proj.weight.device

    def set_requires_grad(self) -> None:
        """SmolVLA's freezing, with the LM head trainable when the language head is trained."""
        config = self.config
        backbone = self.model.vlm_with_expert
        vlm_frozen = config.train_expert_only and not config.trains_text
        for param in backbone.vlm.parameters():
            param.requires_grad = not vlm_frozen
        if config.freeze_vision_encoder:
            for param in backbone.vision_model.parameters():
                param.requires_grad = False
        if not vlm_frozen and not (config.trains_text and config.unfreeze_lm_head):
            # Unused by the flow loss: frozen so DistributedDataParallel sees no unused parameters.
            last = backbone.text_model.layers[-1]
            for module in (backbone.vlm.lm_head, backbone.text_model.norm, last):
                for param in module.parameters():
                    param.requires_grad = False
        for param in self.model.state_proj.parameters():
            param.requires_grad = config.train_state_proj

    def enable_language_head(self) -> None:
        """Turn a LeRobot "smolvla" policy into a "smolvla2" one whose language head trains.

        A SmolVLA checkpoint keeps SmolVLA's freezing (backbone frozen, expert only); as "smolvla2"
        the backbone, LM head, final norm and last layer train with the text loss. Its saved
        config.json then says "smolvla2" (LeRobot's SmolVLA no longer loads it).
        """
        self.config.type = "smolvla2"
        self.set_requires_grad()

    def set_stats(self, dataset_stats: Mapping[str, Mapping[str, object]]) -> None:
        self.normalizer.set_stats(as_stats(dataset_stats))

    # --- inputs --------------------------------------------------------------------------------------

    def _prefix(self, batch: Mapping[str, Tensor], *, with_state: bool = True, fast: Tensor | None = None) -> Prefix:
        for key in (TOKENS_KEY, MASK_KEY):
            if key not in batch:
                raise ValueError(f"batch has no {key!r} (keys: {sorted(batch)})")
        images, image_masks = prepare_images(batch, self.config)
        images = [image.to(self.model.dtype) for image in images]
        state = None
        if with_state:
            if STATE_KEY not in batch:
                raise ValueError(f"batch has no {STATE_KEY!r} (keys: {sorted(batch)})")
            raw = batch[STATE_KEY]
            raw = raw[:, -1] if raw.ndim > 2 else raw
            state = _pad_last(self.normalizer.normalize(STATE_KEY, raw), self.config.max_state_dim)
        fast_ids = fast_mask = None
        if fast is not None:
            fast_mask = fast >= 0
            fast_ids = torch.where(fast_mask, self.fast_token_ids(fast.clamp(min=0)), 0)
        return self.model.embed_prefix(
            images,
            image_masks,
            batch[TOKENS_KEY].long(),
            batch[MASK_KEY].bool(),
            batch.get(CAUSAL_KEY),
            state,
            fast_ids,
            fast_mask,
        )

    def fast_token_ids(self, fast: Tensor) -> Tensor:
        """FAST id f -> LM vocabulary row ``vocab - 1 - fast_skip_tokens - f`` (the tail, as pi0-FAST)."""
        vocab = self.model.vlm_with_expert.vlm.lm_head.out_features
        if int(fast.max()) >= self.config.fast_vocab_size:
            raise ValueError(f"FAST id {int(fast.max())} is outside fast_vocab_size {self.config.fast_vocab_size}")
        return vocab - 1 - self.config.fast_skip_tokens - fast

    def prepare_observation(self, images: Mapping[str, np.ndarray], state: np.ndarray) -> dict[str, Tensor]:
        """Camera frames (HxWx3 uint8) and a raw state vector -> a batch of one on the policy's device."""
        return observation_to_batch(images, state, self.config, self.device)

    # --- training ------------------------------------------------------------------------------------

    def forward(
        self, batch: Mapping[str, Tensor], *, noise: Tensor | None = None, time: Tensor | None = None
    ) -> tuple[Tensor, dict[str, float]]:
        """Weighted flow-matching + text (+ FAST) loss, and each part as a float.

        ``noise``/``time`` fix the flow sample (tests); by default they are drawn as SmolVLA does.
        """
        config = self.config
        fast = batch.get(FAST_KEY) if config.enable_fast_action_loss else None
        prefix = self._prefix(batch, fast=fast)
        batch_size = prefix.pad.shape[0]
        predict = batch.get("predict_actions")
        predict = torch.ones(batch_size, dtype=torch.bool, device=self.device) if predict is None else predict.bool()
        actions = None
        if ACTION_KEY in batch and bool(predict.any()):
            normalized = self.normalizer.normalize(ACTION_KEY, batch[ACTION_KEY])
            actions = _pad_last(normalized, config.max_action_dim)
            if noise is None:
                noise = torch.randn_like(actions)
            if time is None:
                time = sample_time(batch_size, actions.device)
        fast_len = 0 if fast is None else fast.shape[1]
        prefix_out, velocity, target = self.model.training_pass(prefix, actions, noise, time, fast_len)

        parts: dict[str, Tensor] = {}
        total = prefix_out.new_zeros((), dtype=torch.float32)
        if velocity is not None:
            losses = F.mse_loss(velocity, target.float(), reduction="none")
            if "action_is_pad" in batch:
                losses = losses * (~batch["action_is_pad"].bool())[..., None]
            parts["flow_loss"] = losses[predict].mean()
            total = total + config.flow_loss_weight * parts["flow_loss"]
        if "text_labels" in batch and config.text_loss_weight > 0:
            lang = prefix_out[:, prefix.lang_start : prefix.lang_end]
            parts["text_loss"] = self._next_token_loss(lang, batch["text_labels"].long())
            total = total + config.text_loss_weight * parts["text_loss"]
        if fast is not None:  # after the state token
            parts["fast_loss"] = self._fast_loss(prefix_out, fast)
            total = total + config.fast_loss_weight * parts["fast_loss"]
        return total, {"loss": float(total.detach()), **{k: float(v.detach()) for k, v in parts.items()}}

    def _lm_logits(self, hidden: Tensor) -> Tensor:
        return self.model.vlm_with_expert.lm_logits(hidden)

    # --- inference -----------------------------------------------------------------------------------

    @torch.no_grad()
    def predict_action_chunk(self, batch: Mapping[str, Tensor], *, noise: Tensor | None = None,
                             rtc: ChunkPrefix | None = None, rtc_config: RTCConfig = RTCConfig()) -> Tensor:
        """(B, chunk, action_dim) actions in raw units.

        ``rtc``: real-time chunking, the running chunk's left-over actions in raw units (normalized here)
        and the inference delay; the chunk is then sampled eagerly (the CUDA graphs are captured unguided).
        With ``use_cuda_graphs`` on a CUDA device the chunk is replayed from a CUDA graph (compiled and
        captured on the first call for these input shapes, which takes seconds; then about 25x faster
        than eager at full size, see docs/benchmarks.md).
        """
        if rtc is not None:
            guidance = self._guidance(rtc, rtc_config)
            return self.normalizer.unnormalize(
                ACTION_KEY, self.predict_action_chunk_normalized(batch, noise=noise, guidance=guidance))
        if self.use_cuda_graphs and self.device.type == "cuda":
            inputs = {key: value for key, value in batch.items() if isinstance(value, Tensor)}
            signature = tuple(sorted((key, tuple(value.shape)) for key, value in inputs.items()))
            graphed = self._chunk_graphs.get(signature)
            if graphed is None:
                graphed = self._chunk_graphs[signature] = GraphedActionChunk(self, inputs)
            return graphed(inputs, noise=noise)
        return self.unnormalized_chunk(batch, noise=noise)

    def unnormalized_chunk(self, batch: Mapping[str, Tensor], *, noise: Tensor | None = None) -> Tensor:
        """predict_action_chunk computed eagerly (what a CUDA graph of it captures)."""
        return self.normalizer.unnormalize(ACTION_KEY, self.predict_action_chunk_normalized(batch, noise=noise))

    @torch.no_grad()
    def generate_tokens(
        self,
        batch: Mapping[str, Tensor],
        *,
        max_new_tokens: int = 64,
        min_new_tokens: int = 0,
        temperature: float = 0.0,
        top_p: float = 1.0,
        generator: torch.Generator | None = None,
        use_cache: bool = True,
    ) -> list[int]:
        """Token ids generated after the prompt (stop token excluded); see select_message."""
        options = SamplingOptions(max_new_tokens, min_new_tokens, temperature, top_p)
        prefix = self._text_prompt(batch)
        tokenizer = self.tokenizer
        stop_ids = {tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids("<end_of_utterance>")} - {None}
        special = torch.tensor(sorted(set(tokenizer.all_special_ids)), device=self.device)
        choice = {"special_ids": special, "stop_ids": stop_ids, "generator": generator}
        if not use_cache:
            return decode_without_cache(self.model, prefix, options, **choice)
        decoder = None
        if self.use_cuda_graphs and self.device.type == "cuda":
            needed = prefix.embeddings.shape[1] + options.max_new_tokens
            capacity = DECODER_CAPACITY_STEP * -(-needed // DECODER_CAPACITY_STEP)
            decoder = self._decoders.get(capacity)
            if decoder is None:
                self.model.vlm_with_expert.fuse_projections()
                decoder = TextDecoder(self.model, capacity, self.model.dtype, self.device, cuda_graph=True)
                self._decoders[capacity] = decoder
        return decode_with_cache(self.model, prefix, options, decoder, **choice)

    # --- checkpoints ---------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | Path,
        *,
        device: torch.device | str | None = None,
        torch_dtype: torch.dtype | None = None,
    ) -> SmolVLA2Policy:
        """Load a LeRobot SmolVLA / SmolVLA2 checkpoint (local folder or Hub id) with strict keys."""
        folder = checkpoint.resolve_folder(name_or_path)
        config = SmolVLA2Config.load(folder)
        config.load_vlm_weights = False  # every VLM weight comes from the checkpoint
        vlm_folder = folder / checkpoint.VLM_FOLDER
        if vlm_folder.is_dir():
            config.vlm_model_name = str(vlm_folder)
        weights, legacy_stats = checkpoint.map_keys(checkpoint.read_weights(folder))
        stats, eps = checkpoint.read_stats(folder)
        policy = cls(config, {**legacy_stats, **stats}, eps=eps)
        checkpoint.load_strict(policy, weights, folder)
        policy.eval()
        return policy.to(device=device, dtype=torch_dtype)

    def save_pretrained(self, folder: str | Path) -> Path:
        """config.json, model.safetensors, LeRobot's processor files, and vlm/ (config + tokenizer)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        vlm_folder = folder / checkpoint.VLM_FOLDER
        source = Path(self.config.vlm_model_name)
        if source.resolve() != vlm_folder.resolve():
            vlm_folder.mkdir(exist_ok=True)
            self.model.vlm_with_expert.vlm.config.save_pretrained(vlm_folder)
            self.tokenizer.save_pretrained(vlm_folder)
        self.config.save(folder)
        checkpoint.write_weights(folder, self.state_dict())
        checkpoint.write_processors(folder, self.config, self.normalizer.stats(), self.normalizer.eps)
        return folder

    def stats(self) -> Stats:
        return self.normalizer.stats()
