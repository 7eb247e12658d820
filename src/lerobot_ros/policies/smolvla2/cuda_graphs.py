"""The whole action-chunk inference captured as one CUDA graph.

Without it, a chunk is some five thousand small kernel launches (vision tower, 16 prefix layers,
10 x 16 expert layers) and the GPU mostly waits for Python. The policy's code has no host
synchronisation on this path (patch positions are precomputed, masks are built on the device), so
it can be recorded once for fixed input shapes and replayed: inputs are copied into static
tensors, the graph replays, the output is cloned out. torch.compile first fuses the small
element-wise kernels, so the replay has fewer of them.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from .attention import ATTENTION_KERNELS


def compile_inference(policy, *, fuse: bool = True, mode: str | None = None, attention: str = "flex") -> None:
    """Prepare this policy instance's per-chunk inference for graph capture: fused projections, torch.compile.

    ``fuse`` stacks each layer's q/k/v and gate/up weights (``VLMWithExpert.fuse_projections``);
    torch.compile (fixed shapes, ``mode`` as torch.compile takes it) then fuses the norms, rotary
    embeddings and activations around them, which cuts the kernels per layer about threefold: what
    a graph replay pays for. Compiled are the vision tower, the prefix pass and the whole denoising
    step (time embedding, expert layers, velocity head), on this instance only: training and the
    uncached text reference keep running eagerly with their changing shapes. ``attention`` picks
    ``attention.attend``'s kernel for the prefix pass, the denoising steps and cached text decoding.
    """
    if getattr(policy, "_compiled_for_inference", False):
        raise RuntimeError("this policy instance is already compiled for inference")
    backbone = policy.model.vlm_with_expert
    if attention not in ATTENTION_KERNELS:
        raise ValueError(f"attention kernel {attention!r} is not one of {ATTENTION_KERNELS}")
    backbone.attention_kernel = attention
    if fuse:
        backbone.fuse_projections()
    for name in ("embed_images", "build_flow_cache"):
        setattr(backbone, name, torch.compile(getattr(backbone, name), dynamic=False, mode=mode))
    policy.model.denoise_step = torch.compile(policy.model.denoise_step, dynamic=False, mode=mode)
    policy._compiled_for_inference = True


class GraphedActionChunk:
    """``policy.predict_action_chunk`` for one set of input shapes, replayed from a CUDA graph.

    ``example`` fixes the keys and shapes (images, state, language tokens, mask, optional causal
    flags; a different prompt length needs another instance). Noise is drawn outside the graph.
    The policy instance is compiled for inference once (see compile_inference); later instances for
    other shapes reuse it.
    """

    def __init__(
        self,
        policy,
        example: Mapping[str, Tensor],
        warmup: int = 3,
        compile: bool = True,
        fuse: bool = True,
        compile_mode: str | None = None,
        attention: str = "flex",
    ):
        if policy.device.type != "cuda":
            raise ValueError(f"CUDA graphs need the policy on a CUDA device, not {policy.device}")
        self.policy = policy
        if compile and not getattr(policy, "_compiled_for_inference", False):
            compile_inference(policy, fuse=fuse, mode=compile_mode, attention=attention)
        self.inputs = {key: value.to(policy.device).clone() for key, value in example.items()}
        batch = next(iter(self.inputs.values())).shape[0]
        shape = (batch, policy.config.chunk_size, policy.config.max_action_dim)
        self.noise = torch.randn(shape, device=policy.device)
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(warmup):
                policy.unnormalized_chunk(self.inputs, noise=self.noise)
        torch.cuda.current_stream().wait_stream(stream)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.output = policy.unnormalized_chunk(self.inputs, noise=self.noise)

    def __call__(self, batch: Mapping[str, Tensor], *, noise: Tensor | None = None) -> Tensor:
        """(B, chunk, action_dim) raw-unit actions, as policy.predict_action_chunk returns them."""
        for key, static in self.inputs.items():
            value = batch[key]
            if value.shape != static.shape:
                raise ValueError(f"{key}: shape {tuple(value.shape)} differs from the captured {tuple(static.shape)}")
            static.copy_(value)
        if noise is None:
            self.noise.normal_()
        else:
            self.noise.copy_(noise)
        self.graph.replay()
        return self.output.clone()
