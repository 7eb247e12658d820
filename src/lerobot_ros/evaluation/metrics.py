"""How an evaluation scores: success rate with its confidence interval, time to success, smoothness.

Plain numpy, no ROS: the episode runner hands each episode's joint trajectory (the follower's
measured ``joint_states``, radians, with their times) and outcome here.

* **Success rate** with the Wilson score interval (95 % by default), which stays inside 0..1 and
  is honest at 0 % and 100 % and for the small N a CPU evaluation affords (the normal
  approximation gives a zero-width interval at 0/N).
* **Time to success**: from the task's start to the first moment the task's predicate held, over
  the successful episodes.
* **Smoothness**: joint-space path length (rad, summed Euclidean steps) and RMS jerk (rad/s^3, third
  finite difference of the trajectory averaged into 0.1 s bins: finer, the third difference of
  one-tick encoder quantization, 0.0015 rad, would swamp the motion), reported beside the same numbers for the
  demonstrations (the scripted expert), so "shakes" is a ratio, not an impression.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

JERK_RATE_HZ = 10.0  # trajectories are averaged into bins of this rate before differencing


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion ``successes / n``."""
    if n <= 0:
        raise ValueError("a success rate needs at least one episode")
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} successes out of {n} episodes")
    z = _z(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At 0 and n successes the bound is exactly 0 or 1 (the formula leaves a rounding residue).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence}: must be between 0 and 1")
    # Inverse normal CDF by bisection on erf: exact enough, and no scipy needed.
    target, lo, hi = (1 + confidence) / 2, 0.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def path_length(poses: np.ndarray) -> float:
    """Joint-space path length (rad): the summed Euclidean length of successive steps."""
    poses = np.asarray(poses, float)
    return float(np.linalg.norm(np.diff(poses, axis=0), axis=1).sum()) if len(poses) > 1 else 0.0


def rms_jerk(times_s: np.ndarray, poses: np.ndarray, rate_hz: float = JERK_RATE_HZ) -> float:
    """RMS over time of the joint-space jerk magnitude (rad/s^3) of the trajectory averaged into
    ``1 / rate_hz`` bins (each bin's mean pose at its mean time, put back on the uniform grid)."""
    times_s, poses = np.asarray(times_s, float), np.asarray(poses, float)
    if len(times_s) < 2 or times_s[-1] - times_s[0] < 4 / rate_hz:
        return 0.0
    bins = np.floor((times_s - times_s[0]) * rate_hz).astype(int)
    whole = bins < int((times_s[-1] - times_s[0]) * rate_hz)  # the last, partial bin is left out
    bins, times_s, poses = bins[whole], times_s[whole], poses[whole]
    count = np.bincount(bins)
    filled = count > 0
    mean_t = np.bincount(bins, times_s)[filled] / count[filled]
    means = np.stack([np.bincount(bins, poses[:, j])[filled] / count[filled] for j in range(poses.shape[1])], axis=1)
    grid = times_s[0] + (np.arange(len(count)) + 0.5) / rate_hz
    resampled = np.stack([np.interp(grid, mean_t, means[:, j]) for j in range(poses.shape[1])], axis=1)
    jerk = np.diff(resampled, n=3, axis=0) * rate_hz ** 3
    return float(np.sqrt(np.mean(np.sum(jerk * jerk, axis=1)))) if len(jerk) else 0.0


@dataclass
class EpisodeOutcome:
    """One evaluated episode: its seed, outcome and the follower's measured trajectory."""

    seed: int
    success: bool
    time_to_success_s: float | None
    duration_s: float
    times_s: np.ndarray = field(repr=False)
    poses: np.ndarray = field(repr=False)

    @property
    def path_length_rad(self) -> float:
        return path_length(self.poses)

    @property
    def rms_jerk(self) -> float:
        return rms_jerk(self.times_s, self.poses)

    def row(self) -> dict:
        return {"seed": self.seed, "success": self.success, "time_to_success_s": self.time_to_success_s,
                "duration_s": round(self.duration_s, 3), "path_length_rad": round(self.path_length_rad, 4),
                "rms_jerk": round(self.rms_jerk, 3)}


@dataclass(frozen=True)
class Summary:
    episodes: int
    successes: int
    success_rate: float
    ci_low: float
    ci_high: float
    confidence: float
    mean_time_to_success_s: float | None
    mean_path_length_rad: float
    mean_rms_jerk: float
    reference_path_length_rad: float | None = None
    reference_rms_jerk: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        lines = [f"success {self.successes}/{self.episodes} = {100 * self.success_rate:.0f} % "
                 f"({100 * self.confidence:.0f} % Wilson interval {100 * self.ci_low:.0f}-{100 * self.ci_high:.0f} %)"]
        if self.mean_time_to_success_s is not None:
            lines.append(f"time to success {self.mean_time_to_success_s:.2f} s (mean of the successes)")
        smooth = f"path {self.mean_path_length_rad:.2f} rad, RMS jerk {self.mean_rms_jerk:.1f} rad/s^3 per episode"
        if self.reference_path_length_rad:
            smooth += (f" (demonstrations: {self.reference_path_length_rad:.2f} rad, {self.reference_rms_jerk:.1f} "
                       f"rad/s^3; ratio {self.mean_path_length_rad / self.reference_path_length_rad:.2f}x path, "
                       f"{self.mean_rms_jerk / max(self.reference_rms_jerk or 0.0, 1e-9):.2f}x jerk)")
        lines.append(smooth)
        return "\n".join(lines)


def summarize(outcomes: Sequence[EpisodeOutcome], reference: Sequence[EpisodeOutcome] = (),
              confidence: float = 0.95) -> Summary:
    """The evaluation's numbers; ``reference``: the demonstrations' episodes to compare smoothness with."""
    n = len(outcomes)
    wins = sum(o.success for o in outcomes)
    low, high = wilson_interval(wins, n, confidence)
    times = [o.time_to_success_s for o in outcomes if o.success and o.time_to_success_s is not None]
    return Summary(
        episodes=n, successes=wins, success_rate=wins / n, ci_low=low, ci_high=high, confidence=confidence,
        mean_time_to_success_s=float(np.mean(times)) if times else None,
        mean_path_length_rad=float(np.mean([o.path_length_rad for o in outcomes])),
        mean_rms_jerk=float(np.mean([o.rms_jerk for o in outcomes])),
        reference_path_length_rad=float(np.mean([o.path_length_rad for o in reference])) if reference else None,
        reference_rms_jerk=float(np.mean([o.rms_jerk for o in reference])) if reference else None)
