"""Where an action chunk's GPU time goes: vision tower, prefix prefill and one denoising step apart.

Each part is captured as a CUDA graph of its own (after the same compilation the graphed chunk
uses) and replayed, so its time is what it costs inside the whole-chunk graph; the torch profiler
counts the kernels each part launches. A chunk is about vision + prefill + num_steps x step.
Used by ``policy_latency.py --profile``.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable

import torch


def graphed(fn: Callable[[], object], warmup: int = 3) -> Callable[[], object]:
    """``fn`` captured once (after warm-up on a side stream, as GraphedActionChunk does) and replayed."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(warmup):
            fn()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        fn()
    return graph.replay


def replay_ms(replay: Callable[[], object], iters: int = 50) -> float:
    """Median wall time of one replay, synchronized."""
    samples = []
    for _ in range(iters):
        torch.cuda.synchronize()
        start = time.perf_counter()
        replay()
        torch.cuda.synchronize()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 3)


def kernel_profile(fn: Callable[[], object], top: int = 8) -> dict[str, object]:
    """Kernels one call launches: their count, summed GPU time, and the most expensive kernel names."""
    fn()
    torch.cuda.synchronize()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as profiler:
        fn()
        torch.cuda.synchronize()
    kernels = [event for event in profiler.events() if event.device_type == torch.autograd.DeviceType.CUDA]
    by_name: Counter[str] = Counter()
    for event in kernels:
        by_name[event.name[:80]] += event.time_range.elapsed_us()
    return {
        "kernels": len(kernels),
        "kernel_time_ms": round(sum(event.time_range.elapsed_us() for event in kernels) / 1000, 3),
        "top_kernels_ms": {name: round(us / 1000, 3) for name, us in by_name.most_common(top)},
    }


def profile_chunk(policy, batch: dict[str, torch.Tensor]) -> dict[str, object]:
    """Breakdown of ``policy.predict_action_chunk(batch)`` for a policy already compiled for inference."""
    model = policy.model
    steps = policy.config.chunk_size
    with torch.no_grad():
        prefix = policy._prefix(batch)
        context = model.prepare_denoising(prefix, steps)
        x = torch.randn(prefix.pad.shape[0], steps, policy.config.max_action_dim, device=policy.device)
        t = torch.full((prefix.pad.shape[0],), 0.5, device=policy.device)
        parts = {
            "vision_and_embedding": lambda: policy._prefix(batch),
            "prefix_prefill": lambda: model.prepare_denoising(prefix, steps),
            "denoising_step": lambda: model.denoise_step(context, x, t),
        }
        report: dict[str, object] = {}
        for name, fn in parts.items():
            report[name] = {"graph_replay_ms": replay_ms(graphed(fn)), **kernel_profile(fn)}
    step = report["denoising_step"]["graph_replay_ms"]
    report["sum_ms"] = round(
        report["vision_and_embedding"]["graph_replay_ms"] + report["prefix_prefill"]["graph_replay_ms"]
        + policy.config.num_steps * step, 3)
    return report
