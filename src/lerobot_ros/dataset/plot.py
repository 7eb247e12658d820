"""One PNG per episode to eyeball a recording: the state and action curves over time and a strip of
camera frames, so a dead joint, a clipped action or a frozen camera shows at a glance.

Drawn with matplotlib's Agg backend (no display needed, works over SSH and in CI).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .reader import DatasetReader

FRAMES_IN_STRIP = 8
FIGURE_INCHES = (12.0, 8.0)
DPI = 100  # so the PNG is 1200 x 800 pixels


def plot_episode(root: str | Path, episode: int, out_png: str | Path) -> Path:
    """Write ``out_png`` for ``episode``: one panel per numeric vector feature (observation.state,
    action, ...) with a curve per named dimension, then one strip of frames per camera."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reader = DatasetReader(root)
    if not 0 <= episode < reader.num_episodes:
        raise ValueError(f"episode {episode} does not exist: {root} has {reader.num_episodes} episodes")
    columns = reader.episode_columns(episode)
    curves = [f for f in reader.info.features.user if f.is_numeric]
    cameras = reader.info.features.video_keys
    timestamps = columns["timestamp"]
    figure, axes = plt.subplots(len(curves) + len(cameras), 1, figsize=FIGURE_INCHES, dpi=DPI, squeeze=False)
    for ax, feature in zip(axes[:, 0], curves):
        values = columns[feature.key].reshape(len(timestamps), -1)
        names = feature.names or [f"{feature.key}[{i}]" for i in range(values.shape[1])]
        for i in range(values.shape[1]):
            ax.plot(timestamps, values[:, i], label=names[i], linewidth=1)
        ax.set_title(feature.key, fontsize=9)
        ax.set_xlabel("time (s)", fontsize=8)
        ax.legend(fontsize=7, loc="upper right", ncol=min(len(names), 6))
    for ax, key in zip(axes[len(curves):, 0], cameras):
        frames = reader.video_frames(episode, key)
        picks = np.linspace(0, len(frames) - 1, min(FRAMES_IN_STRIP, len(frames))).round().astype(int)
        ax.imshow(np.concatenate([frames[i] for i in picks], axis=1))
        ax.set_title(f"{key}: frames {', '.join(str(i) for i in picks)}", fontsize=9)
        ax.axis("off")
    tasks = list(dict.fromkeys(reader.episode_tasks(episode)))
    figure.suptitle(f"{reader.root.name} episode {episode} ({len(timestamps)} frames): {' / '.join(tasks)}",
                    fontsize=10)
    figure.tight_layout()
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=DPI)
    plt.close(figure)
    return out
