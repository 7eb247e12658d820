"""What an evaluation runs with, as plain data (no ROS: the command checks its arguments before
rclpy and torch load)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

BASELINES = ("present-pose",)


@dataclass(frozen=True)
class BenchConfig:
    robot_type: str = "so101_follower"
    world: str = "pick_place"
    cameras: tuple[str, ...] = ("front",)
    image_width: int = 128
    image_height: int = 96
    fps: float = 15.0
    controller: str = "arm_controller"

    @property
    def port(self) -> str:
        return f"sim://{self.robot_type}?world={self.world}"

    def parameters(self, folder: Path, extra: dict | None = None) -> Path:
        """The composed nodes' parameter file (one section per node name, as a launch file passes)."""
        nodes = {
            "robot_node": {"robot_type": self.robot_type, "port": self.port, "diagnostics_rate_hz": 0.5},
            "teleop_node": {"leader_type": self.robot_type.replace("_follower", "_leader"), "leader_port": "sim",
                            "follower_type": self.robot_type, "follower_port": self.port, "ramp_time_s": 1.0,
                            "diagnostics_rate_hz": 0.5},
            **(extra or {}),
        }
        path = folder / "bench_parameters.yaml"
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({n: {"ros__parameters": p} for n, p in nodes.items()}, sort_keys=False))
        return path


@dataclass(frozen=True)
class EvalSettings:
    output: Path
    checkpoint: str = ""
    baseline: str = ""  # instead of a checkpoint: one of BASELINES
    episodes: int = 10
    first_seed: int = 1000
    timeout_s: float = 20.0
    reference_episodes: int = 3
    videos: bool = True
    bench: BenchConfig = field(default_factory=BenchConfig)
    policy_parameters: dict = field(default_factory=dict)  # policy_node parameters (backend, device, ...)

    def __post_init__(self) -> None:
        if bool(self.checkpoint) == bool(self.baseline):
            raise ValueError("give a checkpoint or a baseline (one of: " + ", ".join(BASELINES) + "), not both")
        if self.baseline and self.baseline not in BASELINES:
            raise ValueError(f"unknown baseline {self.baseline!r}; known: {', '.join(BASELINES)}")
        if self.episodes < 1 or self.timeout_s <= 0 or self.reference_episodes < 0:
            raise ValueError("episodes must be >= 1, timeout_s > 0 and reference_episodes >= 0")

    @property
    def seeds(self) -> list[int]:
        """Episode ``k`` places the objects from seed ``first_seed + k``."""
        return [self.first_seed + k for k in range(self.episodes)]
