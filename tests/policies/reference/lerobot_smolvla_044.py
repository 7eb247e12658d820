"""Run LeRobot 0.4.4's SmolVLA on a tiny SmolVLM and write a checkpoint plus inputs/outputs to files.

Runs inside the LeRobot 0.4.4 reference venv (scripts/reference_venv_044.sh), never in the project
venv; tests/policies/test_smolvla2_equivalence.py starts it with subprocess and compares our
SmolVLA2Policy against what it writes:

    <out>/vlm/          the tiny SmolVLM rebuilt for transformers 4.57 (config, tokenizer, processor)
    <out>/checkpoint/   SmolVLAPolicy.save_pretrained + the pre/post-processors' save_pretrained
    <out>/io.safetensors  raw inputs, tokens, noise, time and LeRobot's outputs

With ``--check FOLDER --io FILE`` it instead loads a checkpoint folder we saved (policy and both
processors, through LeRobot's own from_pretrained) and writes the actions it predicts for the inputs
and noise of FILE to <out>/io.safetensors.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers import (
    PreTrainedTokenizerFast,
    SmolVLMConfig,
    SmolVLMImageProcessor,
    SmolVLMProcessor,
    SmolVLMVideoProcessor,
)

from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.processor import PolicyProcessorPipeline
from lerobot.processor.converters import policy_action_to_transition, transition_to_policy_action
from lerobot.policies.smolvla.configuration_smolvla import SmolVLAConfig
from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy
from lerobot.policies.smolvla.processor_smolvla import make_smolvla_pre_post_processors

TASKS = ["fold the striped towel twice", "pick"]
CAMERAS = {"observation.images.front": (3, 48, 80), "observation.images.wrist": (3, 64, 64)}
STATE_DIM = ACTION_DIM = 6


def rebuild_vlm(source: Path, target: Path) -> None:
    """The tiny SmolVLM written by transformers 5 (ours), saved again with transformers 4.57."""
    settings = json.loads((source / "config.json").read_text())
    config = SmolVLMConfig(
        text_config=settings["text_config"],
        vision_config=settings["vision_config"],
        scale_factor=settings["scale_factor"],
        image_token_id=settings["image_token_id"],
    )
    special = json.loads((source / "tokenizer_config.json").read_text())
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_file=str(source / "tokenizer.json"),
        bos_token=special["bos_token"],
        eos_token=special["eos_token"],
        pad_token=special["pad_token"],
        unk_token=special["unk_token"],
        extra_special_tokens={
            name: special[name]
            for name in ("fake_image_token", "image_token", "global_image_token", "end_of_utterance_token")
        },
        padding_side="right",
    )
    image_size = settings["vision_config"]["image_size"]
    patches = (image_size // settings["vision_config"]["patch_size"]) ** 2
    processor = SmolVLMProcessor(
        image_processor=SmolVLMImageProcessor(
            size={"longest_edge": image_size}, max_image_size={"longest_edge": image_size}
        ),
        tokenizer=tokenizer,
        video_processor=SmolVLMVideoProcessor(),
        image_seq_len=patches // settings["scale_factor"] ** 2,
    )
    config.save_pretrained(target)
    processor.save_pretrained(target)


def spread_weights(policy: torch.nn.Module, generator: torch.Generator) -> None:
    """Re-draw every weight at unit-variance scale, so outputs are O(1) and a wrong op shows."""
    with torch.no_grad():
        for name, param in policy.named_parameters():
            if param.ndim >= 2:
                fan_in = math.prod(param.shape[1:])
                param.copy_(torch.randn(param.shape, generator=generator) / math.sqrt(fan_in))
            elif "norm" in name:
                param.copy_(1.0 + 0.2 * torch.randn(param.shape, generator=generator))
            else:
                param.copy_(0.2 * torch.randn(param.shape, generator=generator))


def check(folder: Path, io_file: Path, out: Path) -> None:
    """LeRobot loads our saved folder and predicts actions for the recorded inputs and noise."""
    io = load_file(io_file)
    policy = SmolVLAPolicy.from_pretrained(folder)
    policy.eval()
    preprocessor = PolicyProcessorPipeline.from_pretrained(folder, config_filename="policy_preprocessor.json")
    postprocessor = PolicyProcessorPipeline.from_pretrained(
        folder,
        config_filename="policy_postprocessor.json",
        to_transition=policy_action_to_transition,
        to_output=transition_to_policy_action,
    )
    raw = {key: io[key] for key in (*CAMERAS, "observation.state")}
    processed = preprocessor({**raw, "task": list(TASKS)})
    with torch.no_grad():
        actions = postprocessor(policy.predict_action_chunk(dict(processed), noise=io["noise"].clone()))
    out.mkdir(parents=True, exist_ok=True)
    save_file({"actions": actions.contiguous()}, out / "io.safetensors")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vlm", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", type=Path)
    parser.add_argument("--io", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.check is not None:
        check(args.check, args.io, args.out)
        return
    generator = torch.Generator().manual_seed(args.seed)
    vlm = args.out / "vlm"
    rebuild_vlm(args.vlm, vlm)

    features = {key: PolicyFeature(FeatureType.VISUAL, shape) for key, shape in CAMERAS.items()}
    features["observation.state"] = PolicyFeature(FeatureType.STATE, (STATE_DIM,))
    config = SmolVLAConfig(
        input_features=features,
        output_features={"action": PolicyFeature(FeatureType.ACTION, (ACTION_DIM,))},
        device="cpu",
        vlm_model_name=str(vlm),
        load_vlm_weights=False,
        num_vlm_layers=4,
        resize_imgs_with_padding=(64, 64),
    )
    stats = {
        "observation.state": {
            "mean": torch.randn(STATE_DIM, generator=generator),
            "std": torch.rand(STATE_DIM, generator=generator) + 0.5,
        },
        "action": {
            "mean": torch.randn(ACTION_DIM, generator=generator),
            "std": torch.rand(ACTION_DIM, generator=generator) + 0.5,
        },
    }
    policy = SmolVLAPolicy(config)
    spread_weights(policy, generator)
    policy.eval()
    preprocessor, postprocessor = make_smolvla_pre_post_processors(config, dataset_stats=stats)
    ckpt = args.out / "checkpoint"
    policy.save_pretrained(ckpt)
    preprocessor.save_pretrained(ckpt)
    postprocessor.save_pretrained(ckpt)

    batch_size = len(TASKS)
    raw = {key: torch.rand(batch_size, *shape, generator=generator) for key, shape in CAMERAS.items()}
    raw["observation.state"] = torch.randn(batch_size, STATE_DIM, generator=generator) * 2
    raw["action"] = torch.randn(batch_size, config.chunk_size, ACTION_DIM, generator=generator) * 2
    noise = torch.randn(batch_size, config.chunk_size, config.max_action_dim, generator=generator)
    time = torch.rand(batch_size, generator=generator)
    loss_noise = torch.randn(batch_size, config.chunk_size, config.max_action_dim, generator=generator)

    processed = preprocessor({**raw, "task": list(TASKS)})
    with torch.no_grad():
        normalized = policy.predict_action_chunk(dict(processed), noise=noise.clone())
        actions = postprocessor(normalized)
        loss, _ = policy.forward(dict(processed), noise=loss_noise.clone(), time=time.clone())
    save_file(
        {
            **{key: value.contiguous() for key, value in raw.items()},
            "tokens": processed["observation.language.tokens"].contiguous(),
            "attention_mask": processed["observation.language.attention_mask"].contiguous(),
            "noise": noise,
            "loss_noise": loss_noise,
            "time": time,
            "normalized_actions": normalized.contiguous(),
            "actions": actions.contiguous(),
            "loss": loss.reshape(1),
        },
        args.out / "io.safetensors",
    )


if __name__ == "__main__":
    main()
