"""What the demo runs with: its sizes and durations, its output folder, and the parameter file its
nodes are composed with."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..evaluation.settings import BenchConfig, EvalSettings
from ..package_files import config_path

MARKER = ".lerobot_ros_demo"  # marks a folder as a demo's output, so a rerun may replace it
BENCH = BenchConfig()  # the physics twin as lerobot-ros eval sets it up: pick_place, front camera 128x96 at 15 fps
CAMERA = BENCH.cameras[0]

# --preset: "quick" is make demo's few minutes on two CPU cores (a tiny policy that will not solve the
# task); "full" records and evaluates the sizes benchmarks/eval.py uses for a real training run.
PRESETS: dict[str, dict] = {
    "quick": {},
    "full": {"episodes": 50, "train_steps": 2000, "eval_episodes": 20, "eval_timeout_s": 20.0},
}


@dataclass(frozen=True)
class DemoSettings:
    output: Path
    episodes: int = 3  # expert demonstrations recorded (about 11 s each)
    train_steps: int = 200
    batch_size: int = 8
    eval_episodes: int = 2  # seeded scenes the trained policy is scored on
    eval_timeout_s: float = 15.0  # each scene's time limit (the expert needs about 11 s)

    def __post_init__(self) -> None:
        if self.episodes < 2:
            raise ValueError(f"--episodes {self.episodes}: the demo needs at least 2 (one is held out for validation)")
        if self.train_steps < 2 or self.batch_size < 1:
            raise ValueError("train_steps must be >= 2 and batch_size >= 1")
        if self.eval_episodes < 1 or self.eval_timeout_s <= 0:
            raise ValueError("eval_episodes must be >= 1 and eval_timeout_s positive")

    def evaluation_settings(self, checkpoint: Path) -> EvalSettings:
        """What the evaluation stage runs with (``lerobot-ros eval``'s settings; scenes from seed 1000,
        apart from the recorded ones; the recorded takes are the smoothness reference)."""
        return EvalSettings(output=self.evaluation, checkpoint=str(checkpoint), episodes=self.eval_episodes,
                            timeout_s=self.eval_timeout_s, reference_episodes=0, bench=BENCH)

    @property
    def dataset(self) -> Path:
        return self.output / "dataset"

    @property
    def quality_reports(self) -> Path:
        return self.output / "dataset.quality"  # the recorder writes <root>.quality beside the dataset

    @property
    def plots(self) -> Path:
        return self.output / "plots"

    @property
    def training(self) -> Path:
        return self.output / "train"

    @property
    def evaluation(self) -> Path:
        return self.output / "eval"

    @property
    def parameters(self) -> Path:
        return self.output / "demo_parameters.yaml"

    def prepare_output(self) -> None:
        """Create the output folder; replace an earlier demo's; refuse any other non-empty folder."""
        out = self.output
        if out.exists() and any(out.iterdir()):
            if not (out / MARKER).exists():
                raise SystemExit(f"{out} exists and is not a demo output folder; choose another DEMO_OUTPUT")
            shutil.rmtree(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / MARKER).write_text("written by `make demo` (python -m lerobot_ros.demo); safe to delete\n")
        # Everything the run writes stays here: ROS logs, matplotlib's font cache.
        os.environ.setdefault("ROS_LOG_DIR", str(out / "ros_log"))
        os.environ.setdefault("MPLCONFIGDIR", str(out / "matplotlib"))

    def write_parameters(self) -> Path:
        """The parameter file of the composed nodes (one section per node, as a launch file would pass)."""
        nodes = {
            "robot_node": {"robot_type": BENCH.robot_type, "port": BENCH.port, "diagnostics_rate_hz": 0.5},
            "teleop_node": {"leader_type": "so101_leader", "leader_port": "sim", "follower_type": BENCH.robot_type,
                            "follower_port": BENCH.port, "ramp_time_s": 1.0, "diagnostics_rate_hz": 0.5},
            "recorder_node": {"config": str(config_path("recording/so101_sim_demo.yaml")),
                              "root": str(self.dataset), "robot_type": BENCH.robot_type, "port": BENCH.port,
                              "codec": "libx264",
                              # One episode per take: a stalled take is discarded, not split.
                              "on_gap": "truncate"},
            "policy_node": {"heartbeat_timeout_s": 1.0, "diagnostics_rate_hz": 0.5,
                            "port": BENCH.port},  # the simulated follower: its joint limits clamp the actions
        }
        text = yaml.safe_dump({name: {"ros__parameters": p} for name, p in nodes.items()}, sort_keys=False)
        self.parameters.write_text("# The parameters `make demo` composed its nodes with.\n" + text)
        return self.parameters
