"""Flex-attention block masks (the graphed chunk's denoising masks) against the additive-bias path."""

import pytest
import torch
from torch._dynamo.utils import counters

from lerobot_ros.policies.smolvla2.attention import additive_bias, attend, visibility_block_mask

BATCH, QUERIES, PREFIX, HEADS, KV_HEADS, DIM = 2, 50, 40, 6, 2, 16


def step_visibility(pad: torch.Tensor) -> torch.Tensor:
    """A self-attention layer's mask at a denoising step: the unpadded prefix, then causal actions."""
    causal = torch.ones(QUERIES, QUERIES, dtype=torch.bool).tril()
    return torch.cat([pad[:, None, :].expand(-1, QUERIES, -1), causal.expand(pad.shape[0], -1, -1)], 2)


@pytest.fixture
def qkv():
    generator = torch.Generator().manual_seed(0)
    query = torch.randn(BATCH, QUERIES, HEADS, DIM, generator=generator)
    key = torch.randn(BATCH, PREFIX + QUERIES, KV_HEADS, DIM, generator=generator)
    return query, key, torch.randn(key.shape, generator=generator)


def test_block_mask_attention_equals_the_additive_bias(qkv):
    pad = torch.rand(BATCH, PREFIX, generator=torch.Generator().manual_seed(1)) > 0.3
    visible = step_visibility(pad)
    expected = attend(*qkv, additive_bias(visible, torch.float32))
    assert torch.allclose(attend(*qkv, visibility_block_mask(visible)), expected, atol=1e-5)
    # Padding really is hidden: changing a padded key's value changes nothing.
    query, key, value = qkv
    value = value.clone()
    value[0, int((~pad[0]).nonzero()[0])] += 100.0
    assert torch.allclose(attend(query, key, value, visibility_block_mask(visible)), expected, atol=1e-5)


def test_compiled_block_mask_follows_new_mask_contents_without_recompiling(qkv):
    """The graphed chunk captures the mask's structure once; a new prefix only changes its contents."""
    compiled = torch.compile(lambda q, k, v, mask: attend(q, k, v, mask), dynamic=False, fullgraph=True)
    graphs = []
    for seed in range(3):
        pad = torch.rand(BATCH, PREFIX, generator=torch.Generator().manual_seed(seed)) > 0.5
        visible = step_visibility(pad)
        out = compiled(*qkv, visibility_block_mask(visible))
        assert torch.allclose(out, attend(*qkv, additive_bias(visible, torch.float32)), atol=1e-5)
        graphs.append(counters["stats"]["unique_graphs"])
    assert graphs[1] == graphs[0] and graphs[2] == graphs[0]


def test_visibility_block_mask_rejects_a_float_mask():
    with pytest.raises(ValueError, match="bool tensor"):
        visibility_block_mask(torch.ones(1, 4, 4))
