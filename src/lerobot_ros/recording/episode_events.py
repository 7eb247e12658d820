"""What a recording event (``recording/events``: next / re-record / stop) does to the episode at hand.

One rule set for both places that follow the keyboard: recorder_node on its own (no reset periods)
and ``lerobot-ros record``'s timed :class:`~.session_driver.SessionDriver` (reset periods between
episodes). They ask :func:`react` and carry out the :class:`Reaction`:

* while recording: ``next_episode`` saves the episode and records the next (the same task),
  ``rerecord_episode`` discards it and records it again, ``stop_recording`` saves it and ends the
  recording;
* between episodes (idle, or a reset period): ``next_episode`` starts the next episode (ends the
  reset period early), ``stop_recording`` ends the recording, ``rerecord_episode`` is ignored: the
  last episode is saved already (``lerobot-ros dataset delete-episodes`` removes it);
* after the recording ended, and for any other word: ignored, with a note saying why.

A discarded episode is recorded again after the reset period (none for recorder_node on its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..recording_events import NEXT_EPISODE, RECORDING_EVENTS, RERECORD_EPISODE, STOP_RECORDING


class Phase(str, Enum):
    RECORDING = "recording"  # an episode is being recorded
    BETWEEN = "between"  # no episode: idle, or a reset period
    ENDED = "ended"  # the recording is finalized


@dataclass(frozen=True)
class Reaction:
    """What to do, in this order: discard or save the episode, then end the recording or start the next."""

    discard: bool = False
    save: bool = False
    end: bool = False
    start_next: bool = False
    note: str = ""  # why the event changed nothing, for the operator

    @property
    def ignored(self) -> bool:
        return not (self.discard or self.save or self.end or self.start_next)


def react(event: str, phase: Phase) -> Reaction:
    """The :class:`Reaction` to ``event`` (a string from ``recording/events``) in ``phase``."""
    if event not in RECORDING_EVENTS:
        return Reaction(note=f"Ignored unknown recording event {event!r}; known: {', '.join(RECORDING_EVENTS)}")
    if phase is Phase.ENDED:
        return Reaction(note=f"Ignored {event}: the recording has ended")
    if phase is Phase.RECORDING:
        if event == NEXT_EPISODE:
            return Reaction(save=True, start_next=True)
        if event == RERECORD_EPISODE:
            return Reaction(discard=True, start_next=True)
        return Reaction(save=True, end=True)
    if event == NEXT_EPISODE:
        return Reaction(start_next=True)
    if event == STOP_RECORDING:
        return Reaction(end=True)
    return Reaction(note="Re-record ignored: the last episode is already saved (lerobot-ros dataset "
                         "delete-episodes removes it)")
