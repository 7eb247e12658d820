"""The run's record: one JSON object per line in ``log.jsonl`` and a PNG of the loss curves.

Train lines: ``{"step", "split": "train", "loss", "flow_loss", "text_loss", ["fast_loss"], "lr",
"grad_norm", "samples_per_s", "elapsed_s"}``, one every ``log_every`` steps (losses and grad_norm are
the means over those steps and over the processes, ``lr`` the rate the last of them used). Validation lines: ``{"step", "split": "val", "loss", ...parts}``.
On resume the lines after the resumed step are dropped, so the log is one continuous run.
"""

from __future__ import annotations

import json
from pathlib import Path

LOG_FILE = "log.jsonl"
PLOT_FILE = "loss_curves.png"


def read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class RunLog:
    def __init__(self, output_dir: Path, resume_step: int | None = None):
        self.path = Path(output_dir) / LOG_FILE
        if resume_step is None:
            self.path.write_text("", encoding="utf-8")
        else:
            kept = [r for r in read_log(self.path) if r["step"] <= resume_step]
            self.path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")

    def write(self, record: dict) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")

    def plot(self) -> Path:
        return plot_log(self.path, self.path.with_name(PLOT_FILE))


def plot_log(log_path: Path, png_path: Path) -> Path:
    """Train loss and its parts, validation loss, and the learning rate, against the step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = read_log(log_path)
    train = [r for r in records if r["split"] == "train"]
    val = [r for r in records if r["split"] == "val"]
    fig, (ax_loss, ax_lr) = plt.subplots(2, 1, figsize=(9, 7), sharex=True,
                                         gridspec_kw={"height_ratios": [3, 1]})
    for key, style in (("loss", "-"), ("flow_loss", "--"), ("text_loss", ":"), ("fast_loss", "-.")):
        points = [(r["step"], r[key]) for r in train if key in r]
        if points:
            ax_loss.plot(*zip(*points), style, label=f"train {key}")
    if val:
        ax_loss.plot([r["step"] for r in val], [r["loss"] for r in val], "o-", label="val loss")
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel("loss")
    ax_loss.grid(True, which="both", alpha=0.3)
    if train or val:
        ax_loss.legend()
    if train:
        ax_lr.plot([r["step"] for r in train], [r["lr"] for r in train])
    ax_lr.set_xlabel("step")
    ax_lr.set_ylabel("learning rate")
    ax_lr.grid(True, alpha=0.3)
    fig.tight_layout()
    png_path = Path(png_path)
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return png_path
