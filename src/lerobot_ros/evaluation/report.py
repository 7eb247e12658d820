"""What an evaluation leaves behind: an MP4 per episode, a summary plot, and the numbers as JSON.

The MP4 is the policy's own view (the first camera's images as they arrived over DDS), written with
the dataset writer's encoder (x264, so any player opens it). The plot puts the outcome of every
episode, the time to success, and the smoothness against the demonstrations on one page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from ..dataset.video import SegmentEncoder, VideoEncoding
from .metrics import EpisodeOutcome, Summary


def write_video(frames: Sequence[np.ndarray], path: Path, fps: float) -> Path | None:
    """``frames`` (HxWx3 RGB) as an H.264 MP4 at ``fps``; None when there are none."""
    if not frames:
        return None
    height, width = frames[0].shape[:2]
    encoder = SegmentEncoder(path, max(1, round(fps)), height - height % 2, width - width % 2,
                             VideoEncoding(codec="libx264", g=None, crf=23))
    try:
        for frame in frames:
            encoder.add(np.ascontiguousarray(frame[:height - height % 2, :width - width % 2]))
        encoder.close()
    except BaseException:
        encoder.abort()
        raise
    return path


def write_summary(folder: Path, summary: Summary, outcomes: Sequence[EpisodeOutcome], settings: dict) -> Path:
    path = folder / "summary.json"
    path.write_text(json.dumps({"summary": summary.as_dict(), "episodes": [o.row() for o in outcomes],
                                "settings": settings}, indent=2) + "\n")
    return path


def plot_summary(path: Path, summary: Summary, outcomes: Sequence[EpisodeOutcome],
                 reference: Sequence[EpisodeOutcome] = (), title: str = "") -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    seeds = [o.seed for o in outcomes]
    colours = ["tab:green" if o.success else "tab:red" for o in outcomes]
    times = [o.time_to_success_s if o.success else o.duration_s for o in outcomes]
    axes[0].bar(range(len(outcomes)), times, color=colours)
    axes[0].set_xticks(range(len(outcomes)), [str(s) for s in seeds], fontsize=7)
    axes[0].set_xlabel("episode seed")
    axes[0].set_ylabel("time to success (green) / episode length (red), s")
    axes[0].set_title(f"success {summary.successes}/{summary.episodes} "
                      f"[{100 * summary.ci_low:.0f}-{100 * summary.ci_high:.0f} %]")
    for ax, metric, label in ((axes[1], "path_length_rad", "joint path length, rad"),
                              (axes[2], "rms_jerk", "RMS jerk, rad/s^3")):
        groups = [[getattr(o, metric) for o in outcomes]]
        names = ["policy"]
        if reference:
            groups.append([getattr(o, metric) for o in reference])
            names.append("demonstrations")
        ax.boxplot(groups, tick_labels=names)
        ax.set_ylabel(label)
    fig.suptitle(title or "closed-loop evaluation")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
