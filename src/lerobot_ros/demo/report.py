"""The demo's closing report: where everything is, and what happened, read back from the files."""

from __future__ import annotations

import json
from pathlib import Path

from ..dataset import DatasetReader
from ..training.metrics import LOG_FILE, PLOT_FILE, read_log
from .pipeline import PolicyRun
from .settings import DemoSettings


def dataset_summary(root: Path) -> dict:
    """Episodes, frames and language rows of the recorded dataset, as our reader sees them."""
    reader = DatasetReader(root)
    persistent = events = 0
    for episode in range(reader.num_episodes):
        language = reader.episode_language(episode)
        persistent += len(language.persistent)
        events += sum(len(rows) for rows in language.events.values())
    return {"episodes": reader.num_episodes, "frames": reader.num_frames, "fps": reader.info.fps,
            "language_persistent": persistent, "language_events": events}


def final_losses(training: Path) -> dict[str, float]:
    """The last logged training loss and its parts, and the last validation loss."""
    records = read_log(training / LOG_FILE)
    train = [r for r in records if r["split"] == "train"]
    val = [r for r in records if r["split"] == "val"]
    losses = {k: train[-1][k] for k in ("loss", "flow_loss", "text_loss") if train and k in train[-1]}
    if val:
        losses["val_loss"] = val[-1]["loss"]
    return losses


def quality_lines(reports: Path) -> list[str]:
    lines = []
    for path in sorted(reports.glob("episode_*.json")):
        account = json.loads(path.read_text())["account"]
        lines.append(f"{path.name}: {account['written']} frames written, {account['not_fresh']} not fresh, "
                     f"{account['dropped_encoder']} dropped, {'truncated' if account['truncated_at_s'] is not None else 'complete'}")
    return lines


def distinct(texts: list[str]) -> list[str]:
    """The texts in order, each repetition of the one before dropped."""
    return [t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]]


def print_report(settings: DemoSettings, checkpoint: Path, policy: PolicyRun, elapsed_s: dict[str, float],
                 log=print) -> None:
    data = dataset_summary(settings.dataset)
    losses = final_losses(settings.training)
    log("\nWhere everything is:")
    log(f"  dataset          {settings.dataset}  (LeRobotDataset v3.0)")
    log(f"  episode plots    {settings.plots}/episode_<n>.png")
    log(f"  quality reports  {settings.quality_reports}/episode_<n>.json")
    log(f"  checkpoint       {checkpoint}  (SmolVLA2Policy.from_pretrained loads it)")
    log(f"  training log     {settings.training / LOG_FILE}, {settings.training / PLOT_FILE}")
    log(f"  node parameters  {settings.parameters}")
    log("\nSummary:")
    log(f"  recorded {data['episodes']} episodes, {data['frames']} frames at {data['fps']} fps, "
        f"{data['language_persistent']} language_persistent rows and {data['language_events']} language_events rows")
    for line in quality_lines(settings.quality_reports):
        log(f"    {line}")
    log("  final losses: " + ", ".join(f"{k} {v:.4f}" for k, v in losses.items()))
    log(f"  subtasks the policy generated: {distinct(policy.subtasks) or 'none'}")
    if policy.plans or policy.memories:
        log(f"  plans: {distinct(policy.plans)}; memories: {distinct(policy.memories)}")
    log(f"  under the policy the arm moved up to {policy.max_displacement_rad:.3f} rad on a joint "
        f"(path {policy.path_length_rad:.3f} rad in joint space, {len(policy.poses)} joint_states)")
    log("  time: " + ", ".join(f"{stage} {seconds:.0f} s" for stage, seconds in elapsed_s.items()))
