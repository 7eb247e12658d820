"""``python -m lerobot_ros.demo`` (``make demo``): record, train, evaluate; see the package docstring.

Outputs go to ``--output`` (default: $DEMO_OUTPUT, else ./demo_output); nothing is written outside
it. DDS stays on loopback: the Makefile exports the settings, and started otherwise the demo sets
them itself (and refuses to run with other values).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ..dds import keep_dds_on_loopback
from .settings import PRESETS, DemoSettings

MIN_MOTION_RAD = 0.02  # the policy must move some joint at least this far for the demo to pass


def parse_settings(argv: list[str] | None) -> DemoSettings:
    defaults = DemoSettings(output=Path("demo_output"))
    parser = argparse.ArgumentParser(prog="python -m lerobot_ros.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path(os.environ.get("DEMO_OUTPUT") or "demo_output"),
                        help="output folder (default: $DEMO_OUTPUT, else ./demo_output); an earlier demo's is replaced")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="quick",
                        help="quick (default: a few minutes) or full (50 demonstrations, 2000 steps, 20 evaluation "
                             "episodes: a real training run, half an hour or more on a CPU); the options below "
                             "override it")
    parser.add_argument("--episodes", type=int, help=f"expert episodes to record (quick: {defaults.episodes})")
    parser.add_argument("--train-steps", type=int, help=f"training steps (quick: {defaults.train_steps})")
    parser.add_argument("--batch-size", type=int, help=f"training batch size (quick: {defaults.batch_size})")
    parser.add_argument("--eval-episodes", type=int,
                        help=f"seeded scenes the trained policy is scored on (quick: {defaults.eval_episodes})")
    parser.add_argument("--eval-timeout-s", type=float,
                        help=f"time limit of each evaluation scene, s (quick: {defaults.eval_timeout_s:g})")
    args = parser.parse_args(argv)
    sizes = {**PRESETS[args.preset], **{name: value for name in ("episodes", "train_steps", "batch_size",
                                                                  "eval_episodes", "eval_timeout_s")
                                        if (value := getattr(args, name)) is not None}}
    try:
        return DemoSettings(output=args.output.resolve(), **sizes)
    except ValueError as err:
        parser.error(str(err))


def main(argv: list[str] | None = None) -> int:
    settings = parse_settings(argv)
    keep_dds_on_loopback("make demo", domain_id=61)  # the Makefile's domain
    settings.prepare_output()
    parameters = settings.write_parameters()

    # rclpy, torch, MuJoCo and the nodes are imported once the environment is set.
    from ..dataset.plot import plot_episode
    from ..training import train_tiny_checkpoint
    from . import pipeline
    from .report import print_report, summarize

    log = lambda text: print(text, flush=True)  # noqa: E731
    elapsed: dict[str, float] = {}
    started = stage = time.monotonic()
    graph = pipeline.Graph(parameters)
    try:
        log(f"[1/3] recording {settings.episodes} episodes of the scripted expert on the physics twin "
            f"(pick and place, teleoperated) into {settings.dataset}")
        demonstrations = pipeline.record(graph, settings, log)
        elapsed["recording"], stage = time.monotonic() - stage, time.monotonic()

        log(f"[2/3] plotting the episodes and training a tiny SmolVLA2 for {settings.train_steps} steps")
        settings.plots.mkdir()
        for episode in range(settings.episodes):
            plot_episode(settings.dataset, episode, settings.plots / f"episode_{episode}.png")
        checkpoint = train_tiny_checkpoint(settings.dataset, settings.training, steps=settings.train_steps,
                                           batch_size=settings.batch_size, progress=sys.stderr.isatty())
        elapsed["training"], stage = time.monotonic() - stage, time.monotonic()

        log(f"[3/3] evaluating {checkpoint}: policy_node drives the arm on {settings.eval_episodes} seeded scenes")
        run = pipeline.evaluate(graph, checkpoint, settings, demonstrations, log)
        elapsed["evaluation"] = time.monotonic() - stage
    except (pipeline.GraphError, pipeline.BenchError) as err:  # a stage (DemoError), the bench, or the graph
        print(f"make demo: {err}", file=sys.stderr)
        return 1
    finally:
        graph.close()
    elapsed["total"] = time.monotonic() - started
    print_report(summarize(settings, checkpoint, run, elapsed), log)
    if run.max_displacement_rad < MIN_MOTION_RAD:
        print(f"make demo: the arm did not move under the policy (less than {MIN_MOTION_RAD} rad)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
