"""One closed-loop evaluation: the expert's reference episodes, then the policy's, scored and reported.

Seeds: episode ``k`` of an evaluation places the objects from seed ``first_seed + k``, so two
checkpoints evaluated with the same settings face the same scenes; the default first seed (1000)
keeps evaluation scenes apart from recorded demonstrations (seeds from 0). The reference episodes are
the scripted expert on the first evaluation scenes, so smoothness compares like with like.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

from ..nodes.composition import Graph
from ..recording.contract import FeatureContract
from ..runtime.backends import checkpoint_contract
from .baselines import PresentPosePolicy
from .bench import BenchError, ExpertBench, PolicyBench
from .metrics import EpisodeOutcome, Summary, summarize
from .report import plot_summary, write_summary, write_video
from .settings import BenchConfig, EvalSettings

def bench_for_checkpoint(checkpoint: str, bench: BenchConfig) -> BenchConfig:
    """The cameras a checkpoint was trained with (names and sizes from its feature contract: its own, or
    its training dataset's for a lerobot-train checkpoint), else ``bench``'s."""
    path = checkpoint_contract(str(Path(checkpoint).expanduser()))
    if path is None:
        return bench
    images = [f for f in FeatureContract.load(path).config.features if f.is_image]
    if not images:
        return bench
    sizes = {(f.height, f.width) for f in images}
    if len(sizes) > 1:
        raise ValueError(f"{path}: cameras of different sizes ({sorted(sizes)}); the bench renders one size")
    height, width = sizes.pop()
    cameras = tuple(f.topic.split("/")[0] for f in images)
    return replace(bench, cameras=cameras, image_height=height or bench.image_height,
                   image_width=width or bench.image_width)


@dataclass
class EvalResult:
    summary: Summary
    outcomes: list[EpisodeOutcome]
    reference: list[EpisodeOutcome]
    folder: Path


def evaluate(settings: EvalSettings, progress: Callable | None = None) -> EvalResult:
    """Run the evaluation (see the module docstring); writes into ``settings.output``."""
    bench = bench_for_checkpoint(settings.checkpoint, settings.bench) if settings.checkpoint else settings.bench
    settings.output.mkdir(parents=True, exist_ok=True)
    policy_params = {"port": bench.port, "heartbeat_timeout_s": 1.0, **settings.policy_parameters}
    graph = Graph(bench.parameters(settings.output, {"policy_node": policy_params}))
    bar = progress or (lambda iterable, **_: iterable)
    try:
        reference: list[EpisodeOutcome] = []
        if settings.reference_episodes:
            expert = ExpertBench(graph, bench)
            for seed in bar(settings.seeds[:settings.reference_episodes], desc="demonstrations", unit="episode"):
                reference.append(expert.episode(seed))
            graph.remove_all()
        policy = (PresentPosePolicy(bench.cameras, (bench.image_height, bench.image_width))
                  if settings.baseline else None)
        runner = PolicyBench(graph, bench, checkpoint=settings.checkpoint, policy=policy)
        outcomes = policy_episodes(runner, settings, progress)
        stats = runner.world.stats()
    finally:
        graph.close()
    return write_results(settings, bench, outcomes, reference, stats.real_time_factor)


def policy_episodes(runner: PolicyBench, settings: EvalSettings, progress: Callable | None = None
                    ) -> list[EpisodeOutcome]:
    """The evaluation's episodes (``settings.seeds``) on a bench that is up, an MP4 of each when
    ``settings.videos``; a caller composing its own graph (``make demo``) runs them this way too."""
    bar = progress or (lambda iterable, **_: iterable)
    outcomes: list[EpisodeOutcome] = []
    episodes = bar(settings.seeds, desc="evaluation", unit="episode")
    for seed in episodes:
        outcome, frames = runner.episode(seed, settings.timeout_s)
        outcomes.append(outcome)
        if settings.videos:
            write_video(frames, settings.output / "videos" / f"episode_{seed}.mp4", runner.config.fps)
        if hasattr(episodes, "set_postfix"):
            episodes.set_postfix(success=f"{sum(o.success for o in outcomes)}/{len(outcomes)}")
    return outcomes


def write_results(settings: EvalSettings, bench: BenchConfig, outcomes: list[EpisodeOutcome],
                  reference: list[EpisodeOutcome], real_time_factor: float) -> EvalResult:
    """Score the episodes and write ``summary.json``, ``reference.json`` and ``summary.png``."""
    out = settings.output
    summary = summarize(outcomes, reference)
    record = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(settings).items()}
    record["bench"] = asdict(bench)
    record["real_time_factor"] = round(real_time_factor, 4)
    write_summary(out, summary, outcomes, record)
    (out / "reference.json").write_text(json.dumps([o.row() for o in reference], indent=2) + "\n")
    plot_summary(out / "summary.png", summary, outcomes, reference,
                 title=f"{settings.checkpoint or settings.baseline} on {bench.world}")
    return EvalResult(summary, outcomes, reference, out)


def record_demonstrations(root: Path, episodes: int, bench: BenchConfig = BenchConfig(), first_seed: int = 0,
                          speed: float = 1.0, progress: Callable | None = None) -> list[EpisodeOutcome]:
    """Record ``episodes`` successful expert demonstrations into the dataset ``root`` through teleop_node
    and recorder_node (config/recording/so101_pick_place.yaml), with their live language; seeds from
    ``first_seed`` on (a failed take is discarded and the next seed played, at most twice as many)."""
    from ..package_files import config_path

    recorder = {"config": str(config_path(f"recording/{bench.robot_type.split('_')[0]}_{bench.world}.yaml")),
                "root": str(root), "robot_type": bench.robot_type, "port": bench.port, "codec": "libx264",
                "on_gap": "truncate"}
    graph = Graph(bench.parameters(root.parent / f"{root.name}.parameters", {"recorder_node": recorder}))
    outcomes: list[EpisodeOutcome] = []
    try:
        expert = ExpertBench(graph, bench, speed=speed, recorder=True)
        takes = 0
        for _ in (progress or (lambda iterable, **_: iterable))(range(episodes), desc="demonstrations",
                                                              unit="episode"):
            saved_before = len(expert.saved)
            while len(expert.saved) == saved_before:
                if takes == 2 * episodes:
                    raise BenchError(f"only {saved_before} of {episodes} demonstrations succeeded in {takes} takes")
                outcomes.append(expert.episode(first_seed + takes))
                takes += 1
        ok, message = expert.recorder.finalize()
        if not ok:
            raise BenchError(f"the recorder did not finalize the dataset: {message}")
    finally:
        graph.close()
    return [o for o in outcomes if o.seed in expert.saved]


def tqdm_progress(iterable, **kwargs):
    """A tqdm bar on stderr (LeRobot's progress style), quiet when stderr is not a terminal."""
    from tqdm import tqdm
    return tqdm(iterable, disable=not sys.stderr.isatty(), **kwargs)
