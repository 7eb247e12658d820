"""``python -m lerobot_ros.demo`` (``make demo``): record, train, run; see the package docstring.

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
from .settings import DemoSettings

MIN_MOTION_RAD = 0.02  # the policy must move some joint at least this far for the demo to pass


def parse_settings(argv: list[str] | None) -> DemoSettings:
    defaults = DemoSettings(output=Path("demo_output"))
    parser = argparse.ArgumentParser(prog="python -m lerobot_ros.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path(os.environ.get("DEMO_OUTPUT") or "demo_output"),
                        help="output folder (default: $DEMO_OUTPUT, else ./demo_output); an earlier demo's is replaced")
    parser.add_argument("--episodes", type=int, default=defaults.episodes, help="episodes to record (default 3)")
    parser.add_argument("--phase-s", type=float, default=defaults.phase_s,
                        help="seconds per phase of the demonstration; an episode is 3 phases + 0.5 s (default 2.5)")
    parser.add_argument("--train-steps", type=int, default=defaults.train_steps, help="training steps (default 200)")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="training batch size (default 8)")
    parser.add_argument("--policy-s", type=float, default=defaults.policy_s,
                        help="seconds the trained policy drives the arm (default 8)")
    args = parser.parse_args(argv)
    try:
        return DemoSettings(output=args.output.resolve(), episodes=args.episodes, phase_s=args.phase_s,
                            train_steps=args.train_steps, batch_size=args.batch_size, policy_s=args.policy_s)
    except ValueError as err:
        parser.error(str(err))


def main(argv: list[str] | None = None) -> int:
    settings = parse_settings(argv)
    keep_dds_on_loopback("make demo", domain_id=61)  # the Makefile's domain
    settings.prepare_output()
    parameters = settings.write_parameters()

    # rclpy, torch and the nodes are imported once the environment is set.
    from ..dataset.plot import plot_episode
    from ..training import train_tiny_checkpoint
    from . import pipeline
    from .report import print_report, summarize

    log = lambda text: print(text, flush=True)  # noqa: E731
    elapsed: dict[str, float] = {}
    started = stage = time.monotonic()
    graph = pipeline.Graph(parameters)
    try:
        log(f"[1/3] recording {settings.episodes} teleoperated episodes into {settings.dataset}")
        pipeline.record(graph, settings, log)
        elapsed["recording"], stage = time.monotonic() - stage, time.monotonic()

        log(f"[2/3] plotting the episodes and training a tiny SmolVLA2 for {settings.train_steps} steps")
        settings.plots.mkdir()
        for episode in range(settings.episodes):
            plot_episode(settings.dataset, episode, settings.plots / f"episode_{episode}.png")
        checkpoint = train_tiny_checkpoint(settings.dataset, settings.training, steps=settings.train_steps,
                                           batch_size=settings.batch_size, progress=sys.stderr.isatty())
        elapsed["training"], stage = time.monotonic() - stage, time.monotonic()

        log(f"[3/3] policy_node drives the simulated arm with {checkpoint}")
        run = pipeline.drive(graph, checkpoint, settings, log)
        elapsed["policy"] = time.monotonic() - stage
    except pipeline.GraphError as err:  # DemoError, or the graph itself
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
