"""A timed recording session, like ``lerobot-record``: episodes of fixed length, reset periods,
and the keyboard's next / re-record / stop.

For each episode (a take: one ``start_episode`` .. ``stop_episode``; a take split at a stall saves
several dataset episodes, and still counts as one): start it, record until ``episode_time_s`` passes
or an event arrives, then
``next_episode`` (or the timeout) saves it, ``rerecord_episode`` discards it and records it again
after the reset period, ``stop_recording`` saves it and ends the session. A reset period of
``reset_time_s`` follows every saved episode but the last; ``next_episode`` ends it early,
``stop_recording`` ends the session. Unlike LeRobot, the episode is saved *before* the reset period
(the save runs while the operator resets), so a re-record during the reset has nothing to undo and
is ignored. An episode that saves nothing (no tick had every stream fresh) ends the session with an
error: the topics are not coming in.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass

from .recording_session import RecordingSession
from ..recording_events import NEXT_EPISODE, RECORDING_EVENTS, RERECORD_EPISODE, STOP_RECORDING


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

    def _wait(self, seconds: float) -> str | None:
        """A recording event that arrives within ``seconds``, else None; other strings are ignored."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if event in RECORDING_EVENTS:
                return event
            self.say(f"Ignored unknown recording event {event!r}; known: {', '.join(RECORDING_EVENTS)}")
        return None

    def run(self) -> DriverResult:
        result = DriverResult(saved=[])
        s = self.settings
        while result.takes < s.num_episodes:
            index = self.session.start_episode(s.task, duration_s=s.episode_time_s)
            self.say(f"Recording episode {index} ({result.takes + 1}/{s.num_episodes}): {s.task}")
            event = self._wait(s.episode_time_s)
            if event == RERECORD_EPISODE:
                self.session.discard_episode()
                result.rerecorded += 1
                self.say(f"Re-recording episode {index}")
                if self._reset() == STOP_RECORDING:
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
            if event == STOP_RECORDING:
                result.stopped_early = True
                break
            if result.takes < s.num_episodes and self._reset() == STOP_RECORDING:
                result.stopped_early = True
                break
        return result

    def _reset(self) -> str | None:
        """The reset period; returns the event that ended it early (next or stop), if any."""
        if self.settings.reset_time_s <= 0:
            return None
        self.say(f"Reset the environment ({self.settings.reset_time_s:g} s)")
        deadline = time.monotonic() + self.settings.reset_time_s
        while (left := deadline - time.monotonic()) > 0:
            event = self._wait(left)
            if event in (NEXT_EPISODE, STOP_RECORDING):
                return event
            if event == RERECORD_EPISODE:
                self.say("Re-record ignored: the last episode is already saved (lerobot-ros dataset "
                         "delete-episodes removes it)")
        return None
