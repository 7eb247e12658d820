"""PI052Policy on the tiny offline PaliGemma: the prefix cache, causal target spans, the state after
the chat, cached text generation, checkpoints and input errors."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

from lerobot_ros.policies.pi052 import PI052Config, PI052Policy, tiny_config, write_tiny_paligemma
from lerobot_ros.policies.pi052.checkpoint import MODEL_FILE, map_keys
from lerobot_ros.policies.pi052.flow import euler_integrate
from lerobot_ros.policies.pi052.prompt import discretize_state

STATS = {
    "observation.state": {"q01": [-2.0] * 6, "q99": [2.0] * 6, "mean": [0.0] * 6, "std": [1.0] * 6},
    "action": {"q01": [-3.0] * 6, "q99": [1.0] * 6, "mean": [0.0] * 6, "std": [1.0] * 6},
}


@pytest.fixture(scope="module")
def vlm(tmp_path_factory):
    return write_tiny_paligemma(tmp_path_factory.mktemp("vlm"), corpus=["fold the towel", "grasp the corner"])


@pytest.fixture(scope="module")
def policy(vlm) -> PI052Policy:
    torch.set_num_threads(1)
    config = tiny_config(vlm, state_dim=6, action_dim=6, cameras=["front", "wrist"], chunk_size=10,
                         n_action_steps=10, enable_fast_action_loss=True, fast_vocab_size=64)
    torch.manual_seed(0)
    model = PI052Policy(config, STATS)
    with torch.no_grad():  # larger than the default init (AdaRMS included), so outputs are far from ties
        for param in model.parameters():
            if param.ndim >= 2:
                param.normal_(0.0, param.shape[-1] ** -0.5)
    return model.eval()


def chat_tokens(policy, text: str, target: str | None = None):
    """A user turn (then the generation prompt), optionally the assistant's target turn, as the chat
    tokenizer writes them: ids and causal flags on the target."""
    tokenizer = policy.tokenizer
    messages = [{"role": "user", "content": text}]
    ids = tokenizer(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True),
                    add_special_tokens=False)["input_ids"]
    causal = [False] * len(ids)
    if target is not None:
        target_ids = tokenizer(" " + target + "<eos>", add_special_tokens=False)["input_ids"]
        ids, causal = ids + target_ids, causal + [True] * len(target_ids)
    return torch.tensor([ids]), torch.tensor([causal])


def make_batch(policy, batch_size: int = 1, *, text: str = "fold the towel", target: str | None = None, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    tokens, causal = chat_tokens(policy, text, target)
    return {
        "observation.images.front": torch.rand(batch_size, 3, 48, 80, generator=generator),
        "observation.images.wrist": torch.rand(batch_size, 3, 32, 32, generator=generator),
        "observation.state": torch.randn(batch_size, 6, generator=generator),
        "observation.language.tokens": tokens.expand(batch_size, -1),
        "observation.language.attention_mask": torch.ones_like(tokens, dtype=torch.bool).expand(batch_size, -1),
        "observation.language.causal": causal.expand(batch_size, -1),
        "action": torch.randn(batch_size, policy.config.chunk_size, 6, generator=generator),
        "text_labels": torch.where(causal, tokens, -100).expand(batch_size, -1),
    }


def test_predict_action_chunk_reuses_the_prefix_cache_exactly(policy):
    """The cached denoiser equals re-running the full prefix+suffix pass at every Euler step."""
    batch = make_batch(policy, 2, target="grasp the corner")
    noise = torch.randn(2, policy.config.chunk_size, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        cached = policy.predict_action_chunk_normalized(batch, noise=noise)
        prefix = policy._prefix(batch)

        def velocity(x, time):  # actions = noise = x: the joint pass's velocity at x itself
            return policy.model.training_pass(prefix, x, x, time)[1]

        full = euler_integrate(velocity, noise, policy.config.num_inference_steps)[:, :, :6]
    assert (cached - full).abs().max() < 1e-4
    assert cached.std() > 0.1
    raw = policy.predict_action_chunk(batch, noise=noise)
    assert torch.allclose(raw, (cached + 1.0) * 2.0 - 3.0, atol=1e-5)  # unnormalized with q01/q99


def test_the_state_follows_the_chat_for_actions_only(policy):
    batch = make_batch(policy, target="grasp the corner")
    with torch.no_grad():
        prefix = policy._prefix(batch)
        chat_only = policy._prefix(batch, with_state=False)
    state_tokens = prefix.pad.shape[1] - chat_only.pad.shape[1]
    bins = discretize_state(policy.normalizer.normalize("observation.state", batch["observation.state"]))[0]
    text = policy.tokenizer.decode(prefix_ids(policy, batch)[-state_tokens:])
    assert text == f"State: {' '.join(map(str, bins))};\nAction: "
    assert prefix.att[0, -state_tokens] and not prefix.att[0, -state_tokens + 1:].any()  # a block of its own
    noise = torch.randn(1, policy.config.chunk_size, 32, generator=torch.Generator().manual_seed(2))
    moved = dict(batch, **{"observation.state": batch["observation.state"] + 1.5})
    assert (policy.predict_action_chunk_normalized(moved, noise=noise)
            - policy.predict_action_chunk_normalized(batch, noise=noise)).abs().max() > 1e-3


def prefix_ids(policy, batch) -> list[int]:
    """The chat ids followed by the state ids the policy appends (what _prefix embeds)."""
    from lerobot_ros.policies.pi052.prompt import state_suffix

    state = policy.normalizer.normalize("observation.state", batch["observation.state"])
    ids, _ = state_suffix(policy.tokenizer, state, "cpu")
    return batch["observation.language.tokens"][0].tolist() + ids[0].tolist()


def test_target_tokens_see_only_earlier_target_tokens(policy):
    """A causal span: changing the last target token leaves earlier positions' hidden states alone;
    changing a prompt token changes them."""
    batch = make_batch(policy, target="grasp the corner")
    causal = batch["observation.language.causal"][0]
    last = int(causal.nonzero()[-1])
    first = int(causal.nonzero()[0])

    def hidden(tokens):
        prefix = policy._prefix({**batch, "observation.language.tokens": tokens}, with_state=False)
        with torch.no_grad():
            return policy.model.training_pass(prefix, None, None, None)[0][:, prefix.lang_start:]

    base = hidden(batch["observation.language.tokens"])
    later = batch["observation.language.tokens"].clone()
    later[0, last] = (later[0, last] + 1) % 64
    earlier = batch["observation.language.tokens"].clone()
    earlier[0, 2] = (earlier[0, 2] + 1) % 64
    assert torch.allclose(hidden(later)[0, :last], base[0, :last], atol=1e-6)
    assert (hidden(earlier)[0, first:last] - base[0, first:last]).abs().max() > 1e-3


def test_flow_and_text_losses_train_the_right_parts(policy):
    batch = make_batch(policy, 2, target="grasp the corner")
    policy.train()
    try:
        loss, parts = policy(batch)
        loss.backward()
    finally:
        policy.eval()
    assert set(parts) == {"loss", "flow_loss", "text_loss"}
    assert parts["loss"] == pytest.approx(parts["flow_loss"] + parts["text_loss"], rel=1e-5)
    backbone = policy.model.paligemma_with_expert
    assert backbone.paligemma.lm_head.weight.grad.abs().sum() > 0  # the text loss reaches the LM head
    assert backbone.expert.layers[0].input_layernorm.dense.weight.grad.abs().sum() > 0  # AdaRMS learns
    assert backbone.gemma_expert.lm_head.weight.grad is None  # never used, frozen
    policy.zero_grad(set_to_none=True)


def test_fast_tokens_are_hidden_from_the_actions_and_predicted_causally(policy):
    batch = make_batch(policy, 2, target="grasp the corner")
    fast = torch.tensor([[3, 7, 9, -1], [5, 2, 8, 1]])  # the first row padded
    x = torch.randn(2, policy.config.chunk_size, 32, generator=torch.Generator().manual_seed(5))
    time = torch.tensor([0.3, 0.8])
    with torch.no_grad():
        with_fast = policy._prefix(batch, fast=fast)
        hidden, velocity, _ = policy.model.training_pass(with_fast, x, x, time, fast_len=4)
        _, without, _ = policy.model.training_pass(policy._prefix(batch), x, x, time)
        # The action expert sees neither the FAST tokens nor their positions.
        assert torch.allclose(velocity, without, atol=1e-5)
        changed = fast.clone()
        changed[1, 3] = 40
        later, _, _ = policy.model.training_pass(policy._prefix(batch, fast=changed), x, x, time, fast_len=4)
    # FAST tokens are causal: changing the last one leaves the ones before it (and the prompt) alone.
    assert torch.allclose(later[1, :-1], hidden[1, :-1], atol=1e-5)
    assert (later[1, -1] - hidden[1, -1]).abs().max() > 1e-3
    vocab = policy.model.paligemma_with_expert.paligemma.lm_head.out_features
    assert policy.fast_token_ids(torch.tensor([0, 63])).tolist() == [vocab - 129, vocab - 192]
    assert vocab - 192 >= len(policy.tokenizer)  # the tail rows are above every text token
    policy.train()
    try:
        _, parts = policy({**batch, "action.fast_tokens": fast})
    finally:
        policy.eval()
    assert set(parts) == {"loss", "flow_loss", "text_loss", "fast_loss"} and parts["fast_loss"] > 0
    with pytest.raises(ValueError, match="outside fast_vocab_size 64"):
        policy.fast_token_ids(torch.tensor([64]))


def test_cached_generation_equals_rerunning_the_sequence(policy):
    tokens, causal = chat_tokens(policy, "what should I do next?")
    batch = {**make_batch(policy), "observation.language.tokens": tokens,
             "observation.language.attention_mask": torch.ones_like(tokens, dtype=torch.bool),
             "observation.language.causal": causal}
    cached = policy.generate_tokens(batch, max_new_tokens=12, min_new_tokens=12)
    again = policy.generate_tokens(batch, max_new_tokens=12, min_new_tokens=12, use_cache=False)
    assert len(cached) == 12 and cached == again
    assert all(t < len(policy.tokenizer) for t in cached)  # LM-head rows beyond the tokenizer never chosen
    sampled = [policy.generate_tokens(batch, max_new_tokens=8, min_new_tokens=8, temperature=1.0,
                                      generator=torch.Generator().manual_seed(s), use_cache=c)
               for s, c in ((3, True), (3, False))]
    assert sampled[0] == sampled[1]
    assert isinstance(policy.select_message(batch, max_new_tokens=4), str)


def test_pi052_checkpoint_round_trip(policy, tmp_path):
    policy.config.fps = 10.0
    saved = policy.save_pretrained(tmp_path / "ckpt")
    data = json.loads((saved / "config.json").read_text())
    assert data["type"] == "pi052" and data["recipe_path"] == "recipes/pi052_hirobot.yaml" and data["fps"] == 10.0
    again = PI052Policy.from_pretrained(saved)
    assert again.config.chat_prompt and again.tokenizer.chat_template == policy.tokenizer.chat_template
    batch = make_batch(policy, target="grasp the corner")
    noise = torch.randn(1, policy.config.chunk_size, 32, generator=torch.Generator().manual_seed(4))
    assert torch.equal(again.predict_action_chunk(batch, noise=noise), policy.predict_action_chunk(batch, noise=noise))
    assert {k: v.tolist() for k, v in again.stats()["action"].items()} == \
        {k: v.tolist() for k, v in policy.stats()["action"].items()}


def test_a_pi05_checkpoint_becomes_pi052(policy, tmp_path):
    policy.config.type = "pi05"
    try:
        saved = policy.save_pretrained(tmp_path / "pi05")
    finally:
        policy.config.type = "pi052"
    data = json.loads((saved / "config.json").read_text())
    assert data["type"] == "pi05" and "recipe_path" not in data and "vlm_model_name" not in data
    # A Hub checkpoint's preprocessor names Google's tokenizer: saved again, it still does (so LeRobot
    # loads it on any machine); a local tokenizer is named by the saved vlm/ folder's absolute path.
    preprocessor = saved / "policy_preprocessor.json"
    assert str((saved / "vlm").resolve()) in preprocessor.read_text()
    preprocessor.write_text(preprocessor.read_text().replace(str((saved / "vlm").resolve()),
                                                             "google/paligemma-3b-pt-224"))
    loaded = PI052Policy.from_pretrained(saved)
    assert "google/paligemma-3b-pt-224" in (loaded.save_pretrained(tmp_path / "again") /
                                            "policy_preprocessor.json").read_text()
    loaded.tokenizer.chat_template = None  # as Google's PaliGemma tokenizer: no chat template
    assert not loaded.config.chat_prompt
    loaded.enable_language_head()
    assert loaded.config.type == "pi052" and loaded.tokenizer.chat_template is not None


def test_siglip_keys_in_either_transformers_spelling(policy, tmp_path):
    """LeRobot's pi05 checkpoints keep SigLIP under ``vision_tower.vision_model.`` (transformers < 5.6,
    as LeRobot 0.6.1 pins); later 5.x flattened SiglipVisionModel, so LeRobot's PI05Policy built there
    has ``vision_tower.embeddings.``. Ours saves the checkpoint spelling and loads either."""
    saved = policy.save_pretrained(tmp_path / "nested")
    weights = load_file(saved / MODEL_FILE)
    vision = [key for key in weights if ".vision_tower." in key]
    assert vision and all(".vision_tower.vision_model." in key for key in vision)
    flat_folder = tmp_path / "flat"
    shutil.copytree(saved, flat_folder)
    flat = {key.replace(".vision_tower.vision_model.", ".vision_tower."): t for key, t in weights.items()}
    assert "model.paligemma_with_expert.paligemma.model.vision_tower.post_layernorm.weight" in flat
    save_file(flat, flat_folder / MODEL_FILE)
    assert map_keys(flat).keys() == map_keys(weights).keys() == policy.state_dict().keys()
    loaded = PI052Policy.from_pretrained(flat_folder)
    batch = make_batch(policy)
    noise = torch.randn(1, policy.config.chunk_size, 32, generator=torch.Generator().manual_seed(5))
    assert torch.equal(loaded.predict_action_chunk(batch, noise=noise), policy.predict_action_chunk(batch, noise=noise))


def test_bad_inputs_are_named(policy, vlm):
    batch = make_batch(policy)
    with pytest.raises(ValueError, match="noise must have shape"):
        policy.predict_action_chunk(batch, noise=torch.zeros(1, 3, 32))
    with pytest.raises(ValueError, match="none of the policy's cameras"):
        policy.predict_action_chunk({k: v for k, v in batch.items() if "images" not in k})
    with pytest.raises(ValueError, match="uint8"):
        policy.predict_action_chunk({**batch, "observation.images.front": torch.zeros(1, 3, 8, 8, dtype=torch.uint8)})
    config = tiny_config(vlm, state_dim=6, action_dim=6, cameras=["front"])
    without_quantiles = PI052Policy(config, {k: {"mean": [0.0] * 6, "std": [1.0] * 6} for k in STATS})
    with pytest.raises(ValueError, match=r"QUANTILES normalization of observation.state needs the statistics"):
        without_quantiles.predict_action_chunk(make_batch(without_quantiles))
    for field, value, message in (("image_resolution", (32, 48), "square"),
                                  ("paligemma_variant", "gemma_7b", "variant"), ("type", "pi0", "policy type"),
                                  ("use_relative_actions", True, "relative")):
        with pytest.raises(ValueError, match=message):
            PI052Config(**{field: value})
