"""SmolVLA2 inference speed at full size, side by side with LeRobot's SmolVLA in the same process.

Both policies are built from one SmolVLM folder with the real SmolVLM2-500M dimensions (random
weights, ~450M parameters; LeRobot's weights are copied into ours, key for key) and a small
trained tokenizer, so nothing is downloaded. Measured, batch 1, two 512x512 cameras, 48 language
tokens, chunk 50, 10 flow steps:

- action-chunk latency (p50/p99 over --iters calls after --warmup): LeRobot float32 (its default),
  LeRobot under bf16 autocast, ours bf16 eager, ours bf16 replayed from one CUDA graph;
- subtask generation tokens/s (--new-tokens forced by min_new_tokens): ours with the KV cache
  (CUDA-graphed step), with the KV cache eager, and without a cache (whole sequence each step).

    python benchmarks/policy_latency.py --out results.json          # on the GPU machine
    python benchmarks/policy_latency.py --device cpu --tiny         # a quick smoke run here
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from transformers import LlamaConfig, SmolVLMConfig, SmolVLMVisionConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from lerobot_ros.policies.smolvla2 import SmolVLA2Config, SmolVLA2Policy, write_tiny_vlm  # noqa: E402
from lerobot_ros.policies.smolvla2.attention import ATTENTION_KERNELS  # noqa: E402
from lerobot_ros.policies.smolvla2.cuda_graphs import GraphedActionChunk  # noqa: E402
from lerobot_ros.policies.smolvla2.tiny import IMAGE_TOKEN, train_tokenizer  # noqa: E402

CAMERAS = ("observation.images.front", "observation.images.wrist")
STATE_DIM = ACTION_DIM = 6
LANG_TOKENS = 48
STATS = {
    "observation.state": {"mean": [0.0] * STATE_DIM, "std": [1.0] * STATE_DIM},
    "action": {"mean": [0.0] * ACTION_DIM, "std": [1.0] * ACTION_DIM},
}


def write_smolvlm2_500m(folder: Path) -> Path:
    """SmolVLM2-500M's architecture (SmolLM2 text, SigLIP 512 px tower, scale factor 4) + a small tokenizer."""
    tokenizer = train_tokenizer()
    text = LlamaConfig(
        vocab_size=49280, hidden_size=960, intermediate_size=2560, num_hidden_layers=32, num_attention_heads=15,
        num_key_value_heads=5, head_dim=64, rms_norm_eps=1e-5, max_position_embeddings=8192, tie_word_embeddings=False,
    )
    vision = SmolVLMVisionConfig(
        hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, image_size=512,
        patch_size=16,
    )
    config = SmolVLMConfig(
        text_config=text.to_dict(), vision_config=vision.to_dict(), scale_factor=4,
        image_token_id=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN),
    )
    config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    try:  # LeRobot's SmolVLA loads a processor from the folder; building one needs torchvision
        from transformers import SmolVLMImageProcessor, SmolVLMProcessor, SmolVLMVideoProcessor

        SmolVLMProcessor(
            image_processor=SmolVLMImageProcessor(), tokenizer=tokenizer,
            video_processor=SmolVLMVideoProcessor(), image_seq_len=64,
        ).save_pretrained(folder)
    except Exception as error:  # noqa: BLE001 - reported, ours does not need it
        print(f"no SmolVLM processor saved ({error!r})", file=sys.stderr)
    return folder


def timed(fn: Callable[[], object], iters: int, warmup: int, device: torch.device) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(iters):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(samples[min(len(samples) - 1, int(0.99 * len(samples)))], 2),
        "mean_ms": round(statistics.fmean(samples), 2),
        "n": iters,
    }


def make_batch(policy: SmolVLA2Policy, device: torch.device, image_size: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    tokens = torch.randint(10, 400, (1, LANG_TOKENS), generator=generator)
    batch = {key: torch.rand(1, 3, image_size, image_size, generator=generator) for key in CAMERAS}
    batch["observation.state"] = torch.randn(1, STATE_DIM, generator=generator)
    batch["observation.language.tokens"] = tokens
    batch["observation.language.attention_mask"] = torch.ones(1, LANG_TOKENS, dtype=torch.bool)
    return {key: value.to(device) for key, value in batch.items()}


def build_lerobot(folder: Path, device: torch.device, image_size: int):
    from lerobot.configs.types import FeatureType, PolicyFeature
    from lerobot.policies.smolvla.configuration_smolvla import SmolVLAConfig
    from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy

    features = {key: PolicyFeature(FeatureType.VISUAL, (3, image_size, image_size)) for key in CAMERAS}
    features["observation.state"] = PolicyFeature(FeatureType.STATE, (STATE_DIM,))
    config = SmolVLAConfig(
        input_features=features, output_features={"action": PolicyFeature(FeatureType.ACTION, (ACTION_DIM,))},
        device=device.type, vlm_model_name=str(folder), load_vlm_weights=False,
        resize_imgs_with_padding=(image_size, image_size),
    )
    return SmolVLAPolicy(config).to(device).eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--iters", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--tiny", action="store_true", help="the tiny test VLM instead of the full size")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--profile", action="store_true", help="break the graphed chunk down into its parts")
    parser.add_argument("--policy", choices=("smolvla2", "pi052"), default="smolvla2",
                        help="pi052: pi0.5 beside LeRobot's PI05Policy (benchmarks/pi052_latency.py)")
    parser.add_argument("--cameras", type=int, default=2, choices=(1, 2, 3), help="pi052: cameras at 224 px")
    parser.add_argument("--no-generation", action="store_true", help="time the action chunk only")
    parser.add_argument("--no-lerobot", action="store_true", help="leave LeRobot's SmolVLA out (ours only)")
    parser.add_argument("--unfused", action="store_true", help="also the graphed chunk without fused projections")
    parser.add_argument("--compile-mode", default=None, help="torch.compile mode, e.g. max-autotune-no-cudagraphs")
    parser.add_argument("--attention", default="flex", choices=ATTENTION_KERNELS,
                        help="attention kernel of the first graphed variant")
    parser.add_argument("--also-attention", action="store_true",
                        help="also the graphed chunk with every other attention kernel")
    parser.add_argument("--also-compile-mode", default=None,
                        help="also the graphed chunk under this torch.compile mode (e.g. max-autotune-no-cudagraphs)")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    results: dict[str, object] = {
        "machine": platform.node(),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    import transformers

    results["transformers"] = transformers.__version__
    if args.policy == "pi052":
        from pi052_latency import run as run_pi052

        results.update(run_pi052(args, device))
        print(json.dumps(results, indent=2))
        if args.out:
            args.out.write_text(json.dumps(results, indent=2) + "\n")
        return
    folder = Path(tempfile.mkdtemp(prefix="smolvlm_bench_"))
    image_size = 64 if args.tiny else 512
    if args.tiny:
        write_tiny_vlm(folder)
    else:
        write_smolvlm2_500m(folder)

    config = SmolVLA2Config(
        vlm_model_name=str(folder), load_vlm_weights=False, image_features=list(CAMERAS), state_dim=STATE_DIM,
        action_dim=ACTION_DIM, tokenizer_max_length=LANG_TOKENS, resize_imgs_with_padding=(image_size, image_size),
        num_vlm_layers=4 if args.tiny else 16,
    )
    ours = SmolVLA2Policy(config, STATS)
    results["parameters_M"] = round(sum(p.numel() for p in ours.parameters()) / 1e6, 1)
    batch = make_batch(ours, device, image_size)

    lerobot = None
    try:
        import lerobot as lerobot_package

        lerobot = build_lerobot(folder, device, image_size) if not (args.tiny or args.no_lerobot) else None
        results["lerobot"] = lerobot_package.__version__ if hasattr(lerobot_package, "__version__") else "?"
    except Exception as error:  # noqa: BLE001 - the run still reports our numbers, and why LeRobot's are missing
        results["lerobot_error"] = repr(error)
    if lerobot is not None:
        ours.load_state_dict(lerobot.state_dict(), strict=True)  # the very same weights
        with torch.no_grad():
            results["lerobot_fp32"] = timed(lambda: lerobot.predict_action_chunk(dict(batch)), args.iters, args.warmup, device)
            with torch.autocast(device.type, dtype=torch.bfloat16):
                results["lerobot_bf16_autocast"] = timed(
                    lambda: lerobot.predict_action_chunk(dict(batch)), args.iters, args.warmup, device
                )
        lerobot.cpu()
        del lerobot
        if device.type == "cuda":
            torch.cuda.empty_cache()

    ours.to(device=device, dtype=torch.bfloat16 if device.type == "cuda" else torch.float32).eval()
    results["ours_bf16_eager"] = timed(lambda: ours.predict_action_chunk(batch), args.iters, args.warmup, device)
    if device.type == "cuda":
        first = {"fuse": True, "compile_mode": args.compile_mode, "attention": args.attention}
        variants = {"ours_bf16_cuda_graph": first}
        if args.also_attention:
            for kernel in ATTENTION_KERNELS:
                if kernel != args.attention:
                    variants[f"ours_bf16_cuda_graph_{kernel}_attention"] = {**first, "attention": kernel}
        if args.also_compile_mode:
            variants[f"ours_bf16_cuda_graph_{args.also_compile_mode}"] = {**first, "compile_mode": args.also_compile_mode}
        if args.unfused:
            variants["ours_bf16_cuda_graph_unfused"] = {**first, "fuse": False}
        eager_copy = [copy.deepcopy(ours) for _ in range(len(variants) - 1)]
        noise = torch.randn(1, config.chunk_size, config.max_action_dim, device=device)
        eager = ours.predict_action_chunk(batch, noise=noise)
        for index, (name, options) in enumerate(variants.items()):
            policy = ours if index == 0 else eager_copy.pop()
            torch._dynamo.reset()  # compile each variant afresh: its options are not part of dynamo's guards
            results[f"{name}_options"] = options
            start = time.perf_counter()
            graphed = GraphedActionChunk(policy, batch, **options)
            results[f"{name}_build_s"] = round(time.perf_counter() - start, 1)  # compile + capture, once
            results[name] = timed(lambda: graphed(batch), args.iters, args.warmup, device)
            results[f"{name}_vs_eager_max_abs"] = float((graphed(batch, noise=noise) - eager).abs().max())
            if args.profile:
                from chunk_profile import profile_chunk

                results[f"{name}_profile"] = profile_chunk(policy, batch)
            if args.out:  # what is measured so far survives a run cut short by a time limit
                args.out.write_text(json.dumps(results, indent=2) + "\n")
            del graphed, policy
        del eager_copy
        torch.cuda.empty_cache()

    if not args.no_generation:
        results.update(time_generation(ours, batch, args.new_tokens, device))
    if "lerobot_fp32" in results and "ours_bf16_cuda_graph" in results:
        results["chunk_speedup_vs_lerobot_fp32"] = round(
            results["lerobot_fp32"]["p50_ms"] / results["ours_bf16_cuda_graph"]["p50_ms"], 1)
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


def time_generation(ours: SmolVLA2Policy, batch: dict[str, torch.Tensor], new: int, device: torch.device) -> dict:
    """Subtask generation speed with the KV cache (graphed and eager step) and without a cache."""
    prompt = dict(batch)
    options = {"max_new_tokens": new, "min_new_tokens": new}
    generation = {}
    ours.use_cuda_graphs = device.type == "cuda"
    for name, use_cache in (("kv_cache_cuda_graph" if device.type == "cuda" else "kv_cache", True), ("no_cache", False)):
        stats = timed(lambda: ours.generate_tokens(prompt, use_cache=use_cache, **options), 5, 1, device)
        generation[name] = {**stats, "tokens_per_s": round(new / stats["p50_ms"] * 1000, 1)}
    if device.type == "cuda":
        ours.use_cuda_graphs = False
        stats = timed(lambda: ours.generate_tokens(prompt, **options), 5, 1, device)
        generation["kv_cache_eager"] = {**stats, "tokens_per_s": round(new / stats["p50_ms"] * 1000, 1)}
    cached = next(v for k, v in generation.items() if k.startswith("kv_cache") and "eager" not in k)
    speedup = round(cached["tokens_per_s"] / generation["no_cache"]["tokens_per_s"], 2)
    return {"generation": generation, "generation_speedup_kv_cache": speedup}


if __name__ == "__main__":
    main()
