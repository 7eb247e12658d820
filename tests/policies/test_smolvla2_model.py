"""SmolVLA2Policy on the tiny offline SmolVLM: losses, masks, the flow cache and text generation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lerobot_ros.policies.smolvla2 import SmolVLA2Policy, tiny_config, write_tiny_vlm
from lerobot_ros.policies.smolvla2.flow import euler_integrate

STATS = {
    "observation.state": {"mean": [0.5] * 6, "std": [2.0] * 6},
    "action": {"mean": [-1.0] * 6, "std": [3.0] * 6},
}


@pytest.fixture(scope="module")
def policy(tmp_path_factory) -> SmolVLA2Policy:
    torch.set_num_threads(2)
    folder = write_tiny_vlm(tmp_path_factory.mktemp("vlm"), corpus=["fold the towel", "grasp the corner"])
    config = tiny_config(folder, state_dim=6, action_dim=6, cameras=["front", "wrist"], chunk_size=10,
                         n_action_steps=10, enable_fast_action_loss=True, fast_vocab_size=64)
    torch.manual_seed(0)
    model = SmolVLA2Policy(config, STATS)
    with torch.no_grad():  # larger than the default init, so outputs and logits are far from ties
        for param in model.parameters():
            if param.ndim >= 2:
                param.normal_(0.0, param.shape[-1] ** -0.5)
    return model.eval()


def encode(policy, text: str, *, generation_prompt: bool = False, target: str | None = None):
    tokenizer = policy.tokenizer
    messages = [{"role": "user", "content": text}]
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    causal = [False] * len(ids)
    if target is not None:
        target_ids = tokenizer(" " + target + "<end_of_utterance>", add_special_tokens=False)["input_ids"]
        assistant = tokenizer("Assistant:", add_special_tokens=False)["input_ids"]
        ids, causal = ids + assistant + target_ids, causal + [False] * len(assistant) + [True] * len(target_ids)
    return torch.tensor([ids]), torch.tensor([causal])


def make_batch(policy, batch_size: int = 1, *, text: str = "fold the towel", target: str | None = None, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    tokens, causal = encode(policy, text, target=target)
    chunk = policy.config.chunk_size
    batch = {
        "observation.images.front": torch.rand(batch_size, 3, 48, 80, generator=generator),
        "observation.images.wrist": torch.rand(batch_size, 3, 64, 64, generator=generator),
        "observation.state": torch.randn(batch_size, 6, generator=generator),
        "observation.language.tokens": tokens.expand(batch_size, -1),
        "observation.language.attention_mask": torch.ones_like(tokens, dtype=torch.bool).expand(batch_size, -1),
        "observation.language.causal": causal.expand(batch_size, -1),
        "action": torch.randn(batch_size, chunk, 6, generator=generator),
    }
    labels = torch.where(causal, tokens, -100)
    batch["text_labels"] = labels.expand(batch_size, -1)
    return batch


def test_predict_action_chunk_reuses_the_prefix_cache_exactly(policy):
    """The cached denoiser equals re-running the full prefix+suffix pass at every Euler step."""
    batch = make_batch(policy, 2, target="grasp the corner")
    noise = torch.randn(2, policy.config.chunk_size, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        cached = policy.predict_action_chunk_normalized(batch, noise=noise)
        prefix = policy._prefix(batch)
        # training_pass with actions = noise = x evaluates the velocity at x itself.
        def velocity(x, time):
            return policy.model.training_pass(prefix, x, x, time)[1]
        full = euler_integrate(velocity, noise, policy.config.num_steps)[:, :, :6]
    assert (cached - full).abs().max() < 1e-4
    raw = policy.predict_action_chunk(batch, noise=noise)
    assert torch.allclose(raw, cached * 3.0 - 1.0, atol=1e-5)  # unnormalized with the action stats


def test_text_loss_sees_only_earlier_tokens_of_the_target(policy):
    batch = make_batch(policy, target="grasp the corner")
    changed = {key: value.clone() for key, value in batch.items()}
    tokens = changed["observation.language.tokens"]
    last_target = int(changed["observation.language.causal"][0].nonzero()[-2])  # before <end_of_utterance>
    tokens[0, last_target] = policy.tokenizer.convert_tokens_to_ids("<say>")

    def language_hidden(b, causal: bool):
        if not causal:
            b = {k: v for k, v in b.items() if k != "observation.language.causal"}
        with torch.no_grad():
            prefix = policy._prefix(b)
            out = policy.model.training_pass(prefix, None, None, None)[0]
        return out[:, prefix.lang_start : prefix.lang_end]

    before = language_hidden(batch, True)
    after = language_hidden(changed, True)
    # Causal target span: every position before the changed token is untouched by it ...
    assert torch.allclose(before[:, :last_target], after[:, :last_target], atol=1e-6)
    assert not torch.allclose(before[:, last_target:], after[:, last_target:], atol=1e-3)
    # ... while a fully bidirectional language block would leak it backwards (a copy task).
    leaky = language_hidden(batch, False) - language_hidden(changed, False)
    assert leaky[:, :last_target].abs().max() > 1e-3


def test_loss_parts_follow_the_batch(policy):
    batch = make_batch(policy, 2, target="grasp the corner")
    batch["predict_actions"] = torch.tensor([True, False])
    batch["action.fast_tokens"] = torch.tensor([[3, 7, 9, -1], [5, 5, -1, -1]])
    noise = torch.randn(2, policy.config.chunk_size, 32)
    time = torch.tensor([0.3, 0.8])
    with torch.no_grad():
        loss, parts = policy.forward(batch, noise=noise, time=time)
    assert set(parts) == {"loss", "flow_loss", "text_loss", "fast_loss"}
    config = policy.config
    expected = (config.flow_loss_weight * parts["flow_loss"] + config.text_loss_weight * parts["text_loss"]
                + config.fast_loss_weight * parts["fast_loss"])
    assert abs(float(loss) - expected) < 1e-4

    # The flow loss counts only the sample that predicts actions.
    first = {k: v[:1] for k, v in batch.items()}
    with torch.no_grad():
        _, alone = policy.forward(first, noise=noise[:1], time=time[:1])
    assert abs(alone["flow_loss"] - parts["flow_loss"]) < 1e-5

    # FAST tokens never reach the action expert or the language span; other FAST ids change the FAST loss.
    other = dict(batch, **{"action.fast_tokens": torch.tensor([[60, 1, 2, 3], [4, -1, -1, -1]])})
    with torch.no_grad():
        _, moved = policy.forward(other, noise=noise, time=time)
    assert abs(moved["flow_loss"] - parts["flow_loss"]) < 1e-5
    assert abs(moved["text_loss"] - parts["text_loss"]) < 1e-5
    assert abs(moved["fast_loss"] - parts["fast_loss"]) > 1e-3

    # Padded action steps do not count.
    padded = dict(first, action_is_pad=torch.zeros(1, config.chunk_size, dtype=torch.bool))
    padded["action_is_pad"][0, 5:] = True
    shifted = dict(padded, action=padded["action"].clone())
    shifted["action"][0, 5:] += 100.0
    with torch.no_grad():
        _, a = policy.forward(padded, noise=noise[:1], time=time[:1])
        _, b = policy.forward(shifted, noise=noise[:1], time=time[:1])
    assert abs(a["flow_loss"] - b["flow_loss"]) < 1e-5


def test_text_only_batch_and_gradients(policy):
    batch = make_batch(policy, 2, target="grasp the corner")
    batch["predict_actions"] = torch.tensor([False, False])
    batch.pop("action.fast_tokens", None)
    policy.train()
    policy.zero_grad()
    loss, parts = policy.forward(batch)
    loss.backward()
    policy.eval()
    assert "flow_loss" not in parts and parts["text_loss"] > 0
    backbone = policy.model.vlm_with_expert
    assert backbone.vlm.lm_head.weight.grad is not None and backbone.vlm.lm_head.weight.grad.abs().sum() > 0
    assert all(not p.requires_grad for p in backbone.vision_model.parameters())  # freeze_vision_encoder


def test_bad_inputs_name_the_problem(policy):
    batch = make_batch(policy)
    with pytest.raises(ValueError, match="observation.language.tokens"):
        policy.predict_action_chunk({k: v for k, v in batch.items() if k != "observation.language.tokens"})
    with pytest.raises(ValueError, match="none of the policy's cameras"):
        policy.predict_action_chunk({k: v for k, v in batch.items() if "images" not in k})
    with pytest.raises(ValueError, match="noise must have shape"):
        policy.predict_action_chunk(batch, noise=torch.zeros(1, 3, 32))
    with pytest.raises(ValueError, match="batch of one"):
        policy.select_message(make_batch(policy, 2))


def test_prepare_observation(policy):
    frames = {"front": np.full((48, 80, 3), 255, np.uint8), "observation.images.wrist": np.zeros((64, 64, 3), np.uint8)}
    obs = policy.prepare_observation(frames, np.arange(6))
    assert obs["observation.images.front"].shape == (1, 3, 48, 80)
    assert float(obs["observation.images.front"].max()) == 1.0
    assert obs["observation.state"].tolist() == [[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]]
    with pytest.raises(ValueError, match="not one of the policy's cameras"):
        policy.prepare_observation({"top": frames["front"]}, np.zeros(6))
    with pytest.raises(ValueError, match="expects 6"):
        policy.prepare_observation(frames, np.zeros(5))


def prompt_batch(policy, text: str = "fold the towel"):
    batch = make_batch(policy)
    tokens, causal = encode(policy, text, generation_prompt=True)
    batch["observation.language.tokens"] = tokens
    batch["observation.language.attention_mask"] = torch.ones_like(tokens, dtype=torch.bool)
    batch["observation.language.causal"] = causal
    return batch


def test_generation_with_and_without_kv_cache_is_identical(policy):
    batch = prompt_batch(policy)
    for options in ({}, {"min_new_tokens": 5}, {"temperature": 1.5, "top_p": 0.9}):
        cached = policy.generate_tokens(batch, max_new_tokens=12, generator=torch.Generator().manual_seed(3), **options)
        full = policy.generate_tokens(
            batch, max_new_tokens=12, generator=torch.Generator().manual_seed(3), use_cache=False, **options
        )
        assert cached == full, options
        assert len(cached) <= 12
    # Right padding of the prompt does not change what is generated.
    padded = dict(batch)
    pad = policy.tokenizer.pad_token_id
    padded["observation.language.tokens"] = torch.cat([batch["observation.language.tokens"], torch.tensor([[pad] * 3])], 1)
    padded["observation.language.attention_mask"] = torch.cat(
        [batch["observation.language.attention_mask"], torch.zeros(1, 3, dtype=torch.bool)], 1)
    padded["observation.language.causal"] = torch.cat(
        [batch["observation.language.causal"], torch.zeros(1, 3, dtype=torch.bool)], 1)
    assert policy.generate_tokens(padded, max_new_tokens=8) == policy.generate_tokens(batch, max_new_tokens=8)


def test_sampling_options(policy):
    batch = prompt_batch(policy)
    greedy = policy.generate_tokens(batch, max_new_tokens=10)
    assert greedy == policy.generate_tokens(batch, max_new_tokens=10)
    # A nucleus this small keeps only the most likely token: greedy again, at any temperature.
    assert policy.generate_tokens(batch, max_new_tokens=10, temperature=3.0, top_p=1e-6,
                                  generator=torch.Generator().manual_seed(0)) == greedy
    hot = [policy.generate_tokens(batch, max_new_tokens=10, min_new_tokens=10, temperature=5.0,
                                  generator=torch.Generator().manual_seed(seed)) for seed in (0, 0, 1)]
    assert hot[0] == hot[1] and hot[0] != hot[2]
    special = set(policy.tokenizer.all_special_ids)
    assert len(hot[0]) == 10 and not special & set(hot[0])
    with pytest.raises(ValueError, match="top_p"):
        policy.generate_tokens(batch, top_p=0.0)
    with pytest.raises(ValueError, match="min_new_tokens"):
        policy.generate_tokens(batch, max_new_tokens=3, min_new_tokens=4)


def test_min_new_tokens_holds_back_the_end_of_utterance(policy):
    batch = prompt_batch(policy, "stop")
    eos = policy.tokenizer.convert_tokens_to_ids("<end_of_utterance>")
    head = policy.model.vlm_with_expert.vlm.lm_head
    saved = head.weight.detach().clone()
    backbone = policy.model.vlm_with_expert
    with torch.no_grad():  # point the <end_of_utterance> row at the prompt's last hidden state
        prefix = policy._prefix(batch, with_state=False)
        last = backbone.text_model.norm(policy.model.training_pass(prefix, None, None, None)[0][0, -1])
    try:
        with torch.no_grad():
            head.weight[eos] = 50.0 * last / last.norm()
        ids = policy.generate_tokens(batch, max_new_tokens=6)
        held = policy.generate_tokens(batch, max_new_tokens=6, min_new_tokens=3)
    finally:
        with torch.no_grad():
            head.weight.copy_(saved)
    assert ids == []  # the end of utterance comes first
    assert len(held) >= 3 and not set(policy.tokenizer.all_special_ids) & set(held[:3])
    assert policy.select_message(batch, max_new_tokens=4) == policy.tokenizer.decode(
        policy.generate_tokens(batch, max_new_tokens=4), skip_special_tokens=True).strip()


def test_from_pretrained_by_hub_id_through_the_hub_cache(policy, tmp_path, monkeypatch):
    """A Hub id goes through huggingface_hub.snapshot_download; offline, it resolves the local cache."""
    from huggingface_hub import constants

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--someone--smolvla2-tiny"
    policy.save_pretrained(repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    loaded = SmolVLA2Policy.from_pretrained("someone/smolvla2-tiny")
    batch = make_batch(policy)
    noise = torch.randn(1, policy.config.chunk_size, 32)
    assert torch.equal(loaded.predict_action_chunk(batch, noise=noise), policy.predict_action_chunk(batch, noise=noise))
    assert loaded.tokenizer.convert_tokens_to_ids("<say>") == policy.tokenizer.convert_tokens_to_ids("<say>")
    with pytest.raises(FileNotFoundError, match="not a checkpoint folder"):
        SmolVLA2Policy.from_pretrained(tmp_path / "no" / "such" / "folder")


def test_fused_projections_give_the_same_chunk_and_text_and_leave_training_alone(tmp_path):
    """fuse_projections (one GEMM for q/k/v and one for gate/up) changes no output; training ignores the copies."""
    folder = write_tiny_vlm(tmp_path / "vlm", corpus=["fold the towel", "grasp the corner"])
    config = tiny_config(folder, state_dim=6, action_dim=6, cameras=["front", "wrist"], chunk_size=10, n_action_steps=10)
    torch.manual_seed(0)
    policy = SmolVLA2Policy(config, STATS).eval()
    batch = make_batch(policy, 2, target="grasp the corner")
    noise = torch.randn(2, policy.config.chunk_size, 32, generator=torch.Generator().manual_seed(1))
    prompt = {key: value[:1] for key, value in batch.items() if key != "text_labels"}
    with torch.no_grad():
        plain_actions = policy.predict_action_chunk(batch, noise=noise)
    plain_tokens = policy.generate_tokens(prompt, max_new_tokens=6, min_new_tokens=6)
    state_keys = set(policy.state_dict())

    policy.model.vlm_with_expert.fuse_projections()
    with torch.no_grad():
        fused_actions = policy.predict_action_chunk(batch, noise=noise)
    assert (fused_actions - plain_actions).abs().max() < 1e-5
    assert policy.generate_tokens(prompt, max_new_tokens=6, min_new_tokens=6) == plain_tokens
    assert set(policy.state_dict()) == state_keys  # checkpoints keep LeRobot's keys

    # A training step after fusing updates the real parameters (the stacked copies are inference-only).
    layer = policy.model.vlm_with_expert.lm_expert.layers[0]
    policy.train()
    loss, _ = policy.forward(batch)
    loss.backward()
    assert layer.self_attn.q_proj.weight.grad is not None and layer.self_attn.q_proj.weight.grad.abs().sum() > 0
    assert layer.mlp.gate_proj.weight.grad is not None and layer.mlp.gate_proj.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("kernel", ["matmul", "flex"])
def test_attention_kernels_give_the_same_chunk_and_text(policy, kernel):
    """attend's alternatives to torch's fused attention (the graphed chunk's "matmul" and "flex",
    whose denoising masks are block masks) change no output."""
    backbone = policy.model.vlm_with_expert
    batch = make_batch(policy, 2)
    noise = torch.randn(2, policy.config.chunk_size, 32, generator=torch.Generator().manual_seed(4))
    prompt = {key: value[:1] for key, value in batch.items() if key != "text_labels"}
    with torch.no_grad():
        sdpa_actions = policy.predict_action_chunk(batch, noise=noise)
    sdpa_tokens = policy.generate_tokens(prompt, max_new_tokens=6, min_new_tokens=6)
    backbone.attention_kernel = kernel
    try:
        with torch.no_grad():
            other_actions = policy.predict_action_chunk(batch, noise=noise)
        other_tokens = policy.generate_tokens(prompt, max_new_tokens=6, min_new_tokens=6)
        backbone.attention_kernel = "flash"
        with pytest.raises(ValueError, match="attention kernel 'flash'"):
            policy.predict_action_chunk(batch, noise=noise)
    finally:
        backbone.attention_kernel = "sdpa"
    assert (other_actions - sdpa_actions).abs().max() < 1e-4
    assert other_tokens == sdpa_tokens
