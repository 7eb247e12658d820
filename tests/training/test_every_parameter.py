"""with_every_parameter: a text-only micro-batch still gives every trainable parameter a gradient (zeros
where the action expert sat out), so DistributedDataParallel runs without find_unused_parameters."""

from __future__ import annotations

import torch

from lerobot_ros.policies.smolvla2 import SmolVLA2Policy, tiny_config, write_tiny_vlm
from lerobot_ros.training.loop import with_every_parameter

STATS = {"observation.state": {"mean": [0.0] * 6, "std": [1.0] * 6}, "action": {"mean": [0.0] * 6, "std": [1.0] * 6}}


def test_a_text_only_batch_reaches_every_parameter_with_zeros_and_the_same_loss(tmp_path):
    folder = write_tiny_vlm(tmp_path / "vlm", corpus=["fold the towel"])
    config = tiny_config(folder, state_dim=6, action_dim=6, cameras=["front"], chunk_size=4, n_action_steps=4)
    torch.manual_seed(0)
    policy = SmolVLA2Policy(config, STATS).train()
    tokens = policy.tokenizer("fold the towel", return_tensors="pt")["input_ids"]
    batch = {  # no "action": the flow loss and the whole action expert sit this batch out
        "observation.images.front": torch.rand(1, 3, 32, 32),
        "observation.state": torch.zeros(1, 6),
        "observation.language.tokens": tokens,
        "observation.language.attention_mask": torch.ones_like(tokens, dtype=torch.bool),
        "text_labels": tokens,
    }
    trainable = {name: param for name, param in policy.named_parameters() if param.requires_grad}

    loss, _ = policy(batch)
    loss.backward(retain_graph=True)
    untouched = {name for name, param in trainable.items() if param.grad is None}
    assert any(name.startswith("model.vlm_with_expert.lm_expert.") for name in untouched)
    assert "model.action_in_proj.weight" in untouched
    grads = {name: param.grad.clone() for name, param in trainable.items() if param.grad is not None}
    policy.zero_grad(set_to_none=True)

    padded = with_every_parameter(loss, list(trainable.values()))
    assert padded.item() == loss.item()
    padded.backward()
    for name, param in trainable.items():
        assert param.grad is not None, name
        expected = grads.get(name, torch.zeros_like(param))
        assert torch.equal(param.grad, expected), name
