"""Autoregressive text from the language head: token choice and the decoding loops.

Two loops produce the same tokens. ``decode_with_cache`` runs the prompt once and then one token
per step against preallocated keys/values (``TextDecoder``: fixed shapes, the write slot and the
visibility row are tensors, so a CUDA graph replays the step). ``decode_without_cache`` re-runs the whole
sequence every step, as LeRobot's SmolVLA2 ``select_message`` did; it is the reference the cached
loop is tested and benchmarked against.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import torch
from torch import Tensor

from .attention import Rope, additive_bias, make_att_2d_masks
from .core import FlowMatchingVLA, Prefix


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


class TextDecoder:
    """Preallocated keys/values and fixed-shape step inputs for cached decoding of one sequence.

    ``capacity`` bounds prompt plus generated tokens. With ``cuda_graph`` the one-token step is
    captured once as a CUDA graph and replayed (a decoder is reused across messages, so the
    capture is paid once); the step's inputs are tensors updated in place, never new shapes.
    """

    def __init__(self, model: FlowMatchingVLA, capacity: int, dtype: torch.dtype, device, cuda_graph: bool = False):
        self.model = model
        self.capacity = capacity
        backbone = model.vlm_with_expert
        self.cache = backbone.new_text_cache(1, capacity, dtype, device)
        self.token = torch.zeros(1, 1, dtype=torch.long, device=device)
        self.slot = torch.zeros(1, dtype=torch.long, device=device)
        self.position = torch.zeros(1, 1, dtype=torch.long, device=device)
        self.visible = torch.full((1, 1, 1, capacity), torch.finfo(dtype).min, dtype=dtype, device=device)
        self.cuda_graph = cuda_graph and torch.device(device).type == "cuda"
        self.graph: torch.cuda.CUDAGraph | None = None
        self.logits: Tensor | None = None
        # Graphed steps are also compiled (fixed shapes): fused kernels make the replay shorter.
        self._compiled_step = torch.compile(self._step, dynamic=False) if self.cuda_graph else None

    def prompt(self, prefix: Prefix) -> Tensor:
        """Run the prompt, keep its keys/values in slots [0, P); logits for the first new token."""
        backbone = self.model.vlm_with_expert
        prompt_len = prefix.embeddings.shape[1]
        if prompt_len >= self.capacity:
            raise ValueError(f"prompt of {prompt_len} tokens does not fit a decoder of capacity {self.capacity}")
        positions, bias = _prompt_mask(prefix)

        def keep(index: int, key: Tensor, value: Tensor) -> None:
            self.cache.keys[index][:, :prompt_len] = key
            self.cache.values[index][:, :prompt_len] = value

        hidden = backbone.vlm_forward(prefix.embeddings, bias, Rope(positions, backbone.head_dim), kv_sink=keep)
        self.visible.fill_(torch.finfo(self.visible.dtype).min)
        self.visible[..., :prompt_len].masked_fill_(prefix.pad[:, None, None], 0.0)
        self.next_slot = prompt_len
        self.next_position = int(prefix.pad.sum())  # masked (empty-camera) tokens take no position
        return backbone.lm_logits(hidden[:, -1])[0]

    def _step(self) -> Tensor:
        backbone = self.model.vlm_with_expert
        new = self.model._embed_text(self.token).to(self.visible.dtype)
        out = backbone.vlm_decode(new, self.visible, Rope(self.position, backbone.head_dim), self.cache, self.slot)
        return backbone.lm_logits(out[:, -1])[0]

    def step(self, token: Tensor) -> Tensor:
        """Append ``token`` at the next slot; logits for the token after it."""
        if self.next_slot >= self.capacity:
            raise ValueError(f"decoder capacity {self.capacity} exhausted")
        self.token.copy_(token.view(1, 1))
        self.slot.fill_(self.next_slot)
        self.position.fill_(self.next_position)
        self.visible.index_fill_(3, self.slot, 0.0)
        self.next_slot += 1
        self.next_position += 1
        if not self.cuda_graph:
            return self._step()
        if self.graph is None:
            self._capture()
        self.graph.replay()
        return self.logits

    def _capture(self) -> None:
        # Warm up on a side stream (allocator, kernels), then record the step; replay rewrites the
        # same slot with the same inputs, so the warm-up writes are harmless.
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(3):
                self._compiled_step()
        torch.cuda.current_stream().wait_stream(stream)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.logits = self._compiled_step()


def decode_with_cache(
    model: FlowMatchingVLA, prefix: Prefix, options: SamplingOptions, decoder: TextDecoder | None = None, **choice
) -> list[int]:
    """Prompt once into preallocated keys/values, then one token per step (batch of one, no padding)."""
    if decoder is None:
        embeddings = prefix.embeddings
        capacity = embeddings.shape[1] + options.max_new_tokens
        decoder = TextDecoder(model, capacity, embeddings.dtype, embeddings.device)
    first_logits = decoder.prompt(prefix)

    def next_logits(step: int, last: Tensor | None) -> Tensor:
        return first_logits if last is None else decoder.step(last)

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
