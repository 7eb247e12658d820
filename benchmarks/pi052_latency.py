"""PI052 (pi0.5) inference speed at full size, side by side with LeRobot's PI05Policy in one process.

``benchmarks/policy_latency.py --policy pi052`` runs this. Both policies have pi0.5's full size
(PaliGemma 2B with its So400m SigLIP tower + the Gemma 300M action expert, ~3.6B parameters,
random weights: LeRobot's are copied into ours key for key) and a small locally trained tokenizer,
so nothing is downloaded. Batch 1, --cameras cameras at 224x224, pi0.5's prompt padded to 200
tokens as LeRobot's preprocessor pads it, chunk 50, 10 flow steps. Measured:

- action-chunk latency (p50/p99 over --iters calls after --warmup): LeRobot float32 (its default),
  LeRobot under bf16 autocast, ours float32, ours with the backbone in bf16 (LeRobot's
  ``dtype: bfloat16`` layout); and the float32 outputs' largest difference for the same noise;
- text generation tokens/s from the PaliGemma LM head (--new-tokens forced): with the KV cache and
  without a cache (the whole sequence each step).

    python benchmarks/policy_latency.py --policy pi052 --cameras 3 --out pi052.json   # GPU machine
    python benchmarks/policy_latency.py --policy pi052 --device cpu --tiny              # smoke run
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch

from lerobot_ros.policies.pi052 import PI052Config, PI052Policy, write_tiny_paligemma
from lerobot_ros.policies.pi052.checkpoint import map_keys
from lerobot_ros.policies.pi052.core import EXPERT_CONFIG_FILE, model_configs
from lerobot_ros.policies.pi052.tiny import train_tokenizer

from policy_latency import timed  # the shared p50/p99 timer (policy_latency imports this module only in main)

CAMERA_NAMES = ("front", "wrist", "side")
STATE_DIM = ACTION_DIM = 6
PROMPT_TOKENS = 200  # LeRobot pads pi0.5's prompt to tokenizer_max_length
STATS = {key: {"q01": [-1.0] * 6, "q99": [1.0] * 6} for key in ("observation.state", "action")}


def write_full_size(folder: Path, config: PI052Config) -> Path:
    """pi0.5's full-size PaliGemma and expert configs (LeRobot's variants) and a small tokenizer."""
    vlm, expert = model_configs(config, None)
    vlm.save_pretrained(folder)
    expert.to_json_file(folder / EXPERT_CONFIG_FILE)
    train_tokenizer().save_pretrained(folder)
    return folder


def make_batch(policy: PI052Policy, cameras: list[str], size: int, device: torch.device) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    batch = {key: torch.rand(1, 3, size, size, generator=generator) for key in cameras}
    batch["observation.state"] = torch.rand(1, STATE_DIM, generator=generator) * 2 - 1
    batch.update(policy.pi05_language(["pick up the red cube and put it in the bowl"], batch["observation.state"]))
    return {key: value.to(device) for key, value in batch.items()}


def build_lerobot(cameras: list[str], size: int, device: torch.device):
    from lerobot.configs.types import FeatureType, PolicyFeature
    from lerobot.policies.pi05.configuration_pi05 import PI05Config
    from lerobot.policies.pi05.modeling_pi05 import PI05Policy

    features = {key: PolicyFeature(FeatureType.VISUAL, (3, size, size)) for key in cameras}
    features["observation.state"] = PolicyFeature(FeatureType.STATE, (STATE_DIM,))
    config = PI05Config(input_features=features, device=device.type,
                        output_features={"action": PolicyFeature(FeatureType.ACTION, (ACTION_DIM,))})
    policy = PI05Policy(config).eval()
    paligemma = policy.model.paligemma_with_expert.paligemma
    with torch.no_grad():  # PaliGemma's tie, as LeRobot's from_pretrained restores it
        paligemma.model.language_model.embed_tokens.weight.copy_(paligemma.lm_head.weight)
    return policy


def run(args, device: torch.device) -> dict[str, object]:
    cameras = [f"observation.images.{name}" for name in CAMERA_NAMES[: args.cameras]]
    size = 32 if args.tiny else 224
    config = PI052Config(type="pi05", image_features=cameras, state_dim=STATE_DIM, action_dim=ACTION_DIM,
                         image_resolution=(size, size), tokenizer_max_length=PROMPT_TOKENS)
    folder = Path(tempfile.mkdtemp(prefix="pi052_bench_"))
    write_tiny_paligemma(folder) if args.tiny else write_full_size(folder, config)
    config.vlm_model_name = str(folder)
    results: dict[str, object] = {"policy": "pi052", "cameras": len(cameras), "image_size": size,
                                  "prompt_tokens": PROMPT_TOKENS, "chunk_size": config.chunk_size,
                                  "flow_steps": config.num_inference_steps}
    ours = PI052Policy(config, STATS)
    results["parameters_M"] = round(sum(p.numel() for p in ours.parameters()) / 1e6, 1)
    ours.to(device).eval()
    batch = make_batch(ours, cameras, size, device)
    noise = torch.randn(1, config.chunk_size, config.max_action_dim, generator=torch.Generator().manual_seed(1))
    noise = noise.to(device)

    lerobot = None
    if not args.tiny:
        try:
            lerobot = build_lerobot(cameras, size, device)
        except Exception as error:  # noqa: BLE001 - the run still reports our numbers, and why LeRobot's are missing
            results["lerobot_error"] = repr(error)
    if lerobot is not None:
        ours.load_state_dict(map_keys(lerobot.state_dict()), strict=True)  # the very same weights
        with torch.no_grad():
            reference = lerobot.predict_action_chunk(dict(batch), noise=noise)
            results["lerobot_fp32"] = timed(lambda: lerobot.predict_action_chunk(dict(batch)), args.iters,
                                            args.warmup, device)
            with torch.autocast(device.type, dtype=torch.bfloat16):
                results["lerobot_bf16_autocast"] = timed(lambda: lerobot.predict_action_chunk(dict(batch)),
                                                         args.iters, args.warmup, device)
        results["ours_vs_lerobot_fp32_max_abs"] = float(
            (ours.predict_action_chunk_normalized(batch, noise=noise) - reference).abs().max())
        lerobot.cpu()
        del lerobot
        if device.type == "cuda":
            torch.cuda.empty_cache()

    results["ours_fp32"] = timed(lambda: ours.predict_action_chunk(batch), args.iters, args.warmup, device)
    ours.model.set_backbone_dtype(torch.bfloat16)
    results["ours_bf16_backbone"] = timed(lambda: ours.predict_action_chunk(batch), args.iters, args.warmup, device)
    if not args.no_generation:
        options = {"max_new_tokens": args.new_tokens, "min_new_tokens": args.new_tokens}
        generation = {}
        for name, use_cache in (("kv_cache", True), ("no_cache", False)):
            stats = timed(lambda: ours.generate_tokens(batch, use_cache=use_cache, **options), 3, 1, device)
            generation[name] = {**stats, "tokens_per_s": round(args.new_tokens / stats["p50_ms"] * 1000, 1)}
        results["generation_bf16_backbone"] = generation
        results["generation_speedup_kv_cache"] = round(
            generation["kv_cache"]["tokens_per_s"] / generation["no_cache"]["tokens_per_s"], 2)
    if "lerobot_fp32" in results:
        results["chunk_speedup_bf16_vs_lerobot_fp32"] = round(
            results["lerobot_fp32"]["p50_ms"] / results["ours_bf16_backbone"]["p50_ms"], 2)
        results["chunk_ratio_fp32_vs_lerobot_fp32"] = round(
            results["lerobot_fp32"]["p50_ms"] / results["ours_fp32"]["p50_ms"], 2)
    return results
