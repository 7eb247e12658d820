"""The tiny offline SmolVLM folder and SmolVLA2Config's LeRobot config.json compatibility."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from transformers import AutoConfig, AutoTokenizer

from lerobot_ros.policies.smolvla2 import SmolVLA2Config, tiny_config, write_tiny_vlm

# Written by lerobot==0.4.4: SmolVLAConfig(...)._save_pretrained() with a 6-D state/action and one
# 96x128 camera (the reference venv, scripts/reference_venv_044.sh).
LEROBOT_CONFIG = Path(__file__).parent / "data" / "lerobot_044_smolvla_config.json"


def test_tiny_vlm_loads_through_auto_classes(tmp_path):
    write_tiny_vlm(tmp_path, corpus=["fold the striped towel twice"])
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    config = AutoConfig.from_pretrained(tmp_path)
    assert config.model_type == "smolvlm"
    assert config.image_token_id == tokenizer.convert_tokens_to_ids("<image>")
    assert config.text_config.vocab_size >= len(tokenizer)
    for token in ("<|im_start|>", "<end_of_utterance>", "<fake_token_around_image>", "<global-img>",
                  "<row_1_col_1>", "<row_6_col_6>", "<say>", "</say>"):
        assert tokenizer.convert_tokens_to_ids(token) != tokenizer.unk_token_id, token
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "fold the towel"}, {"role": "assistant", "content": "<say>On it.</say>"}],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert prompt == ("<|im_start|>User: fold the towel<end_of_utterance>\n"
                      "Assistant: <say>On it.</say><end_of_utterance>\nAssistant:")
    ids = tokenizer(prompt)["input_ids"]
    # The say markers are single tokens that survive skip_special_tokens; chat markers do not.
    assert tokenizer.convert_tokens_to_ids("<say>") in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == (
        "User: fold the towel\nAssistant: <say>On it.</say>\nAssistant:")
    # The domain corpus makes its words cheap.
    assert len(tokenizer("fold the striped towel twice")["input_ids"]) <= 8


def test_config_reads_and_writes_lerobot_config_json(tmp_path):
    data = json.loads(LEROBOT_CONFIG.read_text())
    config = SmolVLA2Config.from_json_dict(data)
    assert config.type == "smolvla"
    assert config.image_features == ["observation.images.front"]
    assert (config.state_dim, config.action_dim, config.tokenizer_max_length) == (6, 6, 48)
    assert config.lerobot_extras["device"] == "cpu"
    # A "smolvla" config goes back out exactly as LeRobot wrote it: no smolvla2-only keys.
    assert config.to_json_dict() == data
    config.save(tmp_path)
    assert SmolVLA2Config.load(tmp_path) == config


def test_tiny_config_round_trip_and_defaults(tmp_path):
    write_tiny_vlm(tmp_path)
    config = tiny_config(tmp_path, state_dim=6, action_dim=5, cameras=["front", "observation.images.wrist"])
    assert config.image_features == ["observation.images.front", "observation.images.wrist"]
    assert (config.chunk_size, config.num_steps, config.max_state_dim, config.self_attn_every_n_layers) == (
        50, 10, 32, 2)
    assert (config.flow_loss_weight, config.text_loss_weight) == (5.0, 1.0)
    assert SmolVLA2Config.from_json_dict(json.loads(json.dumps(config.to_json_dict()))) == config


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"type": "pi0"}, "policy type"),
        ({"state_dim": 40}, "max_state_dim"),
        ({"n_action_steps": 60}, "chunk_size"),
        ({"normalization_mapping": {"STATE": "MIN_MAX"}}, "MIN_MAX"),
    ],
)
def test_config_rejects_bad_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        SmolVLA2Config(**overrides)
