"""A timed recording session, like ``lerobot-record``: episodes of fixed length, reset periods,
and the keyboard's next / re-record / stop.

For each episode (a take: one ``start_episode`` .. ``stop_episode``; a take split at a stall saves
several dataset episodes, and still counts as one): start it, record until ``episode_time_s`` passes
(as ``next_episode``) or an event arrives; what each event does is :mod:`.episode_events`' rule, the
one recorder_node follows too. A reset period of ``reset_time_s`` follows every saved episode but
the last, and a discarded one. Unlike LeRobot, the episode is saved *before* the reset period
(the save runs while the operator resets), so a re-record during the reset has nothing to undo and
is ignored. An episode that saves nothing (no tick had every stream fresh) ends the session with an
error: the topics are not coming in.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass

from .episode_events import Phase, Reaction, react
from .recording_session import RecordingSession

TIME_UP = Reaction(save=True, start_next=True)  # an episode's time ran out: as next_episode


@dataclass(frozen=True)
class DriverSettings:
    task: str
    num_episodes: int = 50
    episode_time_s: float = 60.0
    reset_time_s: float = 60.0

    def __post_init__(self) -> None:
        if self.num_episodes < 1 or self.episode_time_s <= 0 or self.reset_time_s < 0:
            raise ValueError("the number of episodes must be >= 1, the episode time > 0 and the reset time >= 0")


@dataclass
class DriverResult:
    saved: list[int]  # episode indices saved in this session
    takes: int = 0  # takes saved (a take split at a stall saved several of ``saved``)
    rerecorded: int = 0
    stopped_early: bool = False
    error: str | None = None


class SessionDriver:
    def __init__(self, session: RecordingSession, settings: DriverSettings, events: queue.Queue,
                 say: Callable[[str], None] = print):
        self.session = session
        self.settings = settings
        self.events = events
        self.say = say

    def _wait(self, seconds: float, phase: Phase) -> Reaction | None:
        """The reaction to the first recording event within ``seconds`` that changes something (the
        others are announced and skipped), else None."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                return None
            reaction = react(event, phase)
            if not reaction.ignored:
                return reaction
            self.say(reaction.note)
        return None

    def run(self) -> DriverResult:
        result = DriverResult(saved=[])
        s = self.settings
        while result.takes < s.num_episodes:
            index = self.session.start_episode(s.task, duration_s=s.episode_time_s)
            self.say(f"Recording episode {index} ({result.takes + 1}/{s.num_episodes}): {s.task}")
            reaction = self._wait(s.episode_time_s, Phase.RECORDING) or TIME_UP
            if reaction.discard:
                self.session.discard_episode()
                result.rerecorded += 1
                self.say(f"Re-recording episode {index}")
                if self._reset_ends_session():
                    result.stopped_early = True
                    break
                continue
            outcome = self.session.stop_episode()
            self.say(outcome.message)
            if not outcome.saved:
                result.error = outcome.message + "\n" + outcome.quality.summary()
                break
            result.saved.extend(outcome.episode_indices)
            result.takes += 1
            if reaction.end:
                result.stopped_early = True
                break
            if result.takes < s.num_episodes and self._reset_ends_session():
                result.stopped_early = True
                break
        return result

    def _reset_ends_session(self) -> bool:
        """The reset period (``next_episode`` ends it early); True when ``stop_recording`` came in it."""
        if self.settings.reset_time_s <= 0:
            return False
        self.say(f"Reset the environment ({self.settings.reset_time_s:g} s)")
        reaction = self._wait(self.settings.reset_time_s, Phase.BETWEEN)
        return reaction is not None and reaction.end
