"""Run LeRobot 0.6.1's PI05Policy at a tiny size and write a checkpoint plus inputs/outputs to files.

Runs inside the LeRobot 0.6.1 oracle venv (scripts/oracle_venv.sh, with LeRobot's ``pi`` extra),
never in the project venv; tests/policies/test_pi052_equivalence.py starts it with subprocess and
compares our PI052Policy against what it writes:

    <out>/checkpoint/     PI05Policy.save_pretrained + the pre/post-processors' save_pretrained
    <out>/io.safetensors  raw inputs, LeRobot's tokens, noise, time and LeRobot's outputs

LeRobot builds pi0.5 only at the full sizes (openpi's gemma_2b / gemma_300m, a So400m SigLIP tower,
a 257152-token vocabulary), so this process swaps in the tiny sizes written by
lerobot_ros.policies.pi052.tiny (``--vlm``): ``get_gemma_config`` returns the tiny text and expert
widths, and the PaliGemma / expert constructors get the tiny vision tower and vocabulary. Nothing
else of LeRobot is touched: the modules, the joint attention, flow matching, the processors and the
checkpoint code are LeRobot's own. The tokenizer step reads the tiny tokenizer folder instead of
``google/paligemma-3b-pt-224``.

With ``--check FOLDER --io FILE`` it instead loads a checkpoint folder we saved (policy and both
processors, through LeRobot's own from_pretrained) and writes the actions it predicts for the raw
inputs and noise of FILE to <out>/io.safetensors.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers import GemmaConfig, PaliGemmaConfig

from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.policies.pi05 import modeling_pi05, processor_pi05
from lerobot.policies.pi05.configuration_pi05 import PI05Config
from lerobot.policies.pi05.modeling_pi05 import PI05Policy
from lerobot.processor import PolicyProcessorPipeline
from lerobot.processor.converters import policy_action_to_transition, transition_to_policy_action

TASKS = ["fold_the striped towel twice\n", "  pick"]
CAMERAS = {"observation.images.front": (3, 48, 64), "observation.images.wrist": (3, 32, 32)}
STATE_DIM = ACTION_DIM = 6
CHUNK = 50


def use_tiny_sizes(vlm: Path) -> None:
    """Make LeRobot build its pi0.5 modules at the sizes of the tiny folder (see the module docstring)."""
    paligemma = PaliGemmaConfig.from_pretrained(vlm)
    expert = GemmaConfig.from_json_file(vlm / "expert_config.json")
    text = paligemma.text_config

    def sizes(config) -> modeling_pi05.GemmaConfig:
        return modeling_pi05.GemmaConfig(
            width=config.hidden_size, depth=config.num_hidden_layers, mlp_dim=config.intermediate_size,
            num_heads=config.num_attention_heads, num_kv_heads=config.num_key_value_heads, head_dim=config.head_dim,
        )

    modeling_pi05.get_gemma_config = lambda variant: sizes(text if variant == "gemma_2b" else expert)
    build_vlm = modeling_pi05.PaliGemmaForConditionalGenerationWithPiGemma
    build_expert = modeling_pi05.PiGemmaForCausalLM

    def tiny_vlm(config):
        for name in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "patch_size"):
            setattr(config.vision_config, name, getattr(paligemma.vision_config, name))
        config.vision_config.projection_dim = config.text_config.hidden_size
        config.text_config.vocab_size = text.vocab_size
        config._vocab_size = text.vocab_size  # noqa: SLF001
        config.image_token_index = paligemma.image_token_index
        return build_vlm(config=config)

    def tiny_expert(config):
        config.vocab_size = expert.vocab_size
        return build_expert(config=config)

    modeling_pi05.PaliGemmaForConditionalGenerationWithPiGemma = tiny_vlm
    modeling_pi05.PiGemmaForCausalLM = tiny_expert
    real_tokenizer_step = processor_pi05.TokenizerProcessorStep
    processor_pi05.TokenizerProcessorStep = lambda **kw: real_tokenizer_step(**{**kw, "tokenizer_name": str(vlm)})


def make_config() -> PI05Config:
    return PI05Config(
        input_features={
            **{key: PolicyFeature(type=FeatureType.VISUAL, shape=shape) for key, shape in CAMERAS.items()},
            "observation.state": PolicyFeature(type=FeatureType.STATE, shape=(STATE_DIM,)),
        },
        output_features={"action": PolicyFeature(type=FeatureType.ACTION, shape=(ACTION_DIM,))},
        image_resolution=(32, 32),
        tokenizer_max_length=48,
        chunk_size=CHUNK,
        n_action_steps=CHUNK,
        device="cpu",
    )


def raw_inputs(generator: torch.Generator) -> dict[str, torch.Tensor]:
    io = {key: torch.rand(2, *shape, generator=generator) for key, shape in CAMERAS.items()}
    io["observation.state"] = torch.randn(2, STATE_DIM, generator=generator) * 20 + 5
    io["action"] = torch.randn(2, CHUNK, ACTION_DIM, generator=generator) * 20 + 5
    return io


def stats(generator: torch.Generator) -> dict[str, dict[str, torch.Tensor]]:
    out = {}
    for key in ("observation.state", "action"):
        low = torch.randn(6, generator=generator) * 5 - 30
        out[key] = {"q01": low, "q99": low + 40 + torch.rand(6, generator=generator) * 30,
                    "mean": low + 20, "std": torch.full((6,), 10.0), "min": low - 5, "max": low + 80}
    return out


def preprocess(preprocessor, io: dict[str, torch.Tensor]) -> dict:
    return preprocessor({**{k: v for k, v in io.items() if k != "action"}, "action": io["action"], "task": list(TASKS)})


def write_reference(out: Path) -> None:
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    config = make_config()
    policy = PI05Policy(config)
    with torch.no_grad():  # move every weight off its init (zero AdaRMS projections included)
        for param in policy.parameters():
            param.add_(torch.randn(param.shape, generator=generator) * 0.05)
        # PaliGemma ties its token embedding to the LM head, and LeRobot's from_pretrained restores
        # that tie (embedding := head): keep them equal so a reloaded policy is this one.
        paligemma = policy.model.paligemma_with_expert.paligemma
        paligemma.model.language_model.embed_tokens.weight.copy_(paligemma.lm_head.weight)
    policy.eval()
    dataset_stats = stats(generator)
    preprocessor, postprocessor = processor_pi05.make_pi05_pre_post_processors(config, dataset_stats)
    io = raw_inputs(generator)
    batch = preprocess(preprocessor, io)
    io["tokens"] = batch["observation.language.tokens"]
    io["attention_mask"] = batch["observation.language.attention_mask"]
    io["noise"] = torch.randn(2, CHUNK, config.max_action_dim, generator=generator)
    normalized = policy.predict_action_chunk(batch, noise=io["noise"])
    io["normalized_actions"] = normalized
    io["actions"] = postprocessor(normalized)
    io["loss_noise"] = torch.randn(2, CHUNK, config.max_action_dim, generator=generator)
    io["time"] = torch.rand(2, generator=generator) * 0.9 + 0.05
    policy.model.sample_noise = lambda shape, device: io["loss_noise"]
    policy.model.sample_time = lambda bsize, device: io["time"]
    with torch.no_grad():
        loss, parts = policy.forward(batch)
    io["loss"] = loss.detach()
    del policy.model.sample_time  # LeRobot's own time sampling again, from a known seed
    torch.manual_seed(123)
    io["sampled_time"] = policy.model.sample_time(20_000, "cpu")
    io["normalized_action_target"] = batch["action"]
    checkpoint = out / "checkpoint"
    policy.save_pretrained(checkpoint)
    preprocessor.save_pretrained(checkpoint)
    postprocessor.save_pretrained(checkpoint)
    save_file({k: v.contiguous() for k, v in io.items()}, out / "io.safetensors")
    (out / "tasks.json").write_text(json.dumps(TASKS))


def check(folder: Path, io_file: Path, out: Path) -> None:
    io = load_file(io_file)
    policy = PI05Policy.from_pretrained(folder)
    policy.eval()
    preprocessor = PolicyProcessorPipeline.from_pretrained(folder, config_filename="policy_preprocessor.json")
    postprocessor = PolicyProcessorPipeline.from_pretrained(
        folder, config_filename="policy_postprocessor.json",
        to_transition=policy_action_to_transition, to_output=transition_to_policy_action,
    )
    raw = {key: io[key] for key in (*CAMERAS, "observation.state", "action")}
    batch = preprocess(preprocessor, raw)
    actions = postprocessor(policy.predict_action_chunk(batch, noise=io["noise"]))
    save_file({"actions": actions.contiguous(), "tokens": batch["observation.language.tokens"].contiguous()},
              out / "io.safetensors")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vlm", type=Path, required=True, help="the tiny PaliGemma folder (tiny.py)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--check", type=Path, help="a checkpoint folder we saved, to predict with")
    parser.add_argument("--io", type=Path, help="the io.safetensors whose inputs and noise --check uses")
    args = parser.parse_args()
    use_tiny_sizes(args.vlm)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.check:
        check(args.check, args.io, args.out)
    else:
        write_reference(args.out)


if __name__ == "__main__":
    main()
