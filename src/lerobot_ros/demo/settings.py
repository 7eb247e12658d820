"""What the demo runs with: its sizes and durations, its output folder, and the parameter file its
nodes are composed with."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..package_files import config_path

MARKER = ".lerobot_ros_demo"  # marks a folder as a demo's output, so a rerun may replace it
CAMERA = "front"


@dataclass(frozen=True)
class DemoSettings:
    output: Path
    episodes: int = 3
    phase_s: float = 2.5  # an episode is three phases and a 0.5 s hold: 8 s
    reset_s: float = 1.5  # the leader back to the start pose between episodes
    train_steps: int = 200
    batch_size: int = 8
    policy_s: float = 8.0  # how long the trained policy drives the arm

    def __post_init__(self) -> None:
        if self.episodes < 2:
            raise ValueError(f"--episodes {self.episodes}: the demo needs at least 2 (one is held out for validation)")
        for name in ("phase_s", "policy_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.train_steps < 2 or self.batch_size < 1:
            raise ValueError("train_steps must be >= 2 and batch_size >= 1")

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
        image = {"height": 96, "width": 128}
        nodes = {
            "robot_node": {"robot_type": "so101_follower", "port": "sim", "diagnostics_rate_hz": 0.5},
            "camera_node": {"name": CAMERA, "source": "sim", "fps": 15.0, "publish_compressed": False, **image},
            "teleop_node": {"leader_type": "so101_leader", "leader_port": "sim", "follower_type": "so101_follower",
                            "follower_port": "sim", "ramp_time_s": 1.0, "diagnostics_rate_hz": 0.5},
            "recorder_node": {"config": str(config_path("recording/so101_sim_demo.yaml")),
                              "root": str(self.dataset), "robot_type": "so101_follower", "codec": "libx264",
                              # One episode per demonstration: a stalled take is re-recorded, not split.
                              "on_gap": "truncate"},
            "policy_node": {"heartbeat_timeout_s": 1.0, "diagnostics_rate_hz": 0.5,
                            "port": "sim"},  # the simulated follower: its joint limits clamp the actions
        }
        text = yaml.safe_dump({name: {"ros__parameters": p} for name, p in nodes.items()}, sort_keys=False)
        self.parameters.write_text("# The parameters `make demo` composed its nodes with.\n" + text)
        return self.parameters
