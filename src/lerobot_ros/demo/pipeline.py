"""The demo's three stages in one rclpy context, each on its own executor: record the scripted expert
on the physics twin through teleoperation, train, evaluate the trained policy on the same task.

Stage 1 composes the evaluation's :class:`~lerobot_ros.evaluation.bench.ExpertBench` with its
recorder: robot_node on the MuJoCo pick-and-place world (``sim://so101_follower?world=pick_place``),
camera_node rendering the world's front camera, teleop_node whose simulated leader the scripted
expert's hand turns, recorder_node, and the demo's annotator, who adds a question about the view
and an interjection to the expert's live narration; all are removed once the episodes are saved.
Stage 2 (``__main__``) plots the episodes and trains a tiny SmolVLA2 with the CPU to itself: a
simulated bus starved of CPU by the training misses replies, which robot_node rightly reports as
errors. Stage 3 brings up a fresh world with policy_node on the checkpoint
(:class:`~lerobot_ros.evaluation.bench.PolicyBench`) and scores it on seeded scenes, as
``lerobot-ros eval`` does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..evaluation.bench import BenchError, ExpertBench, PolicyBench
from ..evaluation.metrics import EpisodeOutcome
from ..evaluation.run import EvalResult, bench_for_checkpoint, policy_episodes, write_results
from ..nodes.composition import Graph, GraphError
from ..nodes.recorder_node import RecorderNode
from ..scenarios.pick_place_expert import Cue, Trajectory
from . import narration
from .people import Annotator, PolicyListener
from .settings import BENCH, CAMERA, DemoSettings

STARTUP_TIMEOUT_S = 20.0
TAKES_PER_EPISODE = 2  # a failed or stalled take is played again on the next scene, at most this often
CUE_DELAY_S = 0.02  # a moment's cues go out this long after a recorder tick...
CUE_WINDOW_S = 0.05  # ...and before this much more has passed, so they share a frame


class DemoError(GraphError):
    """A stage did not do what it must (an episode not saved, the policy failed): the message says."""


@dataclass
class PolicyRun:
    evaluation: EvalResult
    subtasks: list[str]
    plans: list[str]
    memories: list[str]

    @property
    def max_displacement_rad(self) -> float:
        """The farthest any joint got from where it started an episode, over the episodes."""
        return max((float(np.abs(o.poses - o.poses[0]).max()) for o in self.evaluation.outcomes if len(o.poses)),
                   default=0.0)


def wait_until(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.05)


class Narration:
    """One take's extra cues (:mod:`.narration`), published as the plan's time reaches them; the cues
    of one moment go out together just after a recorder tick, so they share a frame."""

    def __init__(self, annotator: Annotator, recorder: RecorderNode, make_cues: Callable[[Trajectory], list[Cue]]):
        self.annotator, self.session, self.make_cues = annotator, recorder.session, make_cues
        self.pending: list[Cue] | None = None  # made at the first tick: the scene is placed by then

    def __call__(self, plan: Trajectory, t: float) -> None:
        if self.pending is None:
            self.pending = sorted(self.make_cues(plan), key=lambda cue: cue.at_s)
        if not self.pending or self.pending[0].at_s > t or not self._just_after_tick():
            return
        moment = self.pending[0].at_s
        while self.pending and self.pending[0].at_s == moment:
            self.annotator.say(self.pending.pop(0))

    def _just_after_tick(self) -> bool:
        period = 1.0 / self.session.config.fps
        since = (self.session.clock() - self.session.tick_time(0)) % period
        return CUE_DELAY_S <= since <= CUE_DELAY_S + CUE_WINDOW_S


def record(graph: Graph, settings: DemoSettings, log) -> list[EpisodeOutcome]:
    """Stage 1: the scripted expert teleoperates the follower on ``settings.episodes`` scenes (seeds
    0, 1, ...), recorded with live language; a take that failed or lost a tick is discarded and the
    next scene played, as an operator would. Returns the saved takes (the evaluation's reference)."""
    bench = ExpertBench(graph, BENCH, recorder=True)
    recorder = bench.recorder
    annotator = graph.add(Annotator(set(narration.TOPICS)))
    wait_until(lambda: not recorder.session.silent_streams(), STARTUP_TIMEOUT_S,
               "the recorder's streams (joint_states, commands, camera)")

    def make_cues(plan: Trajectory) -> list[Cue]:
        answer = narration.vqa_answer(narration.cube_in_view(bench.world, CAMERA, BENCH.image_width,
                                                             BENCH.image_height))
        return narration.extra_cues(plan, answer)

    saved: list[EpisodeOutcome] = []
    seed = 0
    while len(saved) < settings.episodes:
        if seed == TAKES_PER_EPISODE * settings.episodes:
            raise DemoError(f"only {len(saved)} of {settings.episodes} takes succeeded in {seed}")
        narrate = Narration(annotator, recorder, make_cues)
        outcome = bench.episode(seed, narrate)
        if narrate.pending:
            raise DemoError(f"the take of scene {seed} ended before the annotator said {narrate.pending[0].text!r}")
        if seed in bench.saved:
            saved.append(outcome)
            log(f"  scene {seed}: the expert picked and placed the cube through teleop_node in "
                f"{outcome.duration_s:.1f} s; saved as episode {len(saved) - 1}")
        else:
            log(f"  scene {seed}: take discarded ({'a tick was lost' if outcome.success else 'the task failed'})")
        seed += 1
    ok, message = recorder.finalize()
    if not ok:
        raise DemoError(f"the recorder did not finalize the dataset: {message}")
    log(f"  {message}")
    graph.remove_all()
    return saved


def evaluate(graph: Graph, checkpoint: Path, settings: DemoSettings, reference: list[EpisodeOutcome],
             log) -> PolicyRun:
    """Stage 3: policy_node drives the follower with the trained checkpoint on ``settings.eval_episodes``
    seeded scenes, scored by the world's success predicate against the recorded ``reference`` takes."""
    eval_settings = settings.evaluation_settings(checkpoint)
    bench = bench_for_checkpoint(str(checkpoint), BENCH)
    runner = PolicyBench(graph, bench, checkpoint=str(checkpoint))
    listener = graph.add(PolicyListener())

    def logged(seeds, **_):
        for index, seed in enumerate(seeds):
            log(f"  evaluation episode {index + 1}/{len(seeds)}: scene {seed}, the policy has "
                f"{eval_settings.timeout_s:g} s to put the cube on the square")
            yield seed

    outcomes = policy_episodes(runner, eval_settings, logged)
    real_time_factor = runner.world.stats().real_time_factor
    try:
        graph.remove_all()  # policy_node first: the arm holds where the policy left it
    except SystemExit:  # policy_node's shutdown exits 1 after a model error
        raise DemoError(f"the policy failed: {runner.policy_node.runtime.failure!r}") from None
    result = write_results(eval_settings, bench, outcomes, reference, real_time_factor)
    return PolicyRun(result, listener.texts_on("subtask"), listener.texts_on("plan"), listener.texts_on("memory"))
