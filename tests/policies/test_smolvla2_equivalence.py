"""Our SmolVLA2Policy against LeRobot 0.4.4's SmolVLAPolicy: same weights, inputs and noise.

LeRobot runs in its own venv (scripts/reference_venv_044.sh, `make oracle`) through
tests/policies/reference/lerobot_smolvla_044.py, on the tiny SmolVLM that tiny.py writes; it
saves its policy and processors with its own save_pretrained and writes its inputs and outputs to
a safetensors file. Here we load that checkpoint with strict keys and compare.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from lerobot_ros.policies.smolvla2 import SmolVLA2Policy, write_tiny_vlm
from lerobot_ros.policies.smolvla2.checkpoint import MODEL_FILE, POSTPROCESSOR_FILE, PREPROCESSOR_FILE

REFERENCE_SCRIPT = Path(__file__).parent / "reference" / "lerobot_smolvla_044.py"
REFERENCE_VENV = Path(os.environ.get("LEROBOT_REF_VENV", Path.home() / ".cache" / "lerobot-ref-0.4.4"))
TOLERANCE = 1e-4
INPUT_KEYS = ("observation.images.front", "observation.images.wrist", "observation.state", "action")


@pytest.fixture(scope="module")
def lerobot_run(tmp_path_factory) -> Path:
    python = REFERENCE_VENV / "bin" / "python"
    if not (REFERENCE_VENV / ".lerobot-ref-ready").is_file():
        raise RuntimeError(f"no LeRobot 0.4.4 reference venv at {REFERENCE_VENV}: run `make oracle` first")
    root = tmp_path_factory.mktemp("lerobot044")
    write_tiny_vlm(root / "tiny_vlm")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": ""}
    result = subprocess.run(
        [str(python), str(REFERENCE_SCRIPT), "--vlm", str(root / "tiny_vlm"), "--out", str(root / "run")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return root / "run"


def _batch(io: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    batch = {key: io[key] for key in INPUT_KEYS}
    batch["observation.language.tokens"] = io["tokens"]
    batch["observation.language.attention_mask"] = io["attention_mask"]
    return batch


def test_predict_action_chunk_matches_lerobot_044(lerobot_run):
    io = load_file(lerobot_run / "io.safetensors")
    policy = SmolVLA2Policy.from_pretrained(lerobot_run / "checkpoint")
    assert policy.config.type == "smolvla"
    # The batch has right-padded language of two lengths, a non-square camera (pad-resize) and a square one.
    assert not bool(io["attention_mask"].all())
    batch = _batch(io)
    normalized = policy.predict_action_chunk_normalized(batch, noise=io["noise"])
    actions = policy.predict_action_chunk(batch, noise=io["noise"])
    assert normalized.shape == actions.shape == (2, 50, 6)
    assert (normalized - io["normalized_actions"]).abs().max() < TOLERANCE
    assert (actions - io["actions"]).abs().max() < TOLERANCE
    # The comparison has teeth: outputs are O(1) and move with the noise far beyond the tolerance.
    assert io["normalized_actions"].std() > 0.3
    other = policy.predict_action_chunk_normalized(batch, noise=torch.flip(io["noise"], dims=[1]))
    assert (other - io["normalized_actions"]).abs().max() > 100 * TOLERANCE


def test_flow_loss_matches_lerobot_044(lerobot_run):
    io = load_file(lerobot_run / "io.safetensors")
    policy = SmolVLA2Policy.from_pretrained(lerobot_run / "checkpoint")
    with torch.no_grad():
        _, parts = policy.forward(_batch(io), noise=io["loss_noise"], time=io["time"])
    assert set(parts) == {"loss", "flow_loss"}  # no text labels in the batch: no text loss
    assert abs(parts["flow_loss"] - float(io["loss"])) < TOLERANCE
    assert abs(parts["loss"] - policy.config.flow_loss_weight * float(io["loss"])) < 10 * TOLERANCE
    # A SmolVLA checkpoint keeps SmolVLA's freezing until its language head is switched on.
    lm_head = policy.model.vlm_with_expert.vlm.lm_head.weight
    assert not lm_head.requires_grad and policy.model.action_in_proj.weight.requires_grad
    policy.enable_language_head()
    assert policy.config.type == "smolvla2" and lm_head.requires_grad
    assert "recipe_path" in policy.config.to_json_dict()


def test_strict_keys_and_legacy_layout(lerobot_run, tmp_path):
    io = load_file(lerobot_run / "io.safetensors")
    weights = load_file(lerobot_run / "checkpoint" / MODEL_FILE)

    def folder_with(name: str, tensors: dict[str, torch.Tensor], processors: bool = True) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for path in (lerobot_run / "checkpoint").iterdir():
            if path.name != MODEL_FILE and (processors or path.name == "config.json"):
                (folder / path.name).write_bytes(path.read_bytes())
        save_file(tensors, folder / MODEL_FILE)
        return folder

    missing = dict(weights)
    missing.pop("model.state_proj.bias")
    with pytest.raises(ValueError, match=r"1 missing, e\.g\. \['model\.state_proj\.bias'\]"):
        SmolVLA2Policy.from_pretrained(folder_with("missing", missing))
    extra = {**weights, "model.surplus.weight": torch.zeros(2)}
    with pytest.raises(ValueError, match="1 unexpected"):
        SmolVLA2Policy.from_pretrained(folder_with("extra", extra))

    # LeRobot < 0.4 layout: statistics as buffers inside the model, saved from a DDP wrapper, no processors.
    stats = load_file(lerobot_run / "checkpoint" / "policy_preprocessor_step_5_normalizer_processor.safetensors")
    legacy = {f"module.{key}": value for key, value in weights.items()}
    for stat in ("mean", "std"):
        legacy[f"normalize_inputs.buffer_observation_state.{stat}"] = stats[f"observation.state.{stat}"]
        legacy[f"unnormalize_outputs.buffer_action.{stat}"] = stats[f"action.{stat}"]
    folder = folder_with("legacy", legacy, processors=False)
    assert not (folder / PREPROCESSOR_FILE).exists()
    policy = SmolVLA2Policy.from_pretrained(folder)
    actions = policy.predict_action_chunk(_batch(io), noise=io["noise"])
    assert (actions - io["actions"]).abs().max() < TOLERANCE


def test_pickle_weights_are_refused(lerobot_run, tmp_path):
    (tmp_path / "config.json").write_bytes((lerobot_run / "checkpoint" / "config.json").read_bytes())
    (tmp_path / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(ValueError, match="pickle"):
        SmolVLA2Policy.from_pretrained(tmp_path)


def test_save_pretrained_round_trip_and_lerobot_reads_it(lerobot_run, tmp_path):
    io = load_file(lerobot_run / "io.safetensors")
    policy = SmolVLA2Policy.from_pretrained(lerobot_run / "checkpoint")
    saved = policy.save_pretrained(tmp_path / "ours")
    for name in ("config.json", MODEL_FILE, PREPROCESSOR_FILE, POSTPROCESSOR_FILE, "vlm/tokenizer.json"):
        assert (saved / name).is_file(), name
    assert load_file(saved / MODEL_FILE).keys() == load_file(lerobot_run / "checkpoint" / MODEL_FILE).keys()
    again = SmolVLA2Policy.from_pretrained(saved)
    assert torch.equal(again.predict_action_chunk(_batch(io), noise=io["noise"]),
                       policy.predict_action_chunk(_batch(io), noise=io["noise"]))
    # LeRobot 0.4.4 loads what we saved (policy and both processors) and predicts the same actions.
    result = subprocess.run(
        [str(REFERENCE_VENV / "bin" / "python"), str(REFERENCE_SCRIPT), "--check", str(saved),
         "--io", str(lerobot_run / "io.safetensors"), "--out", str(tmp_path / "check")],
        capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    checked = load_file(tmp_path / "check" / "io.safetensors")
    assert (checked["actions"] - io["actions"]).abs().max() < TOLERANCE
