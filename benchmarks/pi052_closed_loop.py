"""Does a tiny PI052 trained on the policy scenario find its way through the task? Trains one per seed
(``lerobot-ros train``'s code path, one torch thread, as tests/nodes/test_pi052_end_to_end.py does),
then runs the offline closed loop: the runtime's prompts (subtask, memory update, action chunk), the
sim camera's rendering of the arm, and a perfect arm that goes to each chunk's 5th step.

    .venv/bin/python benchmarks/pi052_closed_loop.py --seeds 1000 1001 [--strayed-episodes 8] [--trials 3]

Per seed: the query at which each trial left "reach the cube", queries to the lift pose (within
0.2 rad), the final subtask and memory, and the memory updates that differ from the annotation in
the phase where the runtime asks for them. ``--strayed-episodes 0`` is the scenario without strayed
episodes (issue 18's baseline).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from lerobot_ros.policies import prompts
from lerobot_ros.runtime.pi052_policy import PI052LanguagePolicy
from lerobot_ros.runtime.policy import Observation
from lerobot_ros.scenarios.policy_scenario import (CAMERA, JOINTS, KEY_POSES, Scenario, write_scenario_dataset,
                                                   wrong_memory_updates)
from lerobot_ros.sim.camera import ArmRenderer
from lerobot_ros.training import synthetic, train_tiny_checkpoint

QUERIES, EXECUTED_STEP, AT_POSE_RAD = 30, 4, 0.2


def closed_loop(policy, renderer, trial: int) -> dict:
    torch.manual_seed(trial)
    seen = lambda state: Observation({CAMERA: renderer.render(dict(zip(JOINTS, state)))},  # noqa: E731
                                     state.astype(np.float32), 0.0)
    state, subtask, memory, left_reach = KEY_POSES[0].astype(float), None, None, None
    for query in range(1, QUERIES + 1):
        new = policy.generate(prompts.subtask_messages(synthetic.TASK, None, memory), seen(state))
        if new != subtask:
            if subtask is not None:
                memory = policy.generate(prompts.memory_update_messages(synthetic.TASK, None, memory, subtask),
                                         seen(state))
            subtask = new
        if subtask != synthetic.SUBTASKS[0] and left_reach is None:
            left_reach = query
        chunk = policy.action_chunk(prompts.action_messages(synthetic.TASK, None, memory, subtask), seen(state))
        state = np.asarray(chunk[EXECUTED_STEP], dtype=float)
        if np.abs(state - KEY_POSES[-1]).max() < AT_POSE_RAD:
            return dict(left_reach=left_reach, at_lift=query, subtask=subtask, memory=memory)
    return dict(left_reach=left_reach, at_lift=None, subtask=subtask, memory=memory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1000])
    parser.add_argument("--strayed-episodes", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    scenario = Scenario(strayed_episodes=args.strayed_episodes)
    renderer = ArmRenderer(Scenario().camera_config())
    print(f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}; strayed episodes "
          f"{args.strayed_episodes}, {args.steps} steps of batch 8")
    with tempfile.TemporaryDirectory() as tmp:
        dataset = write_scenario_dataset(Path(tmp) / "dataset", scenario)
        for seed in args.seeds:
            start = time.monotonic()
            checkpoint = train_tiny_checkpoint(dataset, Path(tmp) / f"train_{seed}", steps=args.steps, batch_size=8,
                                               policy_type="pi052", seed=seed)
            trained_s = time.monotonic() - start
            policy = PI052LanguagePolicy.load(str(checkpoint))
            trials = [closed_loop(policy, renderer, trial) for trial in range(args.trials)]
            print(f"seed {seed}: trained in {trained_s:.0f} s (load {os.getloadavg()[0]:.1f}); "
                  f"left reach at {[t['left_reach'] for t in trials]}, at the lift pose after "
                  f"{[t['at_lift'] for t in trials]} queries, final {[(t['subtask'], t['memory']) for t in trials]}; "
                  f"wrong memories where asked: {len(wrong_memory_updates(policy, next_phase_only=True))} of "
                  f"{Scenario().motion_frames - Scenario().frames_per_phase}, anywhere: "
                  f"{len(wrong_memory_updates(policy))} of {2 * Scenario().motion_frames}", flush=True)


if __name__ == "__main__":
    main()
