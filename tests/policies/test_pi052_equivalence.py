"""Our PI052Policy against LeRobot 0.6.1's PI05Policy: same weights, inputs and noise.

LeRobot runs in the oracle venv (scripts/oracle_venv.sh with LeRobot's pi extra, `make oracle`)
through tests/policies/reference/lerobot_pi05_061.py, at the sizes of the tiny PaliGemma that
pi052/tiny.py writes; it saves its policy and processors with its own save_pretrained and writes
raw inputs, its tokens, noise and outputs to a safetensors file. Here we load that checkpoint with
strict keys and compare; then LeRobot loads what we save and predicts again.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from lerobot_ros.policies.pi052 import PI052Policy, write_tiny_paligemma
from lerobot_ros.policies.pi052.checkpoint import MODEL_FILE, POSTPROCESSOR_FILE, PREPROCESSOR_FILE
from lerobot_ros.policies.pi052.flow import sample_time
from oracle_helpers import build_oracle

REFERENCE_SCRIPT = Path(__file__).parent / "reference" / "lerobot_pi05_061.py"
TOLERANCE = 1e-4
RAW_KEYS = ("observation.images.front", "observation.images.wrist", "observation.state", "action")
TASKS = ["fold_the striped towel twice\n", "  pick"]  # as the reference script's (cleaned by the prompt)


def _run_reference(python: Path, *args: str) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": ""}
    result = subprocess.run([str(python), str(REFERENCE_SCRIPT), *args], capture_output=True, text=True, env=env,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]


@pytest.fixture(scope="module")
def lerobot_run(tmp_path_factory) -> dict:
    python = build_oracle()
    root = tmp_path_factory.mktemp("lerobot061_pi05")
    vlm = write_tiny_paligemma(root / "tiny")
    _run_reference(python, "--vlm", str(vlm), "--out", str(root / "run"))
    return {"python": python, "vlm": vlm, "run": root / "run", "io": load_file(root / "run" / "io.safetensors")}


def _batch(io: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    batch = {key: io[key] for key in RAW_KEYS}
    batch["observation.language.tokens"] = io["tokens"]
    batch["observation.language.attention_mask"] = io["attention_mask"]
    return batch


def _load(lerobot_run) -> PI052Policy:
    return PI052Policy.from_pretrained(lerobot_run["run"] / "checkpoint", vlm=lerobot_run["vlm"])


def test_prompt_tokens_match_lerobot_preprocessor(lerobot_run):
    io = lerobot_run["io"]
    policy = _load(lerobot_run)
    language = policy.pi05_language(TASKS, io["observation.state"])
    # Two prompt lengths (right padding) and a state beyond the quantile range (clipped bins).
    assert not bool(io["attention_mask"].all())
    assert torch.equal(language["observation.language.tokens"], io["tokens"])
    assert torch.equal(language["observation.language.attention_mask"], io["attention_mask"].bool())


def test_predict_action_chunk_matches_lerobot_061(lerobot_run):
    io = lerobot_run["io"]
    policy = _load(lerobot_run)
    assert policy.config.type == "pi05" and not policy.config.chat_prompt
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


def test_flow_loss_matches_lerobot_061(lerobot_run):
    io = lerobot_run["io"]
    policy = _load(lerobot_run)
    with torch.no_grad():
        _, parts = policy.forward(_batch(io), noise=io["loss_noise"], time=io["time"])
    assert set(parts) == {"loss", "flow_loss"}
    assert abs(parts["flow_loss"] - float(io["loss"])) < TOLERANCE
    assert abs(parts["loss"] - float(io["loss"])) < TOLERANCE
    with torch.no_grad():  # other flow times give another loss: the times are really used
        _, moved = policy.forward(_batch(io), noise=io["loss_noise"], time=1 - io["time"])
    assert abs(moved["flow_loss"] - float(io["loss"])) > 100 * TOLERANCE


def test_flow_time_sampling_matches_lerobot_061(lerobot_run):
    """Beta(1.5, 1) * 0.999 + 0.001, drawn as LeRobot draws it: the same numbers from the same seed."""
    policy = _load(lerobot_run)
    torch.manual_seed(123)
    ours = sample_time(20_000, policy.config, "cpu")
    theirs = lerobot_run["io"]["sampled_time"]
    assert torch.allclose(ours, theirs, atol=1e-6)
    assert 0.001 <= float(ours.min()) and float(ours.max()) <= 1.0
    assert float(ours.mean()) == pytest.approx(0.6 * 0.999 + 0.001, abs=0.01)  # Beta(1.5, 1) has mean 0.6


def test_strict_keys_and_openpi_names(lerobot_run, tmp_path):
    io = lerobot_run["io"]
    checkpoint = lerobot_run["run"] / "checkpoint"
    weights = load_file(checkpoint / MODEL_FILE)

    def folder_with(name: str, tensors: dict[str, torch.Tensor]) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for path in checkpoint.iterdir():
            if path.name != MODEL_FILE:
                (folder / path.name).write_bytes(path.read_bytes())
        save_file(tensors, folder / MODEL_FILE)
        return folder

    missing = dict(weights)
    missing.pop("model.time_mlp_in.bias")
    with pytest.raises(ValueError, match=r"1 missing, e\.g\. \['model\.time_mlp_in\.bias'\]"):
        PI052Policy.from_pretrained(folder_with("missing", missing), vlm=lerobot_run["vlm"])
    extra = {**weights, "model.surplus.weight": torch.zeros(2)}
    with pytest.raises(ValueError, match="1 unexpected"):
        PI052Policy.from_pretrained(folder_with("extra", extra), vlm=lerobot_run["vlm"])
    # openpi-converted names (no "model." prefix, action_time_mlp_*, the embedding only as the LM
    # head) load as LeRobot's from_pretrained fixes them.
    renamed = {}
    for key, tensor in weights.items():
        if key.endswith("language_model.embed_tokens.weight"):
            continue
        key = key.removeprefix("model.").replace("time_mlp_", "action_time_mlp_")
        renamed[key] = tensor
    policy = PI052Policy.from_pretrained(folder_with("openpi", renamed), vlm=lerobot_run["vlm"])
    assert (policy.predict_action_chunk(_batch(io), noise=io["noise"]) - io["actions"]).abs().max() < 1e-3


def test_pickle_weights_are_refused(lerobot_run, tmp_path):
    (tmp_path / "config.json").write_bytes((lerobot_run["run"] / "checkpoint" / "config.json").read_bytes())
    (tmp_path / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(ValueError, match="pickle"):
        PI052Policy.from_pretrained(tmp_path, vlm=lerobot_run["vlm"])


def test_save_pretrained_round_trip_and_lerobot_reads_it(lerobot_run, tmp_path):
    io = lerobot_run["io"]
    policy = _load(lerobot_run)
    saved = policy.save_pretrained(tmp_path / "ours")
    for name in ("config.json", MODEL_FILE, PREPROCESSOR_FILE, POSTPROCESSOR_FILE, "vlm/tokenizer.json",
                 "vlm/config.json", "vlm/expert_config.json"):
        assert (saved / name).is_file(), name
    assert load_file(saved / MODEL_FILE).keys() == load_file(lerobot_run["run"] / "checkpoint" / MODEL_FILE).keys()
    again = PI052Policy.from_pretrained(saved)  # vlm/ inside the folder: no other argument needed
    assert torch.equal(again.predict_action_chunk(_batch(io), noise=io["noise"]),
                       policy.predict_action_chunk(_batch(io), noise=io["noise"]))
    # LeRobot 0.6.1 loads what we saved (policy and both processors: normalization, prompt, our
    # tokenizer folder) and predicts the same actions from the raw inputs.
    _run_reference(lerobot_run["python"], "--vlm", str(lerobot_run["vlm"]), "--check", str(saved),
                   "--io", str(lerobot_run["run"] / "io.safetensors"), "--out", str(tmp_path / "check"))
    checked = load_file(tmp_path / "check" / "io.safetensors")
    assert torch.equal(checked["tokens"], io["tokens"])
    assert (checked["actions"] - io["actions"]).abs().max() < TOLERANCE
