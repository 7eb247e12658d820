"""LeRobot 0.6.1's real-time chunking on a small velocity field, for tests/policies/test_rtc.py.

Runs in the oracle venv (scripts/oracle_venv.sh). Reads the field's weights, the noise and the previous
chunks from ``inputs.safetensors`` and the cases from ``cases.json``; for each case it samples a chunk
with LeRobot's own ``euler_integrate`` routed through its ``RTCProcessor`` (as SmolVLA and pi05 do in
``sample_actions``) and writes the chunks to ``outputs.safetensors``.

usage: lerobot_rtc_061.py FOLDER
"""

import json
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from lerobot.configs import RTCAttentionSchedule
from lerobot.policies.common.flow_matching import euler_integrate
from lerobot.policies.rtc import RTCConfig, RTCProcessor

folder = Path(sys.argv[1])
tensors = load_file(folder / "inputs.safetensors")
cases = json.loads((folder / "cases.json").read_text())


def velocity(x, time):
    """The field test_rtc.py's ``field`` computes: tanh(x W + t b) * 2 (nonlinear in x and t)."""
    return torch.tanh(x @ tensors["W"] + time[:, None, None] * tensors["b"]) * 2.0


outputs = {}
for case in cases:
    name = case["name"]
    prefix = tensors[f"prefix.{name}"] if f"prefix.{name}" in tensors else None
    config = RTCConfig(execution_horizon=case["horizon"], max_guidance_weight=case["max_weight"],
                       prefix_attention_schedule=RTCAttentionSchedule(case["schedule"]))
    processor = RTCProcessor(config)
    with torch.no_grad():
        outputs[name] = euler_integrate(velocity, tensors["noise"].clone(), case["num_steps"],
                                        rtc_processor=processor, rtc_enabled=True,
                                        inference_delay=case["delay"], prev_chunk_left_over=prefix).contiguous()
    outputs[f"weights.{name}"] = processor.get_prefix_weights(case["delay"], case["weights_horizon"],
                                                              case["steps"]).contiguous()
save_file(outputs, folder / "outputs.safetensors")
