"""What a teleop device asks for on one tick, whatever the device: the nodes turn it into messages."""

from __future__ import annotations

from dataclasses import dataclass

from ..robots.omni_base import BodyVelocity
from .jog import JogCommand

# Recording events (std_msgs/String on `recording/events`), for the episode recorder.
NEXT_EPISODE = "next_episode"  # end the current episode and save it
RERECORD_EPISODE = "rerecord_episode"  # drop the current episode and record it again
STOP_RECORDING = "stop_recording"  # save and stop recording
RECORDING_EVENTS = (NEXT_EPISODE, RERECORD_EPISODE, STOP_RECORDING)


@dataclass(frozen=True)
class TeleopOutput:
    jog: JogCommand | None = None  # arm targets to send, if any
    base: BodyVelocity | None = None  # cmd_vel to send, if any
    events: tuple[str, ...] = ()  # recording events, in order
