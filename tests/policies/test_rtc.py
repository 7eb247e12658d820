"""Real-time chunking in our flow sampler: equal to LeRobot 0.6.1's RTC, and what its guidance does.

The oracle test runs LeRobot's own ``euler_integrate`` + ``RTCProcessor`` in the 0.6.1 venv
(tests/policies/reference/lerobot_rtc_061.py) on a small nonlinear velocity field both sides compute
from the same weights, noise and previous chunks, over every prefix schedule and delays below, at and
beyond the execution horizon.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from lerobot_ros.policies.smolvla2.flow import euler_integrate
from lerobot_ros.policies.rtc import ChunkPrefix, PrefixSchedule, RTCConfig, RTCGuidance, prefix_weights

from oracle_helpers import build_oracle

REFERENCE_SCRIPT = Path(__file__).parent / "reference" / "lerobot_rtc_061.py"
STEPS, DIM = 12, 5


def field_weights(seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {"W": torch.randn(DIM, DIM, generator=generator), "b": torch.randn(DIM, generator=generator),
            "noise": torch.randn(2, STEPS, DIM, generator=generator)}


def field(tensors):
    """v(x, t) = tanh(x W + t b) * 2: nonlinear in x and t, each chunk step on its own."""
    return lambda x, time: torch.tanh(x @ tensors["W"] + time[:, None, None] * tensors["b"]) * 2.0


CASES = [  # (name, schedule, delay, horizon, prefix steps, prefix dim, max weight, Euler steps)
    ("linear", "LINEAR", 3, 8, 10, DIM, 10.0, 10),
    ("exp", "EXP", 2, 9, STEPS, DIM, 10.0, 10),
    ("ones", "ONES", 4, 6, 9, DIM, 5.0, 10),
    ("zeros", "ZEROS", 4, 10, 10, DIM, 10.0, 10),
    ("short_narrow", "LINEAR", 2, 10, 5, 3, 10.0, 8),  # a prefix shorter than the horizon and the action
    ("delay_past_horizon", "LINEAR", 7, 4, 10, DIM, 2.0, 10),
    ("delay_zero", "EXP", 0, 10, 11, DIM, 10.0, 4),
]


@pytest.fixture(scope="module")
def lerobot_rtc(tmp_path_factory) -> tuple[dict, dict]:
    python = build_oracle()
    folder = tmp_path_factory.mktemp("rtc061")
    tensors = field_weights()
    generator = torch.Generator().manual_seed(1)
    for name, _, _, _, steps, dim, _, _ in CASES:
        tensors[f"prefix.{name}"] = torch.randn(2, steps, dim, generator=generator)
    save_file(tensors, folder / "inputs.safetensors")
    cases = [{"name": name, "schedule": schedule, "delay": delay, "horizon": horizon, "max_weight": weight,
              "num_steps": num_steps, "steps": STEPS, "weights_horizon": horizon}
             for name, schedule, delay, horizon, _, _, weight, num_steps in CASES]
    (folder / "cases.json").write_text(json.dumps(cases))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    result = subprocess.run([str(python), str(REFERENCE_SCRIPT), str(folder)], env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, f"LeRobot's RTC failed in {python}:\n{result.stderr[-4000:]}"
    return tensors, load_file(folder / "outputs.safetensors")


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_guided_sampling_equals_lerobot_061(lerobot_rtc, case):
    tensors, lerobot = lerobot_rtc
    name, schedule, delay, horizon, _, _, weight, num_steps = case
    config = RTCConfig(execution_horizon=horizon, max_guidance_weight=weight, prefix_schedule=schedule)
    guidance = RTCGuidance(ChunkPrefix(tensors[f"prefix.{name}"], delay), config)
    ours = euler_integrate(field(tensors), tensors["noise"].clone(), num_steps, guidance)
    torch.testing.assert_close(ours, lerobot[name], rtol=0.0, atol=1e-6)
    plain = euler_integrate(field(tensors), tensors["noise"].clone(), num_steps)
    assert (ours - plain).abs().max() > 0.1  # the case guides at all
    torch.testing.assert_close(prefix_weights(delay, horizon, STEPS, PrefixSchedule(schedule)),
                               lerobot[f"weights.{name}"], rtol=0.0, atol=0.0)


def test_guidance_pulls_the_delayed_steps_onto_the_prefix_and_leaves_the_rest():
    tensors = field_weights(seed=3)
    plain = euler_integrate(field(tensors), tensors["noise"], 10)
    prefix = plain[:, :8] + 1.5  # the old chunk disagrees with what this chunk would be by 1.5 everywhere
    delay, horizon = 3, 6
    guided = euler_integrate(field(tensors), tensors["noise"], 10,
                             RTCGuidance(ChunkPrefix(prefix, delay), RTCConfig(execution_horizon=horizon)))
    before = (plain[:, :delay] - prefix[:, :delay]).abs().max()
    after = (guided[:, :delay] - prefix[:, :delay]).abs().max()
    assert after < 0.1 * before, (before, after)  # the committed steps are (nearly) the old chunk's
    # The ramp between delay and horizon is pulled part of the way, monotonically less with time.
    pulled = (guided - plain).abs().mean(dim=(0, 2))
    assert torch.all(pulled[delay:horizon].diff() <= 1e-6), pulled
    # Past the horizon the weights are zero, and this field treats every step on its own: unchanged.
    torch.testing.assert_close(guided[:, horizon:], plain[:, horizon:], rtol=0.0, atol=0.0)


def test_zero_weights_are_plain_sampling():
    tensors = field_weights(seed=4)
    plain = euler_integrate(field(tensors), tensors["noise"], 10)
    prefix = torch.randn(2, STEPS, DIM)
    zeros = RTCGuidance(ChunkPrefix(prefix, 0), RTCConfig(prefix_schedule="ZEROS"))  # delay 0: every weight 0
    torch.testing.assert_close(euler_integrate(field(tensors), tensors["noise"], 10, zeros), plain,
                               rtol=0.0, atol=0.0)


def test_bad_prefixes_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="inference delay"):
        ChunkPrefix(torch.zeros(4, DIM), -1)
    with pytest.raises(ValueError, match="steps > 0"):
        ChunkPrefix(torch.zeros(0, DIM), 1)
    with pytest.raises(ValueError, match="execution_horizon"):
        RTCConfig(execution_horizon=0)
    with pytest.raises(ValueError, match="max_guidance_weight"):
        RTCConfig(max_guidance_weight=0.0)
    tensors = field_weights()
    too_long = RTCGuidance(ChunkPrefix(torch.zeros(STEPS + 1, DIM), 1))
    with pytest.raises(ValueError, match="larger than the chunk"):
        euler_integrate(field(tensors), tensors["noise"], 2, too_long)


def test_tiny_smolvla2_chunk_starts_on_the_running_chunk(tmp_path):
    """Through the real (tiny) SmolVLA2: a prefix in raw units is normalized, guides the sampler, and the
    chunk's first ``delay`` actions land on it; without a prefix the chunk is the unguided one."""
    from lerobot_ros.policies.smolvla2 import SmolVLA2Policy, tiny_config, write_tiny_vlm

    torch.set_num_threads(2)
    folder = write_tiny_vlm(tmp_path / "vlm", corpus=["fold the towel"])
    config = tiny_config(folder, state_dim=6, action_dim=6, cameras=["front"], chunk_size=10, n_action_steps=10)
    torch.manual_seed(0)
    stats = {"observation.state": {"mean": [0.5] * 6, "std": [2.0] * 6},
             "action": {"mean": [-1.0] * 6, "std": [3.0] * 6}}
    policy = SmolVLA2Policy(config, stats).eval()
    tokens = torch.tensor([policy.tokenizer("fold the towel", add_special_tokens=False)["input_ids"]])
    generator = torch.Generator().manual_seed(0)
    batch = {"observation.images.front": torch.rand(1, 3, 48, 64, generator=generator),
             "observation.state": torch.randn(1, 6, generator=generator),
             "observation.language.tokens": tokens,
             "observation.language.attention_mask": torch.ones_like(tokens, dtype=torch.bool)}
    noise = torch.randn(1, 10, config.max_action_dim, generator=generator)
    plain = policy.predict_action_chunk(batch, noise=noise)
    torch.testing.assert_close(policy.predict_action_chunk(batch, noise=noise), plain)  # deterministic given noise
    running = plain[0, :7] + 6.0  # raw units: two standard deviations away from this chunk
    delay = 3
    guided = policy.predict_action_chunk(batch, noise=noise, rtc=ChunkPrefix(running, delay),
                                         rtc_config=RTCConfig(execution_horizon=6))
    before = (plain[0, :delay] - running[:delay]).abs().max()
    after = (guided[0, :delay] - running[:delay]).abs().max()
    assert after < 0.1 * before, (before, after)
