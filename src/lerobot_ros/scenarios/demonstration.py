"""A scripted demonstration of the simulated SO-101 task, in wall-clock time: where the arm should be
and what an annotator says, second by second.

The motion is :mod:`lerobot_ros.scenarios.policy_scenario`'s (reach the cube, grasp it, lift it: three
phases between its key poses) and the words are the synthetic dataset's
(:mod:`lerobot_ros.training.synthetic`): the plan at the start, each phase's subtask and the memory
of the phase before, a question about the front camera's view with its answer, and in the grasp
phase a user interjection with a spoken reply and a new plan.
``make demo`` plays it on a simulated leader arm (:mod:`lerobot_ros.scenarios.scripted_leader`) and
publishes the cues on the recorder's language topics, so the recorded dataset carries live
``language_persistent`` and ``language_events`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..training import synthetic
from .policy_scenario import JOINTS, KEY_POSES, Scenario

TASK = synthetic.TASK
PHASES = len(synthetic.SUBTASKS)
VQA_TOPICS = ("vqa/front/query", "vqa/front/answer")  # config/recording/so101_sim_demo.yaml
POSE_RATE_HZ = 100  # the resolution of the motion: the leader is moved at up to this rate


@dataclass(frozen=True)
class Cue:
    """A language message: published on ``topic`` (a language topic of the recording config) at ``at_s``."""

    at_s: float
    topic: str
    text: str


@dataclass(frozen=True)
class Demonstration:
    """One episode: ``PHASES`` phases of ``phase_s`` each, then the arm held at the last key pose."""

    phase_s: float = 2.5
    hold_s: float = 0.5

    @property
    def duration_s(self) -> float:
        return PHASES * self.phase_s + self.hold_s

    @property
    def joint_names(self) -> tuple[str, ...]:
        return JOINTS

    @property
    def start_pose(self) -> np.ndarray:
        return KEY_POSES[0].copy()

    def pose(self, t_s: float) -> np.ndarray:
        """The follower pose (radians, ``joint_names`` order) ``t_s`` seconds into the episode."""
        motion = Scenario(frames_per_phase=max(round(self.phase_s * POSE_RATE_HZ), 1), fps=POSE_RATE_HZ)
        return motion.target(max(int(t_s * POSE_RATE_HZ), 0) - 1)

    def phase(self, t_s: float) -> int:
        return min(int(max(t_s, 0.0) // self.phase_s), PHASES - 1)

    def cues(self) -> list[Cue]:
        """Every language message of the episode, in time order."""
        cues = [Cue(0.0, "plan", synthetic.PLAN)]
        for phase, (subtask, memory) in enumerate(zip(synthetic.SUBTASKS, synthetic.MEMORIES)):
            start = phase * self.phase_s
            if memory is not None:
                cues.append(Cue(start, "memory", memory))
            cues.append(Cue(start, "subtask", subtask))
        # Cues that belong together share a moment, so they land on one frame: a question with its
        # answer, an interjection with the spoken reply and the new plan (the recipe pairs them there).
        question = round(0.4 * self.phase_s, 1)  # in the reach phase, about the front camera's view
        cues += [Cue(question, VQA_TOPICS[0], synthetic.VQA_QUESTION),
                 Cue(question, VQA_TOPICS[1], synthetic.VQA_ANSWER)]
        interjection = round(1.4 * self.phase_s, 1)  # in the grasp phase
        cues += [Cue(interjection, "user_input", synthetic.INTERJECTION), Cue(interjection, "say", synthetic.REPLY),
                 Cue(interjection, "plan", synthetic.NEW_PLAN)]
        return sorted(cues, key=lambda cue: cue.at_s)  # stable: a moment's cues keep their order

    def return_pose(self, from_pose: np.ndarray, t_s: float, duration_s: float) -> np.ndarray:
        """Back to the start pose over ``duration_s`` (the reset between episodes), eased."""
        s = min(max(t_s / duration_s, 0.0), 1.0) if duration_s > 0 else 1.0
        return from_pose + s * s * (3.0 - 2.0 * s) * (self.start_pose - from_pose)
