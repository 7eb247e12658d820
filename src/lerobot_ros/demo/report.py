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
    """One line per episode from the recorder's quality reports."""
    lines = []
    for path in sorted(reports.glob("episode_*.json")):
        account = json.loads(path.read_text())["account"]
        ending = "complete" if account["truncated_at_s"] is None else "truncated"
        lines.append(f"{path.name}: {account['written']} frames written, {account['not_fresh']} not fresh, "
                     f"{account['dropped_encoder']} dropped, {ending}")
    return lines


def distinct(texts: list[str]) -> list[str]:
    """The texts in order, each repetition of the one before dropped."""
    return [t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]]


def summarize(settings: DemoSettings, checkpoint: Path, policy: PolicyRun, elapsed_s: dict[str, float]) -> dict:
    """Everything the report prints, also written to ``summary.json`` in the output folder."""
    evaluation = policy.evaluation
    summary = {
        "paths": {"dataset": str(settings.dataset), "plots": str(settings.plots),
                  "quality_reports": str(settings.quality_reports), "checkpoint": str(checkpoint),
                  "training_log": str(settings.training / LOG_FILE), "loss_plot": str(settings.training / PLOT_FILE),
                  "evaluation": str(evaluation.folder / "summary.json"),
                  "evaluation_plot": str(evaluation.folder / "summary.png"),
                  "evaluation_videos": str(evaluation.folder / "videos"),
                  "node_parameters": str(settings.parameters)},
        "dataset": dataset_summary(settings.dataset),
        "quality": quality_lines(settings.quality_reports),
        "final_losses": final_losses(settings.training),
        "evaluation": {**evaluation.summary.as_dict(), "text": evaluation.summary.text(),
                       "seeds": [o.seed for o in evaluation.outcomes],
                       "timeout_s": settings.eval_timeout_s},
        "policy": {"subtasks": distinct(policy.subtasks), "plans": distinct(policy.plans),
                   "memories": distinct(policy.memories), "max_displacement_rad": policy.max_displacement_rad,
                   "path_length_rad": [round(o.path_length_rad, 4) for o in evaluation.outcomes],
                   "joint_states_per_episode": [len(o.poses) for o in evaluation.outcomes]},
        "elapsed_s": elapsed_s,
    }
    (settings.output / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def print_report(summary: dict, log=print) -> None:
    paths, data, run, score = summary["paths"], summary["dataset"], summary["policy"], summary["evaluation"]
    log("\nWhere everything is:")
    log(f"  dataset          {paths['dataset']}  (LeRobotDataset v3.0)")
    log(f"  episode plots    {paths['plots']}/episode_<n>.png")
    log(f"  quality reports  {paths['quality_reports']}/episode_<n>.json")
    log(f"  checkpoint       {paths['checkpoint']}  (SmolVLA2Policy.from_pretrained loads it)")
    log(f"  training log     {paths['training_log']}, {paths['loss_plot']}")
    log(f"  evaluation       {paths['evaluation']}, {paths['evaluation_plot']}, "
        f"{paths['evaluation_videos']}/episode_<seed>.mp4")
    log(f"  node parameters  {paths['node_parameters']}")
    log("\nSummary:")
    log(f"  recorded {data['episodes']} episodes, {data['frames']} frames at {data['fps']} fps, "
        f"{data['language_persistent']} language_persistent rows and {data['language_events']} language_events rows")
    for line in summary["quality"]:
        log(f"    {line}")
    log("  final losses: " + ", ".join(f"{k} {v:.4f}" for k, v in summary["final_losses"].items()))
    seeds = score["seeds"]
    log(f"  evaluation of the trained policy on the physics task: {score['episodes']} seeded "
        f"scene{'s' if score['episodes'] > 1 else ''} (seeds {seeds[0]}-{seeds[-1]}, {score['timeout_s']:g} s each)")
    for line in score["text"].splitlines():
        log(f"    {line}")
    log(f"  subtasks the policy generated: {run['subtasks'] or 'none'}")
    if run["plans"] or run["memories"]:
        log(f"  plans: {run['plans']}; memories: {run['memories']}")
    log(f"  under the policy the arm moved up to {run['max_displacement_rad']:.3f} rad on a joint from where an "
        f"episode started (joint paths {', '.join(f'{p:.2f}' for p in run['path_length_rad'])} rad)")
    log("  time: " + ", ".join(f"{stage} {seconds:.0f} s" for stage, seconds in summary["elapsed_s"].items()))
